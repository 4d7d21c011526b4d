// vesperctl register's client parts without a network: the classification table, Retry-After, the
// backoff's bounds, the factory config's backend: section, the bearer token's sources, and the
// ledger's sent records that --verify compares against.
#include <catch2/catch.hpp>

#include "temp_dir.hpp"

#include "unit_support.hpp"

#include <chrono>
#include <cstdlib>
#include <fstream>
#include <optional>
#include <string>

#include "ledger_support.hpp"
#include "vesper/backend/backoff.hpp"
#include "vesper/backend/classify.hpp"
#include "vesper/backend/retry_after.hpp"
#include "vesper/backend/settings.hpp"
#include "vesper/backend/verify.hpp"
#include "vesper/core/error.hpp"
#include "vesper/station/config.hpp"

using namespace vesper;
using namespace vesper::backend;
using test::error_from;

namespace {

class TokenEnv {
public:
    explicit TokenEnv(const char* value) {
        if (const char* old = std::getenv(kTokenEnv)) old_ = old;
        if (value)
            ::setenv(kTokenEnv, value, 1);
        else
            ::unsetenv(kTokenEnv);
    }
    ~TokenEnv() {
        if (old_)
            ::setenv(kTokenEnv, old_->c_str(), 1);
        else
            ::unsetenv(kTokenEnv);
    }

private:
    std::optional<std::string> old_;
};

const std::string kConfig = R"(version: 1
stations:
  a:
    ports: [socket://127.0.0.1:4000]
backend:
  url: https://backend.example:8443/api/
  token_file: secrets/token
  ca_file: ca.pem
  pinned_public_key: sha256//p+bDC7AHgzreCCfoLUpfKcEDopRLCeVpe6ph/YgBUzA=
  client_cert: station.pem
  client_key: station.key
  bulk_size: 250
  max_in_flight: 8
  connect_timeout_s: 2.5
  request_timeout_s: 10
  backoff_base_s: 0.25
  backoff_max_s: 60
)";

std::string backend_error(const std::string& backend_section) {
    const std::string yaml = "version: 1\nbackend:\n" + backend_section;
    const Error e = error_from([&] { station::parse_config(yaml, "f.yaml"); });
    CHECK(e.code() == ErrorCode::config_invalid);
    return e.what();
}

using Clock = std::chrono::system_clock;

Clock::time_point at_utc(int y, unsigned m, unsigned d, int h, int min, int s) {
    using namespace std::chrono;
    return Clock::time_point(sys_days(year_month_day{year(y), month(m), day(d)}).time_since_epoch() + hours(h) +
                             minutes(min) + seconds(s));
}

} // namespace

TEST_CASE("register: the classification table", "[backend][register]") {
    struct Row {
        Transport transport;
        long status;
        int records;
        Action action;
    };
    const Row rows[] = {
        {Transport::ok, 200, 1, Action::done},
        {Transport::ok, 201, 1, Action::done},
        {Transport::ok, 204, 5, Action::done},
        {Transport::ok, 401, 1, Action::auth},
        {Transport::ok, 403, 3, Action::auth},
        {Transport::ok, 408, 1, Action::retry},
        {Transport::ok, 425, 1, Action::retry},
        {Transport::ok, 429, 1, Action::retry},
        {Transport::ok, 500, 1, Action::retry},
        {Transport::ok, 502, 9, Action::retry},
        {Transport::ok, 503, 1, Action::retry},
        {Transport::ok, 599, 1, Action::retry},
        {Transport::ok, 413, 2, Action::split},
        {Transport::ok, 413, 1, Action::dead},
        {Transport::ok, 400, 1, Action::dead},
        {Transport::ok, 404, 1, Action::dead},
        {Transport::ok, 415, 4, Action::dead},
        {Transport::ok, 422, 1, Action::dead},
        {Transport::ok, 301, 1, Action::dead},
        {Transport::ok, 100, 1, Action::dead},
        {Transport::timeout, 0, 1, Action::retry},
        {Transport::connection, 0, 7, Action::retry},
        {Transport::other, 0, 1, Action::retry},
        {Transport::tls_verify, 0, 1, Action::stop_tls},
        {Transport::tls_verify, 200, 1, Action::stop_tls},
    };
    for (const Row& r : rows) {
        INFO("status " << r.status << " records " << r.records);
        CHECK(to_string(classify(r.transport, r.status, r.records)) == to_string(r.action));
    }
}

TEST_CASE("register: Retry-After in seconds and as an HTTP-date, clamped, garbage refused", "[backend][register]") {
    const auto now = at_utc(2026, 12, 4, 12, 0, 0);
    CHECK(retry_after_seconds("7", now, 300) == 7.0);
    CHECK(retry_after_seconds(" 0 ", now, 300) == 0.0);
    CHECK(retry_after_seconds("86400", now, 300) == 300.0);                // clamped to the most we wait
    CHECK(retry_after_seconds("99999999999999999999", now, 300) == 300.0); // too long for any integer
    // HTTP-dates: in the future, in the past (libcurl 7.88 says negative; here 0), each of the three forms.
    CHECK(retry_after_seconds("Fri, 04 Dec 2026 12:00:30 GMT", now, 300) == 30.0);
    CHECK(retry_after_seconds("Fri, 04 Dec 2026 11:00:00 GMT", now, 300) == 0.0);
    CHECK(retry_after_seconds("Friday, 04-Dec-26 12:01:00 GMT", now, 300) == 60.0);
    CHECK(retry_after_seconds("Fri Dec  4 12:00:05 2026", now, 300) == 5.0);
    CHECK(retry_after_seconds("Sat, 05 Dec 2026 12:00:00 GMT", now, 300) == 300.0);
    for (const char* bad : {"", "soon", "-5", "1.5", "+3", "0x10", "Fri, 32 Dec 2026 12:00:00 GMT",
                            "Fri, 04 Foo 2026 12:00:00 GMT", "Fri, 04 Dec 2026 25:00:00 GMT", "Fri, 04 Dec 2026"}) {
        INFO(bad);
        CHECK_FALSE(retry_after_seconds(bad, now, 300).has_value());
    }
    CHECK(parse_http_date("Sun, 06 Nov 1994 08:49:37 GMT") == at_utc(1994, 11, 6, 8, 49, 37));
    CHECK(parse_http_date("Sunday, 06-Nov-94 08:49:37 GMT") == at_utc(1994, 11, 6, 8, 49, 37));
    CHECK(parse_http_date("Sun Nov  6 08:49:37 1994") == at_utc(1994, 11, 6, 8, 49, 37));
}

TEST_CASE("register: full-jitter backoff stays within its bounds, Retry-After wins", "[backend][register]") {
    CHECK(backoff_delay(0, 0.5, 300, 1.0) == 0.5);
    CHECK(backoff_delay(3, 0.5, 300, 1.0) == 4.0);
    CHECK(backoff_delay(3, 0.5, 300, 0.5) == 2.0);
    CHECK(backoff_delay(20, 0.5, 300, 1.0) == 300.0); // capped
    CHECK(backoff_delay(1000, 0.5, 300, 0.999) <= 300.0);
    CHECK(backoff_delay(5, 0.5, 300, 0.0) == 0.0);
    for (int attempts = 0; attempts < 70; ++attempts)
        for (double unit : {0.0, 0.25, 0.75, 0.9999}) {
            const double d = backoff_delay(attempts, 0.01, 0.2, unit);
            CHECK(d >= 0.0);
            CHECK(d <= 0.2);
        }
    CHECK(retry_delay(0, 0.5, 300, 12.0, 0.5) == 12.0);
    CHECK(retry_delay(0, 0.5, 10, 12.0, 0.5) == 10.0);
    CHECK(retry_delay(0, 0.5, 10, 0.0, 0.5) == 0.001); // never due in the instant it failed
    CHECK(retry_delay(2, 0.5, 10, std::nullopt, 0.0) == 0.001);
    CHECK(retry_delay(2, 0.5, 10, std::nullopt, 1.0) == 2.0);
}

TEST_CASE("register: the config's backend section, read field by field", "[backend][register][config]") {
    const auto c = station::parse_config(kConfig, "/etc/vesper/factory.yaml");
    REQUIRE(c.backend);
    const BackendSettings& b = *c.backend;
    CHECK(b.url == "https://backend.example:8443/api"); // the trailing slash goes: paths start with one
    CHECK(b.token_file == "/etc/vesper/secrets/token");
    CHECK(b.ca_file == "/etc/vesper/ca.pem");
    CHECK(b.pinned_public_key == "sha256//p+bDC7AHgzreCCfoLUpfKcEDopRLCeVpe6ph/YgBUzA=");
    CHECK(b.client_cert == "/etc/vesper/station.pem");
    CHECK(b.client_key == "/etc/vesper/station.key");
    CHECK(b.bulk_size == 250);
    CHECK(b.max_in_flight == 8);
    CHECK(b.connect_timeout_s == 2.5);
    CHECK(b.request_timeout_s == 10);
    CHECK(b.backoff_base_s == 0.25);
    CHECK(b.backoff_max_s == 60);
    CHECK_FALSE(b.insecure_skip_verify);
    CHECK_FALSE(b.allow_plain_http);
    CHECK(b.line == 5);
    // Without the section there is none; the defaults are the documented ones.
    CHECK_FALSE(station::parse_config("version: 1\n", "f.yaml").backend);
    const auto d = *station::parse_config("version: 1\nbackend: {url: 'https://b'}\n", "f.yaml").backend;
    CHECK(d.bulk_size == 100);
    CHECK(d.max_in_flight == 4);
    CHECK(d.connect_timeout_s == 5);
    CHECK(d.request_timeout_s == 30);
    CHECK(d.backoff_base_s == 0.5);
    CHECK(d.backoff_max_s == 300);
    CHECK(d.ca_file.empty());
    const auto plain = *station::parse_config("version: 1\nbackend:\n  url: http://127.0.0.1:8080\n  "
                                              "allow_plain_http: true\n  insecure_skip_verify: true\n",
                                              "f.yaml")
                            .backend;
    CHECK(plain.allow_plain_http);
    CHECK(plain.insecure_skip_verify);
}

TEST_CASE("register: every bad backend value names the file, line and field", "[backend][register][config]") {
    CHECK(backend_error("  token_file: t\n") == "f.yaml:2: backend.url: missing: the backend's base URL "
                                                "(https://host[:port][/base])");
    CHECK(backend_error("  url: ftp://b\n") == "f.yaml:3: backend.url: 'ftp://b': expected https://host[:port][/base]");
    CHECK_THAT(backend_error("  url: http://b\n"),
               Catch::StartsWith("f.yaml:3: backend.url: 'http://b': plain http sends the token in clear"));
    CHECK_THAT(backend_error("  url: https://user:pw@b\n"), Catch::StartsWith("f.yaml:3: backend.url: "));
    CHECK_THAT(backend_error("  url: https://b/x?y=1\n"), Catch::Contains("no user, query or fragment"));
    CHECK_THAT(backend_error("  url: https://\n"), Catch::StartsWith("f.yaml:3: backend.url: "));
    CHECK_THAT(backend_error("  url: https://b\n  bulk_size: 0\n"), Catch::StartsWith("f.yaml:4: backend.bulk_size: "));
    CHECK_THAT(backend_error("  url: https://b\n  bulk_size: 1001\n"),
               Catch::StartsWith("f.yaml:4: backend.bulk_size: "));
    CHECK_THAT(backend_error("  url: https://b\n  max_in_flight: 65\n"),
               Catch::StartsWith("f.yaml:4: backend.max_in_flight: "));
    CHECK_THAT(backend_error("  url: https://b\n  connect_timeout_s: 0\n"),
               Catch::StartsWith("f.yaml:4: backend.connect_timeout_s: "));
    CHECK_THAT(backend_error("  url: https://b\n  request_timeout_s: soon\n"),
               Catch::StartsWith("f.yaml:4: backend.request_timeout_s: "));
    CHECK_THAT(backend_error("  url: https://b\n  backoff_base_s: 2\n  backoff_max_s: 1\n"),
               Catch::StartsWith("f.yaml:2: backend.backoff_max_s: smaller than backend.backoff_base_s"));
    CHECK_THAT(backend_error("  url: https://b\n  insecure_skip_verify: maybe\n"),
               Catch::StartsWith("f.yaml:4: backend.insecure_skip_verify: "));
    CHECK(backend_error("  url: https://b\n  client_cert: c.pem\n") ==
          "f.yaml:2: backend.client_key: missing: mTLS needs both client_cert and client_key");
    CHECK(backend_error("  url: https://b\n  client_key: c.key\n") ==
          "f.yaml:2: backend.client_cert: missing: mTLS needs both client_cert and client_key");
    CHECK_THAT(backend_error("  url: https://b\n  pinned_public_key: md5//abc\n"),
               Catch::StartsWith("f.yaml:4: backend.pinned_public_key: 'md5//abc' does not start with sha256//"));
    CHECK_THAT(backend_error("  url: https://b\n  pinned_public_key: sha256//short=\n"),
               Catch::Contains("is not the base64 of a SHA-256"));
    CHECK_THAT(backend_error("  url: https://b\n  token: abc\n"),
               Catch::StartsWith("f.yaml:4: backend.token: unknown key"));
    CHECK_THAT(backend_error("  - url\n"), Catch::StartsWith("f.yaml:3: backend: "));
    // Two pins joined by ';' are one valid value.
    CHECK(valid_pinned_public_key("sha256//p+bDC7AHgzreCCfoLUpfKcEDopRLCeVpe6ph/YgBUzA=;"
                                  "sha256//AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA="));
    CHECK_FALSE(valid_pinned_public_key("sha256//p+bDC7AHgzreCCfoLUpfKcEDopRLCeVpe6ph/YgBUzA=;"));
}

TEST_CASE("register: the token from --token-file, the environment or the config's file, never in a message",
          "[backend][register]") {
    test::TempDir dir;
    const std::string secret = "tok-9d1b2c3e4f5a6b7c8d9e";
    const auto write = [&](const std::string& name, const std::string& text) {
        std::ofstream(dir / name) << text;
        return dir / name;
    };
    BackendSettings s;
    s.token_file = write("config-token", "config-" + secret + "\n");
    {
        TokenEnv env(("env-" + secret).c_str());
        CHECK(load_token(s) == "env-" + secret);
        CHECK(load_token(s, write("flag-token", "  flag-" + secret + "\r\n")) == "flag-" + secret);
    }
    {
        TokenEnv env(nullptr);
        CHECK(load_token(s) == "config-" + secret); // trailing newline stripped
        s.token_file.clear();
        const Error missing = error_from([&] { load_token(s); });
        CHECK(missing.code() == ErrorCode::secret_missing);
        CHECK_THAT(std::string(missing.what()), Catch::Contains("VESPER_BACKEND_TOKEN") &&
                                                    Catch::Contains("--token-file") &&
                                                    Catch::Contains("backend.token_file"));
        const Error empty = error_from([&] { load_token(s, write("empty", "\n\n")); });
        CHECK(empty.code() == ErrorCode::secret_missing);
        const Error bad = error_from([&] { load_token(s, write("bad", secret + " x\n")); });
        CHECK(bad.code() == ErrorCode::input_invalid);
        CHECK_THAT(std::string(bad.what()), !Catch::Contains(secret));
        const Error gone = error_from([&] { load_token(s, dir / "no-such-file"); });
        CHECK(gone.kind() == ErrorKind::not_found);
    }
    {
        TokenEnv env("has space");
        const Error bad = error_from([&] { load_token(s); });
        CHECK_THAT(std::string(bad.what()), Catch::Contains("$VESPER_BACKEND_TOKEN") && !Catch::Contains("has space"));
    }
}

TEST_CASE("register: the ledger's newest sent record per device, and the hash --verify compares",
          "[backend][register][ledger]") {
    test::TempLedger t;
    auto l = t.open();
    const auto b = l.create_batch(test::batch_spec(2));
    for (const auto& d : l.devices_of_batch(b.id)) {
        l.set_status(d.serial, ledger::DeviceStatus::flashed);
        l.set_status(d.serial, ledger::DeviceStatus::tested);
    }
    CHECK(l.sent_outbox(b.id).empty());
    const auto first = l.due_outbox(b.id, "2099-01-01T00:00:00.000Z", 10);
    REQUIRE(first.size() == 2);
    // Confirmed: the device is registered, and its registered record is queued.
    REQUIRE(l.outbox_confirmed({first[0].id, std::string(64, 'a')}));
    const auto second = l.due_outbox(b.id, "2099-01-01T00:00:00.000Z", 10);
    const auto newer =
        std::find_if(second.begin(), second.end(), [&](const auto& e) { return e.serial == first[0].serial; });
    REQUIRE(newer != second.end());
    REQUIRE(l.outbox_confirmed({newer->id, std::string(64, 'b')}));
    const auto sent = l.sent_outbox(b.id);
    REQUIRE(sent.size() == 1);
    CHECK(sent[0].id == newer->id);
    CHECK(sent[0].record_sha256 == std::string(64, 'b'));
    CHECK(l.sent_outbox(b.id + 1).empty());
    CHECK(l.sent_outbox(std::nullopt).size() == 1);
    // The hash of the canonical text: key order and whitespace do not change it.
    CHECK(record_sha256(R"({"b":1,"a":"x"})") == record_sha256(R"({ "a" : "x", "b" : 1 })"));
    CHECK(record_sha256("{}") == "44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a");
}
