#include <catch2/catch.hpp>

#include <cstdlib>

#include "vesper/core/error.hpp"
#include "vesper/core/files.hpp"
#include "vesper/creds/mqtt.hpp"

using namespace vesper;

TEST_CASE("creds: MQTT password is HMAC-SHA256(secret, serial), 32 hex chars", "[creds]") {
    // RFC 4231 test case 2: HMAC-SHA256("Jefe", "what do ya want for nothing?") =
    // 5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843
    CHECK(creds::mqtt_password("Jefe", "what do ya want for nothing?") == "5bdcc146bf60754e6a042426089575c7");
    auto a = creds::mqtt_password("secret", "PV-26A18-BC02R-X7KQA");
    auto b = creds::mqtt_password("secret", "PV-26A18-BC02R-X7KQB");
    CHECK(a.size() == 32);
    CHECK(a != b);
    CHECK(a != creds::mqtt_password("other", "PV-26A18-BC02R-X7KQA"));
}

TEST_CASE("creds: the secret comes from a file or the environment, never echoed", "[creds]") {
    auto dir = fs::temp_directory_path() / ("vesper-creds-" + std::to_string(::getpid()));
    fs::create_directories(dir);
    write_file_atomic(dir / "secret", std::string_view("  s3cr3t-value\n"));
    CHECK(creds::load_secret(dir / "secret", "VESPER_TEST_SECRET_UNSET") == "s3cr3t-value");
    write_file_atomic(dir / "empty", std::string_view("\n"));
    CHECK_THROWS_WITH(creds::load_secret(dir / "empty", "X"), Catch::Contains("empty"));
    CHECK_THROWS_AS(creds::load_secret(dir / "missing", "X"), Error);

    ::unsetenv("VESPER_TEST_SECRET");
    try {
        creds::load_secret({}, "VESPER_TEST_SECRET");
        FAIL("expected an error");
    } catch (const Error& e) {
        CHECK(e.kind() == ErrorKind::input);
        CHECK_THAT(e.what(), Catch::Contains("VESPER_TEST_SECRET"));
    }
    ::setenv("VESPER_TEST_SECRET", "from-env", 1);
    CHECK(creds::load_secret({}, "VESPER_TEST_SECRET") == "from-env");
    ::unsetenv("VESPER_TEST_SECRET");
    fs::remove_all(dir);
}
