#pragma once
// YAML (the factory config, factory test plans) as a small tree of our own, built from yaml-cpp's event
// parser under limits no input can get past: a size cap, a cap on nodes (an alias counts every time it
// is used, so nested aliases cannot multiply), a cap on nesting depth, and one document. yaml-cpp 0.7
// (Debian 12's) never stops on some malformed input: on a lone ',' it yields empty documents forever
// without consuming anything (jbeder/yaml-cpp#1040), which YAML::LoadAll collects until memory runs out.
// Here at most three documents are ever asked for, and a document that starts where the last one did is
// reported as the syntax error it is. Public so that a module reading a part of the config (a profile's
// test plan, src/factory) reads the same tree with the same errors.
#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "vesper/core/error.hpp"

namespace vesper::yaml {

enum class Kind { null, scalar, sequence, map };

struct MapEntry;

struct Node {
    Kind kind = Kind::null;
    std::string scalar;            // Kind::scalar (tags are ignored: quoted or not, it is text)
    bool quoted = false;           // Kind::scalar written in quotes: text even when it reads as a number
    std::vector<Node> items;       // Kind::sequence
    std::vector<MapEntry> entries; // Kind::map, in document order, a repeated key kept twice
    int line = 1;                  // 1-based line where the node starts
};

struct MapEntry {
    Node key;
    Node value;
};

struct Limits {
    std::size_t max_bytes = 1024 * 1024; // a factory config is a few KB
    std::size_t max_nodes = 100'000;
    std::size_t max_depth = 32; // the config's own fields go 5 deep
};

// An error that already says where it is ("FILE:LINE: FIELD: reason"): code that adds a location to
// errors from below (the config's `located`) passes these through unchanged.
class LocatedError : public Error {
public:
    using Error::Error;
};

// Throws LocatedError "FILE:LINE: FIELD: reason" (no "FIELD: " when `field` is empty), config.invalid
// unless another code is given.
[[noreturn]] void fail_located(const std::string& file, int line, const std::string& field, const std::string& reason,
                               ErrorCode code = ErrorCode::config_invalid);

// Parses `text` (named `file` in messages) as one YAML document: LocatedError(config.invalid) "FILE:LINE: reason"
// for invalid YAML, a second document or a limit passed. A text with no document at all (empty, or
// only comments) gives a null node.
Node parse(std::string_view text, const std::string& file, const Limits& limits = {});

} // namespace vesper::yaml
