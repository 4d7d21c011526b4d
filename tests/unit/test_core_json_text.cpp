// JSON text from any bytes: the one escaping policy (\xNN for each byte that is not UTF-8).
#include <catch2/catch.hpp>

#include <nlohmann/json.hpp>

#include "vesper/core/json_text.hpp"
#include "vesper/core/utf8.hpp"

using vesper::escape_invalid_utf8;
using vesper::json_text;

TEST_CASE("escape_invalid_utf8 writes only the bad bytes, as backslash-x and two hex digits", "[core][json]") {
    CHECK(escape_invalid_utf8("plain") == "plain");
    CHECK(escape_invalid_utf8("gr\xC3\xBC\xC3\x9F") == "gr\xC3\xBC\xC3\x9F"); // valid multi-byte text kept
    CHECK(escape_invalid_utf8("x\xff.bin") == "x\\xff.bin");
    CHECK(escape_invalid_utf8("\xC3\xBC\xff\xC3\xBC") == "\xC3\xBC\\xff\xC3\xBC");
    CHECK(escape_invalid_utf8("\xE2\x82") == "\\xe2\\x82"); // a truncated sequence, byte by byte
    CHECK(escape_invalid_utf8("\xC0\xAF") == "\\xc0\\xaf"); // overlong
    CHECK(escape_invalid_utf8("") == "");
}

TEST_CASE("json_text never throws: bad bytes in values and keys are escaped", "[core][json]") {
    nlohmann::json doc{{"name", "a\xff"}, {"list", {"ok", "\xfe"}}, {"k\x80", 1}, {"n", 2}};
    std::string text;
    REQUIRE_NOTHROW(text = json_text(doc));
    CHECK(text == R"({"k\\x80":1,"list":["ok","\\xfe"],"n":2,"name":"a\\xff"})");
    CHECK(nlohmann::json::parse(text).at("name") == "a\\xff");
    // Valid documents are written as nlohmann writes them; indent > 0 pretty-prints.
    CHECK(json_text({{"a", "\xC3\xBC"}}) == "{\"a\":\"\xC3\xBC\"}");
    CHECK(json_text({{"a", 1}}, 2) == "{\n  \"a\": 1\n}");
}
