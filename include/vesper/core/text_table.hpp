#pragma once
// Plain-text tables for human output: columns padded to their widest cell.
#include <ostream>
#include <string>
#include <vector>

namespace vesper {

// Each line starts with `indent`.
void print_table(std::ostream& out, const std::vector<std::string>& header,
                 const std::vector<std::vector<std::string>>& rows, const std::string& indent = "");

// A table cell for a value that may be missing: "-" when empty.
inline std::string or_dash(const std::string& value) { return value.empty() ? std::string("-") : value; }

// One CSV field, quoted when it holds a comma, quote or newline (RFC 4180).
std::string csv_field(const std::string& value);

} // namespace vesper
