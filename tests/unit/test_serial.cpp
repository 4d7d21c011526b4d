#include <catch2/catch.hpp>

#include <map>
#include <set>

#include "vesper/core/error.hpp"
#include "vesper/serial/serial_number.hpp"

using namespace vesper;

TEST_CASE("serial: the brief's example parses into its fields", "[serial]") {
    auto sn = serial::parse("PV-26A18-BC02R-X7KQA");
    REQUIRE(sn);
    CHECK(sn->date.year == 2026);
    CHECK(sn->date.month == 1);
    CHECK(sn->date.day == 18);
    CHECK(sn->board_type == "BC");
    CHECK(sn->revision == "02");
    CHECK(sn->random == "X7KQA");
    CHECK(sn->prefix() == "PV-26A18-BC02R");
    CHECK(sn->str() == "PV-26A18-BC02R-X7KQA");
}

TEST_CASE("serial: month letters A-L map to January-December", "[serial]") {
    serial::SerialNumber sn;
    sn.board_type = "ZZ";
    sn.revision = "99";
    sn.random = "AAAAA";
    sn.date = {2031, 12, 31};
    CHECK(sn.str() == "PV-31L31-ZZ99R-AAAAA");
    sn.date = {2000, 2, 29};
    CHECK(sn.str() == "PV-00B29-ZZ99R-AAAAA");
    REQUIRE(serial::parse(sn.str()));
}

TEST_CASE("serial: invalid serials are rejected with the reason", "[serial]") {
    struct Case {
        const char* text;
        const char* reason;
    };
    Case cases[] = {
        {"PV-26A18-BC02R-X7KQ", "20 characters"},
        {"XX-26A18-BC02R-X7KQA", "start with 'PV-'"},
        {"PV-2xA18-BC02R-X7KQA", "year"},
        {"PV-26M18-BC02R-X7KQA", "month letter 'M'"},
        {"PV-26A32-BC02R-X7KQA", "day 32"},
        {"PV-26B30-BC02R-X7KQA", "day 30 does not exist"},
        {"PV-25B29-BC02R-X7KQA", "day 29 does not exist"},
        {"PV-26A18-Bc02R-X7KQA", "board type"},
        {"PV-26A18-BC0AR-X7KQA", "revision"},
        {"PV-26A18-BC02X-X7KQA", "letter R"},
        {"PV-26A18-BC02R-X7KQO", "'O' at position 20"},
        {"PV-26A18-BC02R-0X7KQ", "'0' at position 16"},
        {"PV-26A18-BC02R-X1KQA", "'1'"},
        {"PV-26A18-BC02R-XIKQA", "'I'"},
        {"PV-26A18_BC02R-X7KQA", "dashes"},
    };
    for (const auto& c : cases) {
        std::string why;
        INFO(c.text);
        CHECK_FALSE(serial::parse(c.text, &why));
        CHECK_THAT(why, Catch::Contains(c.reason));
    }
    std::string why;
    CHECK(serial::parse("PV-24B29-BC02R-X7KQA", &why)); // 2024 is a leap year
}

TEST_CASE("serial: dates, types and revisions are validated", "[serial]") {
    CHECK(serial::parse_iso_date("2026-01-18").month == 1);
    CHECK_THROWS_WITH(serial::parse_iso_date("2026-13-01"), Catch::Contains("month 13"));
    CHECK_THROWS_WITH(serial::parse_iso_date("2026-02-29"), Catch::Contains("day 29"));
    CHECK_THROWS_WITH(serial::parse_iso_date("1999-01-01"), Catch::Contains("2000-2099"));
    CHECK_THROWS_WITH(serial::parse_iso_date("18/01/2026"), Catch::Contains("YYYY-MM-DD"));
    CHECK_THROWS_AS(serial::validate_board_type("B"), Error);
    CHECK_THROWS_AS(serial::validate_board_type("b1"), Error);
    CHECK_NOTHROW(serial::validate_board_type("BC"));
    CHECK_THROWS_AS(serial::validate_revision("2"), Error);
    CHECK_THROWS_AS(serial::validate_revision("0a"), Error);
    CHECK_NOTHROW(serial::validate_revision("02"));
}

TEST_CASE("serial: the random part uses only the alphabet and 5 bits per byte", "[serial]") {
    // Each byte maps to alphabet[byte & 31]: 0x00->A, 0x1F->9, 0x20->A, 0xE7->H (high bits ignored, no bias).
    serial::RandomSource fixed = [](std::uint8_t* out, std::size_t n) {
        const std::uint8_t bytes[] = {0x00, 0x1F, 0x20, 0xE7, 0x08};
        for (std::size_t i = 0; i < n; ++i)
            out[i] = bytes[i % 5];
    };
    CHECK(serial::random_part(fixed) == "A9AHJ");
}

TEST_CASE("serial: the CSPRNG covers the whole alphabet evenly", "[serial]") {
    auto rng = serial::csprng();
    std::map<char, int> counts;
    const int draws = 4000; // 20000 characters, 625 expected per letter
    std::set<std::string> seen;
    for (int i = 0; i < draws; ++i) {
        auto part = serial::random_part(rng);
        seen.insert(part);
        for (char ch : part)
            counts[ch]++;
    }
    CHECK(counts.size() == 32);
    for (auto [ch, n] : counts) {
        INFO(ch);
        CHECK(serial::kAlphabet.find(ch) != std::string_view::npos);
        // 625 +- 6 sigma (sigma ~ 24.6): fails only if the distribution is skewed.
        CHECK(n > 475);
        CHECK(n < 775);
    }
    CHECK(seen.size() > 3990); // 32^5 possibilities: a handful of repeats at most
}
