#include "vesper/label/fields.hpp"

#include <cctype>
#include <ctime>

#include "vesper/core/error.hpp"
#include "vesper/core/placeholders.hpp"
#include "vesper/core/text.hpp"

namespace vesper::label {

namespace {

// "2026-12-04T10:52:56Z" (the ledger's times) -> its date part; checked, since a date code is derived.
bool date_of(const std::string& iso, int& year, int& month, int& day) {
    if (iso.size() < 10 || iso[4] != '-' || iso[7] != '-') return false;
    for (int i : {0, 1, 2, 3, 5, 6, 8, 9})
        if (!std::isdigit(static_cast<unsigned char>(iso[static_cast<std::size_t>(i)]))) return false;
    year = std::stoi(iso.substr(0, 4));
    month = std::stoi(iso.substr(5, 2));
    day = std::stoi(iso.substr(8, 2));
    return month >= 1 && month <= 12 && day >= 1 && day <= 31;
}

// YYWW of the ISO 8601 week the date falls in (its year is the week's, which differs near New Year).
std::string iso_week_code(int year, int month, int day) {
    std::tm tm{};
    tm.tm_year = year - 1900;
    tm.tm_mon = month - 1;
    tm.tm_mday = day;
    tm.tm_hour = 12;
    timegm(&tm); // normalises and fills tm_wday, tm_yday
    char buf[8];
    std::strftime(buf, sizeof buf, "%g%V", &tm);
    return buf;
}

} // namespace

const std::vector<std::string>& placeholder_names() {
    static const std::vector<std::string> names{"serial_number", "hw_type",           "hw_version",        "mac",
                                                "batch_id",      "subscription_plan", "available_outputs", "date",
                                                "date_code",     "claim_code"};
    return names;
}

Values device_values(const ledger::Device& device, const std::string& claim_code) {
    Values v{{"serial_number", device.serial},
             {"hw_type", device.hw_type},
             {"hw_version", device.hw_version},
             {"batch_id", std::to_string(device.batch_id)},
             {"subscription_plan", device.subscription_plan},
             {"available_outputs", std::to_string(device.available_outputs)}};
    std::string mac = device.mac;
    for (auto& c : mac)
        c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    v["mac"] = mac;
    // Made when flashed; a board not flashed yet carries its record's date.
    const std::string& made = device.flashed_at.empty() ? device.created_at : device.flashed_at;
    int y = 0, m = 0, d = 0;
    if (date_of(made, y, m, d)) {
        v["date"] = made.substr(0, 10);
        v["date_code"] = iso_week_code(y, m, d);
    } else {
        v["date"] = "";
        v["date_code"] = "";
    }
    if (!claim_code.empty()) v["claim_code"] = claim_code;
    return v;
}

const Values& sample_values() {
    // The longest each can be: serials and claim codes have one length, MACs one form; a batch id and
    // the plan are the ledger's to grow, so they get generous widths.
    static const Values v{{"serial_number", "PV-26DEC-BC02W-MMMMM"},
                          {"hw_type", "WW"},
                          {"hw_version", "WW"},
                          {"mac", "AA:BB:CC:DD:EE:FF"},
                          {"batch_id", "999999"},
                          {"subscription_plan", "standard"},
                          {"available_outputs", "64"},
                          {"date", "2026-12-04"},
                          {"date_code", "2649"},
                          {"claim_code", "MMMMM-MMMMM-MMMMM-MMMMM-M"}};
    return v;
}

std::vector<std::string> placeholders_in(std::string_view tmpl) {
    const PlaceholderSplit split = split_placeholders(tmpl);
    std::vector<std::string> names;
    for (const TextPiece& piece : split.pieces) {
        if (!piece.placeholder) continue;
        if (piece.text.empty())
            fail(ErrorCode::label_placeholder, "an empty placeholder {{}} in '" + std::string(tmpl) + "'");
        names.emplace_back(piece.text);
    }
    if (!split.unclosed.empty())
        fail(ErrorCode::label_placeholder, "'{{' without a closing '}}' in '" + std::string(tmpl) + "'");
    return names;
}

std::string expand(std::string_view tmpl, const Values& values) {
    const PlaceholderSplit split = split_placeholders(tmpl);
    std::string out;
    out.reserve(tmpl.size() + 32);
    for (const TextPiece& piece : split.pieces) {
        if (!piece.placeholder) {
            out.append(piece.text);
            continue;
        }
        const std::string name(piece.text);
        const auto it = values.find(name);
        if (it == values.end()) {
            if (name == "claim_code")
                fail(ErrorCode::label_placeholder,
                     "{{claim_code}} needs the claim secret: set VESPER_CLAIM_SECRET or give --claim-secret-file");
            fail(ErrorCode::label_placeholder,
                 "unknown placeholder {{" + name + "}} (placeholders: " + join(placeholder_names()) + ")");
        }
        out += it->second;
    }
    if (!split.unclosed.empty()) placeholders_in(tmpl); // throws for the unclosed one
    return out;
}

} // namespace vesper::label
