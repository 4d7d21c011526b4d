#include "vesper/nvs/reader.hpp"

#include <algorithm>
#include <cstdio>

#include "vesper/core/checksum.hpp"
#include "vesper/core/error.hpp"

namespace vesper::nvs {

namespace {

// CRCs and page states in full 8 digits (not vesper::hex32, which drops leading zeros).
std::string hex8_digits(std::uint32_t v) { return hex_u(v, 8); }

std::string where(std::size_t page, std::size_t slot) {
    return "page " + std::to_string(page) + " entry " + std::to_string(slot);
}

EntryState slot_state(const std::uint8_t* bitmap, std::size_t slot) {
    return static_cast<EntryState>((bitmap[slot / 4] >> ((slot % 4) * 2)) & 3);
}

bool has_data(std::uint8_t type) {
    auto t = static_cast<ItemType>(type);
    return t == ItemType::sz || t == ItemType::blob || t == ItemType::blob_data;
}

bool known_type(std::uint8_t type) {
    auto t = static_cast<ItemType>(type);
    return is_integer(t) || has_data(type) || t == ItemType::blob_idx;
}

class PageReader {
public:
    PageReader(Dump& dump, const std::uint8_t* page, std::size_t index) : d_(dump), pg_(page), index_(index) {}

    void read() {
        PageInfo info;
        info.index = index_;
        info.state = get_le32(pg_);
        info.sequence = get_le32(pg_ + 4);
        info.version_byte = pg_[8];
        info.erased = std::all_of(pg_, pg_ + page_size, [](std::uint8_t b) { return b == 0xFF; });
        if (info.erased) {
            info.header_crc_ok = true; // nothing written, nothing to check
            d_.pages.push_back(info);
            return;
        }
        const std::uint32_t stored = get_le32(pg_ + 28);
        const std::uint32_t computed = crc32(crc_seed, ByteView(pg_ + 4, 24));
        info.header_crc_ok = stored == computed;
        for (std::size_t s = 0; s < entries_per_page; ++s)
            switch (slot_state(pg_ + bitmap_offset, s)) {
            case EntryState::written: ++info.written_entries; break;
            case EntryState::erased: ++info.erased_entries; break;
            default: break;
            }
        d_.pages.push_back(info);
        const std::string page_name = "page " + std::to_string(index_);
        if (!info.header_crc_ok) {
            problem(ProblemKind::header_crc, std::nullopt,
                    page_name + ": header CRC mismatch (stored " + hex8_digits(stored) + ", computed " +
                        hex8_digits(computed) + "); its entries are not read");
            return;
        }
        const std::string state = page_state_name(info.state);
        if (state == "invalid" || state == "empty" || state == "corrupt")
            problem(ProblemKind::structure, std::nullopt,
                    page_name + ": state " + hex8_digits(info.state) + " (" + state + ") on a page that holds data");
        if (!version_from_byte(info.version_byte))
            problem(ProblemKind::structure, std::nullopt,
                    page_name + ": unknown format version byte " + std::to_string(info.version_byte));
        read_entries();
    }

private:
    void problem(ProblemKind kind, std::optional<std::size_t> slot, std::string message) {
        d_.problems.push_back({kind, index_, slot, std::move(message)});
    }

    void read_entries() {
        std::size_t slot = 0;
        while (slot < entries_per_page) {
            EntryState st = slot_state(pg_ + bitmap_offset, slot);
            if (st == EntryState::illegal)
                problem(ProblemKind::structure, slot, where(index_, slot) + ": illegal state in the entry bitmap");
            // The firmware writes an entry before marking it written, so data in a slot still marked
            // empty is an interrupted write (or damage); the firmware erases such entries.
            if (st == EntryState::empty) {
                const std::uint8_t* e = pg_ + first_entry_offset + slot * entry_size;
                if (!std::all_of(e, e + entry_size, [](std::uint8_t b) { return b == 0xFF; }))
                    problem(ProblemKind::structure, slot, where(index_, slot) + ": marked empty but not erased");
            }
            if (st != EntryState::written) {
                ++slot;
                continue;
            }
            slot += read_entry(slot);
        }
    }

    // Reads the written entry at `slot`; returns how many slots to advance.
    std::size_t read_entry(std::size_t slot) {
        const std::uint8_t* e = pg_ + first_entry_offset + slot * entry_size;
        EntryInfo en;
        en.page = index_;
        en.slot = slot;
        en.ns = e[0];
        en.type = e[1];
        en.span = e[2];
        en.chunk_index = e[3];
        const char* key = reinterpret_cast<const char*>(e + 8);
        en.key.assign(key, std::find(key, key + 16, '\0'));

        const std::uint32_t stored = get_le32(e + 4);
        std::uint32_t computed = crc32(crc_seed, ByteView(e, 4));
        computed = crc32(computed, ByteView(e + 8, entry_size - 8));
        en.crc_ok = stored == computed;
        const std::string name = where(index_, slot) + " (key '" + en.key + "')";
        if (!en.crc_ok) {
            // Nothing in the entry can be trusted, the span included: step one slot, as the firmware does.
            problem(ProblemKind::entry_crc, slot,
                    name + ": entry CRC mismatch (stored " + hex8_digits(stored) + ", computed " +
                        hex8_digits(computed) + ")");
            d_.entries.push_back(std::move(en));
            return 1;
        }
        if (en.span == 0 || slot + en.span > entries_per_page) {
            problem(ProblemKind::structure, slot, name + ": span " + std::to_string(en.span) + " runs past the page");
            d_.entries.push_back(std::move(en));
            return 1;
        }
        if (!known_type(en.type))
            problem(ProblemKind::structure, slot, name + ": unknown item type " + std::to_string(en.type));

        const auto type = static_cast<ItemType>(en.type);
        if (std::size_t width = integer_width(type)) {
            for (std::size_t i = 0; i < width; ++i)
                en.integer |= std::uint64_t{e[24 + i]} << (8 * i);
        } else if (has_data(en.type)) {
            const std::size_t size = get_le16(e + 24);
            const std::uint32_t data_stored = get_le32(e + 28);
            if (size > (en.span - 1u) * entry_size) {
                problem(ProblemKind::structure, slot,
                        name + ": data size " + std::to_string(size) + " does not fit its span " +
                            std::to_string(en.span));
                en.data_crc_ok = false;
            } else {
                ByteView data(e + entry_size, size);
                const std::uint32_t data_computed = crc32(crc_seed, data);
                en.data_crc_ok = data_stored == data_computed;
                if (en.data_crc_ok)
                    en.data.assign(data.begin(), data.end());
                else
                    problem(ProblemKind::data_crc, slot,
                            name + ": data CRC mismatch (stored " + hex8_digits(data_stored) + ", computed " +
                                hex8_digits(data_computed) + ")");
            }
        } else if (type == ItemType::blob_idx) {
            en.blob_size = get_le32(e + 24);
            en.chunk_count = e[28];
            en.chunk_start = e[29];
        }
        const std::size_t span = en.span;
        d_.entries.push_back(std::move(en));
        return span;
    }

    Dump& d_;
    const std::uint8_t* pg_;
    std::size_t index_;
};

std::string ns_name(const Dump& d, std::uint8_t ns) {
    auto it = d.namespaces.find(ns);
    return it != d.namespaces.end() ? it->second : std::string("#").append(std::to_string(ns));
}

// v2 blobs: the index entry names the chunks; their data is joined in chunk order.
void reassemble(Dump& d, const EntryInfo& idx) {
    NvsValue v{ns_name(d, idx.ns), idx.key, ItemType::blob, 0, {}, idx.page, idx.slot};
    const std::string name = "blob '" + v.ns + "/" + idx.key + "'";
    for (unsigned c = idx.chunk_start; c < unsigned{idx.chunk_start} + idx.chunk_count; ++c) {
        auto chunk = std::find_if(d.entries.begin(), d.entries.end(), [&](const EntryInfo& e) {
            return e.type == static_cast<std::uint8_t>(ItemType::blob_data) && e.ns == idx.ns && e.key == idx.key &&
                   e.chunk_index == c && e.crc_ok;
        });
        if (chunk == d.entries.end() || !chunk->data_crc_ok) {
            d.problems.push_back({ProblemKind::structure, idx.page, idx.slot,
                                  name + ": chunk " + std::to_string(c) + " is missing or unreadable"});
            return;
        }
        v.data.insert(v.data.end(), chunk->data.begin(), chunk->data.end());
    }
    if (v.data.size() != idx.blob_size) {
        d.problems.push_back({ProblemKind::structure, idx.page, idx.slot,
                              name + ": chunks hold " + std::to_string(v.data.size()) + " bytes, index says " +
                                  std::to_string(idx.blob_size)});
        return;
    }
    d.values.push_back(std::move(v));
}

} // namespace

const char* to_string(ProblemKind k) {
    switch (k) {
    case ProblemKind::header_crc: return "header_crc";
    case ProblemKind::entry_crc: return "entry_crc";
    case ProblemKind::data_crc: return "data_crc";
    case ProblemKind::structure: return "structure";
    }
    return "structure";
}

Dump read_image(ByteView image) {
    if (image.empty() || image.size() % page_size != 0)
        fail(ErrorCode::nvs_image_invalid,
             "image is " + std::to_string(image.size()) + " bytes, not a whole number of 4096-byte NVS pages");
    Dump d;
    d.size = image.size();
    for (std::size_t p = 0; p < image.size() / page_size; ++p)
        PageReader(d, image.data() + p * page_size, p).read();

    for (const auto& e : d.entries)
        if (e.crc_ok && e.ns == 0 && e.type == static_cast<std::uint8_t>(ItemType::u8))
            d.namespaces[static_cast<std::uint8_t>(e.integer)] = e.key;

    for (const auto& e : d.entries) {
        if (!e.crc_ok || !e.data_crc_ok || e.ns == 0) continue;
        const auto type = static_cast<ItemType>(e.type);
        if (is_integer(type)) {
            d.values.push_back({ns_name(d, e.ns), e.key, type, e.integer, {}, e.page, e.slot});
        } else if (type == ItemType::sz) {
            NvsValue v{ns_name(d, e.ns), e.key, type, 0, e.data, e.page, e.slot};
            if (!v.data.empty() && v.data.back() == 0) v.data.pop_back();
            d.values.push_back(std::move(v));
        } else if (type == ItemType::blob) {
            d.values.push_back({ns_name(d, e.ns), e.key, type, 0, e.data, e.page, e.slot});
        } else if (type == ItemType::blob_idx) {
            reassemble(d, e);
        }
    }
    return d;
}

std::string integer_text(ItemType type, std::uint64_t bits) {
    const std::size_t width = integer_width(type);
    if (width == 0) return std::to_string(bits);
    if (width < 8) bits &= (std::uint64_t{1} << (8 * width)) - 1;
    if (!is_signed(type)) return std::to_string(bits);
    // Sign-extend from the type's width.
    const std::uint64_t sign = std::uint64_t{1} << (8 * width - 1);
    if (bits & sign) {
        const std::uint64_t magnitude = width == 8 ? ~bits + 1 : ((sign << 1) - bits);
        return std::string("-").append(std::to_string(magnitude));
    }
    return std::to_string(bits);
}

std::string value_text(const NvsValue& v) {
    if (is_integer(v.type)) return integer_text(v.type, v.integer);
    if (v.type == ItemType::sz) {
        std::string out = "\"";
        for (std::uint8_t c : v.data) {
            switch (c) {
            case '"': out += "\\\""; break;
            case '\\': out += "\\\\"; break;
            case '\n': out += "\\n"; break;
            case '\r': out += "\\r"; break;
            case '\t': out += "\\t"; break;
            default:
                if (c < 0x20 || c == 0x7F) {
                    char buf[8];
                    std::snprintf(buf, sizeof buf, "\\x%02x", c);
                    out += buf;
                } else {
                    out += static_cast<char>(c); // UTF-8 passes through
                }
            }
        }
        return out + "\"";
    }
    return to_hex(v.data);
}

} // namespace vesper::nvs
