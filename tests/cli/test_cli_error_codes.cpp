// Stable error codes as the built vesperctl reports them: under --json the error object names the
// specific code of each failure (docs/cli.md, "Error codes"), with its kind, exit code and a hint;
// without --json the one error line is what it always was.
#include <catch2/catch.hpp>

#include <nlohmann/json.hpp>

#include <algorithm>
#include <filesystem>
#include <string>
#include <vector>

#include "json_error.hpp"
#include "run_process.hpp"
#include "vesper/core/error.hpp"
#include "vesper/core/files.hpp"

using vesper::test::ProcessOptions;
using vesper::test::ProcessResult;
using vesper::test::TempDir;
using vesper::test::vesperctl;
namespace fs = std::filesystem;

namespace {

ProcessOptions in_dir(const TempDir& dir) { return vesper::test::isolated_in(dir.path()); }

// The error object of a --json run that failed, checked against the code's row: exit code and kind as
// the table says, a message, a hint. Returns the object.
nlohmann::json error_of(const ProcessResult& r, const std::string& code) {
    const nlohmann::json e = vesper::test::json_error_object(r, code);
    CHECK_FALSE(e.contains("rom_status"));
    return e;
}

// A ledger with one batch (id 1) of `qty` devices.
void ledger_with_batch(const TempDir& dir, const fs::path& db, int qty) {
    auto r = vesperctl(
        {"--ledger", db.string(), "batch", "create", "--type", "BC", "--rev", "02", "--qty", std::to_string(qty)},
        in_dir(dir));
    INFO(r.err);
    REQUIRE(r.exit_code == 0);
}

} // namespace

TEST_CASE("error codes: ledger failures carry their own codes", "[cli][error_codes]") {
    TempDir dir;
    const auto opts = in_dir(dir);
    const fs::path db = dir / "l.db";
    ledger_with_batch(dir, db, 2);

    const auto batch =
        error_of(vesperctl({"--json", "--ledger", db.string(), "batch", "show", "42"}, opts), "ledger.batch_not_found");
    CHECK(batch.at("message") == "batch 42 not found in ledger " + db.string());
    CHECK(batch.at("hint") == std::string(vesper::info(vesper::ErrorCode::ledger_batch_not_found).help));
    error_of(vesperctl({"--json", "--ledger", db.string(), "batch", "report", "42"}, opts), "ledger.batch_not_found");

    error_of(vesperctl({"--json", "--ledger", (dir / "typo.db").string(), "batch", "list"}, opts), "ledger.not_found");

    vesper::write_file_atomic(dir / "notes.db", std::string_view("not a database at all, just some text\n"));
    error_of(vesperctl({"--json", "--ledger", (dir / "notes.db").string(), "batch", "list"}, opts),
             "ledger.not_a_ledger");

    // nvs build --template fills from a device of the ledger.
    vesper::write_file_atomic(dir / "t.csv", std::string_view("key,type,encoding,value\nid,namespace,,\n"
                                                              "sn,data,string,{{serial}}\n"));
    error_of(vesperctl({"--json", "--ledger", db.string(), "nvs", "build", "--template", (dir / "t.csv").string(),
                        "--serial", "PV-26A18-BC02R-X7KQA", "-o", (dir / "n.bin").string(), "--size", "0x3000"},
                       opts),
             "ledger.device_not_found");
    CHECK_FALSE(fs::exists(dir / "n.bin"));
}

TEST_CASE("error codes: serials, secrets and the command line", "[cli][error_codes]") {
    TempDir dir;
    const auto opts = in_dir(dir);
    error_of(vesperctl({"--json", "creds", "mqtt-password", "PV-NOT-A-SERIAL"}, opts), "serial.invalid");
    error_of(vesperctl({"--json", "serial", "check", "PV-26A18-BC02R-X7KQA", "PV-26Z18-BC02R-X7KQA"}, opts),
             "serial.invalid");
    // A well-formed serial, but no secret in the environment or a file.
    error_of(vesperctl({"--json", "creds", "mqtt-password", "PV-26A18-BC02R-X7KQA"}, opts), "secret.missing");

    // CLI11's own errors, and ours about options that do not go together.
    const auto usage = error_of(vesperctl({"--json", "frobnicate"}, opts), "cli.usage");
    CHECK(usage.at("hint") == "the command line is not valid; see --help");
    error_of(vesperctl({"batch", "show", "--json"}, opts), "cli.usage");
    error_of(vesperctl({"--json", "flash", "--port", "socket://127.0.0.1:9", "--batch", "1", "0x1000", "a.bin"}, opts),
             "cli.usage");
}

TEST_CASE("error codes: files, CSV, NVS sizes, chips and images", "[cli][error_codes]") {
    TempDir dir;
    const auto opts = in_dir(dir);
    error_of(vesperctl({"--json", "image", "info", (dir / "nope.bin").string()}, opts), "file.not_found");
    error_of(vesperctl({"--json", "image", "info", dir.path().string()}, opts), "file.is_folder");
    error_of(vesperctl({"--json", "image", "synth", "--chip", "esp99", "-o", (dir / "x.bin").string()}, opts),
             "chip.unknown");

    vesper::write_file_atomic(dir / "bad.csv", std::string_view("key,type,encoding,value\nns,namespace,,\n"
                                                                "k,data,u8,300\n"));
    error_of(vesperctl({"--json", "nvs", "build", (dir / "bad.csv").string(), "-o", (dir / "o.bin").string(), "--size",
                        "0x3000"},
                       opts),
             "csv.invalid");
    error_of(vesperctl({"--json", "nvs", "build", (dir / "bad.csv").string(), "-o", (dir / "o.bin").string(), "--size",
                        "0x3001"},
                       opts),
             "nvs.size_invalid");

    vesper::write_file_atomic(dir / "parts.csv", std::string_view("nvs, bogus, nvs, 0x9000, 0x6000,\n"
                                                                  "app, app, factory, 0x10000, 0x100,\n"));
    error_of(vesperctl({"--json", "part", "build", (dir / "parts.csv").string(), "-o", (dir / "p.bin").string()}, opts),
             "part.invalid");

    // Regions: the same rules everywhere (flash_limits).
    vesper::write_file_atomic(dir / "a.bin", std::string(0x100, 'a'));
    error_of(vesperctl({"--json", "image", "merge", "--chip", "esp32", "-o", (dir / "m.bin").string(), "0x1100",
                        (dir / "a.bin").string()},
                       opts),
             "flash.out_of_range");
}

TEST_CASE("error codes: ports that are not there, or not ports", "[cli][error_codes]") {
    TempDir dir;
    const auto opts = in_dir(dir);
    const auto missing =
        error_of(vesperctl({"--json", "chip", "--port", "/dev/ttyUSB-vesper-no-such-port"}, opts), "port.not_found");
    CHECK_THAT(missing.at("message").get<std::string>(), Catch::Contains("/dev/ttyUSB-vesper-no-such-port"));
    error_of(vesperctl({"--json", "chip", "--port", "socket://no-port-here"}, opts), "port.url_invalid");
    error_of(vesperctl({"--json", "chip", "--port", "/dev/null"}, opts), "port.open");
}

TEST_CASE("error codes: the factory config", "[cli][error_codes]") {
    TempDir dir;
    const auto opts = in_dir(dir);
    const fs::path db = dir / "l.db";
    ledger_with_batch(dir, db, 1);
    vesper::write_file_atomic(dir / "bad.yaml", std::string_view("version: 1\nstations:\n  bench:\n    ports: []\n"));
    const auto bad = error_of(vesperctl({"--json", "--ledger", db.string(), "flash", "--station", "bench", "--batch",
                                         "1", "--config", (dir / "bad.yaml").string()},
                                        opts),
                              "config.invalid");
    CHECK_THAT(bad.at("message").get<std::string>(), Catch::StartsWith((dir / "bad.yaml").string() + ":"));
    error_of(vesperctl({"--json", "--ledger", db.string(), "flash", "--station", "bench", "--batch", "1", "--config",
                        (dir / "gone.yaml").string()},
                       opts),
             "config.not_found");
}

TEST_CASE("error codes: without --json the error stays one plain line, no code", "[cli][error_codes]") {
    TempDir dir;
    const auto opts = in_dir(dir);
    const fs::path db = dir / "l.db";
    ledger_with_batch(dir, db, 1);
    const auto r = vesperctl({"--ledger", db.string(), "batch", "show", "42"}, opts);
    CHECK(r.exit_code == 3);
    CHECK(r.out.empty());
    CHECK(r.err == "vesperctl: error: batch 42 not found in ledger " + db.string() + "\n");
}
