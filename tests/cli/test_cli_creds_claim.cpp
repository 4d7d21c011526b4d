// CLI tests for `vesperctl creds claim-code` and `creds check-claim`: the real binary, the claim secret
// from the environment or a file (never argv, never in any output), and check-claim's exit codes.
#include <catch2/catch.hpp>

#include <nlohmann/json.hpp>

#include <string>
#include <vector>

#include "json_error.hpp"
#include "run_process.hpp"
#include "vesper/core/files.hpp"
#include "vesper/creds/claim_code.hpp"

using vesper::test::json_error_object;
using vesper::test::ProcessOptions;
using vesper::test::ProcessResult;
using vesper::test::TempDir;
using vesper::test::vesperctl;

namespace {

const std::string kClaimSecret = "claim-secret-for-cli-tests-7f3a";
const std::string kSerial = "PV-26A18-BC02R-X7KQA";
const std::string kOther = "PV-26A18-BC02R-X7KQB";

ProcessOptions with_claim_secret(const TempDir& dir) {
    ProcessOptions o = vesper::test::isolated_in(dir.path());
    o.env["VESPER_CLAIM_SECRET"] = kClaimSecret;
    return o;
}

// The check character and the code's symbols stay; one data symbol is changed to another.
std::string with_typo(std::string code) {
    code[0] = code[0] == '7' ? '8' : '7';
    return code;
}

void check_secret_not_in(const ProcessResult& r) {
    CHECK(r.out.find(kClaimSecret) == std::string::npos);
    CHECK(r.err.find(kClaimSecret) == std::string::npos);
}

} // namespace

TEST_CASE("cli: creds claim-code reads the claim secret from env or file, never argv or output", "[cli][claim]") {
    TempDir dir;
    const std::string expected = vesper::creds::claim_code(kClaimSecret, kSerial);

    auto none = vesperctl({"--json", "creds", "claim-code", kSerial}, vesper::test::isolated_in(dir.path()));
    const auto e = json_error_object(none, "secret.missing");
    CHECK_THAT(e.at("message").get<std::string>(),
               Catch::Contains("VESPER_CLAIM_SECRET") && Catch::Contains("--claim-secret-file"));
    CHECK(none.out.empty());

    auto env = vesperctl({"creds", "claim-code", kSerial}, with_claim_secret(dir));
    REQUIRE(env.exit_code == 0);
    CHECK(env.out == expected + "\n");
    check_secret_not_in(env);

    vesper::write_file_atomic(dir / "claim.txt", kClaimSecret + "\n");
    auto file = vesperctl({"--json", "creds", "claim-code", kSerial, kOther, "--claim-secret-file", "claim.txt"},
                          vesper::test::isolated_in(dir.path()));
    REQUIRE(file.exit_code == 0);
    const auto doc = nlohmann::json::parse(file.out);
    REQUIRE(doc["claim_codes"].size() == 2);
    CHECK(doc["claim_codes"][0]["serial"] == kSerial);
    CHECK(doc["claim_codes"][0]["claim_code"] == expected);
    CHECK(doc["claim_codes"][1]["claim_code"] == vesper::creds::claim_code(kClaimSecret, kOther));
    check_secret_not_in(file);

    auto several = vesperctl({"creds", "claim-code", kSerial, kOther}, with_claim_secret(dir));
    REQUIRE(several.exit_code == 0);
    CHECK(several.out ==
          kSerial + " " + expected + "\n" + kOther + " " + vesper::creds::claim_code(kClaimSecret, kOther) + "\n");

    // No option takes the secret itself.
    auto argv = vesperctl({"creds", "claim-code", kSerial, "--claim-secret", kClaimSecret},
                          vesper::test::isolated_in(dir.path()));
    CHECK(argv.exit_code == 2);
    CHECK(argv.out.empty());

    auto bad = vesperctl({"--json", "creds", "claim-code", "PV-BAD"}, with_claim_secret(dir));
    CHECK_THAT(json_error_object(bad, "serial.invalid").at("message").get<std::string>(), Catch::Contains("PV-BAD"));
}

TEST_CASE("cli: creds claim-code refuses a claim secret under 16 bytes without printing it", "[cli][claim]") {
    TempDir dir;
    const std::string short_secret = "only-15-bytes!!";
    ProcessOptions o = vesper::test::isolated_in(dir.path());
    o.env["VESPER_CLAIM_SECRET"] = short_secret;
    auto r = vesperctl({"--json", "creds", "claim-code", kSerial}, o);
    const auto e = json_error_object(r, "secret.too_short");
    CHECK_THAT(e.at("message").get<std::string>(), Catch::Contains("15 bytes") && Catch::Contains("16"));
    CHECK(r.out.empty());
    CHECK(r.err.find(short_secret) == std::string::npos);

    vesper::write_file_atomic(dir / "short.txt", short_secret + "\n");
    auto f = vesperctl({"creds", "check-claim", vesper::creds::claim_code(short_secret, kSerial), "--serial", kSerial,
                        "--claim-secret-file", "short.txt"},
                       vesper::test::isolated_in(dir.path()));
    CHECK(f.exit_code == 2);
    CHECK_THAT(f.err, Catch::Contains("short.txt"));
    CHECK(f.err.find(short_secret) == std::string::npos);
}

TEST_CASE("cli: creds check-claim: 0 valid, 2 typo or malformed, 7 another device's code", "[cli][claim]") {
    TempDir dir;
    const auto opts = with_claim_secret(dir);
    const std::string code = vesper::creds::claim_code(kClaimSecret, kSerial);
    std::vector<ProcessResult> runs;

    // As typed by a person: lower case, no hyphens, O for 0 and l for 1 where the code has them.
    std::string typed;
    for (char c : code) {
        if (c == '-') continue;
        typed += c == '0' ? 'o' : c == '1' ? 'l' : static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    }
    auto valid = vesperctl({"--json", "creds", "check-claim", typed, "--serial", kSerial}, opts);
    REQUIRE(valid.exit_code == 0);
    const auto doc = nlohmann::json::parse(valid.out);
    CHECK(doc["valid"] == true);
    CHECK(doc["claim_code"] == code);
    runs.push_back(valid);

    auto text = vesperctl({"creds", "check-claim", code, "--serial", kSerial}, opts);
    CHECK(text.exit_code == 0);
    CHECK_THAT(text.out, Catch::Contains("valid") && Catch::Contains(kSerial));
    runs.push_back(text);

    auto typo = vesperctl({"--json", "creds", "check-claim", with_typo(code), "--serial", kSerial}, opts);
    CHECK_THAT(json_error_object(typo, "claim.typo").at("message").get<std::string>(),
               Catch::Contains("one character is wrong or two are swapped"));
    CHECK(typo.out.empty());
    runs.push_back(typo);

    std::string swapped = code;
    std::size_t at = 0;
    while (swapped[at] == swapped[at + 1] || swapped[at + 1] == '-')
        ++at;
    std::swap(swapped[at], swapped[at + 1]);
    auto swap = vesperctl({"--json", "creds", "check-claim", swapped, "--serial", kSerial}, opts);
    json_error_object(swap, "claim.typo");
    runs.push_back(swap);

    auto other = vesperctl({"--json", "creds", "check-claim", code, "--serial", kOther}, opts);
    const auto mismatch = json_error_object(other, "claim.mismatch");
    CHECK_THAT(mismatch.at("message").get<std::string>(), Catch::Contains(kOther));
    // Another device's code is never revealed.
    CHECK(other.err.find(vesper::creds::claim_code(kClaimSecret, kOther)) == std::string::npos);
    runs.push_back(other);

    auto malformed = vesperctl({"--json", "creds", "check-claim", "UUUU-1234", "--serial", kSerial}, opts);
    CHECK_THAT(json_error_object(malformed, "claim.malformed").at("message").get<std::string>(),
               Catch::Contains("'U' is not a claim code symbol"));
    runs.push_back(malformed);

    auto no_serial = vesperctl({"creds", "check-claim", code}, opts);
    CHECK(no_serial.exit_code == 2);
    runs.push_back(no_serial);

    for (const auto& r : runs)
        check_secret_not_in(r);
}
