#pragma once
// Strict reading of YAML nodes (the factory config, test plans): every value is checked for its type, every map
// for unknown and repeated keys, and every problem becomes LocatedError(config.invalid) "FILE:LINE: FIELD: reason"
// with the line where the node starts.
#include <cstdint>
#include <initializer_list>
#include <string>
#include <string_view>
#include <vector>

#include "vesper/core/error.hpp"
#include "vesper/yaml/tree.hpp"

namespace vesper::yaml {

// One entry of a mapping, in document order; refers into the tree it was read from.
struct Entry {
    std::string key;
    const Node& key_node;
    const Node& value;
};

class Reader {
public:
    explicit Reader(std::string file) : file_(std::move(file)) {}

    [[noreturn]] void fail_at(const Node& node, const std::string& field, const std::string& reason,
                              ErrorCode code = ErrorCode::config_invalid) const;
    [[noreturn]] void fail_line(int line, const std::string& field, const std::string& reason,
                                ErrorCode code = ErrorCode::config_invalid) const;

    // The entries of a mapping; rejects non-maps, non-scalar keys, repeated keys and keys not in
    // `allowed` (an empty list allows any key, for maps keyed by user names).
    std::vector<Entry> entries(const Node& map, const std::string& field,
                               std::initializer_list<std::string_view> allowed) const;
    // The items of a sequence; rejects anything else.
    const std::vector<Node>& items(const Node& seq, const std::string& field) const;

    std::string string(const Node& node, const std::string& field) const; // non-empty scalar
    std::uint64_t uint(const Node& node, const std::string& field, std::uint64_t min, std::uint64_t max) const;
    double number(const Node& node, const std::string& field, double min, double max) const;
    bool boolean(const Node& node, const std::string& field) const;
    // One of `choices` (exact match); the message lists them.
    std::string choice(const Node& node, const std::string& field,
                       std::initializer_list<std::string_view> choices) const;

private:
    std::string file_;
};

// The entry named `key`, or nullptr.
const Entry* find(const std::vector<Entry>& entries, std::string_view key);

} // namespace vesper::yaml
