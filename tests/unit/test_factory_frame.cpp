// The factory protocol's line format: exact bytes, the CRC against zlib itself, and every reason a
// received line is ignored.
#include <catch2/catch.hpp>

#include <zlib.h>

#include "vesper/core/error.hpp"
#include "vesper/factory/frame.hpp"

using namespace vesper;
using namespace vesper::factory;
using nlohmann::json;

namespace {

std::string zlib_crc(std::string_view s) {
    char buf[9];
    std::snprintf(
        buf, sizeof buf, "%08lx",
        static_cast<unsigned long>(::crc32(0L, reinterpret_cast<const Bytef*>(s.data()), static_cast<uInt>(s.size()))));
    return buf;
}

} // namespace

TEST_CASE("factory frame: a request's exact bytes and CRC", "[factory]") {
    // Python: '%08x' % zlib.crc32(b'~VF1 1 info {}') == '632ead8d'
    CHECK(encode_request(1, "info", json::object()) == "~VF1 1 info {} 632ead8d\n");
    CHECK(encode_request(1, "info", nullptr) == "~VF1 1 info {} 632ead8d\n");
    CHECK(line_crc("~VF1 1 info {}") == zlib_crc("~VF1 1 info {}"));

    const std::string line = encode_request(65535, "outputs", json{{"count", 6}});
    CHECK(line.substr(0, line.size() - 10) == R"(~VF1 65535 outputs {"count":6})");
    CHECK(line.substr(line.size() - 9) == zlib_crc(R"(~VF1 65535 outputs {"count":6})") + "\n");
    // Non-ASCII text is escaped, so the board's parser only ever sees ASCII.
    CHECK(encode_line(3, "ok", json{{"ssid", "café"}}).find(R"("caf\u00e9")") != std::string::npos);
}

TEST_CASE("factory frame: requests the board could not take are refused", "[factory]") {
    REQUIRE_THROWS_AS(encode_request(0, "info", {}), Error);
    try {
        (void)encode_request(1, "wifi_scan", json{{"pad", std::string(300, 'x')}});
        FAIL("a 300-byte request was encoded");
    } catch (const Error& e) {
        CHECK(e.code() == ErrorCode::input_invalid);
        CHECK(std::string(e.what()).find("more than the board's 256") != std::string::npos);
    }
    CHECK_THROWS_AS(encode_request(1, "Info", {}), Error);
    CHECK_THROWS_AS(encode_request(1, "info", json::array()), Error);
    CHECK_THROWS_AS(encode_line(65536, "ok", json::object()), Error);
}

TEST_CASE("factory frame: a received line decodes to id, word and body", "[factory]") {
    const std::string head = R"(~VF1 7 ok {"a":1})";
    REQUIRE(zlib_crc(head) == "30e7263f");
    for (const std::string& line : {head + " 30e7263f", head + " 30e7263f\r"}) {
        const Decoded d = decode_line(line);
        REQUIRE(d.frame);
        CHECK(d.reason == Ignored::none);
        CHECK(d.frame->id == 7);
        CHECK(d.frame->word == "ok");
        CHECK(d.frame->body == json{{"a", 1}});
    }
    // What encode_line writes, decode_line reads back.
    const json body{{"networks", {{{"ssid", "x y"}, {"rssi", -48}}}}, {"best_rssi", -48}};
    std::string line = encode_line(0, "hello", body);
    line.pop_back();
    const Decoded d = decode_line(line);
    REQUIRE(d.frame);
    CHECK(d.frame->id == 0);
    CHECK(d.frame->word == "hello");
    CHECK(d.frame->body == body);
}

TEST_CASE("factory frame: lines that are ignored, and why", "[factory]") {
    auto reason_of = [](const std::string& line) { return decode_line(line).reason; };
    auto with_crc = [](const std::string& head) { return head + " " + zlib_crc(head); };

    CHECK(reason_of("I (31) boot: ESP-IDF v5.1") == Ignored::no_sentinel);
    CHECK(reason_of("") == Ignored::no_sentinel);
    CHECK(reason_of("~VF10 1 ok {} 00000000") == Ignored::no_sentinel);
    CHECK(reason_of(" ~VF1 1 ok {} 00000000") == Ignored::no_sentinel);

    // 1024 bytes with the newline is the limit.
    const std::string fits = with_crc("~VF1 1 ok {\"p\":\"" + std::string(996, 'x') + "\"}");
    REQUIRE(fits.size() == 1023);
    CHECK(reason_of(fits) == Ignored::none);
    const std::string too_long = with_crc("~VF1 1 ok {\"p\":\"" + std::string(997, 'x') + "\"}");
    CHECK(reason_of(too_long) == Ignored::too_long);

    // One changed bit anywhere before the CRC.
    std::string damaged = with_crc(R"(~VF1 7 ok {"a":1})");
    damaged[12] = '2';
    CHECK(reason_of(damaged) == Ignored::bad_crc);
    CHECK(reason_of(R"(~VF1 7 ok {"a":1} 30e7263e)") == Ignored::bad_crc);

    CHECK(reason_of(R"(~VF1 7 ok {"a":1} 30E7263F)") == Ignored::malformed); // the CRC is lowercase
    CHECK(reason_of(R"(~VF1 7 ok {"a":1} -)") == Ignored::malformed);        // '-' is for typed requests only
    CHECK(reason_of(with_crc("~VF1 65536 ok {}")) == Ignored::malformed);
    CHECK(reason_of(with_crc("~VF1 007 ok {}")) == Ignored::malformed);
    CHECK(reason_of(with_crc("~VF1 x ok {}")) == Ignored::malformed);
    CHECK(reason_of(with_crc("~VF1 1 OK {}")) == Ignored::malformed);
    CHECK(reason_of(with_crc("~VF1 1 ok []")) == Ignored::malformed);
    CHECK(reason_of(with_crc("~VF1 1 ok {\"a\":}")) == Ignored::malformed);
    CHECK(reason_of(with_crc("~VF1 1 ok")) == Ignored::malformed);
    CHECK(reason_of(with_crc("~VF1 1 ok  {}")) == Ignored::malformed); // two spaces
    // Nothing but a CRC-like field after the sentinel (a fuzz finding: it threw out_of_range).
    CHECK(reason_of("~VF1 3dd1dd01") == Ignored::malformed);
    CHECK(reason_of("~VF1 ") == Ignored::malformed);
    CHECK(std::string(to_string(Ignored::bad_crc)) == "bad_crc");
}
