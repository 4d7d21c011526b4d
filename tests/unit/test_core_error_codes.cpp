// The error code table (core/error_codes): one row per code, in enum order, names that are stable
// "area.what" identifiers, the general code of each kind, and what vesper::Error carries with a code.
#include <catch2/catch.hpp>

#include <regex>
#include <set>
#include <string>

#include "vesper/core/error.hpp"
#include "vesper/core/error_kinds.hpp"

using namespace vesper;

TEST_CASE("error codes: one row per code, in enum order, each found by info()", "[core][error_codes]") {
    const auto codes = all_error_codes();
    REQUIRE(!codes.empty());
    for (std::size_t i = 0; i < codes.size(); ++i) {
        INFO(codes[i].name);
        CHECK(static_cast<std::size_t>(codes[i].code) == i);
        CHECK(&info(codes[i].code) == &codes[i]);
        CHECK(to_string(codes[i].code) == codes[i].name);
    }
}

TEST_CASE("error codes: names are unique lower_snake area.what, only general codes go without an area",
          "[core][error_codes]") {
    const std::regex with_area(R"([a-z][a-z0-9_]*\.[a-z][a-z0-9_]*)");
    const std::regex plain(R"([a-z][a-z0-9_]*)");
    std::set<std::string_view> names;
    for (const auto& c : all_error_codes()) {
        const std::string name(c.name);
        INFO(name);
        CHECK(names.insert(c.name).second);
        if (!std::regex_match(name, with_area)) {
            // "not_found", "conflict", "internal", "interrupted": the general code of their kind.
            CHECK(std::regex_match(name, plain));
            CHECK(general_code(c.kind) == c.code);
        }
        CHECK(!c.help.empty());
        CHECK(c.help.find('\n') == std::string_view::npos);
    }
}

TEST_CASE("error codes: each kind's general code round-trips and is the code of Error(kind, ...)",
          "[core][error_codes]") {
    for (const ErrorKind kind : kAllErrorKinds) {
        INFO(to_string(kind));
        const ErrorCode general = general_code(kind);
        CHECK(info(general).kind == kind);
        const Error e(kind, "message");
        CHECK(e.code() == general);
        CHECK(e.kind() == kind);
        CHECK(e.code_name() == info(general).name);
    }
    CHECK(to_string(general_code(ErrorKind::input)) == "input.invalid");
    CHECK(to_string(general_code(ErrorKind::io)) == "io.failed");
    CHECK(to_string(general_code(ErrorKind::internal)) == "internal");
}

TEST_CASE("error codes: every code's kind, and so its exit code", "[core][error_codes]") {
    // What scripts rely on; a row that moves to another kind changes an exit code.
    const std::pair<const char*, int> expected[] = {
        {"input.invalid", 2},
        {"not_found", 3},
        {"conflict", 4},
        {"io.failed", 5},
        {"device.failed", 6},
        {"verify.failed", 7},
        {"internal", 1},
        {"interrupted", 130},
        {"cli.usage", 2},
        {"io.read", 5},
        {"io.write", 5},
        {"config.invalid", 2},
        {"csv.invalid", 2},
        {"nvs.template", 2},
        {"nvs.image_invalid", 2},
        {"part.invalid", 2},
        {"image.invalid", 2},
        {"image.chip_mismatch", 2},
        {"flash.out_of_range", 2},
        {"serial.invalid", 2},
        {"secret.missing", 2},
        {"ledger.not_a_ledger", 2},
        {"ledger.batch_not_found", 3},
        {"ledger.device_not_found", 3},
        {"ledger.batch_full", 4},
        {"ledger.status", 4},
        {"ledger.busy", 5},
        {"port.not_found", 3},
        {"port.open", 6},
        {"port.io", 6},
        {"port.url_invalid", 2},
        {"esp.no_sync", 6},
        {"esp.not_in_download_mode", 6},
        {"esp.chip_mismatch", 2},
        {"esp.timeout", 6},
        {"esp.bad_reply", 6},
        {"esp.rom_error", 6},
        {"esp.flash_too_small", 2},
        {"flash.verify", 7},
        {"station.too_slow", 6},
        {"file.not_found", 3},
        {"file.is_folder", 2},
        {"ledger.not_found", 3},
        {"ledger.no_place", 2},
        {"ledger.too_new", 4},
        {"ledger.read_only", 5},
        {"ledger.damaged", 5},
        {"ledger.mac_bound", 4},
        {"serial.prefix_exhausted", 4},
        {"config.not_found", 3},
        {"config.station_not_found", 3},
        {"config.profile_not_found", 3},
        {"nvs.size_invalid", 2},
        {"nvs.full", 2},
        {"nvs.batch_busy", 4},
        {"nvs.image_damaged", 7},
        {"image.checksum", 7},
        {"part.md5_mismatch", 7},
        {"chip.unknown", 2},
        {"port.not_given", 2},
        {"esp.unsupported_chip", 6},
        {"esp.rom_unsupported", 2},
        {"esp.secure_download", 6},
        {"esp.baud_failed", 6},
        {"esp.mac_unreadable", 6},
        {"esp.flash_size_unknown", 6},
        {"station.failed", 6},
        {"factory.no_hello", 6},
        {"factory.timeout", 6},
        {"factory.crash", 6},
        {"factory.test_failed", 7},
        {"secret.too_short", 2},
        {"claim.malformed", 2},
        {"claim.typo", 2},
        {"claim.mismatch", 7},
        {"label.layout", 2},
        {"label.placeholder", 2},
        {"label.font_missing", 2},
        {"label.qr_too_long", 2},
        {"label.text_overflow", 2},
        {"label.verify", 7},
        {"label.print", 5},
        {"label.not_tested", 4},
        {"label.already_printed", 4},
        {"backend.auth", 2},
        {"backend.tls", 5},
        {"backend.refused", 4},
        {"backend.drift", 7},
    };
    const auto codes = all_error_codes();
    REQUIRE(codes.size() == std::size(expected));
    for (std::size_t i = 0; i < codes.size(); ++i) {
        INFO(codes[i].name);
        CHECK(codes[i].name == expected[i].first);
        CHECK(exit_code_for(codes[i].kind) == expected[i].second);
    }
}

TEST_CASE("error codes: an Error takes its kind from its code, its hint from the code's help unless given",
          "[core][error_codes]") {
    const Error e(ErrorCode::ledger_batch_not_found, "batch 42 not found");
    CHECK(e.kind() == ErrorKind::not_found);
    CHECK(e.code_name() == "ledger.batch_not_found");
    CHECK(e.hint() == info(ErrorCode::ledger_batch_not_found).help);
    CHECK(!e.rom_status());

    Error rom(ErrorCode::esp_rom_error, "FLASH_DATA failed: ROM error 0x08");
    rom.with_rom_status(0x08).with_hint("retry the board");
    CHECK(rom.kind() == ErrorKind::device);
    CHECK(rom.rom_status() == std::uint8_t{0x08});
    CHECK(rom.hint() == "retry the board");
}

TEST_CASE("error codes: context added on the way up keeps the code, hint and ROM status", "[core][error_codes]") {
    Error inner(ErrorCode::esp_rom_error, "FLASH_DATA failed");
    inner.with_rom_status(0xC1).with_hint("check the cable");
    try {
        try {
            throw inner;
        } catch (const Error& e) {
            fail(e, std::string("device PV-1: ") + e.what());
        }
    } catch (const Error& e) {
        CHECK(std::string(e.what()) == "device PV-1: FLASH_DATA failed");
        CHECK(e.code() == ErrorCode::esp_rom_error);
        CHECK(e.kind() == ErrorKind::device);
        CHECK(e.rom_status() == std::uint8_t{0xC1});
        CHECK(e.hint() == "check the cable");
    }
}
