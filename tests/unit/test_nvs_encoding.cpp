// Value encoders: integer ranges, hex, base64, UTF-8 checks, encoding names.
#include <catch2/catch.hpp>

#include "unit_support.hpp"

#include "vesper/core/error.hpp"
#include "vesper/nvs/encoding.hpp"

using namespace vesper;
using namespace vesper::nvs;

TEST_CASE("nvs encoding: names are exact and lower case", "[nvs][encoding]") {
    for (auto e :
         {Encoding::u8, Encoding::i8, Encoding::u16, Encoding::i16, Encoding::u32, Encoding::i32, Encoding::u64,
          Encoding::i64, Encoding::string, Encoding::hex2bin, Encoding::base64, Encoding::binary})
        CHECK(parse_encoding(to_string(e)) == e);
    CHECK_FALSE(parse_encoding("U8"));
    CHECK_FALSE(parse_encoding(" u8"));
    CHECK_FALSE(parse_encoding("blob"));
    CHECK(item_type(Encoding::i16) == ItemType::i16);
    CHECK(item_type(Encoding::string) == ItemType::sz);
    CHECK(item_type(Encoding::base64) == ItemType::blob);
    CHECK(is_integer(Encoding::u64));
    CHECK_FALSE(is_integer(Encoding::binary));
}

TEST_CASE("nvs encoding: integers at and past every type's bounds", "[nvs][encoding]") {
    struct Case {
        Encoding e;
        const char* min;
        const char* max;
        const char* below;
        const char* above;
        std::uint64_t min_bits;
        std::uint64_t max_bits;
    };
    const Case cases[] = {
        {Encoding::u8, "0", "255", "-1", "256", 0, 0xFF},
        {Encoding::i8, "-128", "127", "-129", "128", 0xFFFFFFFFFFFFFF80, 0x7F},
        {Encoding::u16, "0", "65535", "-1", "65536", 0, 0xFFFF},
        {Encoding::i16, "-32768", "32767", "-32769", "32768", 0xFFFFFFFFFFFF8000, 0x7FFF},
        {Encoding::u32, "0", "4294967295", "-1", "4294967296", 0, 0xFFFFFFFF},
        {Encoding::i32, "-2147483648", "2147483647", "-2147483649", "2147483648", 0xFFFFFFFF80000000, 0x7FFFFFFF},
        {Encoding::u64, "0", "18446744073709551615", "-1", "18446744073709551616", 0, 0xFFFFFFFFFFFFFFFF},
        {Encoding::i64, "-9223372036854775808", "9223372036854775807", "-9223372036854775809", "9223372036854775808",
         0x8000000000000000, 0x7FFFFFFFFFFFFFFF},
    };
    for (const auto& c : cases) {
        INFO(to_string(c.e));
        CHECK(encode_integer(c.e, c.min) == c.min_bits);
        CHECK(encode_integer(c.e, c.max) == c.max_bits);
        CHECK_THAT(test::input_error_text([&] { encode_integer(c.e, c.below); }),
                   Catch::Contains(std::string("value '") + c.below + "' is out of range for " + to_string(c.e)));
        CHECK_THAT(test::input_error_text([&] { encode_integer(c.e, c.above); }), Catch::Contains("out of range"));
    }
}

TEST_CASE("nvs encoding: integer text as Python's int() reads decimal", "[nvs][encoding]") {
    CHECK(encode_integer(Encoding::u8, " 42 ") == 42);
    CHECK(encode_integer(Encoding::u8, "+7") == 7);
    CHECK(encode_integer(Encoding::u8, "007") == 7);
    CHECK(encode_integer(Encoding::u8, "-0") == 0);
    CHECK(encode_integer(Encoding::i32, "\t-5\n") == 0xFFFFFFFFFFFFFFFB);
    CHECK_THAT(test::input_error_text([] { encode_integer(Encoding::u8, ""); }),
               Catch::Contains("empty value; u8 needs"));
    CHECK_THAT(test::input_error_text([] { encode_integer(Encoding::u8, "   "); }), Catch::Contains("empty value"));
    for (const char* bad : {"0x10", "1_000", "1.5", "12a", "--1", "+", "1 2", "one"})
        CHECK_THAT(test::input_error_text([&] { encode_integer(Encoding::u32, bad); }),
                   Catch::Contains(std::string("value '") + bad + "' is not a decimal integer (u32)"));
    // Far past 64 bits is still a range error, not a parse crash.
    CHECK_THAT(test::input_error_text([] { encode_integer(Encoding::u64, "99999999999999999999999"); }),
               Catch::Contains("out of range"));
}

TEST_CASE("nvs encoding: hex2bin", "[nvs][encoding]") {
    CHECK(decode_hex("00ff10Ab") == Bytes{0x00, 0xFF, 0x10, 0xAB});
    CHECK(decode_hex("  DEAD\n") == Bytes{0xDE, 0xAD});
    CHECK(decode_hex("").empty());
    CHECK_THAT(test::input_error_text([] { decode_hex("abc"); }), Catch::Contains("odd number of digits (3)"));
    CHECK_THAT(test::input_error_text([] { decode_hex("00zz"); }),
               Catch::Contains("'z' at position 3 is not a hex digit"));
    CHECK_THAT(test::input_error_text([] { decode_hex("0 11"); }), Catch::Contains("position 2"));
}

TEST_CASE("nvs encoding: base64", "[nvs][encoding]") {
    auto text = [](const Bytes& b) { return std::string(b.begin(), b.end()); };
    CHECK(text(decode_base64("VmVzcGVy")) == "Vesper");
    CHECK(text(decode_base64("VmVzcGU=")) == "Vespe");
    CHECK(text(decode_base64("VmVzcA==")) == "Vesp");
    CHECK(text(decode_base64(" VmVz\ncGVy\r\n")) == "Vesper");
    CHECK(decode_base64("").empty());
    CHECK(decode_base64("//8=") == Bytes{0xFF, 0xFF});
    CHECK(decode_base64("+A==") == Bytes{0xF8});
    CHECK_THAT(test::input_error_text([] { decode_base64("VmV"); }), Catch::Contains("not a multiple of 4"));
    CHECK_THAT(test::input_error_text([] { decode_base64("Vm!z"); }),
               Catch::Contains("'!' at position 3 is not a base64 character"));
    CHECK_THAT(test::input_error_text([] { decode_base64("QQ==QUJD"); }), Catch::Contains("data after '=' padding"));
    CHECK_THAT(test::input_error_text([] { decode_base64("Q==="); }), Catch::Contains("too much '=' padding"));
    CHECK_THAT(test::input_error_text([] { decode_base64("-_8="); }),
               Catch::Contains("not a base64 character")); // URL alphabet
}

TEST_CASE("nvs encoding: UTF-8 validation", "[nvs][encoding]") {
    CHECK(is_valid_utf8("plain"));
    CHECK(is_valid_utf8("gr\xC3\xBC\xC3\x9F \xE2\x82\xAC \xF0\x9F\x98\x80"));
    std::size_t at = 99;
    CHECK_FALSE(is_valid_utf8("ab\xC0\xAF", &at)); // overlong '/'
    CHECK(at == 2);
    CHECK_FALSE(is_valid_utf8("\xED\xA0\x80"));     // UTF-16 surrogate
    CHECK_FALSE(is_valid_utf8("\xE2\x82"));         // truncated
    CHECK_FALSE(is_valid_utf8("\xF4\x90\x80\x80")); // past U+10FFFF
    CHECK_FALSE(is_valid_utf8("\xFF"));
}
