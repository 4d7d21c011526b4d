// CLI tests for serial, batch and creds: the real vesperctl binary, real files, a real SQLite ledger.
#include <catch2/catch.hpp>

#include <nlohmann/json.hpp>
#include <openssl/hmac.h>
#include <unistd.h>

#include <fstream>
#include <map>
#include <set>
#include <sstream>
#include <thread>

#include "ledger_support.hpp"
#include "run_process.hpp"
#include "vesper/core/bytes.hpp"
#include "vesper/core/files.hpp"

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

TEST_CASE("cli: serial gen reserves serials in the default ledger", "[cli]") {
    TempDir dir;
    auto r = vesperctl({"serial", "gen", "--type", "BC", "--rev", "02", "--count", "5", "--date", "2026-01-18"},
                       in_dir(dir));
    REQUIRE(r.exit_code == 0);
    auto serials = lines(r.out);
    REQUIRE(serials.size() == 5);
    for (const auto& s : serials)
        CHECK_THAT(s, Catch::StartsWith("PV-26A18-BC02R-"));
    CHECK(std::set<std::string>(serials.begin(), serials.end()).size() == 5);
    CHECK(std::filesystem::exists(vesper::test::default_ledger_in(dir.path())));

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
    // Checking never creates a ledger, and without one at the default place it checks the format only.
    CHECK_FALSE(std::filesystem::exists(dir / ".local"));
    CHECK(ok.err.empty());

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
    // No ledger at l.db at all: that, not the batch, is what is missing.
    CHECK(err["error"]["code"] == "ledger.not_found");
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

// --- the ledger file: where it is, what may be in it ------------------------------------------------

namespace {

// Every file under `dir` with its bytes: a refused file stays exactly as it was, nothing appears.
std::map<std::string, std::string> snapshot(const std::filesystem::path& dir) {
    std::map<std::string, std::string> out;
    for (const auto& e : std::filesystem::recursive_directory_iterator(dir))
        if (e.is_regular_file()) out[e.path().lexically_relative(dir).string()] = vesper::read_text_file(e.path());
    return out;
}

const std::string kTemplate = std::string(VESPER_SOURCE_DIR) + "/templates/vesper-device.csv";

// Every command that only reads the ledger, on `ledger`.
std::vector<std::vector<std::string>> reading_commands(const std::string& ledger) {
    const std::string sn = "PV-26A18-BC02R-X7KQA";
    return {{"--ledger", ledger, "batch", "list"},
            {"--ledger", ledger, "batch", "show", "1"},
            {"--ledger", ledger, "batch", "export", "1"},
            {"--ledger", ledger, "batch", "report", "1"},
            {"--ledger", ledger, "serial", "check", sn},
            {"--ledger", ledger, "nvs", "build", "--template", kTemplate, "--serial", sn, "-o", "x.bin", "--size",
             "0x6000"},
            {"--ledger", ledger, "nvs", "batch", "1", "--template", kTemplate, "--size", "0x6000", "--out", "imgs"}};
}

std::vector<std::string> writing_command(const std::string& ledger) {
    return {"--ledger", ledger, "batch", "create", "--type", "BC", "--rev", "02", "--qty", "2"};
}

std::string joined(const std::vector<std::string>& args) {
    std::string s;
    for (const auto& a : args)
        s += a + " ";
    return s;
}

} // namespace

TEST_CASE("cli: reading commands never create a ledger: a mistyped --ledger is exit 3 naming it", "[cli][ledger]") {
    TempDir dir;
    auto opts = in_dir(dir);
    opts.env["VESPER_MQTT_SECRET"] = "s";
    for (auto args : reading_commands("ledgr.db")) {
        INFO(joined(args));
        auto r = vesperctl(args, opts);
        CHECK(r.exit_code == 3);
        CHECK(r.err == "vesperctl: error: ledger ledgr.db does not exist\n");
        CHECK(r.out.empty());
        args.push_back("--json");
        auto j = vesperctl(args, opts);
        CHECK(j.exit_code == 3);
        CHECK(j.out.empty());
        CHECK(nlohmann::json::parse(j.err)["error"]["kind"] == "not_found");
    }
    CHECK(snapshot(dir.path()).empty());
    CHECK_FALSE(std::filesystem::exists(dir / "imgs"));
}

TEST_CASE("cli: a file that is not a vesperctl ledger is refused untouched", "[cli][ledger]") {
    TempDir dir;
    auto opts = in_dir(dir);
    opts.env["VESPER_MQTT_SECRET"] = "s";
    SECTION("another SQLite database") {
        vesper::test::exec_sql(dir / "app.db", "CREATE TABLE notes (id INTEGER PRIMARY KEY, body TEXT); "
                                               "INSERT INTO notes(body) VALUES ('keep me');");
    }
    SECTION("not SQLite at all") {
        std::ofstream(dir / "app.db") << "serial,mac\nPV-26A18-BC02R-AAAAA,24:0a:c4:00:00:01\n";
    }
    const auto before = snapshot(dir.path());
    auto all = reading_commands("app.db");
    all.push_back(writing_command("app.db"));
    all.push_back({"--ledger", "app.db", "serial", "gen", "--type", "BC", "--rev", "02"});
    for (const auto& args : all) {
        INFO(joined(args));
        auto r = vesperctl(args, opts);
        CHECK(r.exit_code == 2);
        CHECK(r.out.empty());
        CHECK_THAT(r.err, Catch::StartsWith("vesperctl: error: ledger ") && Catch::Contains("app.db: ") &&
                              Catch::Contains("not a vesperctl ledger"));
        CHECK(lines(r.err).size() == 1);
        CHECK(snapshot(dir.path()) == before); // byte for byte, and no -wal or -shm beside it
    }
}

TEST_CASE("cli: a damaged ledger says so in one line naming it", "[cli][ledger]") {
    TempDir dir;
    auto opts = in_dir(dir);
    REQUIRE(vesperctl(writing_command("l.db"), opts).exit_code == 0);
    {
        std::fstream f(dir / "l.db", std::ios::in | std::ios::out | std::ios::binary);
        f.seekp(100); // page 1, just after the file header: the schema
        const std::string junk(3000, '\x5a');
        f.write(junk.data(), static_cast<std::streamsize>(junk.size()));
    }
    for (const auto& args : {writing_command("l.db"), reading_commands("l.db").front()}) {
        INFO(joined(args));
        auto r = vesperctl(args, opts);
        CHECK(r.exit_code == 5);
        CHECK_THAT(r.err, Catch::StartsWith("vesperctl: error: ledger ") &&
                              Catch::Contains("l.db: the file is damaged (SQLite: ") &&
                              Catch::EndsWith("); restore the ledger from a backup\n"));
        CHECK(lines(r.err).size() == 1);
    }
}

TEST_CASE("cli: a ledger this user may not write says so in one line, reading it still works", "[cli][ledger]") {
    TempDir dir;
    auto opts = in_dir(dir);
    REQUIRE(vesperctl(writing_command("l.db"), opts).exit_code == 0);
    namespace fs = std::filesystem;
    fs::permissions(dir / "l.db", fs::perms::owner_read | fs::perms::group_read | fs::perms::others_read);
    fs::permissions(dir.path(), fs::perms::all); // the folder stays open: only the file is read-only
    // Root writes any file: as root, run vesperctl as nobody, whom the mode stops.
    auto as_other = [&](std::vector<std::string> args) {
        args.insert(args.begin(), VESPERCTL_BIN);
        if (::geteuid() == 0)
            args.insert(args.begin(), {"/usr/bin/setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", "--"});
        return vesper::test::run_process(args, opts);
    };
    const auto before = vesper::read_text_file(dir / "l.db");
    auto w = as_other(writing_command("l.db"));
    CHECK(w.exit_code == 5);
    CHECK(w.err == "vesperctl: error: ledger l.db: cannot write the ledger: the file or its folder is read-only here "
                   "(check its permissions)\n");
    auto r = as_other({"--ledger", "l.db", "batch", "list", "--json"});
    INFO(r.err);
    CHECK(r.exit_code == 0);
    CHECK(nlohmann::json::parse(r.out)["batches"].size() == 1);
    CHECK(vesper::read_text_file(dir / "l.db") == before);
}

TEST_CASE("cli: the default ledger is in the XDG data folder, whatever the current folder", "[cli][ledger]") {
    TempDir dir;
    auto opts = in_dir(dir);
    const auto ledger = vesper::test::default_ledger_in(dir.path());
    auto first = vesperctl({"serial", "gen", "--type", "BC", "--rev", "02", "--date", "2026-01-18"}, opts);
    REQUIRE(first.exit_code == 0);
    // A new ledger is announced, on stderr only, once.
    CHECK(first.err == "vesperctl: created a new ledger at " + ledger.string() + "\n");
    CHECK(std::filesystem::exists(ledger));
    CHECK_FALSE(std::filesystem::exists(dir / ".vesper"));

    // From another folder, the same ledger: the serial is known there, and a batch lands beside it.
    std::filesystem::create_directories(dir / "a" / "b");
    auto sub = opts;
    sub.cwd = dir / "a" / "b";
    auto check = vesperctl({"serial", "check", lines(first.out).at(0), "--json"}, sub);
    REQUIRE(check.exit_code == 0);
    CHECK(nlohmann::json::parse(check.out)["serials"][0]["in_ledger"] == true);
    auto batch = vesperctl({"--json", "batch", "create", "--type", "BC", "--rev", "02", "--qty", "1"}, sub);
    REQUIRE(batch.exit_code == 0);
    CHECK(batch.err.empty()); // not new
    CHECK(nlohmann::json::parse(batch.out)["batch"]["id"] == 1);
    CHECK(snapshot(dir / "a").empty());

    // XDG_DATA_HOME moves it; VESPER_HOME wins over that; --ledger over both.
    auto xdg = opts;
    xdg.env["XDG_DATA_HOME"] = (dir / "xdg").string();
    auto x = vesperctl({"--json", "batch", "create", "--type", "BC", "--rev", "02", "--qty", "1"}, xdg);
    REQUIRE(x.exit_code == 0);
    CHECK(nlohmann::json::parse(x.out)["batch"]["id"] == 1); // valid JSON on stdout, the note on stderr
    CHECK(x.err == "vesperctl: created a new ledger at " + (dir / "xdg" / "vesper" / "ledger.db").string() + "\n");
    auto home = xdg;
    home.env["VESPER_HOME"] = (dir / "vh").string();
    REQUIRE(vesperctl({"batch", "create", "--type", "BC", "--rev", "02", "--qty", "1"}, home).exit_code == 0);
    CHECK(std::filesystem::exists(dir / "vh" / "ledger.db"));
    auto listed = vesperctl({"batch", "list", "--json"}, home);
    REQUIRE(listed.exit_code == 0);
    CHECK(nlohmann::json::parse(listed.out)["batches"].size() == 1);

    // Reading where no ledger is yet: exit 3 naming the default place.
    TempDir empty;
    auto none = vesperctl({"batch", "list"}, in_dir(empty));
    CHECK(none.exit_code == 3);
    CHECK(none.err ==
          "vesperctl: error: ledger " + vesper::test::default_ledger_in(empty.path()).string() + " does not exist\n");
}

TEST_CASE("cli: serial check with a named ledger that is not there is exit 3", "[cli][ledger]") {
    TempDir dir;
    auto r = vesperctl({"--ledger", "nope.db", "serial", "check", "PV-26A18-BC02R-X7KQA"}, in_dir(dir));
    CHECK(r.exit_code == 3);
    CHECK_THAT(r.err, Catch::Contains("ledger nope.db does not exist"));
    CHECK(snapshot(dir.path()).empty());
}
