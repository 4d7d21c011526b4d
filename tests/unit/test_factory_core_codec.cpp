// The factory console's codecs (firmware/lib/vesper_factory): CRC-32, JSON writer and reader, the
// line assembler and request parser, and the lines the board sends.
#include <catch2/catch.hpp>

#include <zlib.h>

#include <cstring>
#include <string>

#include "factory_core_fake_hal.hpp"
#include "vesper_factory.hpp"

// Inside the core's namespace rather than `using namespace`: merged into one translation unit with other
// tests (-DVESPER_UNITY_BUILD=ON), its names would clash with vesper's (ErrorCode).
namespace vesper_factory {

using vesper::test::framed;

namespace {

std::string write_json(void (*fill)(JsonWriter&), std::size_t cap = 256) {
    std::string buf(cap, '\xAA');
    JsonWriter w(buf.data(), cap);
    fill(w);
    REQUIRE_FALSE(w.overflow());
    REQUIRE(std::strlen(buf.data()) == w.size());
    return std::string(w.data(), w.size());
}

bool parses(const std::string& text) {
    static JsonReader r; // 600 bytes: kept off the test's stack like the firmware keeps it
    return r.parse(text.data(), text.size());
}

// Feeds bytes one at a time; returns the lines completed.
std::vector<std::string> lines_of(LineAssembler& a, RxCounters& c, const std::string& bytes) {
    std::vector<std::string> lines;
    for (char ch : bytes)
        if (a.feed(static_cast<std::uint8_t>(ch), c)) lines.emplace_back(a.line(), a.size());
    return lines;
}

} // namespace

TEST_CASE("factory core CRC-32 is ISO-HDLC: the check value and zlib's crc32()", "[factory]") {
    CHECK(crc32("123456789", 9) == 0xCBF43926u);
    CHECK(crc32("", 0) == 0u);
    const std::string line = R"(~VF1 7 ok {"chip":"ESP32-S3","mac":"7c:df:a1:0b:2c:0e"})";
    const auto z = ::crc32(0L, reinterpret_cast<const Bytef*>(line.data()), static_cast<uInt>(line.size()));
    CHECK(crc32(line.data(), line.size()) == z);
    // Continued in pieces, as zlib's crc32(crc, ...) is.
    const std::uint32_t first = crc32(line.data(), 10);
    CHECK(crc32_update(first, line.data() + 10, line.size() - 10) == z);
    std::string all(256, '\0');
    for (int i = 0; i < 256; ++i)
        all[i] = static_cast<char>(i);
    CHECK(crc32(all.data(), all.size()) ==
          ::crc32(0L, reinterpret_cast<const Bytef*>(all.data()), static_cast<uInt>(all.size())));
}

TEST_CASE("factory core JSON writer places commas, escapes strings and stops at its buffer's end", "[factory]") {
    CHECK(write_json([](JsonWriter& w) {
              w.begin_object();
              w.field_uint("a", 4294967295u);
              w.field_int("b", -2147483647 - 1);
              w.key("c");
              w.begin_array();
              w.begin_array();
              w.uint(4);
              w.uint(5);
              w.end_array();
              w.begin_object();
              w.end_object();
              w.null();
              w.end_array();
              w.field_bool("d", false);
              w.field_null("e");
              w.end_object();
          }) == R"({"a":4294967295,"b":-2147483648,"c":[[4,5],{},null],"d":false,"e":null})");
    CHECK(write_json([](JsonWriter& w) { w.string("q\"b\\n\n\r\t\x01\x1f/"); }) == R"("q\"b\\n\n\r\t\u0001\u001f/")");
    // UTF-8 kept; bytes that are not UTF-8 (a lone 0xFF, an overlong form, a cut sequence) as \u00XX.
    CHECK(write_json([](JsonWriter& w) { w.string("gr\xC3\xBC\xC3\x9F \xF0\x9F\x98\x80"); }) ==
          "\"gr\xC3\xBC\xC3\x9F \xF0\x9F\x98\x80\"");
    CHECK(write_json([](JsonWriter& w) {
              w.string("a\xFF"
                       "b\xC0\xAF\xE2\x82");
          }) == R"("a\u00ffb\u00c0\u00af\u00e2\u0082")");
    CHECK(write_json([](JsonWriter& w) { w.string(std::string("a\0b", 3).data(), 3); }) == R"("a\u0000b")");

    char small[8];
    JsonWriter w(small, sizeof small);
    w.begin_object();
    w.field("key", "value");
    CHECK(w.overflow());
    CHECK(std::strlen(small) == w.size());
    CHECK(w.size() <= 7);
    // A rollback forgets the overflow and what came after the mark.
    JsonWriter r(small, sizeof small);
    r.begin_array();
    const auto m = r.mark();
    r.string("too long for it");
    CHECK(r.overflow());
    r.rollback(m);
    CHECK_FALSE(r.overflow());
    r.uint(1);
    r.end_array();
    CHECK(std::string(small) == "[1]");
}

TEST_CASE("factory core JSON reader reads request arguments", "[factory]") {
    static JsonReader r;
    const std::string text =
        R"( {"pairs":[[4,5],[12,13]],"count":3,"max":-10,"passed":true,"x":null,"s":"a\u00fc\n\ud83d\ude00"} )";
    REQUIRE(r.parse(text.data(), text.size()));
    CHECK(r.type(0) == JsonType::object);
    CHECK(r.count(0) == 6);
    const int pairs = r.find(0, "pairs");
    REQUIRE(pairs > 0);
    CHECK(r.type(pairs) == JsonType::array);
    CHECK(r.count(pairs) == 2);
    std::vector<int> pins;
    for (int e = r.first(pairs); e < r.end(pairs); e = r.end(e)) {
        CHECK(r.count(e) == 2);
        for (int p = r.first(e); p < r.end(e); p = r.end(p)) {
            std::int32_t v = 0;
            REQUIRE(r.get_int(p, v));
            pins.push_back(v);
        }
    }
    CHECK(pins == std::vector<int>{4, 5, 12, 13});
    std::int32_t v = 0;
    CHECK((r.get_int(r.find(0, "count"), v) && v == 3));
    CHECK((r.get_int(r.find(0, "max"), v) && v == -10));
    bool b = false;
    CHECK((r.get_bool(r.find(0, "passed"), b) && b));
    CHECK(r.type(r.find(0, "x")) == JsonType::null);
    CHECK(r.find(0, "missing") == -1);
    CHECK(r.find(pairs, "count") == -1); // not an object
    char s[16];
    std::size_t len = 0;
    REQUIRE(r.get_string(r.find(0, "s"), s, sizeof s, len));
    CHECK(std::string(s, len) == "a\xC3\xBC\n\xF0\x9F\x98\x80");
    CHECK_FALSE(r.get_string(r.find(0, "s"), s, 4, len)); // does not fit
    CHECK_FALSE(r.get_bool(r.find(0, "count"), b));       // wrong types
    CHECK_FALSE(r.get_int(r.find(0, "passed"), v));

    // Integers only, within int32_t.
    for (const char* bad : {"[2147483648]", "[-2147483649]", "[1.5]", "[1e3]"}) {
        REQUIRE(r.parse(bad, std::strlen(bad)));
        CHECK_FALSE(r.get_int(1, v));
    }
    REQUIRE(r.parse("[2147483647,-2147483648]", 24));
    CHECK((r.get_int(1, v) && v == 2147483647));
    CHECK((r.get_int(2, v) && v == -2147483647 - 1));
    // An escaped key still matches.
    REQUIRE(r.parse(R"({"m\u0061x":2})", 14));
    CHECK(r.find(0, "max") == 2);
}

TEST_CASE("factory core JSON reader rejects malformed input whole", "[factory]") {
    for (const char* good :
         {"{}", "[]", "0", "-0", "\"\"", "true", "null", R"({"a":[1,{"b":[]}],"c":-1.5e+3})", " \t{ \"a\" : 1 }\r\n"}) {
        INFO(good);
        CHECK(parses(good));
    }
    for (const char* bad : {"",
                            " ",
                            "{",
                            "}",
                            "{]",
                            "[1,]",
                            "{\"a\":1,}",
                            "{\"a\"}",
                            "{\"a\":}",
                            "{a:1}",
                            "{'a':1}",
                            "[01]",
                            "[-]",
                            "[1.]",
                            "[.5]",
                            "[1e]",
                            "[+1]",
                            "tru",
                            "nul",
                            "truex",
                            "[\"a]",
                            "\"\\x\"",
                            "\"\\u12\"",
                            "\"\\ud800\"",
                            "\"\\udc00\"",
                            "\"\\ud800\\u0041\"",
                            "\"a\tb\"",
                            "\"a\nb\"",
                            "{} {}",
                            "{}x",
                            "[1 2]",
                            "{\"a\":1 \"b\":2}"}) {
        INFO(bad);
        CHECK_FALSE(parses(bad));
    }
    // Depth: 8 nested containers are fine, 9 are not.
    CHECK(parses("[[[[[[[[1]]]]]]]]"));
    CHECK_FALSE(parses("[[[[[[[[[1]]]]]]]]]"));
    // At most 64 values.
    std::string many = "[";
    for (int i = 0; i < 63; ++i)
        many += (i ? ",1" : "1");
    CHECK(parses(many + "]"));
    CHECK_FALSE(parses(many + ",1]"));
    // A NUL inside the text is not JSON.
    CHECK_FALSE(parses(std::string("{\"a\":\0}", 7)));
}

TEST_CASE("factory core JSON reader survives every prefix and byte flip of a request", "[factory]") {
    // Cheap fuzzing: nothing may crash or read out of bounds (the ASan build checks), and the parse
    // result is stable.
    const std::string text = R"({"pairs":[[4,5],[12,13]],"count":3,"passed":true,"s":"\u00fc\ud83d\ude00"})";
    for (std::size_t n = 0; n <= text.size(); ++n)
        parses(text.substr(0, n));
    for (std::size_t i = 0; i < text.size(); ++i) {
        for (int bit = 0; bit < 8; ++bit) {
            std::string t = text;
            t[i] = static_cast<char>(t[i] ^ (1 << bit));
            const bool first = parses(t);
            CHECK(parses(t) == first);
        }
    }
}

TEST_CASE("factory core assembles lines: CR stripped, 256 bytes with the newline at most, longer ones dropped whole",
          "[factory]") {
    LineAssembler a;
    RxCounters c;
    CHECK(lines_of(a, c, "abc\r\n\ndef\n") == std::vector<std::string>{"abc", "", "def"});
    const std::string max(255, 'x');
    CHECK(lines_of(a, c, max + "\n") == std::vector<std::string>{max});
    CHECK(c.overflow == 0);
    CHECK(lines_of(a, c, std::string(254, 'y') + "\r\n") == std::vector<std::string>{std::string(254, 'y')});
    // 256 bytes before the newline: dropped whole, up to and including its newline, counted once.
    CHECK(lines_of(a, c, std::string(256, 'z') + "\n").empty());
    CHECK(c.overflow == 1);
    CHECK(lines_of(a, c, std::string(255, 'z') + "\r\n").empty());
    CHECK(c.overflow == 2);
    CHECK(lines_of(a, c, std::string(1000, 'w') + "\nnext\n") == std::vector<std::string>{"next"});
    CHECK(c.overflow == 3);
}

TEST_CASE("factory core parses request lines: sentinel, id, word, JSON, CRC or '-'", "[factory]") {
    Request req;
    const std::string real = framed(R"(~VF1 65535 gpio {"pairs": [[4,5]]})");
    const std::string line = real.substr(0, real.size() - 1); // without the newline
    REQUIRE(parse_request(line.data(), line.size(), req) == ParseResult::ok);
    CHECK(req.id == 65535);
    CHECK(std::string(req.word) == "gpio");
    CHECK(std::string(req.json, req.json_len) == R"({"pairs": [[4,5]]})");
    CHECK(req.crc_given);

    const std::string typed = "~VF1 1 info {} -";
    REQUIRE(parse_request(typed.data(), typed.size(), req) == ParseResult::ok);
    CHECK(req.id == 1);
    CHECK(std::string(req.word) == "info");
    CHECK(std::string(req.json, req.json_len) == "{}");
    CHECK_FALSE(req.crc_given);

    // One flipped bit anywhere before the CRC: bad_crc.
    for (std::size_t i = 5; i < line.size() - 9; ++i) {
        std::string bad = line;
        bad[i] = static_cast<char>(bad[i] ^ 0x01);
        const auto r = parse_request(bad.data(), bad.size(), req);
        INFO(bad);
        CHECK(r != ParseResult::ok);
    }
    std::string wrong = line;
    wrong[wrong.size() - 1] = wrong.back() == '0' ? '1' : '0';
    CHECK(parse_request(wrong.data(), wrong.size(), req) == ParseResult::bad_crc);
    // The CRC is 8 lower-case hex digits: the same CRC in upper case is not a request.
    std::string upper = framed("~VF1 1 info {}");
    upper.pop_back();
    REQUIRE(parse_request(upper.data(), upper.size(), req) == ParseResult::ok);
    bool letter = false;
    for (std::size_t i = upper.size() - 8; i < upper.size(); ++i)
        if (upper[i] >= 'a') upper[i] = static_cast<char>(upper[i] - 'a' + 'A'), letter = true;
    REQUIRE(letter);
    CHECK(parse_request(upper.data(), upper.size(), req) == ParseResult::not_protocol);

    for (const char* bad : {"",
                            "hello",
                            "~VF1",
                            "~VF1 ",
                            "~VF2 1 info {} -",
                            "~vf1 1 info {} -",
                            " ~VF1 1 info {} -",
                            "~VF1 0 info {} -",
                            "~VF1 65536 info {} -",
                            "~VF1 123456 info {} -",
                            "~VF1 -1 info {} -",
                            "~VF1 1 Info {} -",
                            "~VF1 1 in-fo {} -",
                            "~VF1 1 info -",
                            "~VF1 1 info {}",
                            "~VF1 1 info {} ",
                            "~VF1 1 info {}  -",
                            "~VF1  1 info {} -",
                            "~VF1 1  info {} -",
                            "~VF1 1 info [] -",
                            "~VF1 1 info {} --",
                            "~VF1 1 info {} 1234567",
                            "~VF1 1 info {} 123456789",
                            "~VF1 1 info {} 1234567g",
                            "~VF1 1 abcdefghijklmnopqrstuvwxy {} -",
                            "I (123) wifi: connected",
                            "rst:0x1 (POWERON_RESET),boot:0x8 (SPI_FAST_FLASH_BOOT)"}) {
        INFO(bad);
        CHECK(parse_request(bad, std::strlen(bad), req) == ParseResult::not_protocol);
    }
    const char* longest = "~VF1 1 abcdefghijklmnopqrstuvwx {} -";
    CHECK(parse_request(longest, std::strlen(longest), req) == ParseResult::ok);
}

TEST_CASE("factory core builds answer lines with zlib's CRC and refuses lines over 1024 bytes", "[factory]") {
    char buf[kMaxAnswerLine + 1];
    std::size_t n = begin_line(buf, sizeof buf, 42, "ok");
    REQUIRE(n == 11);
    std::memcpy(buf + n, "{\"a\":1}", 7);
    const std::size_t total = finish_line(buf, sizeof buf, n + 7);
    CHECK(std::string(buf, total) == framed(R"(~VF1 42 ok {"a":1})"));
    CHECK(buf[total] == '\0');

    // Exactly 1024 bytes with the newline is allowed; one more is not.
    n = begin_line(buf, sizeof buf, 1, "ok");
    const std::size_t json = kMaxAnswerLine - kLineTailSize - n;
    std::memset(buf + n, ' ', json);
    CHECK(finish_line(buf, sizeof buf, n + json) == kMaxAnswerLine);
    CHECK(finish_line(buf, sizeof buf, n + json + 1) == 0);
    CHECK(begin_line(buf, 8, 1, "ok") == 0);
}

} // namespace vesper_factory
