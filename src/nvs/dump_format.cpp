#include "vesper/nvs/dump_format.hpp"

#include <cstdio>
#include <sstream>

#include "vesper/nvs/encoding.hpp"

namespace vesper::nvs {

namespace {

constexpr std::size_t kTextBlobBytes = 64;  // longer blobs are cut in the human dump (JSON has them whole)
constexpr std::size_t kEntryTextChars = 72; // strings in the per-entry lines

std::int64_t signed_value(ItemType type, std::uint64_t bits) {
    const std::size_t width = integer_width(type);
    if (width == 8) return static_cast<std::int64_t>(bits);
    const std::uint64_t mask = (std::uint64_t{1} << (8 * width)) - 1;
    const std::uint64_t sign = std::uint64_t{1} << (8 * width - 1);
    bits &= mask;
    return (bits & sign) ? static_cast<std::int64_t>(bits | ~mask) : static_cast<std::int64_t>(bits);
}

std::string ns_of(const Dump& d, std::uint8_t ns) {
    if (ns == 0) return "(namespaces)";
    auto it = d.namespaces.find(ns);
    return it != d.namespaces.end() ? it->second : std::string("#").append(std::to_string(ns));
}

std::string pad(std::string s, std::size_t width) {
    if (s.size() < width) s.append(width - s.size(), ' ');
    return s;
}

std::string entry_line(const Dump& d, const EntryInfo& e) {
    char head[48];
    std::snprintf(head, sizeof head, "  entry %3zu  ", e.slot);
    std::string out = head;
    const auto type = static_cast<ItemType>(e.type);
    const std::string name = ns_of(d, e.ns) + "/" + e.key;
    if (!e.crc_ok) return out + "key '" + e.key + "': entry CRC mismatch, not read";
    out += pad(to_string(type), 11) + pad("span " + std::to_string(e.span), 8) + " ";
    if (is_integer(type)) return out + name + " = " + integer_text(type, e.integer);
    if (!e.data_crc_ok) return out + name + ": data CRC mismatch, not read";
    switch (type) {
    case ItemType::sz: {
        NvsValue v{ns_of(d, e.ns), e.key, type, 0, e.data, e.page, e.slot};
        if (!v.data.empty() && v.data.back() == 0) v.data.pop_back();
        std::string text = value_text(v);
        // The values section shows it whole; here a long string would drown the layout.
        if (text.size() > kEntryTextChars) text = text.substr(0, kEntryTextChars) + "...";
        return out + name + " = " + text;
    }
    case ItemType::blob: return out + name + ": " + std::to_string(e.data.size()) + " bytes";
    case ItemType::blob_data:
        return out + name + " chunk " + std::to_string(e.chunk_index) + ": " + std::to_string(e.data.size()) + " bytes";
    case ItemType::blob_idx:
        return out + name + ": " + std::to_string(e.blob_size) + " bytes in " + std::to_string(e.chunk_count) +
               " chunk(s) from " + std::to_string(e.chunk_start);
    default: return out + name;
    }
}

std::string value_line(const NvsValue& v) {
    std::string text;
    if (v.type == ItemType::blob && v.data.size() > kTextBlobBytes) {
        NvsValue head = v;
        head.data.resize(kTextBlobBytes);
        text = value_text(head) + "... (" + std::to_string(v.data.size()) + " bytes)";
    } else if (v.type == ItemType::blob) {
        text = value_text(v) + " (" + std::to_string(v.data.size()) + " bytes)";
    } else {
        text = value_text(v);
    }
    return "  " + pad(v.ns + "/" + v.key, 28) + " " + pad(to_string(v.type), 7) + " " + text;
}

} // namespace

std::string dump_text(const Dump& d, const std::string& image_name) {
    std::ostringstream out;
    out << image_name << ": " << d.size << " bytes, " << d.pages.size() << " pages, " << d.namespaces.size()
        << " namespace(s), " << d.values.size() << " value(s)\n";
    for (std::size_t i = 0; i < d.pages.size(); ++i) {
        const PageInfo& p = d.pages[i];
        if (p.erased) {
            std::size_t last = i;
            while (last + 1 < d.pages.size() && d.pages[last + 1].erased)
                ++last;
            if (last == i)
                out << "page " << i << ": erased\n";
            else
                out << "pages " << i << "-" << last << ": erased\n";
            i = last;
            continue;
        }
        auto version = version_from_byte(p.version_byte);
        out << "page " << p.index << ": " << page_state_name(p.state) << ", sequence " << p.sequence << ", version "
            << (version ? (*version == Version::v1 ? "1" : "2") : "?") << ", header CRC "
            << (p.header_crc_ok ? "ok" : "BAD") << ", " << p.written_entries << " of " << entries_per_page
            << " entries written";
        if (p.erased_entries) out << ", " << p.erased_entries << " erased";
        out << "\n";
        for (const auto& e : d.entries)
            if (e.page == p.index) out << entry_line(d, e) << "\n";
    }
    out << "values:\n";
    for (const auto& v : d.values)
        out << value_line(v) << "\n";
    if (d.problems.empty()) {
        out << "no problems\n";
    } else {
        out << d.problems.size() << " problem(s):\n";
        for (const auto& p : d.problems)
            out << "  " << to_string(p.kind) << ": " << p.message << "\n";
    }
    return out.str();
}

nlohmann::json value_json(const NvsValue& v) {
    if (is_integer(v.type)) {
        if (is_signed(v.type)) return signed_value(v.type, v.integer);
        const std::size_t width = integer_width(v.type);
        return width == 8 ? v.integer : v.integer & ((std::uint64_t{1} << (8 * width)) - 1);
    }
    if (v.type == ItemType::sz)
        return std::string(v.data.begin(), v.data.end()); // bytes that are not UTF-8: see json_text
    return to_hex(v.data);
}

nlohmann::json dump_json(const Dump& d, const std::string& image_name) {
    using nlohmann::json;
    json pages = json::array();
    for (const auto& p : d.pages) {
        auto version = version_from_byte(p.version_byte);
        pages.push_back({{"index", p.index},
                         {"state", page_state_name(p.state)},
                         {"erased", p.erased},
                         {"sequence", p.sequence},
                         {"version", version ? json(*version == Version::v1 ? 1 : 2) : json(nullptr)},
                         {"header_crc_ok", p.header_crc_ok},
                         {"written_entries", p.written_entries},
                         {"erased_entries", p.erased_entries}});
    }
    json namespaces = json::array();
    for (const auto& [index, name] : d.namespaces)
        namespaces.push_back({{"index", index}, {"name", name}});
    json entries = json::array();
    for (const auto& e : d.entries) {
        json j{{"page", e.page},
               {"slot", e.slot},
               {"namespace_index", e.ns},
               {"key", e.key},
               {"type", to_string(static_cast<ItemType>(e.type))},
               {"type_byte", e.type},
               {"span", e.span},
               {"chunk_index", e.chunk_index},
               {"crc_ok", e.crc_ok},
               {"data_crc_ok", e.data_crc_ok}};
        if (e.ns != 0) j["namespace"] = ns_of(d, e.ns);
        const auto type = static_cast<ItemType>(e.type);
        if (e.crc_ok && type == ItemType::blob_idx) {
            j["blob_size"] = e.blob_size;
            j["chunk_count"] = e.chunk_count;
            j["chunk_start"] = e.chunk_start;
        } else if (e.crc_ok && (type == ItemType::sz || type == ItemType::blob || type == ItemType::blob_data)) {
            j["data_size"] = e.data.size();
        }
        entries.push_back(std::move(j));
    }
    json values = json::array();
    for (const auto& v : d.values) {
        json j{{"namespace", v.ns},      {"key", v.key},   {"type", to_string(v.type)},
               {"value", value_json(v)}, {"page", v.page}, {"slot", v.slot}};
        if (!is_integer(v.type)) j["size"] = v.data.size();
        values.push_back(std::move(j));
    }
    json problems = json::array();
    for (const auto& p : d.problems)
        problems.push_back({{"kind", to_string(p.kind)},
                            {"page", p.page},
                            {"slot", p.slot ? json(*p.slot) : json(nullptr)},
                            {"message", p.message}});
    return {{"input", image_name},      {"size", d.size},     {"ok", d.ok()},     {"pages", pages},
            {"namespaces", namespaces}, {"entries", entries}, {"values", values}, {"problems", problems}};
}

} // namespace vesper::nvs
