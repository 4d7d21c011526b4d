#pragma once
// Strict reading of YAML nodes for the station config: every value is checked for its type, every map
// for unknown and repeated keys, and every problem becomes Error(input) "FILE:LINE: FIELD: reason" with
// the line taken from the node's mark. Private to src/station.
#include <yaml-cpp/yaml.h>

#include <cstdint>
#include <initializer_list>
#include <string>
#include <string_view>
#include <vector>

#include "vesper/core/error.hpp"

namespace vesper::station::yaml {

// One entry of a mapping, in document order.
struct Entry {
    std::string key;
    YAML::Node key_node;
    YAML::Node value;
};

class Reader {
public:
    explicit Reader(std::string file) : file_(std::move(file)) {}

    // 1-based line of a node (1 when the node has no mark).
    static int line(const YAML::Node& node);

    [[noreturn]] void fail_at(const YAML::Node& node, const std::string& field, const std::string& reason,
                              ErrorKind kind = ErrorKind::input) const;
    [[noreturn]] void fail_line(int line, const std::string& field, const std::string& reason,
                                ErrorKind kind = ErrorKind::input) const;

    // The entries of a mapping; rejects non-maps, non-scalar keys, repeated keys and keys not in
    // `allowed` (an empty list allows any key, for maps keyed by user names).
    std::vector<Entry> entries(const YAML::Node& map, const std::string& field,
                               std::initializer_list<std::string_view> allowed) const;
    // The items of a sequence; rejects anything else.
    std::vector<YAML::Node> items(const YAML::Node& seq, const std::string& field) const;

    std::string string(const YAML::Node& node, const std::string& field) const; // non-empty scalar
    std::uint64_t uint(const YAML::Node& node, const std::string& field, std::uint64_t min, std::uint64_t max) const;
    double number(const YAML::Node& node, const std::string& field, double min, double max) const;
    bool boolean(const YAML::Node& node, const std::string& field) const;
    // One of `choices` (exact match); the message lists them.
    std::string choice(const YAML::Node& node, const std::string& field,
                       std::initializer_list<std::string_view> choices) const;

private:
    std::string file_;
};

// The entry named `key`, or nullptr.
const Entry* find(const std::vector<Entry>& entries, std::string_view key);

} // namespace vesper::station::yaml
