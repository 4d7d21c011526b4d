#pragma once
// Random partition table binaries for the dump -> build round trip: valid layouts (as a CSV would give
// them) and damaged ones (rows out of flash order, a partition_table row of the wrong size or place,
// names CSV cannot hold, overlaps, bytes after the end marker, ...). Rows are laid out here from the
// documented format (32-byte rows AA 50, MD5 row EB EB, 0xFF to 0xC00), not by the library's encoder.
#include <algorithm>
#include <cstdint>
#include <random>
#include <string>
#include <vector>

#include "vesper/core/bytes.hpp"
#include "vesper/core/checksum.hpp"

namespace vesper::test {

struct GenRow {
    std::uint8_t type = 1, subtype = 6;
    std::uint32_t offset = 0, size = 0;
    std::string name;
    std::uint32_t flags = 0;
};

struct GenTable {
    std::uint32_t table_offset = 0x8000;
    std::vector<GenRow> rows;
    bool md5 = true;
    bool valid_by_construction = true; // no damage applied: a dump must succeed
    std::string damage;                // what was done to it, for test messages
    Bytes bytes;
};

inline Bytes layout_table(const GenTable& t) {
    Bytes out;
    for (const auto& r : t.rows) {
        std::uint8_t row[32] = {0xAA, 0x50, r.type, r.subtype};
        put_le32(row + 4, r.offset);
        put_le32(row + 8, r.size);
        std::copy(r.name.begin(),
                  r.name.begin() + static_cast<std::ptrdiff_t>(std::min<std::size_t>(r.name.size(), 16)), row + 12);
        put_le32(row + 28, r.flags);
        out.insert(out.end(), row, row + 32);
    }
    if (t.md5) {
        const auto digest = md5(out);
        out.push_back(0xEB);
        out.push_back(0xEB);
        out.insert(out.end(), 14, 0xFF);
        out.insert(out.end(), digest.begin(), digest.end());
    }
    out.resize(0xC00, 0xFF);
    return out;
}

class TableGenerator {
public:
    explicit TableGenerator(std::uint32_t seed) : rng_(seed) {}

    GenTable next() {
        GenTable t;
        t.table_offset = pick<std::uint32_t>({0x8000, 0x8000, 0x9000, 0xA000, 0x10000});
        t.md5 = chance(80);
        layout(t);
        if (chance(55)) damage(t);
        t.bytes = layout_table(t);
        // Sometimes a file cut right after the end marker, or a whole sector with data past 0xC00.
        if (chance(10)) {
            const std::size_t rows = t.rows.size() + (t.md5 ? 1 : 0);
            t.bytes.resize((rows + 1) * 32);
        } else if (chance(10)) {
            for (int i = 0; i < 0x400; ++i)
                t.bytes.push_back(static_cast<std::uint8_t>(rng_()));
        }
        if (chance(5)) {
            const std::size_t rows = t.rows.size() + (t.md5 ? 1 : 0);
            const std::size_t at = (rows + 1) * 32 + below(0xC00 - (rows + 1) * 32);
            if (at < t.bytes.size()) {
                t.bytes[at] = static_cast<std::uint8_t>(below(0xFF)); // never 0xFF
                t.valid_by_construction = false;
                t.damage += "byte after the end marker; ";
            }
        }
        return t;
    }

private:
    std::mt19937 rng_;

    bool chance(int percent) { return static_cast<int>(rng_() % 100) < percent; }
    std::uint32_t below(std::uint32_t n) { return n == 0 ? 0 : rng_() % n; }
    template <class T> T pick(std::initializer_list<T> items) { return *(items.begin() + below(items.size())); }

    std::string name(std::size_t i) {
        static const char* stems[] = {"nvs", "otadata", "phy_init", "factory", "ota_0", "storage", "fctry", "coredump"};
        std::string n = std::string(stems[below(8)]) + std::to_string(i);
        if (chance(5)) n = "\xC3\xA9t\xC3\xA9" + std::to_string(i);                             // UTF-8
        if (chance(3)) n = std::string(16 - std::to_string(i).size(), 'x') + std::to_string(i); // 16 bytes, no NUL
        return n;
    }

    // A layout a CSV could describe: rows in flash order from the table's end, aligned, sized as the rules
    // ask, optionally with the primary bootloader and partition_table rows.
    void layout(GenTable& t) {
        std::uint64_t at = std::uint64_t{t.table_offset} + 0x1000;
        const std::size_t n = 1 + below(10);
        bool have_otadata = false;
        if (chance(15)) {
            t.rows.push_back({2, 0, 0x1000, t.table_offset - 0x1000, "bootloader", 0}); // primary bootloader
        }
        if (chance(20)) t.rows.push_back({3, 0, t.table_offset, 0x1000, "partition_table", 0});
        for (std::size_t i = 0; i < n; ++i) {
            GenRow r;
            r.name = name(i);
            const int kind = static_cast<int>(below(6));
            if (kind == 0) { // app
                r.type = 0;
                r.subtype = pick<std::uint8_t>({0x00, 0x10, 0x11, 0x20, 0x05});
                at = (at + 0xFFFF) / 0x10000 * 0x10000;
                r.size = 0x1000 * (1 + below(0x200));
            } else if (kind == 1 && !have_otadata) {
                r.type = 1;
                r.subtype = 0x00;
                r.size = 0x2000;
                have_otadata = true;
            } else if (kind == 2) {
                r.type = 1;
                r.subtype = 0x02; // nvs
                r.size = 0x1000 * (3 + below(16));
            } else if (kind == 3) {
                r.type = static_cast<std::uint8_t>(0x40 + below(0x40)); // custom type
                r.subtype = static_cast<std::uint8_t>(below(256));
                r.size = 1 + below(0x20000);
            } else if (kind == 4) {
                r.type = 3; // partition_table ota copy
                r.subtype = 1;
                r.size = 0x1000;
            } else {
                r.type = 1;
                r.subtype = pick<std::uint8_t>({0x01, 0x03, 0x81, 0x82, 0x83, 0x06, 0x77});
                r.size = 0x1000 * (1 + below(64));
            }
            at = (at + 0xFFF) / 0x1000 * 0x1000 + 0x1000 * below(3);
            if (r.type == 0) at = (at + 0xFFFF) / 0x10000 * 0x10000;
            r.offset = static_cast<std::uint32_t>(at);
            if (r.type == 1 && r.subtype == 0x02 && chance(10)) r.flags = 2; // readonly nvs
            if (r.type == 0 && chance(10)) r.flags = 1;                      // encrypted app
            at += r.size;
            t.rows.push_back(r);
        }
        // The primary bootloader and partition_table rows (first in the list) may sit anywhere in it.
        if (chance(30) && (t.rows.front().type == 2 || t.rows.front().type == 3) && t.rows.front().subtype == 0) {
            const GenRow primary = t.rows.front();
            t.rows.erase(t.rows.begin());
            t.rows.insert(t.rows.begin() + below(static_cast<std::uint32_t>(t.rows.size() + 1)), primary);
        }
    }

    void damage(GenTable& t) {
        t.valid_by_construction = false;
        auto& rows = t.rows;
        auto& r = rows[below(static_cast<std::uint32_t>(rows.size()))];
        switch (below(12)) {
        case 0:
            if (rows.size() >= 2) std::swap(rows[below(rows.size())], rows[below(rows.size())]);
            t.damage += "rows swapped; ";
            break;
        case 1:
            rows.push_back({3, 0, t.table_offset, pick<std::uint32_t>({0x1000, 0x2000, 0xC00}), "pt", 0});
            t.damage += "partition_table row size; ";
            break;
        case 2:
            rows.push_back({3, 0, t.table_offset + pick<std::uint32_t>({0, 0x1000, 0x10000}), 0x1000, "pt", 0});
            t.damage += "partition_table row offset; ";
            break;
        case 3:
            r.name = pick<std::string>({"a,b", " lead", "trail ", "#hash", "dol$", "tab\tx", ""});
            t.damage += "name; ";
            break;
        case 4:
            r.offset += pick<std::uint32_t>({1, 0x100, 0x800});
            t.damage += "unaligned; ";
            break;
        case 5:
            r.offset = rows[0].offset;
            t.damage += "same offset; ";
            break;
        case 6:
            r.size = pick<std::uint32_t>({0, 0x8000001, 0xFFFFF000, 0x1001});
            t.damage += "size; ";
            break;
        case 7:
            r.name = rows[0].name;
            t.damage += "duplicate name; ";
            break;
        case 8:
            r.flags = pick<std::uint32_t>({3, 4, 0x80000000});
            t.damage += "flags; ";
            break;
        case 9:
            r.offset = pick<std::uint32_t>({0, 0x1000, t.table_offset, 0x7FFFF000});
            t.damage += "offset; ";
            break;
        case 10:
            r.name = "\xFF\xFEnot-utf8";
            t.damage += "bad utf-8; ";
            break;
        default: {
            std::uint32_t shift = 0x1000 * (1 + below(4));
            if (r.offset > shift) r.offset -= shift;
            t.damage += "moved down; ";
        }
        }
    }
};

} // namespace vesper::test
