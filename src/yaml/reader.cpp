// Strict YAML node reading (see reader.hpp).
#include "vesper/yaml/reader.hpp"

#include <charconv>
#include <cstdio>
#include <set>

#include "vesper/core/text.hpp"

namespace vesper::yaml {

namespace {

std::string kind_name(const Node& node) {
    switch (node.kind) {
    case Kind::null: return "nothing";
    case Kind::scalar: return quote_value(node.scalar);
    case Kind::sequence: return "a list";
    case Kind::map: return "a mapping";
    }
    return "nothing";
}

// Numbers are written without quotes and without '_' or '+' so that what the file says is what is
// meant; YAML's own number forms (octal 0o, .inf) are not accepted.
std::string scalar_text(const Reader& r, const Node& node, const std::string& field, const char* expected) {
    if (node.kind != Kind::scalar)
        r.fail_at(node, field, std::string("expected ") + expected + ", got " + kind_name(node));
    return std::string(trim(node.scalar));
}

std::string number_text(double v) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%g", v);
    return buf;
}

} // namespace

void Reader::fail_at(const Node& node, const std::string& field, const std::string& reason, ErrorCode code) const {
    fail_line(node.line, field, reason, code);
}

void Reader::fail_line(int line, const std::string& field, const std::string& reason, ErrorCode code) const {
    fail_located(file_, line, field, reason, code);
}

std::vector<Entry> Reader::entries(const Node& map, const std::string& field,
                                   std::initializer_list<std::string_view> allowed) const {
    if (map.kind != Kind::map) fail_at(map, field, "expected a mapping (key: value lines), got " + kind_name(map));
    std::vector<Entry> out;
    std::set<std::string> seen;
    for (const MapEntry& it : map.entries) {
        const Node& key = it.key;
        if (key.kind != Kind::scalar || key.scalar.empty())
            fail_at(key, field, "keys must be plain names, got " + kind_name(key));
        const std::string name = key.scalar;
        const std::string where = field.empty() ? name : field + "." + name;
        if (allowed.size() != 0) {
            bool known = false;
            for (auto a : allowed)
                known = known || a == name;
            if (!known) fail_at(key, where, "unknown key (expected one of: " + join(allowed) + ")");
        }
        // The tree keeps both copies of a repeated key; which one wins would be a guess.
        if (!seen.insert(name).second) fail_at(key, where, "given twice");
        // An empty value's mark points past it, at whatever follows; the key's line is the one to show.
        if (it.value.kind == Kind::null) fail_at(key, where, "has no value");
        out.push_back(Entry{name, key, it.value});
    }
    return out;
}

const std::vector<Node>& Reader::items(const Node& seq, const std::string& field) const {
    if (seq.kind != Kind::sequence) fail_at(seq, field, "expected a list, got " + kind_name(seq));
    return seq.items;
}

std::string Reader::string(const Node& node, const std::string& field) const {
    std::string s = scalar_text(*this, node, field, "a text value");
    if (s.empty()) fail_at(node, field, "must not be empty");
    return s;
}

std::uint64_t Reader::uint(const Node& node, const std::string& field, std::uint64_t min, std::uint64_t max) const {
    const std::string s = scalar_text(*this, node, field, "a number");
    auto v = parse_uint(s);
    if (!v) fail_at(node, field, quote_value(s) + " is not a whole number (decimal or 0x hex)");
    if (*v < min || *v > max)
        fail_at(node, field, s + " is out of range (" + std::to_string(min) + ".." + std::to_string(max) + ")");
    return *v;
}

double Reader::number(const Node& node, const std::string& field, double min, double max) const {
    const std::string s = scalar_text(*this, node, field, "a number");
    double v = 0;
    auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
    if (s.empty() || ec != std::errc() || end != s.data() + s.size())
        fail_at(node, field, quote_value(s) + " is not a number");
    if (!(v >= min && v <= max))
        fail_at(node, field, s + " is out of range (" + number_text(min) + ".." + number_text(max) + ")");
    return v;
}

bool Reader::boolean(const Node& node, const std::string& field) const {
    const std::string s = scalar_text(*this, node, field, "true or false");
    if (s == "true" || s == "True" || s == "TRUE") return true;
    if (s == "false" || s == "False" || s == "FALSE") return false;
    fail_at(node, field, quote_value(s) + ": expected true or false");
}

std::string Reader::choice(const Node& node, const std::string& field,
                           std::initializer_list<std::string_view> choices) const {
    const std::string s = scalar_text(*this, node, field, "a text value");
    for (auto c : choices)
        if (c == s) return s;
    fail_at(node, field, quote_value(s) + ": expected one of: " + join(choices));
}

const Entry* find(const std::vector<Entry>& entries, std::string_view key) {
    for (const auto& e : entries)
        if (e.key == key) return &e;
    return nullptr;
}

} // namespace vesper::yaml
