// vesperctl ports on this machine. There is no USB hardware here, so this checks the command runs and
// its output has the documented shape whatever ports exist; classification and the by-id/by-path lookup
// are unit-tested (tests/unit/test_esp_port_list.cpp).
#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include <string>

#include "run_process.hpp"

using vesper::test::vesperctl;

namespace {

void check_port_object(const nlohmann::json& p) {
    INFO(p.dump());
    REQUIRE(p.is_object());
    CHECK(p.at("port").is_string());
    CHECK(!p.at("port").get<std::string>().empty());
    CHECK(p.at("by_id").is_array());
    CHECK(p.at("by_path").is_array());
    const std::string transport = p.at("transport");
    CHECK((transport == "usb" || transport == "native" || transport == "bluetooth"));
    CHECK((p.at("usb").is_null() || p.at("usb").is_object()));
    if (p.at("usb").is_object()) {
        CHECK(transport == "usb");
        CHECK(p.at("usb").at("vid").is_number_unsigned());
        CHECK(p.at("usb").at("pid").is_number_unsigned());
        CHECK(p.at("usb").at("id").get<std::string>().size() == 9); // "10C4:EA60"
        CHECK(p.at("usb").at("serial").is_string());
    }
    CHECK(p.at("description").is_string());
    CHECK((p.at("adapter").is_null() || p.at("adapter").is_string()));
    const std::string guess = p.at("esp_guess");
    CHECK((guess == "espressif-usb" || guess == "usb-bridge" || guess == "unknown"));
}

} // namespace

TEST_CASE("ports: text output is a table or says there are none", "[ports][cli]") {
    for (bool all : {false, true}) {
        INFO("--all " << all);
        auto r = all ? vesperctl({"ports", "--all"}) : vesperctl({"ports"});
        INFO(r.err);
        CHECK(r.exit_code == 0);
        CHECK(r.err.empty());
        const bool none = r.out.rfind("no serial ports found", 0) == 0;
        const bool table = r.out.rfind("PORT ", 0) == 0 && r.out.find("ESP BOARD?") != std::string::npos;
        CHECK((none || table));
        CHECK(!r.out.empty());
        CHECK(r.out.back() == '\n');
    }
}

TEST_CASE("ports --json: a list of port objects under \"ports\"", "[ports][cli]") {
    auto usb_only = vesperctl({"ports", "--json"});
    INFO(usb_only.err);
    REQUIRE(usb_only.exit_code == 0);
    const auto doc = nlohmann::json::parse(usb_only.out).at("ports");
    REQUIRE(doc.is_array());
    for (const auto& p : doc) {
        check_port_object(p);
        CHECK(p.at("transport") == "usb"); // the default lists USB ports only
    }

    auto all = vesperctl({"--json", "ports", "--all"});
    REQUIRE(all.exit_code == 0);
    const auto all_doc = nlohmann::json::parse(all.out).at("ports");
    REQUIRE(all_doc.is_array());
    for (const auto& p : all_doc)
        check_port_object(p);
    CHECK(all_doc.size() >= doc.size());
}

TEST_CASE("ports: unknown options are usage errors", "[ports][cli]") {
    auto r = vesperctl({"ports", "--bogus"});
    CHECK(r.exit_code == 2);
    CHECK(r.out.empty());
}
