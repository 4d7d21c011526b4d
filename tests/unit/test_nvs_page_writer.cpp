// Page layout, checked byte by byte against the format (CRCs computed here with zlib directly).
#include <catch2/catch.hpp>

#include "unit_support.hpp"
#include <zlib.h>

#include <cstring>

#include "vesper/core/error.hpp"
#include "vesper/nvs/page_writer.hpp"
#include "vesper/nvs/reader.hpp"

using namespace vesper;
using namespace vesper::nvs;

namespace {

std::uint32_t zcrc(const std::uint8_t* p, std::size_t n) {
    return static_cast<std::uint32_t>(::crc32(0xFFFFFFFFUL, p, static_cast<uInt>(n)));
}

std::uint32_t le32(const std::uint8_t* p) { return p[0] | p[1] << 8 | p[2] << 16 | std::uint32_t(p[3]) << 24; }
std::uint16_t le16(const std::uint8_t* p) { return static_cast<std::uint16_t>(p[0] | p[1] << 8); }

const std::uint8_t* page_of(const Bytes& img, std::size_t page) { return img.data() + page * 4096; }
const std::uint8_t* entry_of(const Bytes& img, std::size_t page, std::size_t slot) {
    return page_of(img, page) + 64 + slot * 32;
}
int slot_state(const Bytes& img, std::size_t page, std::size_t slot) {
    return (page_of(img, page)[32 + slot / 4] >> ((slot % 4) * 2)) & 3;
}
bool entry_crc_ok(const std::uint8_t* e) {
    std::uint8_t buf[28];
    std::memcpy(buf, e, 4);
    std::memcpy(buf + 4, e + 8, 24);
    return le32(e + 4) == zcrc(buf, 28);
}
bool all_ff(const std::uint8_t* p, std::size_t n) {
    for (std::size_t i = 0; i < n; ++i)
        if (p[i] != 0xFF) return false;
    return true;
}
Bytes pattern(std::size_t n) {
    Bytes b(n);
    for (std::size_t i = 0; i < n; ++i)
        b[i] = static_cast<std::uint8_t>(i * 7 + 3);
    return b;
}

} // namespace

TEST_CASE("nvs page writer: page header and integer entries", "[nvs][writer]") {
    Bytes img(0x3000, 0x00); // the writer must erase it itself
    PageWriter w(img, Version::v2);
    w.write_namespace("ns", 1);
    w.write_integer(1, "a", ItemType::i16, 0x1234);
    w.write_integer(1, "b", ItemType::u32, 0x01020304);
    w.write_integer(1, "c", ItemType::i8, 0xFFFFFFFFFFFFFF80); // -128

    const std::uint8_t* p = page_of(img, 0);
    CHECK(le32(p) == 0xFFFFFFFE); // active
    CHECK(le32(p + 4) == 0);      // sequence
    CHECK(p[8] == 0xFE);          // v2
    CHECK(all_ff(p + 9, 19));
    CHECK(le32(p + 28) == zcrc(p + 4, 24));
    CHECK(p[32] == 0xAA); // four written entries (10 per entry)
    CHECK(p[33] == 0xFF);

    const std::uint8_t* ns = entry_of(img, 0, 0);
    CHECK(ns[0] == 0);
    CHECK(ns[1] == 0x01);
    CHECK(ns[2] == 1);
    CHECK(ns[3] == 0xFF);
    CHECK(std::memcmp(ns + 8, "ns\0\0\0\0\0\0\0\0\0\0\0\0\0\0", 16) == 0);
    CHECK(ns[24] == 1);
    CHECK(all_ff(ns + 25, 7));
    CHECK(entry_crc_ok(ns));

    const std::uint8_t* a = entry_of(img, 0, 1);
    CHECK(a[0] == 1);
    CHECK(a[1] == 0x12);
    CHECK(a[24] == 0x34);
    CHECK(a[25] == 0x12);
    CHECK(all_ff(a + 26, 6));
    CHECK(entry_crc_ok(a));
    const std::uint8_t* b = entry_of(img, 0, 2);
    CHECK(std::memcmp(b + 24, "\x04\x03\x02\x01\xFF\xFF\xFF\xFF", 8) == 0);
    const std::uint8_t* c = entry_of(img, 0, 3);
    CHECK(c[1] == 0x11);
    CHECK(c[24] == 0x80);
    CHECK(all_ff(c + 25, 7));

    CHECK(all_ff(entry_of(img, 0, 4), 4096 - 64 - 4 * 32));
    CHECK(all_ff(page_of(img, 1), 2 * 4096));
    CHECK(w.slots_used() == 4);
    CHECK(w.pages_used() == 1);
}

TEST_CASE("nvs page writer: string entry", "[nvs][writer]") {
    Bytes img(0x3000);
    PageWriter w(img, Version::v2);
    const Bytes s = {'a', 'b', 'c', 0};
    w.write_string(3, "s", s);
    const std::uint8_t* e = entry_of(img, 0, 0);
    CHECK(e[0] == 3);
    CHECK(e[1] == 0x21);
    CHECK(e[2] == 2); // header + one data entry
    CHECK(e[3] == 0xFF);
    CHECK(le16(e + 24) == 4);
    CHECK(le16(e + 26) == 0xFFFF);
    CHECK(le32(e + 28) == zcrc(s.data(), 4));
    CHECK(entry_crc_ok(e));
    CHECK(std::memcmp(e + 32, "abc\0", 4) == 0);
    CHECK(all_ff(e + 36, 28));
    CHECK(slot_state(img, 0, 0) == 2);
    CHECK(slot_state(img, 0, 1) == 2);
    CHECK(slot_state(img, 0, 2) == 3);
}

TEST_CASE("nvs page writer: a string that would reach the last slot starts a new page", "[nvs][writer]") {
    const Bytes s(40, 'x'); // 2 data entries: span 3
    for (std::size_t start : {122u, 123u}) {
        Bytes img(0x3000);
        PageWriter w(img, Version::v2);
        for (std::size_t i = 0; i < start; ++i)
            w.write_integer(1, std::string("k").append(std::to_string(i)), ItemType::u8, i);
        w.write_string(1, "s", s);
        if (start == 122) { // 122 + 3 = 125 < 126: same page
            CHECK(entry_of(img, 0, 122)[1] == 0x21);
            CHECK(le32(page_of(img, 0)) == 0xFFFFFFFE);
        } else { // 123 + 3 = 126: the reference breaks the page on >=
            CHECK(all_ff(entry_of(img, 0, 123), 3 * 32));
            CHECK(slot_state(img, 0, 123) == 3);
            CHECK(le32(page_of(img, 0)) == 0xFFFFFFFC); // full
            CHECK(le32(page_of(img, 1)) == 0xFFFFFFFE); // active
            CHECK(le32(page_of(img, 1) + 4) == 1);
            CHECK(entry_of(img, 1, 0)[1] == 0x21);
        }
    }
}

TEST_CASE("nvs page writer: string size limits per version", "[nvs][writer]") {
    Bytes img(0x4000);
    {
        PageWriter w(img, Version::v2);
        w.write_namespace("ns", 1);
        Bytes big(4000, 'y');
        big.back() = 0;
        w.write_string(1, "big", big); // needs a whole page: goes to page 1
        CHECK(entry_of(img, 1, 0)[2] == 126);
        CHECK(slot_state(img, 1, 125) == 2);
        CHECK_THAT(test::input_error_text([&] { w.write_string(1, "x", Bytes(4001, 'y')); }),
                   Catch::Contains("4001 bytes with its NUL") && Catch::Contains("at most 4000"));
    }
    auto dump = read_image(img);
    CHECK(dump.ok());
    REQUIRE(dump.values.size() == 1);
    CHECK(dump.values[0].data == Bytes(3999, 'y'));
    {
        PageWriter w(img, Version::v1);
        w.write_string(1, "ok", Bytes(1984, 'z'));
        CHECK_THAT(test::input_error_text([&] { w.write_string(1, "x", Bytes(1985, 'z')); }),
                   Catch::Contains("at most 1984"));
    }
}

TEST_CASE("nvs page writer: v1 blobs are single entries, capped at 1984 bytes", "[nvs][writer]") {
    Bytes img(0x3000);
    PageWriter w(img, Version::v1);
    const Bytes data = pattern(100);
    w.write_blob(1, "b", data);
    const std::uint8_t* e = entry_of(img, 0, 0);
    CHECK(page_of(img, 0)[8] == 0xFF); // v1
    CHECK(e[1] == 0x41);
    CHECK(e[2] == 1 + 4);
    CHECK(e[3] == 0xFF);
    CHECK(le16(e + 24) == 100);
    CHECK(le32(e + 28) == zcrc(data.data(), data.size()));
    CHECK(std::memcmp(e + 32, data.data(), 100) == 0);
    w.write_blob(1, "max", pattern(1984));
    CHECK_THAT(test::input_error_text([&] { w.write_blob(1, "x", pattern(1985)); }),
               Catch::Contains("1985 bytes") && Catch::Contains("version 1 blobs hold at most 1984"));
}

TEST_CASE("nvs page writer: v2 blobs split into chunks plus an index", "[nvs][writer]") {
    Bytes img(0x4000);
    PageWriter w(img, Version::v2);
    w.write_namespace("ns", 1);
    const Bytes data = pattern(5000);
    w.write_blob(1, "blob", data);

    // Chunk 0 fills page 0 from slot 1: (126 - 1 - 1) * 32 = 3968 bytes.
    const std::uint8_t* c0 = entry_of(img, 0, 1);
    CHECK(c0[1] == 0x42);
    CHECK(c0[2] == 125);
    CHECK(c0[3] == 0);
    CHECK(le16(c0 + 24) == 3968);
    CHECK(le32(c0 + 28) == zcrc(data.data(), 3968));
    CHECK(entry_crc_ok(c0));
    CHECK(le32(page_of(img, 0)) == 0xFFFFFFFC);
    // Chunk 1 holds the rest on page 1, then the index follows it.
    const std::uint8_t* c1 = entry_of(img, 1, 0);
    CHECK(c1[3] == 1);
    CHECK(le16(c1 + 24) == 1032);
    CHECK(c1[2] == 1 + 33);
    CHECK(std::memcmp(c1 + 32, data.data() + 3968, 1032) == 0);
    const std::uint8_t* idx = entry_of(img, 1, 34);
    CHECK(idx[1] == 0x48);
    CHECK(idx[2] == 1);
    CHECK(idx[3] == 0xFF);
    CHECK(le32(idx + 24) == 5000);
    CHECK(idx[28] == 2);
    CHECK(idx[29] == 0);
    CHECK(idx[30] == 0xFF);
    CHECK(idx[31] == 0xFF);
    CHECK(entry_crc_ok(idx));

    auto dump = read_image(img);
    CHECK(dump.ok());
    REQUIRE(dump.values.size() == 1);
    CHECK(dump.values[0].data == data);
}

TEST_CASE("nvs page writer: blob index moves on when its chunk leaves under 32 bytes", "[nvs][writer]") {
    Bytes img(0x4000);
    PageWriter w(img, Version::v2);
    w.write_namespace("ns", 1);
    w.write_blob(1, "b", pattern(3950)); // tailroom 3968 - 3950 = 18 < 32
    CHECK(le16(entry_of(img, 0, 1) + 24) == 3950);
    CHECK(le32(page_of(img, 0)) == 0xFFFFFFFC);
    CHECK(entry_of(img, 1, 0)[1] == 0x48);
    CHECK(entry_of(img, 1, 0)[28] == 1);
}

TEST_CASE("nvs page writer: a blob starting on the last slot gets an empty first chunk", "[nvs][writer]") {
    Bytes img(0x4000);
    PageWriter w(img, Version::v2);
    w.write_namespace("ns", 1);
    for (int i = 0; i < 124; ++i)
        w.write_integer(1, std::string("k").append(std::to_string(i)), ItemType::u8, 1);
    const Bytes data = pattern(10);
    w.write_blob(1, "b", data);
    const std::uint8_t* c0 = entry_of(img, 0, 125);
    CHECK(c0[1] == 0x42);
    CHECK(c0[2] == 1);
    CHECK(le16(c0 + 24) == 0);
    CHECK(le32(c0 + 28) == 0xFFFFFFFF); // CRC of nothing with the 0xFFFFFFFF seed
    CHECK(le16(entry_of(img, 1, 0) + 24) == 10);
    CHECK(entry_of(img, 1, 0)[3] == 1);
    CHECK(entry_of(img, 1, 2)[28] == 2);
    auto dump = read_image(img);
    CHECK(dump.ok());
    CHECK(dump.values.back().data == data);
}

TEST_CASE("nvs page writer: data past the last data page is refused, the spare page stays erased", "[nvs][writer]") {
    Bytes img(0x3000);
    PageWriter w(img, Version::v2);
    CHECK(w.data_pages() == 2);
    for (int i = 0; i < 252; ++i)
        w.write_integer(1, std::string("k").append(std::to_string(i)), ItemType::u8, 1);
    CHECK(w.pages_used() == 2);
    CHECK_THAT(test::input_error_text([&] { w.write_integer(1, "one_more", ItemType::u8, 1); }),
               Catch::Contains("does not fit") && Catch::Contains("2 data pages"));
    CHECK(all_ff(page_of(img, 2), 4096));
}

TEST_CASE("nvs page writer: partition size and key checks", "[nvs][writer]") {
    Bytes small(0x2000), odd(0x3001), ok(0x3000);
    CHECK_THAT(test::input_error_text([&] { PageWriter w(small, Version::v2); }),
               Catch::Contains("0x2000 is too small") && Catch::Contains("0x3000"));
    CHECK_THAT(test::input_error_text([&] { PageWriter w(odd, Version::v2); }),
               Catch::Contains("0x3001 is not a multiple of 4096"));
    PageWriter w(ok, Version::v2);
    w.write_integer(1, "fifteen_chars__", ItemType::u8, 1);
    CHECK(std::memcmp(entry_of(ok, 0, 0) + 8, "fifteen_chars__\0", 16) == 0);
    CHECK_THAT(test::input_error_text([&] { w.write_integer(1, "sixteen_chars___", ItemType::u8, 1); }),
               Catch::Contains("16 bytes long") && Catch::Contains("at most 15"));
    CHECK_THAT(test::input_error_text([&] { w.write_integer(1, "", ItemType::u8, 1); }), Catch::Contains("empty key"));
    CHECK_THAT(test::input_error_text([&] { w.write_integer(1, std::string("a\0b", 3), ItemType::u8, 1); }),
               Catch::Contains("NUL"));
    CHECK(parse_partition_size("0x6000", "--size") == 0x6000);
    CHECK(parse_partition_size("12288", "--size") == 0x3000);
    CHECK_THAT(test::input_error_text([] { parse_partition_size("24k", "--size"); }),
               Catch::Contains("--size '24k': not a size"));
    CHECK_THAT(test::input_error_text([] { parse_partition_size("0x1000", "--size"); }),
               Catch::Contains("--size: ") && Catch::Contains("too small"));
}

TEST_CASE("nvs page writer: a blob needing more than 128 chunks is refused", "[nvs][writer]") {
    Bytes img(131 * 4096);
    PageWriter w(img, Version::v2);
    w.write_namespace("ns", 1);
    w.write_blob(1, "fits", Bytes(3968 + 126 * 4000, 1)); // 127 chunks
    PageWriter w2(img, Version::v2);
    w2.write_namespace("ns", 1);
    CHECK_THAT(test::input_error_text([&] { w2.write_blob(1, "huge", Bytes(3968 + 128 * 4000 + 1, 1)); }),
               Catch::Contains("more than 128 chunks"));
}
