// vesper-backend's API over real HTTPS on loopback (docs/backend-api.md): the bearer token, PUT
// (created, updated, unchanged, stale), GET and the list, the bulk forms, idempotent replays and
// mismatches. The server is the built binary; the client is libcurl verifying the server's certificate.
#include <catch2/catch.hpp>

#include <nlohmann/json.hpp>

#include "backend_test_support.hpp"
#include "vesper/core/bytes.hpp"
#include "vesper/core/checksum.hpp"
#include "vesper/core/files.hpp"
#include "vesper/core/json_text.hpp"

using nlohmann::json;
using vesper::json_text;
using namespace vesper::test;

namespace {

std::string sha256_of(const std::string& text) { return vesper::to_hex(vesper::sha256(vesper::as_bytes(text))); }

} // namespace

TEST_CASE("backend: requests without the token or with a wrong one get 401 and a Bearer challenge",
          "[integration][backend]") {
    TlsBackend b;
    HttpClient anonymous = b.client;
    anonymous.token.clear();
    const std::string body = json_text(device_record("VSP-A1"));

    const auto none = anonymous.put("/v1/devices/VSP-A1", body, "k-1");
    CHECK(none.status == 401);
    CHECK(none.header("www-authenticate") == "Bearer realm=\"vesper-backend\"");
    CHECK(json::parse(none.body)["error"]["code"] == "auth.missing");

    HttpClient wrong = b.client;
    wrong.token = "test-token-00000000000000000";
    const auto bad = wrong.put("/v1/devices/VSP-A1", body, "k-1");
    CHECK(bad.status == 401);
    CHECK_THAT(bad.header("www-authenticate"), Catch::Contains("error=\"invalid_token\""));
    CHECK(json::parse(bad.body)["error"]["code"] == "auth.invalid");
    CHECK(wrong.get("/v1/devices/VSP-A1").status == 401);
    CHECK(anonymous.get("/v1/_stats").status == 401);

    // Nothing of the refused writes was stored; the right token writes.
    CHECK(b.stats()["records"] == 0);
    CHECK(b.client.put("/v1/devices/VSP-A1", body, "k-1").status == 201);
    CHECK(b.stats()["records"] == 1);
    CHECK(b.process->stop() == 0);
}

TEST_CASE("backend: PUT creates, updates, leaves unchanged and acknowledges a stale record without applying it",
          "[integration][backend]") {
    TlsBackend b;
    const json v1 = device_record("VSP-B1", "2026-12-04T10:00:00Z");
    const auto created = b.client.put("/v1/devices/VSP-B1", json_text(v1), "b1-1");
    REQUIRE(created.status == 201);
    const json c = json::parse(created.body);
    CHECK(c["result"] == "created");
    CHECK(c["applied"] == true);
    CHECK(c["record_sha256"] == sha256_of(json_text(v1)));
    CHECK(created.header("idempotent-replayed").empty());

    // GET gives the record back with the SHA-256 of its canonical text.
    const auto got = b.client.get("/v1/devices/VSP-B1");
    REQUIRE(got.status == 200);
    const json g = json::parse(got.body);
    CHECK(g["record"] == v1);
    CHECK(g["record_sha256"] == sha256_of(json_text(v1)));
    CHECK(g["updated_at"] == "2026-12-04T10:00:00Z");

    json v2 = device_record("VSP-B1", "2026-12-04T10:05:00.250Z");
    v2["status"] = "registered";
    v2["registered_at"] = "2026-12-04T10:05:00Z";
    v2["firmware"] = {{"version", "1.4.2"}, {"sha256", std::string(64, 'a')}};
    v2["test"] = {{"passed", false}, {"tests", 5}, {"failed", {"relay_2"}}};
    v2["claim_code_hash"] = std::string(64, '0');
    const auto updated = b.client.put("/v1/devices/VSP-B1", json_text(v2), "b1-2");
    REQUIRE(updated.status == 200);
    CHECK(json::parse(updated.body)["result"] == "updated");
    CHECK(json::parse(b.client.get("/v1/devices/VSP-B1").body)["record"] == v2);

    // The same record again under a new key: nothing to change.
    const auto same = b.client.put("/v1/devices/VSP-B1", json_text(v2), "b1-3");
    CHECK(same.status == 200);
    CHECK(json::parse(same.body)["result"] == "unchanged");
    CHECK(json::parse(same.body)["applied"] == true);

    // A retry of v1 that arrives late (older updated_at): 200, not applied, the newer record stays and
    // the answer says which record is stored.
    json late = v1;
    late["last_error"] = "a late retry";
    const auto stale = b.client.put("/v1/devices/VSP-B1", json_text(late), "b1-4");
    CHECK(stale.status == 200);
    const json s = json::parse(stale.body);
    CHECK(s["result"] == "stale");
    CHECK(s["applied"] == false);
    CHECK(s["record_sha256"] == sha256_of(json_text(v2)));
    CHECK(s["updated_at"] == "2026-12-04T10:05:00.250Z");
    CHECK(json::parse(b.client.get("/v1/devices/VSP-B1").body)["record"] == v2);

    const json st = b.stats();
    CHECK(st["created"] == 1);
    CHECK(st["updated"] == 1);
    CHECK(st["unchanged"] == 1);
    CHECK(st["stale"] == 1);
    CHECK(b.client.get("/v1/devices/VSP-NONE").status == 404);
    CHECK(json::parse(b.client.get("/v1/devices/VSP-NONE").body)["error"]["code"] == "device.not_found");
}

TEST_CASE("backend: PUT refuses invalid records, a serial mismatch and a missing key with 400",
          "[integration][backend]") {
    TlsBackend b;
    const auto code_of = [&](const std::string& serial, const std::string& body, const std::string& key) {
        const auto r = b.client.put("/v1/devices/" + serial, body, key);
        INFO(r.body);
        CHECK(r.status == 400);
        return json::parse(r.body)["error"]["code"].get<std::string>();
    };
    CHECK(code_of("VSP-C1", json_text(device_record("VSP-C2")), "c-1") == "record.serial_mismatch");
    CHECK(code_of("VSP-C1", json_text(device_record("VSP-C1")), "") == "idempotency.key_missing");
    CHECK(code_of("VSP-C1", "{not json", "c-2") == "request.invalid_json");
    json r = device_record("VSP-C1");
    r.erase("hw_type");
    CHECK(code_of("VSP-C1", json_text(r), "c-3") == "record.invalid");
    r = device_record("VSP-C1");
    r["updated_at"] = "yesterday";
    CHECK(code_of("VSP-C1", json_text(r), "c-4") == "record.invalid");
    r = device_record("VSP-C1");
    r["owner"] = "someone";
    CHECK(code_of("VSP-C1", json_text(r), "c-5") == "record.invalid");
    r = device_record("VSP-C1");
    r["status"] = "shipped";
    CHECK(code_of("VSP-C1", json_text(r), "c-6") == "record.invalid");
    r = device_record("VSP-C1");
    r["test"] = {{"passed", true}, {"tests", 3}, {"failed", {"wifi"}}};
    CHECK(code_of("VSP-C1", json_text(r), "c-7") == "record.invalid");
    CHECK(b.stats()["records"] == 0);

    // A field the contract does not know yet is kept: the record may grow.
    r = device_record("VSP-C1");
    r["factory_line"] = "line-3";
    CHECK(b.client.put("/v1/devices/VSP-C1", json_text(r), "c-8").status == 201);
    CHECK(json::parse(b.client.get("/v1/devices/VSP-C1").body)["record"]["factory_line"] == "line-3");
}

TEST_CASE("backend: a retried key gets the first answer again, another record under it gets 422",
          "[integration][backend]") {
    TlsBackend b;
    const json v1 = device_record("VSP-D1", "2026-12-04T10:00:00Z");
    const auto first = b.client.put("/v1/devices/VSP-D1", json_text(v1), "d-key-1");
    REQUIRE(first.status == 201);

    // A newer record is stored meanwhile; the retry of the first request still gets its own answer.
    REQUIRE(b.client.put("/v1/devices/VSP-D1", json_text(device_record("VSP-D1", "2026-12-04T11:00:00Z")), "d-key-2")
                .status == 200);
    const auto replay = b.client.put("/v1/devices/VSP-D1", json_text(v1), "d-key-1");
    CHECK(replay.status == first.status);
    CHECK(replay.body == first.body);
    CHECK(replay.header("idempotent-replayed") == "true");

    // The same record with other whitespace and key order is the same request.
    const auto spaced = b.client.put("/v1/devices/VSP-D1", json_text(v1, 2), "d-key-1");
    CHECK(spaced.status == 201);
    CHECK(spaced.body == first.body);

    json other = v1;
    other["hw_version"] = "9.9";
    const auto mismatch = b.client.put("/v1/devices/VSP-D1", json_text(other), "d-key-1");
    CHECK(mismatch.status == 422);
    CHECK(json::parse(mismatch.body)["error"]["code"] == "idempotency.mismatch");
    CHECK(mismatch.header("idempotent-replayed").empty());
    CHECK(json::parse(b.client.get("/v1/devices/VSP-D1").body)["record"]["updated_at"] == "2026-12-04T11:00:00Z");

    const json st = b.stats();
    CHECK(st["replays"] == 2);
    CHECK(st["mismatches"] == 1);
    CHECK(st["created"] == 1);
    CHECK(st["updated"] == 1);
}

TEST_CASE("backend: idempotency keys are scoped per token", "[integration][backend]") {
    TempDir dir;
    vesper::write_file_atomic(dir / "tokens", std::string("station-token-aaaaaaaaaaaa\nstation-token-bbbbbbbbbbbb\n"));
    BackendProcess p(
        {"--tls", "--cert-out", (dir / "cert.pem").string(), "--token-file", (dir / "tokens").string(), "--quiet"}, {});
    HttpClient a{p.url(), (dir / "cert.pem").string()};
    a.token = "station-token-aaaaaaaaaaaa";
    HttpClient bb = a;
    bb.token = "station-token-bbbbbbbbbbbb";
    CHECK(a.put("/v1/devices/VSP-E1", json_text(device_record("VSP-E1")), "shared-key").status == 201);
    // The other token's "shared-key" is its own: a different record under it is no mismatch.
    const auto other = bb.put("/v1/devices/VSP-E2", json_text(device_record("VSP-E2")), "shared-key");
    CHECK(other.status == 201);
    CHECK(other.header("idempotent-replayed").empty());
    CHECK(a.put("/v1/devices/VSP-E2", json_text(device_record("VSP-E2")), "shared-key").status == 422);
}

TEST_CASE("backend: bulk NDJSON and JSON arrays give a result per record, in order", "[integration][backend]") {
    TlsBackend b({"--max-bulk", "6"});
    REQUIRE(b.client.put("/v1/devices/VSP-F0", json_text(device_record("VSP-F0")), "f-0").status == 201);
    json bad = device_record("VSP-F3");
    bad.erase("status");
    const std::vector<json> items{
        {{"idempotency_key", "f-1"}, {"record", device_record("VSP-F1")}},
        {{"idempotency_key", "f-0"}, {"record", device_record("VSP-F0")}}, // replay of the PUT above
        {{"record", device_record("VSP-F2")}},                             // no key
        {{"idempotency_key", "f-3"}, {"record", bad}},
        {{"idempotency_key", "f-0"}, {"record", device_record("VSP-F9")}}, // the key of another record
    };
    std::string ndjson;
    for (const json& item : items)
        ndjson += json_text(item) + "\n";
    ndjson.insert(ndjson.find('\n') + 1, "{broken\n");
    const auto r = b.client.request("POST", "/v1/devices:bulk", ndjson, {"Content-Type: application/x-ndjson"});
    REQUIRE(r.status == 200);
    const json results = json::parse(r.body)["results"];
    REQUIRE(results.size() == 6);
    CHECK(results[0]["serial_number"] == "VSP-F1");
    CHECK(results[0]["status"] == 201);
    CHECK(results[0]["result"] == "created");
    CHECK(results[1]["status"] == 400);
    CHECK(results[1]["error"]["code"] == "bulk.item_invalid");
    CHECK(results[1]["serial_number"].is_null());
    CHECK(results[2]["serial_number"] == "VSP-F0");
    CHECK(results[2]["status"] == 201);
    CHECK(results[2]["replayed"] == true);
    CHECK(results[3]["serial_number"] == "VSP-F2");
    CHECK(results[3]["error"]["code"] == "idempotency.key_missing");
    CHECK(results[4]["serial_number"] == "VSP-F3");
    CHECK(results[4]["error"]["code"] == "record.invalid");
    CHECK(results[5]["status"] == 422);
    CHECK(results[5]["error"]["code"] == "idempotency.mismatch");
    CHECK(b.stats()["records"] == 2);

    // The JSON array form: the same items, the same answers (now f-1 replays too).
    json array = json::array();
    for (const json& item : items)
        array.push_back(item);
    const auto j = b.client.request("POST", "/v1/devices:bulk", json_text(array), {"Content-Type: application/json"});
    REQUIRE(j.status == 200);
    const json jr = json::parse(j.body)["results"];
    REQUIRE(jr.size() == 5);
    CHECK(jr[0]["replayed"] == true);
    CHECK(jr[0]["result"] == "created");
    CHECK(jr[2]["error"]["code"] == "idempotency.key_missing");
    CHECK(jr[4]["status"] == 422);

    // Above --max-bulk: 413 and nothing stored; another media type: 415.
    array.push_back({{"idempotency_key", "f-6"}, {"record", device_record("VSP-F6")}});
    array.push_back({{"idempotency_key", "f-7"}, {"record", device_record("VSP-F7")}});
    const auto big = b.client.request("POST", "/v1/devices:bulk", json_text(array), {"Content-Type: application/json"});
    CHECK(big.status == 413);
    CHECK(json::parse(big.body)["error"]["code"] == "bulk.too_large");
    const auto text = b.client.request("POST", "/v1/devices:bulk", "x", {"Content-Type: text/plain"});
    CHECK(text.status == 415);
    CHECK(b.stats()["records"] == 2);
}

TEST_CASE("backend: GET /v1/devices pages through the records in serial order", "[integration][backend]") {
    TlsBackend b;
    std::string ndjson;
    for (int i = 9; i >= 1; --i) {
        const std::string serial = "VSP-G" + std::to_string(i);
        ndjson +=
            json_text(json{{"idempotency_key", "g-" + std::to_string(i)}, {"record", device_record(serial)}}) + "\n";
    }
    REQUIRE(b.client.request("POST", "/v1/devices:bulk", ndjson, {"Content-Type: application/x-ndjson"}).status == 200);
    std::vector<std::string> seen;
    std::string after;
    for (int page = 0; page < 10; ++page) { // bounded: 9 records in pages of 4 take 3
        const auto r = b.client.get("/v1/devices?limit=4" + (after.empty() ? "" : "&after=" + after));
        REQUIRE(r.status == 200);
        const json j = json::parse(r.body);
        for (const json& d : j["devices"])
            seen.push_back(d["serial_number"]);
        if (j["next_after"].is_null()) break;
        after = j["next_after"];
    }
    CHECK(seen == std::vector<std::string>{"VSP-G1", "VSP-G2", "VSP-G3", "VSP-G4", "VSP-G5", "VSP-G6", "VSP-G7",
                                           "VSP-G8", "VSP-G9"});
    CHECK(b.client.get("/v1/devices?limit=0").status == 400);
}
