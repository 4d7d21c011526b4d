// vesper-backend's transport and secrets (docs/backend.md): the self-signed certificate clients trust
// through --cert-out or its SPKI pin, mTLS with a client certificate made here by the openssl tool
// (refused without one, or with one from another CA), plain HTTP, the token never in any output, and
// the start-up checks.
#include <catch2/catch.hpp>

#include <nlohmann/json.hpp>

#include <algorithm>

#include "backend_test_support.hpp"
#include "run_process.hpp"
#include "vesper/core/files.hpp"
#include "vesper/core/json_text.hpp"
#include "vesper/core/text.hpp"

using nlohmann::json;
using vesper::json_text;
using namespace vesper::test;

namespace {

// A CA (EC P-256) and a client certificate it signed, made by the openssl command-line tool in `dir`:
// PREFIX-ca.pem, PREFIX-client.pem, PREFIX-client.key.
void make_client_pki(const TempDir& dir, const std::string& prefix) {
    const auto p = [&](const std::string& name) { return (dir / (prefix + "-" + name)).string(); };
    const std::vector<std::vector<std::string>> steps{
        {"openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-keyout",
         p("ca.key"), "-out", p("ca.pem"), "-subj", "/CN=" + prefix + " test CA", "-days", "1"},
        {"openssl", "req", "-new", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-keyout",
         p("client.key"), "-out", p("client.csr"), "-subj", "/CN=station-1"},
        {"openssl", "x509", "-req", "-in", p("client.csr"), "-CA", p("ca.pem"), "-CAkey", p("ca.key"),
         "-CAcreateserial", "-out", p("client.pem"), "-days", "1"},
    };
    for (const auto& argv : steps) {
        std::vector<std::string> full = argv;
        full[0] = "/usr/bin/openssl";
        ProcessOptions opts;
        opts.timeout_ms = 30000;
        const auto r = run_process(full, opts);
        INFO(r.err);
        REQUIRE(r.exit_code == 0);
    }
}

} // namespace

TEST_CASE("backend: the client trusts the server through --cert-out or the pin, and a wrong pin fails",
          "[integration][backend]") {
    TlsBackend b;
    CHECK_THAT(b.process->pin(), Catch::StartsWith("sha256//"));
    // The certificate names 127.0.0.1 and localhost, and is valid now.
    const auto text = run_process(
        {"/usr/bin/openssl", "x509", "-in", (b.dir / "cert.pem").string(), "-noout", "-text", "-checkend", "3600"});
    CHECK(text.exit_code == 0);
    CHECK_THAT(text.out, Catch::Contains("IP Address:127.0.0.1") && Catch::Contains("DNS:localhost") &&
                             Catch::Contains("prime256v1"));
    // The pin printed is the SHA-256 of that certificate's public key.
    const auto spki = run_process({"/bin/sh", "-c",
                                   "openssl x509 -in '" + (b.dir / "cert.pem").string() +
                                       "' -pubkey -noout | openssl pkey -pubin -outform der | openssl dgst -sha256 "
                                       "-binary | openssl base64"});
    CHECK("sha256//" + std::string(vesper::trim(spki.out)) == b.process->pin());

    HttpClient pinned = b.client;
    pinned.pin = b.process->pin();
    CHECK(pinned.get("/v1/devices/VSP-P1").status == 404);
    pinned.pin = "sha256//AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=";
    CHECK(pinned.get("/v1/devices/VSP-P1").error == CURLE_SSL_PINNEDPUBKEYNOTMATCH);
    // TLS 1.3 is spoken; TLS 1.1 is refused by the server itself (the contract's floor is 1.2): with
    // OPENSSL_CONF=/dev/null neither side has Debian's system floor, so only the server's own setting
    // can refuse it, with a protocol_version alert.
    const auto tls13 = run_process(
        {"/bin/sh", "-c", "openssl s_client -connect " + b.process->url().substr(8) + " -tls1_3 </dev/null"});
    CHECK(tls13.exit_code == 0);
    CHECK_THAT(tls13.out, Catch::Contains("TLSv1.3"));
    BackendProcess bare({"--tls", "--quiet"}, {{"VESPER_BACKEND_TOKEN", kBackendToken}, {"OPENSSL_CONF", "/dev/null"}});
    const auto tls11 = run_process({"/bin/sh", "-c",
                                    "OPENSSL_CONF=/dev/null openssl s_client -connect " + bare.url().substr(8) +
                                        " -tls1_1 -cipher DEFAULT@SECLEVEL=0 </dev/null 2>&1"});
    CHECK(tls11.exit_code != 0);
    CHECK_THAT(tls11.out, Catch::Contains("alert protocol version"));
    CHECK(bare.stop() == 0);
    // Without the certificate the client refuses the server.
    HttpClient untrusting = b.client;
    untrusting.ca_file = "/dev/null";
    CHECK(untrusting.get("/v1/devices/VSP-P1").error != CURLE_OK);
}

TEST_CASE("backend: with --client-ca a client certificate of that CA is required", "[integration][backend]") {
    TempDir pki;
    make_client_pki(pki, "good");
    make_client_pki(pki, "other");
    TlsBackend b({"--client-ca", (pki / "good-ca.pem").string()});
    const std::string body = json_text(device_record("VSP-M1"));

    const auto without = b.client.put("/v1/devices/VSP-M1", body, "m-1");
    CHECK(without.error != CURLE_OK); // the handshake fails: no HTTP answer at all
    HttpClient stranger = b.client;
    stranger.client_cert = (pki / "other-client.pem").string();
    stranger.client_key = (pki / "other-client.key").string();
    CHECK(stranger.put("/v1/devices/VSP-M1", body, "m-1").error != CURLE_OK);

    HttpClient station = b.client;
    station.client_cert = (pki / "good-client.pem").string();
    station.client_key = (pki / "good-client.key").string();
    const auto ok = station.put("/v1/devices/VSP-M1", body, "m-1");
    CHECK(ok.error == CURLE_OK);
    CHECK(ok.status == 201);
    // The certificate does not replace the token.
    HttpClient no_token = station;
    no_token.token.clear();
    CHECK(no_token.get("/v1/devices/VSP-M1").status == 401);
    const auto stats = station.get("/v1/_stats");
    REQUIRE(stats.status == 200);
    CHECK(json::parse(stats.body)["records"] == 1);
}

TEST_CASE("backend: the token is never in stdout, stderr, the log or the database", "[integration][backend]") {
    TempDir dir;
    const std::string token = "secret-token-Zq8wX3vN5mK2pL7r";
    vesper::write_file_atomic(dir / "token", token + "\n");
    {
        BackendProcess p({"--tls", "--cert-out", (dir / "cert.pem").string(), "--token-file", (dir / "token").string(),
                          "--db", (dir / "backend.db").string(), "--log", (dir / "log.jsonl").string()},
                         {}, (dir / "stderr.txt").string());
        HttpClient c{p.url(), (dir / "cert.pem").string()};
        c.token = token;
        CHECK(c.put("/v1/devices/VSP-T1", json_text(device_record("VSP-T1")), "t-1").status == 201);
        CHECK(c.put("/v1/devices/VSP-T1", json_text(device_record("VSP-T1")), "t-1").status == 201);
        CHECK(c.get("/v1/devices/VSP-T1").status == 200);
        HttpClient wrong = c;
        wrong.token = token + "x";
        CHECK(wrong.get("/v1/devices/VSP-T1").status == 401);
        CHECK(p.stop() == 0);
        const std::string out = p.stdout_text();
        CHECK(out.find(token) == std::string::npos);
    }
    const std::string log = text_of(dir / "log.jsonl");
    CHECK(std::count(log.begin(), log.end(), '\n') == 4); // the log has the requests, so the search means something
    CHECK_THAT(log, Catch::Contains("\"key\":\"t-1\""));
    CHECK_THAT(text_of(dir / "stderr.txt"), Catch::Contains("stopping on SIGTERM"));
    for (const char* file : {"stderr.txt", "log.jsonl", "backend.db", "backend.db-wal", "cert.pem"}) {
        INFO(file);
        CHECK(text_of(dir / file).find(token) == std::string::npos);
    }
    // The database is there and holds the record (the stop checkpointed it).
    CHECK(text_of(dir / "backend.db").find("VSP-T1") != std::string::npos);
}

TEST_CASE("backend: plain HTTP without --tls, and a --db that outlives the server", "[integration][backend]") {
    TempDir dir;
    const std::map<std::string, std::string> env{{"VESPER_BACKEND_TOKEN", kBackendToken}};
    {
        BackendProcess p({"--db", (dir / "b.db").string(), "--quiet"}, env);
        CHECK(p.pin().empty());
        CHECK_THAT(p.url(), Catch::StartsWith("http://"));
        HttpClient c{p.url()};
        c.token = kBackendToken;
        CHECK(c.put("/v1/devices/VSP-Q1", json_text(device_record("VSP-Q1")), "q-1").status == 201);
    }
    BackendProcess again({"--db", (dir / "b.db").string(), "--quiet"}, env);
    HttpClient c{again.url()};
    c.token = kBackendToken;
    CHECK(c.get("/v1/devices/VSP-Q1").status == 200);
    // Its idempotency keys live on too.
    const auto replay = c.put("/v1/devices/VSP-Q1", json_text(device_record("VSP-Q1")), "q-1");
    CHECK(replay.header("idempotent-replayed") == "true");
    CHECK(again.stop() == 0);

    // A dropped connection over plain HTTP (the socket is found by its ports, not through TLS).
    BackendProcess dropping({"--drop-rate", "1", "--quiet"}, env);
    HttpClient d{dropping.url()};
    d.token = kBackendToken;
    CHECK(d.get("/v1/devices/VSP-Q1").error == CURLE_GOT_NOTHING);
    CHECK(dropping.stop() == 0);
}

TEST_CASE("backend: start-up errors are one line and a documented exit code", "[integration][backend]") {
    TempDir dir;
    vesper::write_file_atomic(dir / "short", std::string("short\n"));
    struct Case {
        std::vector<std::string> args;
        std::map<std::string, std::string> env;
        int exit_code;
        const char* says;
    };
    const std::map<std::string, std::string> token{{"VESPER_BACKEND_TOKEN", kBackendToken}};
    for (const Case& c :
         {Case{{"--listen", "0.0.0.0:0"}, token, 2, "not a loopback address"},
          Case{{"--listen", "nonsense"}, token, 2, "HOST:PORT"}, Case{{}, {}, 2, "no bearer token"},
          Case{{"--token-file", (dir / "short").string()}, {}, 2, "16..512 characters"},
          Case{{"--token-file", (dir / "missing").string()}, {}, 3, "missing"},
          Case{{"--fail-rate", "1.5"}, token, 2, "fail-rate"}, Case{{"--outage", "5"}, token, 2, "START_S:DURATION_S"},
          Case{{"--client-ca", (dir / "ca.pem").string()}, token, 2, "needs HTTPS"},
          Case{{"--cert", (dir / "missing.pem").string(), "--key", (dir / "missing.key").string()},
               token,
               5,
               "missing.pem"}}) {
        std::vector<std::string> argv{VESPER_BACKEND_BIN};
        argv.insert(argv.end(), c.args.begin(), c.args.end());
        ProcessOptions opts;
        opts.env = c.env;
        opts.unset_env = {"VESPER_BACKEND_TOKEN"};
        opts.timeout_ms = 20000;
        if (!c.env.empty()) opts.unset_env.clear();
        const auto r = run_process(argv, opts);
        INFO(vesper::join(c.args, " ") << ": exit " << r.exit_code << ", stderr: " << r.err);
        CHECK(r.exit_code == c.exit_code);
        CHECK(r.out.empty());
        CHECK_THAT(r.err, Catch::StartsWith("vesper-backend: error: ") && Catch::Contains(c.says));
        CHECK(std::count(r.err.begin(), r.err.end(), '\n') == 1);
    }
}
