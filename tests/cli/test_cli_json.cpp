// --json as a contract: any bytes in argv, file names or file contents give valid JSON (never a crash),
// every error is the one-line error object (CLI11's own included), and the field names are one
// vocabulary across commands (docs/cli.md, "JSON output").
#include <catch2/catch.hpp>

#include <nlohmann/json.hpp>

#include <algorithm>
#include <filesystem>
#include <regex>
#include <set>
#include <sstream>

#include "run_process.hpp"
#include "vesper/core/error.hpp"
#include "vesper/core/files.hpp"

using vesper::test::ProcessOptions;
using vesper::test::ProcessResult;
using vesper::test::TempDir;
using vesper::test::vesperctl;
namespace fs = std::filesystem;

namespace {

const fs::path kVectors = fs::path(VESPER_TEST_VECTORS);
const std::string kBad = "\xff";              // never valid in UTF-8
const std::string kBadName = "x\xff\xfe.bin"; // a file name as a shell gives it with $'x\xff\xfe.bin'

ProcessOptions in_dir(const TempDir& dir) { return vesper::test::isolated_in(dir.path()); }

// The whole of `text` is exactly one line, and that line is one JSON document. nlohmann's parser throws on
// bytes that are not UTF-8, so this also checks the text is valid UTF-8.
nlohmann::json one_json_line(const std::string& text) {
    INFO(text);
    REQUIRE(!text.empty());
    REQUIRE(text.back() == '\n');
    REQUIRE(text.find('\n') == text.size() - 1);
    nlohmann::json doc;
    REQUIRE_NOTHROW(doc = nlohmann::json::parse(text));
    return doc;
}

// The documented error object: {"error":{"code","kind","message","exit_code","hint"}} (and "rom_status"
// only from a loader's failure status), matching the exit code; the code is one of the table's, of
// that kind. Returns the code.
std::string check_error_object(const ProcessResult& r, const std::string& kind, int exit_code) {
    INFO("stdout: " << r.out << "\nstderr: " << r.err);
    CHECK(r.exit_code == exit_code); // a crash (SIGABRT from an uncaught exception) gives -1
    CHECK(r.out.empty());
    const auto doc = one_json_line(r.err);
    REQUIRE(doc.size() == 1);
    const auto& e = doc.at("error");
    CHECK(e.size() == (e.contains("rom_status") ? 6u : 5u));
    CHECK(e.at("kind") == kind);
    CHECK(e.at("exit_code") == exit_code);
    CHECK(!e.at("message").get<std::string>().empty());
    CHECK(!e.at("hint").get<std::string>().empty());
    const std::string code = e.at("code").get<std::string>();
    const auto codes = vesper::all_error_codes();
    const auto row = std::find_if(codes.begin(), codes.end(), [&](const auto& c) { return c.name == code; });
    REQUIRE(row != codes.end());
    CHECK(vesper::to_string(row->kind) == kind);
    return code;
}

// Every key of every object in the document, recursively.
void collect_keys(const nlohmann::json& j, std::set<std::string>& keys) {
    if (j.is_object())
        for (const auto& [k, v] : j.items()) {
            keys.insert(k);
            collect_keys(v, keys);
        }
    else if (j.is_array())
        for (const auto& v : j)
            collect_keys(v, keys);
}

std::vector<fs::path> files_in(const fs::path& dir) {
    std::vector<fs::path> out;
    for (const auto& e : fs::directory_iterator(dir))
        out.push_back(e.path().filename());
    return out;
}

} // namespace

TEST_CASE("json: bytes that are not UTF-8 in argv give a JSON error, not a crash", "[cli][json]") {
    TempDir dir;
    auto opts = in_dir(dir);
    opts.env["VESPER_MQTT_SECRET"] = "secret";

    // A serial that is not UTF-8: the error message quotes it.
    check_error_object(vesperctl({"--json", "creds", "mqtt-password", kBad}, opts), "input", 2);
    check_error_object(vesperctl({"creds", "mqtt-password", "PV-" + kBad, "--json"}, opts), "input", 2);
    // A port name: the error names the port.
    check_error_object(vesperctl({"--json", "chip", "--port", "/dev/tty" + kBad}, opts), "not_found", 3);
    // A missing file with such a name.
    check_error_object(vesperctl({"--json", "image", "info", kBadName}, opts), "not_found", 3);

    // A result document quoting the value: the serial is shown with the byte as \xff.
    auto r = vesperctl({"--json", "serial", "check", "PV-26A18-BC02R-X7K" + kBad}, opts);
    CHECK(r.exit_code == 2);
    const auto doc = one_json_line(r.out);
    CHECK(doc.at("serials").at(0).at("serial") == "PV-26A18-BC02R-X7K\\xff");
    check_error_object({r.exit_code, "", r.err, false}, "input", 2);
}

TEST_CASE("json: an output file name that is not UTF-8 is written and reported, escaped", "[cli][json]") {
    TempDir dir;
    const auto opts = in_dir(dir);
    const std::string csv = (kVectors / "nvs" / "nvs_basic.csv").string();

    auto r = vesperctl({"--json", "nvs", "build", csv, "-o", kBadName, "--size", "0x3000"}, opts);
    INFO(r.err);
    CHECK(r.exit_code == 0);
    CHECK(r.err.empty());
    auto doc = one_json_line(r.out);
    CHECK(doc.at("output") == "x\\xff\\xfe.bin");
    CHECK(fs::exists(dir / kBadName));

    auto part = vesperctl(
        {"part", "build", (kVectors / "partitions" / "part_ota.csv").string(), "-o", kBadName, "--json"}, opts);
    CHECK(part.exit_code == 0);
    CHECK(one_json_line(part.out).at("output") == "x\\xff\\xfe.bin");

    auto synth = vesperctl({"--json", "image", "synth", "--chip", "esp32", "--size", "64KB", "-o", kBadName}, opts);
    CHECK(synth.exit_code == 0);
    CHECK(one_json_line(synth.out).at("output") == "x\\xff\\xfe.bin");
}

TEST_CASE("json: a failing command with such a name leaves no output file", "[cli][json]") {
    TempDir dir;
    const auto opts = in_dir(dir);
    const std::string bad_csv = (kVectors / "nvs" / "nvs_err_range.csv").string();
    check_error_object(vesperctl({"--json", "nvs", "build", bad_csv, "-o", kBadName, "--size", "0x3000"}, opts),
                       "input", 2);
    check_error_object(
        vesperctl({"--json", "nvs", "build", "in" + kBad + ".csv", "-o", kBadName, "--size", "0x3000"}, opts),
        "not_found", 3);
    check_error_object(vesperctl({"--json", "part", "build", "in" + kBad + ".csv", "-o", kBadName}, opts), "not_found",
                       3);
    CHECK(files_in(dir.path()).empty());
}

TEST_CASE("json: file content that is not UTF-8 gives a JSON error naming it", "[cli][json]") {
    TempDir dir;
    const auto opts = in_dir(dir);
    // A partition name in a CSV, and the same in a binary table: both refused, the message quoting the name.
    vesper::write_file_atomic(dir / "t.csv", "# Name, Type, SubType, Offset, Size\n"
                                             "nv" +
                                                 kBad +
                                                 "s, data, nvs, 0x9000, 0x6000\n"
                                                 "factory, app, factory, 0x10000, 1M\n");
    check_error_object(vesperctl({"--json", "part", "build", "t.csv", "-o", "t.bin"}, opts), "input", 2);
    CHECK(!fs::exists(dir / "t.bin"));

    REQUIRE(vesperctl({"part", "build", (kVectors / "partitions" / "part_ota.csv").string(), "--no-md5", "-o", "p.bin"},
                      opts)
                .exit_code == 0);
    auto table = vesper::read_file(dir / "p.bin");
    table[14] = 0xFF; // the third byte of the first entry's name ("nvs")
    vesper::write_file_atomic(dir / "p.bin", table);
    check_error_object(vesperctl({"--json", "part", "dump", "p.bin", "-o", "p.csv"}, opts), "input", 2);
    CHECK(!fs::exists(dir / "p.csv"));
}

TEST_CASE("json: CLI11's own errors are the one-line error object, --json before or after", "[cli][json]") {
    TempDir dir;
    const auto opts = in_dir(dir);
    const std::vector<std::vector<std::string>> cases = {
        {"--json", "serial", "gen", "--rev", "02"},                                    // missing option
        {"serial", "gen", "--rev", "02", "--json"},                                    // the same, --json after
        {"--json", "serial", "gen", "--type", "BC", "--rev", "02", "--count", "many"}, // bad value
        {"serial", "gen", "--type", "BC", "--rev", "02", "--count", "many", "--json"},
        {"--json", "nosuchcommand"},                                                              // unknown subcommand
        {"--json", "serial", "check"},                                                            // missing positional
        {"--json", "ports", "extra", "args"},                                                     // extra arguments
        {"nvs", "build", "a.csv", "-o", "b.bin", "--size", "0x3000", "--version", "3", "--json"}, // validation
        {"--json", "batch", "show", "--no-such-option"},                                          // unknown option
    };
    for (const auto& args : cases) {
        std::string line;
        for (const auto& a : args)
            line += a + " ";
        INFO(line);
        CHECK(check_error_object(vesperctl(args, opts), "input", 2) == "cli.usage");
    }
}

TEST_CASE("json: without --json a CLI11 error is one line and the usage hint", "[cli][json]") {
    TempDir dir;
    const auto opts = in_dir(dir);
    for (const auto& args : std::vector<std::vector<std::string>>{{"serial", "gen", "--rev", "02"},
                                                                  {"nosuchcommand"},
                                                                  {"ports", "extra"},
                                                                  {"serial", "gen", "--count", "x"}}) {
        auto r = vesperctl(args, opts);
        INFO(r.err);
        CHECK(r.exit_code == 2);
        CHECK(r.out.empty());
        std::istringstream lines(r.err);
        std::string first;
        std::getline(lines, first);
        CHECK(first.rfind("vesperctl: error: ", 0) == 0);
        CHECK(std::count(r.err.begin(), r.err.end(), '\n') <= 2);
    }
}

TEST_CASE("json: one vocabulary: output, input, port, lists in objects, null for absent", "[cli][json]") {
    TempDir dir;
    const auto opts = in_dir(dir);
    const std::string nvs_csv = (kVectors / "nvs" / "nvs_basic.csv").string();
    const std::string part_csv = (kVectors / "partitions" / "part_ota.csv").string();
    const std::string ledger = (dir / "l.db").string();
    REQUIRE(vesperctl({"--ledger", ledger, "batch", "create", "--type", "BC", "--rev", "02", "--qty", "2"}, opts)
                .exit_code == 0);
    const std::vector<std::string> with_ledger = {"--ledger", ledger, "--json"};
    auto run = [&](std::vector<std::string> args) {
        args.insert(args.begin(), with_ledger.begin(), with_ledger.end());
        auto r = vesperctl(args, opts);
        INFO(r.err);
        REQUIRE(r.exit_code == 0);
        return one_json_line(r.out); // one compact line: stdout is not a TTY
    };

    // Every command that writes a file names it "output"; none uses "path" or "file" for anything.
    const std::vector<std::pair<std::vector<std::string>, std::string>> writers = {
        {{"nvs", "build", nvs_csv, "-o", "a.bin", "--size", "0x3000"}, "a.bin"},
        {{"part", "build", part_csv, "-o", "p.bin"}, "p.bin"},
        {{"part", "dump", "p.bin", "-o", "p.csv"}, "p.csv"},
        {{"image", "synth", "--chip", "esp32", "--size", "64KB", "-o", "s.bin"}, "s.bin"},
        {{"image", "merge", "--chip", "esp32", "-o", "m.bin", "0x10000", "s.bin"}, "m.bin"},
        {{"batch", "export", "1", "-o", "e.json"}, "e.json"},
        {{"batch", "report", "1", "--format", "csv", "-o", "r.csv"}, "r.csv"},
        {{"nvs", "batch", "1", "--template", nvs_csv, "--size", "0x3000", "--out", "imgs"}, "imgs"},
    };
    for (const auto& [args, output] : writers) {
        INFO(args[0] + " " + args[1]);
        const auto doc = run(args);
        CHECK(doc.at("output") == output);
        std::set<std::string> keys;
        collect_keys(doc, keys);
        CHECK(keys.count("path") == 0);
        CHECK(keys.count("file") == 0);
        CHECK(keys.count("out_dir") == 0);
    }
    // The written JSON export is one compact line too.
    CHECK(one_json_line(vesper::read_text_file(dir / "e.json")).is_array());

    // Commands that read a file name it "input".
    CHECK(run({"nvs", "build", nvs_csv, "-o", "b.bin", "--size", "0x3000"}).at("input") == nvs_csv);
    CHECK(run({"nvs", "dump", "a.bin"}).at("input") == "a.bin");
    CHECK(run({"part", "dump", "p.bin"}).at("input") == "p.bin");
    CHECK(run({"image", "info", "s.bin"}).at("input") == "s.bin");
    CHECK(run({"image", "merge", "--chip", "esp32", "-o", "m2.bin", "0x10000", "s.bin"})
              .at("regions")
              .at(0)
              .at("input") == "s.bin");

    // Absent values are null, not missing keys.
    const auto dump = run({"part", "dump", "p.bin"});
    CHECK(dump.contains("output"));
    CHECK(dump.at("output").is_null());
    const auto built = run({"nvs", "build", nvs_csv, "-o", "c.bin", "--size", "0x3000"});
    CHECK(built.at("template").is_null());
    CHECK(built.at("serial").is_null());
    TempDir empty;
    // No ledger at the default place (isolated_in: a fresh HOME, no VESPER_HOME): nothing to ask.
    auto check = vesperctl({"--json", "serial", "check", "PV-26A18-BC02R-X7KQA"}, in_dir(empty));
    REQUIRE(check.exit_code == 0);
    const auto sn = one_json_line(check.out).at("serials").at(0);
    CHECK(sn.contains("in_ledger"));
    CHECK(sn.at("in_ledger").is_null());
    CHECK(sn.at("batch_id").is_null());

    // Lists are wrapped in an object with a named key.
    const auto ports = run({"ports", "--all"});
    REQUIRE(ports.is_object());
    CHECK(ports.at("ports").is_array());
}

TEST_CASE("json: every JSON text in the code goes through json_text", "[cli][json]") {
    // json::dump throws on bytes that are not UTF-8; vesper::json_text is the one place that calls it.
    const std::regex direct_dump(R"(\.dump\s*\()");
    std::vector<std::string> offenders;
    for (const char* folder : {"src", "tools"})
        for (const auto& e : fs::recursive_directory_iterator(fs::path(VESPER_SOURCE_DIR) / folder)) {
            if (!e.is_regular_file() || e.path().filename() == "json_text.cpp") continue;
            const auto ext = e.path().extension();
            if (ext != ".cpp" && ext != ".hpp") continue;
            std::istringstream text(vesper::read_text_file(e.path()));
            int n = 0;
            for (std::string line; std::getline(text, line);) {
                ++n;
                if (std::regex_search(line, direct_dump))
                    offenders.push_back(e.path().string() + ":" + std::to_string(n));
            }
        }
    INFO(offenders.size() << " direct dump() call(s), first: " << (offenders.empty() ? "" : offenders.front()));
    CHECK(offenders.empty());
}
