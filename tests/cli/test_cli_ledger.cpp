// CLI tests for serial, batch and creds: the real vesperctl binary, real files, a real SQLite ledger.
#include <catch2/catch.hpp>

#include <nlohmann/json.hpp>
#include <openssl/hmac.h>

#include <fstream>
#include <set>
#include <sstream>
#include <thread>

#include "run_process.hpp"
#include "vesper/core/bytes.hpp"

using vesper::test::ProcessOptions;
using vesper::test::TempDir;
using vesper::test::vesperctl;

namespace {

std::vector<std::string> lines(const std::string& text) {
    std::vector<std::string> out;
    std::istringstream in(text);
    for (std::string l; std::getline(in, l);)
        if (!l.empty()) out.push_back(l);
    return out;
}

ProcessOptions in_dir(const TempDir& dir) { return vesper::test::isolated_in(dir.path()); }

} // namespace

TEST_CASE("cli: --version and --help on every subcommand", "[cli]") {
    auto v = vesperctl({"--version"});
    CHECK(v.exit_code == 0);
    CHECK_THAT(v.out, Catch::StartsWith("vesperctl "));
    for (std::vector<std::string> cmd : {std::vector<std::string>{"--help"},
                                         {"serial", "--help"},
                                         {"serial", "gen", "--help"},
                                         {"serial", "check", "--help"},
                                         {"batch", "--help"},
                                         {"batch", "create", "--help"},
                                         {"batch", "list", "--help"},
                                         {"batch", "show", "--help"},
                                         {"batch", "export", "--help"},
                                         {"creds", "mqtt-password", "--help"},
                                         {"nvs", "--help"},
                                         {"part", "--help"}}) {
        auto r = vesperctl(cmd);
        INFO(cmd[0]);
        CHECK(r.exit_code == 0);
        CHECK_THAT(r.out, Catch::Contains("Usage") || Catch::Contains("usage"));
    }
    auto bad = vesperctl({"no-such-command"});
    CHECK(bad.exit_code == 2);
    auto none = vesperctl({});
    CHECK(none.exit_code == 2);
}

TEST_CASE("cli: serial gen reserves serials in the default ledger under ./.vesper", "[cli]") {
    TempDir dir;
    auto r = vesperctl({"serial", "gen", "--type", "BC", "--rev", "02", "--count", "5", "--date", "2026-01-18"},
                       in_dir(dir));
    REQUIRE(r.exit_code == 0);
    auto serials = lines(r.out);
    REQUIRE(serials.size() == 5);
    for (const auto& s : serials)
        CHECK_THAT(s, Catch::StartsWith("PV-26A18-BC02R-"));
    CHECK(std::set<std::string>(serials.begin(), serials.end()).size() == 5);
    CHECK(std::filesystem::exists(dir / ".vesper/ledger.db"));

    // --json gives each serial with its fields; "bc" and "2" are normalised.
    auto j = vesperctl({"serial", "gen", "--type", "bc", "--rev", "2", "--date", "2026-12-31", "--json"}, in_dir(dir));
    REQUIRE(j.exit_code == 0);
    auto doc = nlohmann::json::parse(j.out);
    REQUIRE(doc["serials"].size() == 1);
    CHECK(doc["serials"][0]["prefix"] == "PV-26L31-BC02R");
    CHECK(doc["serials"][0]["date"] == "2026-12-31");
    CHECK(doc["serials"][0]["board_type"] == "BC");
    CHECK(doc["serials"][0]["revision"] == "02");

    // Check says they were issued here.
    auto c = vesperctl({"serial", "check", serials[0]}, in_dir(dir));
    CHECK(c.exit_code == 0);
    CHECK_THAT(c.out, Catch::Contains("valid") && Catch::Contains("2026-01-18") && Catch::Contains("board type BC") &&
                          Catch::Contains("reserved"));
}

TEST_CASE("cli: serial gen rejects bad input with exit 2 and a message naming the field", "[cli]") {
    TempDir dir;
    struct Case {
        std::vector<std::string> args;
        const char* says;
    };
    Case cases[] = {
        {{"serial", "gen", "--type", "B1", "--rev", "02"}, "board type"},
        {{"serial", "gen", "--type", "BC", "--rev", "123"}, "revision"},
        {{"serial", "gen", "--type", "BC", "--rev", "02", "--date", "2026-02-30"}, "day 30"},
        {{"serial", "gen", "--type", "BC", "--rev", "02", "--count", "0"}, "count 0"},
        {{"serial", "gen", "--rev", "02"}, "--type"},
    };
    for (const auto& c : cases) {
        auto r = vesperctl(c.args, in_dir(dir));
        INFO(c.says);
        CHECK(r.exit_code == 2);
        CHECK_THAT(r.err, Catch::Contains(c.says));
        CHECK(r.out.empty());
    }
}

TEST_CASE("cli: serial check explains valid serials and names the invalid ones", "[cli]") {
    TempDir dir;
    auto ok = vesperctl({"serial", "check", "PV-26A18-BC02R-X7KQA"}, in_dir(dir));
    CHECK(ok.exit_code == 0);
    CHECK_THAT(ok.out, Catch::Contains("2026-01-18") && Catch::Contains("revision 02"));
    CHECK_FALSE(std::filesystem::exists(dir / ".vesper")); // checking never creates a ledger

    auto bad = vesperctl({"serial", "check", "PV-26A18-BC02R-X7KQA", "PV-26M18-BC02R-X7KQA", "--json"}, in_dir(dir));
    CHECK(bad.exit_code == 2);
    auto doc = nlohmann::json::parse(bad.out);
    CHECK(doc["serials"][0]["valid"] == true);
    CHECK(doc["serials"][1]["valid"] == false);
    CHECK_THAT(doc["serials"][1]["error"].get<std::string>(), Catch::Contains("month letter"));
    CHECK_THAT(bad.err, Catch::Contains("PV-26M18-BC02R-X7KQA"));
}

TEST_CASE("cli: concurrent processes never issue the same serial", "[cli][concurrency]") {
    TempDir dir;
    auto opts = in_dir(dir);
    const int procs = 4, per_proc = 250;
    std::vector<vesper::test::ProcessResult> results(procs + 2);
    std::vector<std::thread> threads;
    for (int i = 0; i < procs; ++i)
        threads.emplace_back([&, i] {
            results[i] = vesperctl({"--ledger", "shared.db", "serial", "gen", "--type", "BC", "--rev", "02", "--count",
                                    std::to_string(per_proc), "--date", "2026-01-18"},
                                   opts);
        });
    // Batches drawing from the same prefix at the same time.
    for (int i = procs; i < procs + 2; ++i)
        threads.emplace_back([&, i] {
            results[i] = vesperctl({"--ledger", "shared.db", "batch", "create", "--type", "BC", "--rev", "02", "--qty",
                                    "100", "--date", "2026-01-18", "--json"},
                                   opts);
        });
    for (auto& t : threads)
        t.join();
    std::set<std::string> all;
    std::size_t total = 0;
    for (int i = 0; i < procs; ++i) {
        INFO(results[i].err);
        REQUIRE(results[i].exit_code == 0);
        for (const auto& s : lines(results[i].out)) {
            all.insert(s);
            ++total;
        }
    }
    for (int i = procs; i < procs + 2; ++i) {
        INFO(results[i].err);
        REQUIRE(results[i].exit_code == 0);
        auto doc = nlohmann::json::parse(results[i].out);
        for (const auto& s : doc["serials"]) {
            all.insert(s.get<std::string>());
            ++total;
        }
    }
    CHECK(total == procs * per_proc + 200);
    CHECK(all.size() == total);
    auto list = vesperctl({"--ledger", "shared.db", "batch", "list", "--json"}, opts);
    REQUIRE(list.exit_code == 0);
    CHECK(nlohmann::json::parse(list.out)["batches"].size() == 2);
}

TEST_CASE("cli: batch create, list, show and export", "[cli]") {
    TempDir dir;
    auto opts = in_dir(dir);
    auto c = vesperctl({"--ledger", "l.db", "batch", "create", "--type", "BC", "--rev", "02", "--qty", "4", "--plan",
                        "pro", "--outputs", "6", "--date", "2026-01-18"},
                       opts);
    REQUIRE(c.exit_code == 0);
    auto out = lines(c.out);
    REQUIRE(out.size() == 5);
    CHECK_THAT(out[0], Catch::Contains("batch 1") && Catch::Contains("4 x BC rev 02") && Catch::Contains("pro"));

    auto list = vesperctl({"--ledger", "l.db", "batch", "list"}, opts);
    CHECK(list.exit_code == 0);
    CHECK_THAT(list.out, Catch::Contains("MANUF") && Catch::Contains("pro"));

    auto show = vesperctl({"--ledger", "l.db", "batch", "show", "1", "--json"}, opts);
    REQUIRE(show.exit_code == 0);
    auto doc = nlohmann::json::parse(show.out);
    CHECK(doc["batch"]["quantity"] == 4);
    CHECK(doc["status_counts"]["manufactured"] == 4);
    CHECK(doc["devices"].size() == 4);
    CHECK(doc["batch"]["operator"] == "cli-test");

    auto exp = vesperctl({"--ledger", "l.db", "batch", "export", "1", "--format", "json"}, opts);
    REQUIRE(exp.exit_code == 0);
    auto recs = nlohmann::json::parse(exp.out);
    REQUIRE(recs.size() == 4);
    for (const char* field : {"serial_number", "hw_type", "hw_version", "status", "subscription_plan",
                              "available_outputs", "created_at", "owner", "users_list", "mac"})
        CHECK(recs[0].contains(field));
    CHECK(recs[0]["subscription_plan"] == "pro");
    CHECK(recs[0]["available_outputs"] == 6);
    CHECK(recs[0]["owner"].is_null());
    CHECK(recs[0]["mac"].is_null());

    auto csv = vesperctl({"--ledger", "l.db", "batch", "export", "1", "--format", "csv", "-o", "out/b1.csv"}, opts);
    CHECK(csv.exit_code == 5); // the folder does not exist: I/O error naming the file, nothing written
    CHECK_THAT(csv.err, Catch::Contains("b1.csv"));
    std::filesystem::create_directories(dir / "out");
    csv = vesperctl({"--ledger", "l.db", "batch", "export", "1", "--format", "csv", "-o", "out/b1.csv"}, opts);
    REQUIRE(csv.exit_code == 0);
    std::ifstream f(dir / "out/b1.csv");
    std::string header;
    std::getline(f, header);
    CHECK_THAT(header, Catch::StartsWith("serial_number,hw_type,hw_version,status,subscription_plan"));
    int rows = 0;
    for (std::string l; std::getline(f, l);) {
        CHECK_THAT(l, Catch::StartsWith("PV-26A18-BC02R-"));
        ++rows;
    }
    CHECK(rows == 4);

    auto missing = vesperctl({"--ledger", "l.db", "batch", "show", "42"}, opts);
    CHECK(missing.exit_code == 3);
    CHECK_THAT(missing.err, Catch::Contains("batch 42"));
    auto badfmt = vesperctl({"--ledger", "l.db", "batch", "export", "1", "--format", "xml"}, opts);
    CHECK(badfmt.exit_code == 2);
    auto badqty =
        vesperctl({"--ledger", "l.db", "batch", "create", "--type", "BC", "--rev", "02", "--qty", "-3"}, opts);
    CHECK(badqty.exit_code == 2);
    CHECK_THAT(badqty.err, Catch::Contains("quantity"));
}

TEST_CASE("cli: errors are one JSON line on stderr with --json", "[cli]") {
    TempDir dir;
    auto r = vesperctl({"--ledger", "l.db", "batch", "show", "7", "--json"}, in_dir(dir));
    CHECK(r.exit_code == 3);
    CHECK(r.out.empty());
    auto err = nlohmann::json::parse(r.err);
    CHECK(err["error"]["kind"] == "not_found");
    CHECK(err["error"]["exit_code"] == 3);
}

TEST_CASE("cli: creds mqtt-password reads the secret from env or file, never argv", "[cli]") {
    TempDir dir;
    auto opts = in_dir(dir);
    const std::string sn = "PV-26A18-BC02R-X7KQA";
    const std::string secret = "factory-master-secret";
    unsigned char mac[32];
    unsigned int len = 0;
    HMAC(EVP_sha256(), secret.data(), static_cast<int>(secret.size()),
         reinterpret_cast<const unsigned char*>(sn.data()), sn.size(), mac, &len);
    std::string expected = vesper::to_hex({mac, len}).substr(0, 32);

    auto none = vesperctl({"creds", "mqtt-password", sn}, opts);
    CHECK(none.exit_code == 2);
    CHECK_THAT(none.err, Catch::Contains("VESPER_MQTT_SECRET"));

    auto env = opts;
    env.env["VESPER_MQTT_SECRET"] = secret;
    auto r = vesperctl({"creds", "mqtt-password", sn}, env);
    REQUIRE(r.exit_code == 0);
    CHECK(r.out == expected + "\n");
    CHECK(r.err.find(secret) == std::string::npos);

    { std::ofstream(dir / "secret.txt") << secret << "\n"; }
    auto f = vesperctl({"creds", "mqtt-password", sn, "--secret-file", "secret.txt", "--json"}, opts);
    REQUIRE(f.exit_code == 0);
    CHECK(nlohmann::json::parse(f.out)["credentials"][0]["mqtt_password"] == expected);
    CHECK(f.out.find(secret) == std::string::npos);

    // There is no way to pass the secret itself on the command line.
    auto argv = vesperctl({"creds", "mqtt-password", sn, "--secret", secret}, opts);
    CHECK(argv.exit_code == 2);
    auto bad = vesperctl({"creds", "mqtt-password", "PV-BAD"}, env);
    CHECK(bad.exit_code == 2);
    CHECK_THAT(bad.err, Catch::Contains("PV-BAD"));
}
