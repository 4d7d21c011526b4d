// vesper-backend's injected faults over real HTTPS (docs/backend.md, "Faults"): each at rate 1 gives
// exactly its answer and stores nothing; a rate of 0.3 hits about that share (seeded); the outage
// window; drop-after-write stores and then drops, so the retry with the same key is replayed; latency
// and the slow body take their time.
#include <catch2/catch.hpp>

#include <nlohmann/json.hpp>

#include <chrono>
#include <thread>

#include "backend_test_support.hpp"
#include "vesper/core/json_text.hpp"

using nlohmann::json;
using vesper::json_text;
using namespace vesper::test;
using Clock = std::chrono::steady_clock;

namespace {

std::string bulk_of(const std::string& serial, const std::string& key) {
    return json_text(json{{"idempotency_key", key}, {"record", device_record(serial)}}) + "\n";
}

} // namespace

TEST_CASE("backend: each fault at rate 1 gives exactly its answer and stores nothing", "[integration][backend]") {
    struct Case {
        const char* option;
        long status; // 0: no answer at all
        const char* code;
        const char* fault;
    };
    for (const Case& c :
         {Case{"--fail-rate", 500, "server.injected_failure", "fail"},
          Case{"--throttle-rate", 429, "server.throttled", "throttle"}, Case{"--drop-rate", 0, "", "drop"}}) {
        INFO(c.option);
        TlsBackend b({c.option, "1", "--retry-after", "7"});
        const auto put = b.client.put("/v1/devices/VSP-H1", json_text(device_record("VSP-H1")), "h-1");
        const auto bulk = b.client.request("POST", "/v1/devices:bulk", bulk_of("VSP-H2", "h-2"),
                                           {"Content-Type: application/x-ndjson"});
        const auto get = b.client.get("/v1/devices/VSP-H1");
        for (const HttpResponse* r : {&put, &bulk, &get}) {
            if (c.status == 0) {
                CHECK(r->error == CURLE_GOT_NOTHING); // the connection closed with no answer
                continue;
            }
            CHECK(r->error == CURLE_OK);
            CHECK(r->status == c.status);
            CHECK(json::parse(r->body)["error"]["code"] == c.code);
            if (c.status == 429) CHECK(r->header("retry-after") == "7");
        }
        const json st = b.stats();
        CHECK(st["records"] == 0);
        CHECK(st["faults"][c.fault] == 3);
        CHECK(st["requests"] == 3);
        CHECK(b.process->stop() == 0);
    }
}

TEST_CASE("backend: a fault rate of 0.3 hits about that share of requests, the same ones for the same seed",
          "[integration][backend]") {
    std::vector<long> first_run;
    for (int run = 0; run < 2; ++run) {
        TlsBackend b({"--fail-rate", "0.3", "--seed", "42"});
        std::vector<long> statuses;
        int failed = 0;
        for (int i = 0; i < 200; ++i) {
            const std::string serial = "VSP-R" + std::to_string(i);
            const auto r =
                b.client.put("/v1/devices/" + serial, json_text(device_record(serial)), "r-" + std::to_string(i));
            REQUIRE(r.error == CURLE_OK);
            statuses.push_back(r.status);
            if (r.status == 500)
                ++failed;
            else
                CHECK(r.status == 201);
        }
        // Binomial(200, 0.3): mean 60, standard deviation 6.5; 35..85 is nearly four of them each way.
        CHECK(failed >= 35);
        CHECK(failed <= 85);
        const json st = b.stats();
        CHECK(st["records"] == 200 - failed);
        CHECK(st["faults"]["fail"] == failed);
        if (run == 0)
            first_run = statuses;
        else
            CHECK(statuses == first_run);
    }
}

TEST_CASE("backend: the outage window answers 503 with Retry-After, before and after it requests pass",
          "[integration][backend]") {
    TlsBackend b({"--outage", "1.5:2"});
    const auto t0 = Clock::now();
    CHECK(b.client.put("/v1/devices/VSP-O1", json_text(device_record("VSP-O1")), "o-1").status == 201);
    // Into the window (bounded: it opens 1.5 s after the ready line, which was read before t0).
    HttpResponse probe;
    while (Clock::now() - t0 < std::chrono::seconds(4)) {
        probe = b.client.get("/v1/devices/VSP-O1");
        if (probe.status == 503) break;
        CHECK(probe.status == 200);
        REQUIRE(Clock::now() - t0 < std::chrono::milliseconds(1600)); // only before the window may it pass
        std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    REQUIRE(probe.status == 503);
    const auto during = b.client.put("/v1/devices/VSP-O2", json_text(device_record("VSP-O2")), "o-2");
    CHECK(during.status == 503);
    CHECK(json::parse(during.body)["error"]["code"] == "server.outage");
    const int retry_after = std::stoi(during.header("retry-after"));
    CHECK(retry_after >= 1);
    CHECK(retry_after <= 2);
    CHECK(b.client.get("/v1/devices/VSP-O1").status == 503);
    CHECK(b.stats()["records"] == 1); // the stats meet no fault

    // After it (bounded wait), the same request is stored.
    HttpResponse after;
    while (Clock::now() - t0 < std::chrono::seconds(8)) {
        after = b.client.put("/v1/devices/VSP-O2", json_text(device_record("VSP-O2")), "o-2");
        if (after.status != 503) break;
        std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    CHECK(after.status == 201);
    CHECK(b.stats()["faults"]["outage"].get<int>() >= 2);
}

TEST_CASE("backend: drop-after-write stores the record and drops the answer, the retry is replayed",
          "[integration][backend]") {
    TlsBackend b({"--drop-after-write-rate", "1"});
    const std::string body = json_text(device_record("VSP-W1"));
    const auto lost = b.client.put("/v1/devices/VSP-W1", body, "w-1");
    CHECK(lost.error == CURLE_GOT_NOTHING);
    CHECK(b.stats()["records"] == 1);
    // Reads are never dropped after a write: there is none.
    const auto got = b.client.get("/v1/devices/VSP-W1");
    REQUIRE(got.status == 200);
    CHECK(json::parse(got.body)["record"] == device_record("VSP-W1"));
    // The retry is a replay of the stored answer (itself dropped again at rate 1, so ask the log).
    CHECK(b.client.put("/v1/devices/VSP-W1", body, "w-1").error == CURLE_GOT_NOTHING);
    const json st = b.stats();
    CHECK(st["replays"] == 1);
    CHECK(st["created"] == 1);
    CHECK(st["faults"]["drop_after_write"] == 2);
}

TEST_CASE("backend: latency delays every answer and the slow body takes its time", "[integration][backend]") {
    TlsBackend b({"--latency-ms", "300", "--slow-ms", "400"});
    const auto t0 = Clock::now();
    const auto r = b.client.put("/v1/devices/VSP-L1", json_text(device_record("VSP-L1")), "l-1");
    const auto took = std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - t0).count();
    CHECK(r.status == 201);
    CHECK(json::parse(r.body)["result"] == "created"); // the slow body arrives whole
    CHECK(took >= 650);
    CHECK(took < 5000);
    const json st = b.stats();
    CHECK(st["faults"]["latency"] == 1);
    CHECK(st["faults"]["slow"] == 1);
}
