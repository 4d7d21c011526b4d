// NVS CSV rows: header, types and encodings. Value contents are checked when the CSV is compiled.
#include <array>

#include "vesper/core/error.hpp"
#include "vesper/core/files.hpp"
#include "vesper/core/text.hpp"
#include "vesper/nvs/csv.hpp"

namespace vesper::nvs {

namespace {

constexpr std::array<std::string_view, 4> kColumns = {"key", "type", "encoding", "value"};
enum Column { col_key, col_type, col_encoding, col_value };

const char* kEncodingList = "u8, i8, u16, i16, u32, i32, u64, i64, string, hex2bin, base64 or binary";

} // namespace

const char* to_string(RowType t) {
    switch (t) {
    case RowType::namespace_: return "namespace";
    case RowType::data: return "data";
    case RowType::file: return "file";
    }
    return "unknown";
}

std::string row_context(const std::string& source, int line, std::string_view key) {
    std::string out = source + ":" + std::to_string(line) + ": ";
    if (!key.empty()) out += "key " + quote_value(key) + ": ";
    return out;
}

CsvFile parse_csv(std::string_view text, const std::string& source, const std::filesystem::path& base_dir) {
    auto records = split_csv_records(text, source);
    if (records.empty()) fail(ErrorCode::csv_invalid, source + ": no header line (expected key,type,encoding,value)");

    // The header names the columns; like the reference (csv.DictReader) any order is accepted.
    const CsvRecord& header = records.front();
    std::array<std::size_t, 4> index{};
    std::array<bool, 4> seen{};
    bool header_ok = header.fields.size() == kColumns.size();
    for (std::size_t i = 0; header_ok && i < header.fields.size(); ++i) {
        std::string_view name = trim(header.fields[i]);
        header_ok = false;
        for (std::size_t c = 0; c < kColumns.size(); ++c) {
            if (name == kColumns[c] && !seen[c]) {
                seen[c] = true;
                index[c] = i;
                header_ok = true;
            }
        }
    }
    if (!header_ok)
        fail(ErrorCode::csv_invalid, source + ":" + std::to_string(header.line) +
                                         ": the first line must be the header key,type,encoding,value (found " +
                                         quote_value(join(header.fields, ",")) + ")");

    CsvFile out;
    out.source = source;
    out.base_dir = base_dir;
    out.rows.reserve(records.size() - 1);
    for (std::size_t r = 1; r < records.size(); ++r) {
        const CsvRecord& rec = records[r];
        auto field = [&](Column c) -> const std::string* {
            return index[c] < rec.fields.size() ? &rec.fields[index[c]] : nullptr;
        };
        CsvRow row;
        row.line = rec.line;
        if (const std::string* k = field(col_key)) row.key = *k;
        const std::string ctx = row_context(source, rec.line, row.key);
        if (rec.fields.size() > kColumns.size())
            fail(ErrorCode::csv_invalid,
                 ctx + std::to_string(rec.fields.size()) +
                     " fields, rows have 4 (key,type,encoding,value); quote a value that holds commas");

        const std::string* type = field(col_type);
        if (!type || type->empty()) fail(ErrorCode::csv_invalid, ctx + "missing type (namespace, data or file)");
        if (*type == "namespace")
            row.type = RowType::namespace_;
        else if (*type == "data")
            row.type = RowType::data;
        else if (*type == "file")
            row.type = RowType::file;
        else
            fail(ErrorCode::csv_invalid,
                 ctx + "unknown type " + quote_value(*type) + " (expected namespace, data or file)");

        const std::string* encoding = field(col_encoding);
        const std::string* value = field(col_value);
        if (row.type == RowType::namespace_) {
            if ((encoding && !encoding->empty()) || (value && !value->empty()))
                fail(ErrorCode::csv_invalid, ctx + "namespace rows take no encoding or value");
            out.rows.push_back(std::move(row));
            continue;
        }

        if (!encoding || encoding->empty())
            fail(ErrorCode::csv_invalid, ctx + "missing encoding (" + kEncodingList + ")");
        row.encoding = parse_encoding(*encoding);
        if (!row.encoding)
            fail(ErrorCode::csv_invalid,
                 ctx + "unknown encoding " + quote_value(*encoding) + " (expected " + kEncodingList + ")");
        if (!value) fail(ErrorCode::csv_invalid, ctx + "missing value column");
        if (row.type == RowType::file && value->empty())
            fail(ErrorCode::csv_invalid, ctx + "file row needs a file path");
        row.value = *value;
        out.rows.push_back(std::move(row));
    }
    return out;
}

CsvFile read_csv(const std::filesystem::path& path) {
    std::string text = read_text_file(path);
    std::filesystem::path dir = path.parent_path();
    if (dir.empty()) dir = ".";
    return parse_csv(text, path.string(), dir);
}

} // namespace vesper::nvs
