#include <catch2/catch.hpp>

#include <unistd.h>

#include "vesper/core/bytes.hpp"
#include "vesper/core/checksum.hpp"
#include "vesper/core/edit_distance.hpp"
#include "vesper/core/error.hpp"
#include "vesper/core/files.hpp"
#include "vesper/core/placeholders.hpp"
#include "vesper/core/text.hpp"

using namespace vesper;

TEST_CASE("core: hex round trip and errors", "[core]") {
    Bytes b{0x00, 0xAB, 0xFF, 0x10};
    CHECK(to_hex(b) == "00abff10");
    CHECK(to_hex(b, true) == "00ABFF10");
    CHECK(from_hex("00abFF10") == b);
    CHECK_THROWS_WITH(from_hex("abc", "field x"), Catch::Contains("field x") && Catch::Contains("odd"));
    CHECK_THROWS_WITH(from_hex("zz"), Catch::Contains("not a hex digit"));
}

TEST_CASE("core: hex numbers for messages", "[core]") {
    // hex32 is what addresses and register values look like everywhere: no padding, upper case.
    CHECK(hex32(0) == "0x0");
    CHECK(hex32(0x10400) == "0x10400");
    CHECK(hex32(0xDEADBEEF) == "0xDEADBEEF");
    CHECK(hex_u(0xEF, 2) == "0xEF");
    CHECK(hex_u(0x5, 2) == "0x05");
    CHECK(hex_u(0x4016, 4) == "0x4016");
    CHECK(hex_u(0x3FF00054, 8) == "0x3FF00054");
    CHECK(hex_u(0x1234, 8) == "0x00001234");
    CHECK(hex_u(0xABC, 2) == "0xABC"); // a minimum, never a truncation
    CHECK(hex_u(0, 6) == "0x000000");
    CHECK(hex_u(0x9000, 0, HexCase::lower) == "0x9000");
    CHECK(hex_u(0x1ABCDEF, 0, HexCase::lower) == "0x1abcdef");
    CHECK(hex_u(0xFFFFFFFFFFFFFFFFull) == "0xFFFFFFFFFFFFFFFF");
    CHECK(hex_u(0x100000000ull, 10) == "0x0100000000");
    CHECK(hex_u(7, -3) == "0x7");
}

TEST_CASE("core: little-endian packing", "[core]") {
    std::uint8_t buf[8];
    put_le32(buf, 0x12345678);
    CHECK(buf[0] == 0x78);
    CHECK(buf[3] == 0x12);
    CHECK(get_le32(buf) == 0x12345678);
    put_le64(buf, 0x0102030405060708ull);
    CHECK(buf[0] == 0x08);
    CHECK(get_le64(buf) == 0x0102030405060708ull);
    put_le16(buf, 0xBEEF);
    CHECK(get_le16(buf) == 0xBEEF);
}

TEST_CASE("core: number parsing is strict", "[core]") {
    CHECK(parse_uint("0x3000") == 0x3000u);
    CHECK(parse_uint("4096") == 4096u);
    CHECK(parse_uint("18446744073709551615") == UINT64_MAX);
    CHECK_FALSE(parse_uint("18446744073709551616"));
    CHECK_FALSE(parse_uint("12ab"));
    CHECK_FALSE(parse_uint(""));
    CHECK_FALSE(parse_uint("-1"));
    CHECK_FALSE(parse_uint("0x"));
    CHECK(parse_int("-9223372036854775808") == INT64_MIN);
    CHECK_FALSE(parse_int("9223372036854775808"));
    CHECK(parse_int("-0x10") == -16);
    CHECK(trim("  a b \r\n") == "a b");
    CHECK(split("a,,b", ',') == std::vector<std::string>{"a", "", "b"});
}

TEST_CASE("core: join puts the separator between items only", "[core]") {
    CHECK(join(std::vector<std::string>{}) == "");
    CHECK(join(std::vector<std::string>{"a"}) == "a");
    CHECK(join(std::vector<std::string>{"a", "b", "c"}) == "a, b, c");
    CHECK(join(std::vector<std::string>{"", "b"}, ",") == ",b"); // an empty first item still gets its separator
    CHECK(join(std::vector<std::string_view>{"x", "y"}, " | ") == "x | y");
    CHECK(join(std::initializer_list<std::string_view>{"k1", "k2"}) == "k1, k2");
}

TEST_CASE("core: edit distance counts a swap of neighbours as one edit", "[core]") {
    CHECK(edit_distance("", "") == 0);
    CHECK(edit_distance("flash", "flash") == 0);
    CHECK(edit_distance("flsh", "flash") == 1);   // insert
    CHECK(edit_distance("flassh", "flash") == 1); // delete
    CHECK(edit_distance("flesh", "flash") == 1);  // substitute
    CHECK(edit_distance("shwo", "show") == 1);    // swap
    CHECK(edit_distance("", "erase") == 5);
    CHECK(edit_distance("ports", "") == 5);
}

TEST_CASE("core: placeholders split text into literal pieces and trimmed names", "[core]") {
    const auto split = split_placeholders("SN {{ serial_number }}/{{mac}}{{}} end");
    CHECK(split.unclosed.empty());
    std::vector<std::string> seen;
    for (const TextPiece& p : split.pieces)
        seen.push_back((p.placeholder ? "P[" : "L[") + std::string(p.text) + "|" + std::string(p.written) + "]");
    CHECK(seen == std::vector<std::string>{"L[SN |SN ]", "P[serial_number|{{ serial_number }}]", "L[/|/]",
                                           "P[mac|{{mac}}]", "P[|{{}}]", "L[ end| end]"});
    CHECK(split_placeholders("").pieces.empty());
    // The first "}}" after a "{{" closes it; a "{{" never closed ends the pieces.
    const auto open = split_placeholders("a{{{x}} b {{ y");
    REQUIRE(open.pieces.size() == 3);
    CHECK(open.pieces[1].text == "{x");
    CHECK(open.pieces[2].text == " b ");
    CHECK(open.unclosed == "{{ y");
}

TEST_CASE("core: checksums match published values", "[core]") {
    // CRC-32 of "123456789" is 0xCBF43926 (start 0); NVS uses start 0xFFFFFFFF.
    CHECK(crc32(0, as_bytes("123456789")) == 0xCBF43926u);
    CHECK(crc32(0xFFFFFFFF, as_bytes("123456789")) != 0xCBF43926u);
    CHECK(to_hex(md5(as_bytes("abc"))) == "900150983cd24fb0d6963f7d28e17f72");
    CHECK(to_hex(sha256(as_bytes("abc"))) == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

TEST_CASE("core: atomic writes replace whole files and leave no temp files", "[core]") {
    auto dir = fs::temp_directory_path() / ("vesper-core-" + std::to_string(::getpid()));
    fs::create_directories(dir);
    write_file_atomic(dir / "a.txt", std::string_view("first"));
    write_file_atomic(dir / "a.txt", std::string_view("second"), Durability::none);
    CHECK(read_text_file(dir / "a.txt") == "second");
    int files = 0;
    for (auto& e : fs::directory_iterator(dir)) {
        (void)e;
        ++files;
    }
    CHECK(files == 1);
    // A folder that does not exist: error names the path, nothing created.
    try {
        write_file_atomic(dir / "nope" / "b.txt", std::string_view("x"));
        FAIL("expected an error");
    } catch (const Error& e) {
        CHECK(e.kind() == ErrorKind::io);
        CHECK(e.code() == ErrorCode::io_write);
        CHECK_THAT(e.what(), Catch::Contains("b.txt"));
    }
    CHECK_FALSE(fs::exists(dir / "nope"));
    try {
        read_file(dir / "missing.bin");
        FAIL("expected an error");
    } catch (const Error& e) {
        CHECK(e.kind() == ErrorKind::not_found);
        CHECK(e.code() == ErrorCode::file_not_found);
        CHECK_THAT(e.what(), Catch::Contains("missing.bin"));
    }
    fs::remove_all(dir);
}

TEST_CASE("core: exit codes are stable", "[core]") {
    CHECK(exit_code_for(ErrorKind::input) == 2);
    CHECK(exit_code_for(ErrorKind::not_found) == 3);
    CHECK(exit_code_for(ErrorKind::conflict) == 4);
    CHECK(exit_code_for(ErrorKind::io) == 5);
    CHECK(exit_code_for(ErrorKind::device) == 6);
    CHECK(exit_code_for(ErrorKind::verify) == 7);
    CHECK(exit_code_for(ErrorKind::internal) == 1);
}

TEST_CASE("quote_value: user values in messages are quoted, cut with their length, and kept on one line",
          "[core][text]") {
    CHECK(vesper::quote_value("abc") == "'abc'");
    CHECK(vesper::quote_value("") == "''");
    CHECK(vesper::quote_value(std::string(64, 'x')) == "'" + std::string(64, 'x') + "'");
    const std::string long_value(100000, '9');
    const std::string q = vesper::quote_value(long_value);
    CHECK(q == "'" + std::string(64, '9') + "\xE2\x80\xA6' (100000 bytes)");
    CHECK(vesper::quote_value("a\nb\x7f") == "'a\\x0Ab\\x7F'");
    // A cut never splits a UTF-8 character: 63 ASCII bytes then a 2-byte 'é' at bytes 63-64.
    const std::string utf8 = std::string(63, 'a') + "\xC3\xA9" + std::string(10, 'b');
    CHECK(vesper::quote_value(utf8) == "'" + std::string(63, 'a') + "\xE2\x80\xA6' (75 bytes)");
}
