// vesperctl serial: reserve new serial numbers and check existing ones.
#include <cstdio>

#include "cli.hpp"
#include "vesper/core/error.hpp"
#include "vesper/serial/serial_number.hpp"

namespace vesper::cli {

namespace {

std::string iso_date(const serial::Date& d) {
    char buf[16];
    std::snprintf(buf, sizeof buf, "%04d-%02d-%02d", d.year, d.month, d.day);
    return buf;
}

nlohmann::json serial_json(const serial::SerialNumber& sn) {
    return {{"serial", sn.str()},          {"prefix", sn.prefix()},   {"date", iso_date(sn.date)},
            {"board_type", sn.board_type}, {"revision", sn.revision}, {"random", sn.random}};
}

} // namespace

void register_serial(CLI::App& app, Context& ctx) {
    auto* serial_cmd = app.add_subcommand("serial", "Serial numbers: PV-YYMMM-BBTTR-XXXXX");
    serial_cmd->require_subcommand(1);

    struct GenArgs {
        std::string type, rev, date;
        int count = 1;
    };
    auto gen_args = std::make_shared<GenArgs>();
    auto* gen = serial_cmd->add_subcommand("gen", "Reserve new serial numbers in the ledger and print them");
    gen->add_option("--type", gen_args->type, "Board type code, two letters (e.g. BC)")->required();
    gen->add_option("--rev", gen_args->rev, "Board revision, two digits (e.g. 02)")->required();
    gen->add_option("--count", gen_args->count, "How many serials")->capture_default_str();
    gen->add_option("--date", gen_args->date, "Date in the serial, YYYY-MM-DD (default: today)");
    gen->callback([&ctx, gen_args] {
        std::string type = serial::normalize_board_type(gen_args->type);
        std::string rev = serial::normalize_revision(gen_args->rev);
        serial::Date date = gen_args->date.empty() ? serial::today_local() : serial::parse_iso_date(gen_args->date);
        auto ledger = ctx.open_ledger(ledger::Access::create);
        auto serials = ledger.reserve_serials(type, rev, date, gen_args->count);
        if (ctx.json) {
            nlohmann::json arr = nlohmann::json::array();
            for (const auto& s : serials)
                arr.push_back(serial_json(*serial::parse(s)));
            ctx.print_json({{"serials", arr}});
        } else {
            for (const auto& s : serials)
                std::cout << s << "\n";
        }
    });

    auto check_serials = std::make_shared<std::vector<std::string>>();
    auto* check = serial_cmd->add_subcommand("check", "Validate serial numbers and explain their fields");
    check->add_option("serial", *check_serials, "Serial number(s) to check")->required();
    check->callback([&ctx, check_serials] {
        // Say whether each serial was issued here when there is a ledger: checking never creates one,
        // and a ledger named by --ledger that is not there is a mistake to report, not to pass over.
        std::optional<ledger::Ledger> ledger;
        const auto where = ctx.ledger_location();
        if (where.named || std::filesystem::exists(where.path))
            ledger = ctx.open_ledger(where, ledger::Access::read_only);
        nlohmann::json results = nlohmann::json::array();
        std::vector<std::string> invalid;
        for (const auto& s : *check_serials) {
            std::string why;
            auto sn = serial::parse(s, &why);
            // Every key in every entry; what is not known (an invalid serial's fields, the ledger's
            // answers without a ledger) is null.
            nlohmann::json r = sn ? serial_json(*sn)
                                  : nlohmann::json{{"serial", s},           {"prefix", nullptr},   {"date", nullptr},
                                                   {"board_type", nullptr}, {"revision", nullptr}, {"random", nullptr}};
            r["valid"] = sn.has_value();
            r["error"] = sn ? nlohmann::json(nullptr) : nlohmann::json(why);
            r["in_ledger"] = nullptr;
            r["reserved_at"] = nullptr;
            r["batch_id"] = nullptr;
            if (!sn) invalid.push_back(s + " (" + why + ")");
            std::string issued;
            if (sn && ledger) {
                auto res = ledger->find_serial(s);
                r["in_ledger"] = res.has_value();
                if (res) {
                    r["reserved_at"] = res->reserved_at;
                    if (res->batch_id) r["batch_id"] = *res->batch_id;
                    issued = res->batch_id ? ", issued in batch " + std::to_string(*res->batch_id)
                                           : ", reserved " + res->reserved_at;
                } else {
                    issued = ", not issued by this ledger";
                }
            }
            results.push_back(r);
            if (!ctx.json) {
                if (sn)
                    std::cout << s << ": valid: made " << iso_date(sn->date) << ", board type " << sn->board_type
                              << ", revision " << sn->revision << issued << "\n";
                else
                    std::cout << s << ": invalid: " << why << "\n";
            }
        }
        if (ctx.json) ctx.print_json({{"serials", results}});
        if (!invalid.empty()) {
            std::string list;
            for (const auto& i : invalid)
                list += (list.empty() ? "" : "; ") + i;
            fail(ErrorCode::serial_invalid, std::to_string(invalid.size()) + " of " +
                                                std::to_string(check_serials->size()) + " serials invalid: " + list);
        }
    });
}

} // namespace vesper::cli
