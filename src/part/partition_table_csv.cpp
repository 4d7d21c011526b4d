// Partition table CSV, read the way gen_esp32part.py reads it and written back so it reads the same.
#include <algorithm>
#include <cstdio>
#include <limits>
#include <string>
#include <vector>

#include "vesper/core/error.hpp"
#include "vesper/core/text.hpp"
#include "vesper/part/partition_table.hpp"

#include "partition_table_detail.hpp"

namespace vesper::esp {

using partition_detail::hex;

namespace {

constexpr std::uint64_t kU32Limit = 0x100000000ull;

// Python's str.strip() also drops \v and \f, so we do too.
std::string_view strip(std::string_view s) {
    const char* ws = " \t\r\n\v\f";
    auto b = s.find_first_not_of(ws);
    if (b == std::string_view::npos) return {};
    return s.substr(b, s.find_last_not_of(ws) - b + 1);
}

char lower(char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c; }

std::uint64_t saturating_mul_add(std::uint64_t v, std::uint64_t mul, std::uint64_t add) {
    constexpr auto max = std::numeric_limits<std::uint64_t>::max();
    if (v != 0 && mul > max / v) return max;
    v *= mul;
    return v > max - add ? max : v + add;
}

struct Number {
    bool negative = false;
    std::uint64_t magnitude = 0; // saturates instead of wrapping; callers range-check
};

// Python's int(v, 0) (sign, 0x/0o/0b prefixes, single underscores between digits, no leading zeros in
// decimal) with gen_esp32part.py's K/M suffix (x1024, x1024*1024, either case). nullopt: not a number.
std::optional<Number> parse_number(std::string_view v) {
    v = strip(v);
    std::uint64_t mult = 1;
    if (!v.empty() && (lower(v.back()) == 'k' || lower(v.back()) == 'm')) {
        mult = lower(v.back()) == 'k' ? 1024 : 1024 * 1024;
        v = strip(v.substr(0, v.size() - 1));
    }
    Number n;
    if (!v.empty() && (v[0] == '+' || v[0] == '-')) {
        n.negative = v[0] == '-';
        v.remove_prefix(1);
    }
    unsigned base = 10;
    if (v.size() >= 2 && v[0] == '0') {
        char p = lower(v[1]);
        base = p == 'x' ? 16 : p == 'o' ? 8 : p == 'b' ? 2 : 10;
        if (base != 10) v.remove_prefix(2);
    }
    std::size_t digits = 0;
    bool after_underscore = false, leading_zero = false;
    for (char c : v) {
        if (c == '_') {
            // Python allows one underscore between digits, and one right after a base prefix.
            if (after_underscore || (digits == 0 && base == 10)) return std::nullopt;
            after_underscore = true;
            continue;
        }
        char l = lower(c);
        unsigned d = l >= '0' && l <= '9' ? unsigned(l - '0') : l >= 'a' && l <= 'f' ? unsigned(l - 'a' + 10) : 99;
        if (d >= base) return std::nullopt;
        if (base == 10 && digits == 0 && d == 0) leading_zero = true;
        if (leading_zero && d != 0) return std::nullopt; // "010" is an error in Python 3, not octal
        n.magnitude = saturating_mul_add(n.magnitude, base, d);
        after_underscore = false;
        ++digits;
    }
    if (digits == 0 || after_underscore) return std::nullopt;
    n.magnitude = saturating_mul_add(n.magnitude, mult, 0);
    return n;
}

// One CSV row as read, before empty offsets are filled in.
struct Row {
    Partition p;
    std::size_t line = 0;
    bool has_offset = false;
    std::optional<std::uint64_t> size_to_end; // a negative size: the partition ends at this offset
};

class CsvReader {
public:
    CsvReader(std::string_view source, const TableOptions& opts) : source_(source), opts_(opts) {}

    PartitionTable read(std::string_view text) {
        check_encoding(text);
        if (opts_.table_offset % kPartitionTableSectorSize != 0)
            fail(ErrorCode::part_invalid, std::string(source_) + ": partition table offset " + hex(opts_.table_offset) +
                                              " is not aligned to " + hex(kPartitionTableSectorSize));
        std::size_t line_no = 0;
        std::size_t pos = 0;
        while (pos < text.size()) {
            // Lines end in \n, \r\n or \r, as with Python's splitlines().
            std::size_t eol = text.find_first_of("\r\n", pos);
            std::string_view line =
                text.substr(pos, eol == std::string_view::npos ? std::string_view::npos : eol - pos);
            ++line_no;
            if (eol == std::string_view::npos)
                pos = text.size();
            else
                pos = eol + (text[eol] == '\r' && eol + 1 < text.size() && text[eol + 1] == '\n' ? 2 : 1);
            line_ = line_no;
            line = strip(line);
            if (line.empty() || line[0] == '#') continue;
            rows_.push_back(parse_row(line));
        }
        if (rows_.empty()) fail(ErrorCode::part_invalid, std::string(source_) + ": no partitions defined");
        place();

        std::vector<Partition> parts;
        std::vector<std::size_t> lines;
        for (const auto& r : rows_) {
            parts.push_back(r.p);
            lines.push_back(r.line);
        }
        PartitionTable table(std::move(parts));
        validate_partition_table(table, opts_, source_, lines);
        return table;
    }

private:
    std::string_view source_;
    const TableOptions& opts_;
    std::size_t line_ = 0;
    std::vector<Row> rows_;

    [[noreturn]] void bad(const std::string& why) const { bad_at(line_, why); }
    [[noreturn]] void bad_at(std::size_t line, const std::string& why) const {
        fail(ErrorCode::part_invalid, std::string(source_) + ":" + std::to_string(line) + ": " + why);
    }

    void check_encoding(std::string_view& text) const {
        if (text.starts_with("\xEF\xBB\xBF")) text.remove_prefix(3); // UTF-8 BOM, as the reference accepts
        if (text.starts_with("\xAA\x50"))
            fail(ErrorCode::part_invalid,
                 std::string(source_) + ": this is a binary partition table, not CSV (use 'vesperctl part dump')");
        if (text.find('\0') != std::string_view::npos)
            fail(ErrorCode::part_invalid, std::string(source_) + ": contains NUL bytes; save the CSV as UTF-8 text");
    }

    Row parse_row(std::string_view line) {
        // Expanding $VARIABLES (as gen_esp32part.py does) would make the output depend on the environment.
        if (line.find('$') != std::string_view::npos)
            bad("'$' found: environment variables are not expanded; write the value itself");
        std::vector<std::string_view> f;
        std::size_t start = 0;
        while (true) {
            std::size_t comma = line.find(',', start);
            f.push_back(
                strip(line.substr(start, comma == std::string_view::npos ? std::string_view::npos : comma - start)));
            if (comma == std::string_view::npos) break;
            start = comma + 1;
        }
        for (std::size_t i = 6; i < f.size(); ++i)
            if (!f[i].empty())
                bad("unexpected field " + std::to_string(i + 1) + " " + quote_value(f[i]) +
                    "; a row is: name, type, subtype, offset, size, flags");
        f.resize(std::max<std::size_t>(f.size(), 6));

        Row r;
        r.line = line_;
        r.p.name = std::string(f[0]);
        check_name(r.p.name);
        r.p.type = parse_type(f[1]);
        r.p.subtype = parse_subtype(r.p.type, f[2]);
        parse_offset_and_size(r, f[3], f[4]);
        parse_flags(r.p, f[5]);
        return r;
    }

    void check_name(const std::string& name) const {
        const std::string q = quote_value(name);
        if (name.empty()) bad("partition name is empty");
        for (char c : name)
            if (static_cast<unsigned char>(c) < 0x20 || c == 0x7F)
                bad("partition name " + q + " has a control character");
        if (name.size() > kMaxPartitionNameLength)
            bad("partition name " + q + " is " + std::to_string(name.size()) + " bytes; at most " +
                std::to_string(kMaxPartitionNameLength) + " fit (gen_esp32part.py would silently cut it)");
    }

    std::uint8_t to_byte(const Number& n, std::string_view field, const char* what) const {
        if (n.negative || n.magnitude > 0xFF)
            bad(std::string(what) + " " + quote_value(field) + " is outside 0x00-0xff");
        return static_cast<std::uint8_t>(n.magnitude);
    }

    std::uint8_t parse_type(std::string_view field) const {
        if (field.empty()) bad("type column is empty");
        if (auto n = parse_number(field)) return to_byte(*n, field, "type");
        if (auto t = partition_type_from_name(field)) return *t;
        bad("unknown partition type " + quote_value(field) +
            " (known: app, data, bootloader, partition_table, or a number 0x00-0xff)");
    }

    std::uint8_t parse_subtype(std::uint8_t type, std::string_view field) const {
        if (field.empty()) {
            if (type == kTypeApp) bad("app partition needs a subtype (factory, ota_0..ota_15, test, ...)");
            return kSubtypeUndefined;
        }
        if (auto n = parse_number(field)) return to_byte(*n, field, "subtype");
        if (auto s = partition_subtype_from_name(type, field)) return *s;
        auto tname = partition_type_name(type);
        if (!tname)
            bad("subtype " + quote_value(field) + " of custom type " + hex(type) + " must be a number 0x00-0xff");
        std::string known;
        for (unsigned v = 0; v <= 0xFF; ++v)
            if (auto n = partition_subtype_name(type, static_cast<std::uint8_t>(v)))
                known += (known.empty() ? "" : ", ") + std::string(*n);
        bad("unknown subtype " + quote_value(field) + " for type " + std::string(*tname) + " (known: " + known +
            ", or a number 0x00-0xff)");
    }

    // An unsigned 32-bit number, or nullopt for an empty field. Negative values are returned through
    // `negative` when the caller allows them (sizes).
    std::optional<std::uint64_t> parse_u32(std::string_view field, const char* what, bool* negative = nullptr) const {
        if (field.empty()) return std::nullopt;
        auto n = parse_number(field);
        if (!n)
            bad(std::string(what) + " " + quote_value(field) + " is not a number (decimal or 0x hex, optional K/M)");
        if (n->negative && (!negative || n->magnitude == 0))
            bad(std::string(what) + " " + quote_value(field) + " must not be negative");
        if (n->magnitude >= kU32Limit) bad(std::string(what) + " " + quote_value(field) + " does not fit in 32 bits");
        if (negative) *negative = n->negative;
        return n->magnitude;
    }

    // gen_esp32part.py derives some bootloader/partition_table values from its command line and ignores
    // the CSV. We use the CSV value when the option is not given, and insist they agree when both are.
    std::uint64_t derive(const std::string& name, const char* what, std::optional<std::uint64_t> csv,
                         std::optional<std::uint64_t> derived, const std::string& from) const {
        if (csv && derived && *csv != *derived)
            bad("partition " + quote_value(name) + " " + what + " " + hex(*csv) + " differs from " + hex(*derived) +
                ", the " + from);
        if (csv) return *csv;
        if (derived) return *derived;
        bad("partition " + quote_value(name) + " has no " + what + ": write it in the CSV or give the " + from);
    }

    void parse_offset_and_size(Row& r, std::string_view offset_field, std::string_view size_field) const {
        auto& p = r.p;
        auto offset = parse_u32(offset_field, "offset");
        bool negative = false;
        auto size = parse_u32(size_field, "size", &negative);

        if (p.type == kTypeBootloader || p.type == kTypePartitionTable) {
            if (negative) bad("partition " + quote_value(p.name) + ": a negative size is not supported for this type");
            std::optional<std::uint64_t> want_offset, want_size;
            std::string offset_from, size_from;
            if (p.type == kTypePartitionTable) {
                want_size = kPartitionTableSectorSize;
                size_from = "partition table sector size";
                if (p.subtype == kSubtypePrimary) {
                    want_offset = opts_.table_offset;
                    offset_from = "partition table offset";
                }
            } else {
                size_from = "primary bootloader offset (size = table offset - bootloader offset)";
                if (opts_.primary_bootloader_offset) {
                    if (*opts_.primary_bootloader_offset > opts_.table_offset)
                        bad("the primary bootloader offset " + hex(*opts_.primary_bootloader_offset) +
                            " is above the partition table offset " + hex(opts_.table_offset));
                    want_size = opts_.table_offset - *opts_.primary_bootloader_offset;
                }
                if (p.subtype == kSubtypePrimary) {
                    want_offset = opts_.primary_bootloader_offset;
                    offset_from = "primary bootloader offset";
                } else if (p.subtype == kSubtypeRecovery) {
                    want_offset = opts_.recovery_bootloader_offset;
                    offset_from = "recovery bootloader offset";
                }
            }
            if (!offset_from.empty()) offset = derive(p.name, "offset", offset, want_offset, offset_from);
            size = derive(p.name, "size", size, want_size, size_from);
        }
        if (!size) bad("size column is empty");
        r.has_offset = offset.has_value();
        p.offset = static_cast<std::uint32_t>(offset.value_or(0));
        if (negative)
            r.size_to_end = *size;
        else
            p.size = static_cast<std::uint32_t>(*size);
    }

    void parse_flags(Partition& p, std::string_view field) const {
        std::size_t start = 0;
        while (start <= field.size()) {
            std::size_t colon = field.find(':', start);
            auto flag =
                strip(field.substr(start, colon == std::string_view::npos ? std::string_view::npos : colon - start));
            if (flag == "encrypted")
                p.encrypted = true;
            else if (flag == "readonly")
                p.readonly = true;
            else if (!flag.empty())
                bad("unknown flag " + quote_value(flag) + " (known: encrypted, readonly)");
            if (colon == std::string_view::npos) break;
            start = colon + 1;
        }
    }

    // Fills in empty offsets in CSV order, like gen_esp32part.py: each partition starts after the previous
    // one, rounded up to 64 KiB for apps and 4 KiB for everything else. Listing a partition below the end
    // of the one before it is an error there, so it is here too.
    void place() {
        std::uint64_t last_end = std::uint64_t{opts_.table_offset} + kPartitionTableSectorSize;
        const Row* prev = nullptr;
        for (auto& r : rows_) {
            auto& p = r.p;
            // The primary bootloader and table live below the table end and take no part in placement.
            if ((p.type == kTypeBootloader || p.type == kTypePartitionTable) && p.subtype == kSubtypePrimary) continue;
            if (r.has_offset && p.offset < last_end) {
                if (!prev)
                    bad_at(r.line, "partition " + quote_value(p.name) + " at " + hex(p.offset) +
                                       " overlaps the partition table at " + hex(opts_.table_offset) + "-" +
                                       hex(last_end - 1) + "; use " + hex(last_end) + " or higher");
                std::uint64_t end = r.size_to_end ? *r.size_to_end : p.end();
                if (end > prev->p.offset)
                    bad_at(r.line, "partition " + quote_value(p.name) + " at " + hex(p.offset) + " overlaps '" +
                                       prev->p.name + "' which ends at " + hex(last_end));
                bad_at(r.line, "partition " + quote_value(p.name) + " at " + hex(p.offset) + " is listed after '" +
                                   prev->p.name + "' which ends at " + hex(last_end) +
                                   "; list partitions in flash order");
            }
            if (!r.has_offset) {
                const std::uint64_t align = p.type == kTypeApp ? 0x10000 : 0x1000;
                last_end = (last_end + align - 1) / align * align;
                if (last_end >= kU32Limit)
                    bad_at(r.line,
                           "partition " + quote_value(p.name) + " would start at " + hex(last_end) + ", beyond 4 GiB");
                p.offset = static_cast<std::uint32_t>(last_end);
            }
            if (r.size_to_end) {
                // gen_esp32part.py: a negative size -N means "up to offset N".
                if (*r.size_to_end <= p.offset)
                    bad_at(r.line, "partition " + quote_value(p.name) + " size -" + hex(*r.size_to_end) +
                                       " means up to " + hex(*r.size_to_end) + ", which is not after its offset " +
                                       hex(p.offset));
                p.size = static_cast<std::uint32_t>(*r.size_to_end - p.offset);
            }
            last_end = p.end();
            prev = &r;
        }
    }
};

// A name that reads back as itself: no separators, comment or variable markers, or edge whitespace.
std::string csv_name_problem(const std::string& name) {
    if (name.empty()) return "is empty";
    for (char c : name) {
        if (static_cast<unsigned char>(c) < 0x20 || c == 0x7F) return "has a control character";
        if (c == ',') return "has a comma";
        if (c == '$') return "has a '$'";
    }
    if (name[0] == '#') return "starts with '#'";
    if (strip(name) != name) return "starts or ends with whitespace";
    return {};
}

std::string flags_text(const Partition& p) {
    std::string s;
    if (p.encrypted) s = "encrypted";
    if (p.readonly) s += std::string(s.empty() ? "" : ":") + "readonly";
    return s;
}

} // namespace

PartitionTable parse_partition_csv(std::string_view text, std::string_view source, const TableOptions& opts) {
    return CsvReader(source, opts).read(text);
}

std::string format_partition_csv(const PartitionTable& table) {
    std::vector<std::vector<std::string>> rows;
    for (std::size_t i = 0; i < table.size(); ++i) {
        const auto& p = table[i];
        if (auto why = csv_name_problem(p.name); !why.empty())
            fail(ErrorCode::part_invalid, "partition " + std::to_string(i + 1) + " name " + quote_value(p.name) + " " +
                                              why + " and cannot be written as CSV");
        auto t = partition_type_name(p.type);
        auto s = partition_subtype_name(p.type, p.subtype);
        rows.push_back({p.name, t ? std::string(*t) : hex(p.type), s ? std::string(*s) : hex(p.subtype), hex(p.offset),
                        hex(p.size), flags_text(p)});
    }
    // Columns padded to the widest cell, like the hand-written CSVs in ESP-IDF projects.
    std::vector<std::size_t> width(6, 0);
    for (const auto& r : rows)
        for (std::size_t c = 0; c < r.size(); ++c)
            width[c] = std::max(width[c], r[c].size());
    std::string out = "# ESP-IDF Partition Table\n# Name, Type, SubType, Offset, Size, Flags\n";
    for (const auto& r : rows) {
        std::string line;
        for (std::size_t c = 0; c < r.size(); ++c) {
            line += r[c];
            if (c + 1 < r.size()) line += "," + std::string(width[c] - r[c].size() + 1, ' ');
        }
        while (!line.empty() && line.back() == ' ')
            line.pop_back();
        out += line + "\n";
    }
    return out;
}

} // namespace vesper::esp
