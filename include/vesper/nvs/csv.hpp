#pragma once
// Reading NVS CSV files (header `key,type,encoding,value`) the way ESP-IDF's generator reads them with
// Python's csv module: '#' lines dropped, blank lines skipped, fields quoted with '"' ('""' inside
// quotes is one quote, quoted fields may span lines). Stricter than the reference where it would
// silently drop or misread data: extra fields, unterminated quotes and unknown types are errors.
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "vesper/nvs/encoding.hpp"

namespace vesper::nvs {

// One CSV record: its fields and the (1-based) line it starts on.
struct CsvRecord {
    int line = 0;
    std::vector<std::string> fields;
};

// Splits CSV text into records. Lines starting with '#' are dropped before parsing (as the reference
// does) and blank lines are skipped. Throws Error(input) "SOURCE:LINE: reason" on an unterminated
// quote, a NUL byte or invalid UTF-8.
std::vector<CsvRecord> split_csv_records(std::string_view text, const std::string& source);

enum class RowType { namespace_, data, file };
const char* to_string(RowType t);

// One entry row. `encoding` is empty only for namespace rows; `value` is the raw value text (for file
// rows, the path as written).
struct CsvRow {
    int line = 0;
    RowType type = RowType::data;
    std::string key;
    std::optional<Encoding> encoding;
    std::string value;
};

struct CsvFile {
    std::string source;             // how messages name the file (the path as the user gave it)
    std::filesystem::path base_dir; // where relative `file` paths resolve
    std::vector<CsvRow> rows;
};

// Parses the header and rows; checks each row's shape (field count, type, encoding). Value contents
// (ranges, limits, files) are checked later by the template/page writer. Errors are Error(input)
// "SOURCE:LINE: key 'k': reason".
CsvFile parse_csv(std::string_view text, const std::string& source, const std::filesystem::path& base_dir);

// Reads and parses a file; `file` rows resolve against the CSV's folder. A missing file is
// Error(not_found).
CsvFile read_csv(const std::filesystem::path& path);

// "SOURCE:LINE: key 'k': " — the prefix every row error carries.
std::string row_context(const std::string& source, int line, std::string_view key);

} // namespace vesper::nvs
