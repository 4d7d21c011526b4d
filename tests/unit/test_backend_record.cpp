// vesper-backend's parts without a socket: the record checks against what the ledger really exports,
// the timestamp order, the canonical text, option parsing and the fault draws (tools/backend).
#include <catch2/catch.hpp>

#include <nlohmann/json.hpp>

#include "backend/faults.hpp"
#include "backend/idempotency.hpp"
#include "backend/options.hpp"
#include "backend/record.hpp"
#include "vesper/core/error.hpp"
#include "vesper/core/json_text.hpp"
#include "vesper/ledger/ledger.hpp"

using namespace vesper;
using namespace vesper::backend;
using nlohmann::json;

namespace {

ledger::Device tested_device() {
    ledger::Device d;
    d.serial = "VSP-2612-0001";
    d.batch_id = 3;
    d.hw_type = "vesper-4";
    d.hw_version = "1.2";
    d.status = ledger::DeviceStatus::tested;
    d.mac = "24:0a:c4:00:00:01";
    d.subscription_plan = "standard";
    d.available_outputs = 8;
    d.created_at = "2026-12-04T09:00:00Z";
    d.updated_at = "2026-12-04T09:45:00Z";
    d.flashed_at = "2026-12-04T09:30:00Z";
    d.tested_at = "2026-12-04T09:45:00Z";
    return d;
}

} // namespace

TEST_CASE("backend record: what the ledger exports is a valid record, in every status", "[backend]") {
    for (const auto status :
         {ledger::DeviceStatus::manufactured, ledger::DeviceStatus::flashed, ledger::DeviceStatus::tested,
          ledger::DeviceStatus::registered, ledger::DeviceStatus::failed}) {
        ledger::Device d = tested_device();
        d.status = status;
        if (status == ledger::DeviceStatus::manufactured) d.mac.clear(), d.flashed_at.clear(), d.tested_at.clear();
        if (status == ledger::DeviceStatus::failed) d.last_error = "flash: timeout";
        d.firmware_version = "1.4.2";
        d.firmware_sha256 = std::string(64, 'a');
        ledger::TestSummary run{false, 3, {"outputs"}};
        if (status == ledger::DeviceStatus::tested) run = {true, 3, {}};
        // Over the wire: text, then parsed, as the server sees it.
        const json record = json::parse(ledger::backend_record_json(d, run));
        CHECK(record.at("firmware").at("sha256") == d.firmware_sha256);
        CHECK(record.at("test").at("tests") == 3);
        const auto problem = check_record(record, &d.serial);
        INFO(ledger::to_string(status) << ": " << (problem ? problem->message : ""));
        CHECK_FALSE(problem);
    }
}

TEST_CASE("backend record: each broken field is named", "[backend]") {
    const json good = json::parse(ledger::backend_record_json(tested_device()));
    const std::string serial = "VSP-2612-0001";
    struct Case {
        const char* field;
        json value; // null json with erase=true: the field is removed
        bool erase;
        const char* says;
    };
    for (const Case& c : {Case{"hw_type", nullptr, true, "'hw_type' is missing"},
                          Case{"available_outputs", -1, false, "'available_outputs'"},
                          Case{"available_outputs", "8", false, "'available_outputs'"},
                          Case{"created_at", "2026-12-04 09:00:00", false, "'created_at'"},
                          Case{"updated_at", "2026-13-04T09:00:00Z", false, "'updated_at'"},
                          Case{"tested_at", "2026-12-04T09:00:00+01:00", false, "'tested_at'"},
                          Case{"mac", "24-0a-c4-00-00-01", false, "'mac'"},
                          Case{"users_list", json::array({"alice"}), false, "'users_list'"},
                          Case{"claim_code_hash", std::string(64, 'A'), false, "'claim_code_hash'"},
                          Case{"firmware", {{"version", "1.0"}}, false, "'firmware.sha256'"},
                          Case{"firmware", {{"sha256", std::string(64, 'a')}}, false, "'firmware.version'"},
                          Case{"test", {{"passed", true}, {"tests", 1}}, false, "'test.failed'"},
                          Case{"test", {{"passed", false}, {"tests", 1}, {"failed", {"a", "b"}}}, false, "more tests"},
                          Case{"serial_number", "VSP 1", false, "'serial_number'"}}) {
        json r = good;
        if (c.erase)
            r.erase(c.field);
        else
            r[c.field] = c.value;
        const auto problem = check_record(r, nullptr);
        INFO(c.field << " = " << json_text(c.value));
        REQUIRE(problem);
        CHECK(problem->status == 400);
        CHECK(problem->code == "record.invalid");
        CHECK_THAT(problem->message, Catch::Contains(c.says));
    }
    const std::string other = "VSP-2612-0002";
    const auto mismatch = check_record(good, &other);
    REQUIRE(mismatch);
    CHECK(mismatch->code == "record.serial_mismatch");
    CHECK(check_record(json::array(), nullptr)->code == "record.invalid");
}

TEST_CASE("backend record: timestamps order by time, fractions included", "[backend]") {
    const auto key = [](const char* t) { return timestamp_order_key(t).value_or("invalid"); };
    CHECK(key("2026-12-04T10:00:00Z") == "2026-12-04T10:00:00.000000000");
    CHECK(key("2026-12-04T10:00:00.5Z") > key("2026-12-04T10:00:00Z"));
    CHECK(key("2026-12-04T10:00:00.5Z") == key("2026-12-04T10:00:00.500Z"));
    CHECK(key("2026-12-04T10:00:00.123456789Z") < key("2026-12-04T10:00:01Z"));
    CHECK(key("2025-12-31T23:59:59.999Z") < key("2026-01-01T00:00:00Z"));
    for (const char* bad : {"", "2026-12-04", "2026-12-04T10:00:00", "2026-12-04T10:00:00.Z", "2026-12-04T24:00:00Z",
                            "2026-12-04T10:00:00.1234567890Z", "2026-00-04T10:00:00Z", "x026-12-04T10:00:00Z"})
        CHECK_FALSE(timestamp_order_key(bad));
}

TEST_CASE("backend record: the canonical text ignores key order and whitespace", "[backend]") {
    const json a = json::parse(R"({"b": 1, "a": {"y": [1, 2], "x": "é"}})");
    const json b = json::parse("{\"a\":{\"x\":\"\xC3\xA9\",\"y\":[1,2]},\"b\":1}");
    CHECK(canonical_text(a) == canonical_text(b));
    CHECK(canonical_text(a) == "{\"a\":{\"x\":\"\xC3\xA9\",\"y\":[1,2]},\"b\":1}");
    CHECK(sha256_hex("abc") == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"); // FIPS 180-2
}

TEST_CASE("backend options: listen addresses, loopback, the outage window", "[backend]") {
    CHECK(parse_listen("127.0.0.1:0").port == 0);
    CHECK(parse_listen("[::1]:8443").host == "::1");
    CHECK(parse_listen("localhost:8443").port == 8443);
    CHECK_THROWS_AS(parse_listen("127.0.0.1"), Error);
    CHECK_THROWS_AS(parse_listen("127.0.0.1:70000"), Error);
    CHECK(is_loopback_host("127.0.0.1"));
    CHECK(is_loopback_host("127.8.9.10"));
    CHECK(is_loopback_host("::1"));
    CHECK(is_loopback_host("localhost"));
    CHECK_FALSE(is_loopback_host("0.0.0.0"));
    CHECK_FALSE(is_loopback_host("10.0.0.1"));
    CHECK_FALSE(is_loopback_host("::"));
    CHECK(parse_outage("2:5.5") == std::pair<double, double>{2, 5.5});
    CHECK_THROWS_AS(parse_outage("-1:5"), Error);
    CHECK_THROWS_AS(parse_outage("2"), Error);
    CHECK_THROWS_AS(parse_outage("a:b"), Error);
}

TEST_CASE("backend faults: draws follow the seed and the rates", "[backend]") {
    FaultSettings s;
    s.fail_rate = 0.3;
    s.seed = 7;
    Faults a(s), b(s);
    int fails = 0;
    for (int i = 0; i < 10000; ++i) {
        const Fault f = a.draw();
        CHECK(f == b.draw());
        if (f == Fault::fail)
            ++fails;
        else
            REQUIRE(f == Fault::none);
    }
    CHECK(fails > 2800); // 3000 expected, standard deviation 46
    CHECK(fails < 3200);
    s.fail_rate = 0;
    s.drop_rate = 1;
    s.throttle_rate = 1;
    Faults d(s);
    CHECK(d.draw() == Fault::drop); // drop is drawn first
    CHECK_FALSE(d.outage_left());
    s.outage = std::pair<double, double>{0, 60};
    Faults o(s);
    o.start();
    REQUIRE(o.outage_left());
    CHECK(*o.outage_left() >= 59);
    CHECK(*o.outage_left() <= 60);
}

TEST_CASE("backend idempotency: keys and scopes", "[backend]") {
    CHECK(check_key(nullptr)->code == "idempotency.key_missing");
    const std::string ok = "vesper:VSP-2612-0001:outbox-17", spaced = "a b", empty, long_key(256, 'k');
    CHECK_FALSE(check_key(&ok));
    CHECK(check_key(&spaced)->code == "idempotency.key_invalid");
    CHECK(check_key(&empty)->code == "idempotency.key_invalid");
    CHECK(check_key(&long_key)->code == "idempotency.key_invalid");
    CHECK(key_scope("token-aaaaaaaaaaaaaaaa") != key_scope("token-aaaaaaaaaaaaaaab"));
    CHECK(key_scope("token-aaaaaaaaaaaaaaaa").size() == 16);
    CHECK(key_scope("token-aaaaaaaaaaaaaaaa").find("token") == std::string::npos);
}
