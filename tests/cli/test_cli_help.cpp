// The command-line shape users bring from esptool and other CLIs: `help CMD`, esptool's command names
// as aliases, read-flash's positional FILE, and a did-you-mean for a mistyped command. The aliases
// against a simulated board are in tests/integration/test_flash_aliases.cpp.
#include <catch2/catch.hpp>

#include <algorithm>
#include <tuple>

#include "run_process.hpp"
#include "vesper/core/text.hpp"

using vesper::test::ProcessResult;
using vesper::test::TempDir;

namespace {

ProcessResult run(const TempDir& dir, const std::vector<std::string>& args) {
    return vesper::test::vesperctl(args, vesper::test::isolated_in(dir.path()));
}

std::vector<std::string> with(std::vector<std::string> a, const std::vector<std::string>& b) {
    a.insert(a.end(), b.begin(), b.end());
    return a;
}

} // namespace

TEST_CASE("cli help: `help CMD [SUB]` prints exactly what `CMD [SUB] --help` prints", "[cli][help]") {
    TempDir dir;
    for (const std::vector<std::string>& path :
         {std::vector<std::string>{}, {"flash"}, {"read-flash"}, {"batch"}, {"batch", "show"}, {"nvs", "build"}}) {
        const auto help = run(dir, with({"help"}, path));
        const auto flag = run(dir, with(path, {"--help"}));
        INFO("help " << vesper::join(path, " ") << ": " << help.err);
        REQUIRE(flag.exit_code == 0);
        CHECK(help.exit_code == 0);
        CHECK(help.out == flag.out);
        CHECK(help.err.empty());
    }
    // An alias names the same command.
    CHECK(run(dir, {"help", "write-flash"}).out == run(dir, {"flash", "--help"}).out);
    // The usage line names the program, not the path it was started by.
    CHECK_THAT(run(dir, {"help", "batch", "show"}).out, Catch::Contains("Usage: vesperctl batch show"));
}

TEST_CASE("cli help: esptool's command names are aliases of vesperctl's", "[cli][help]") {
    TempDir dir;
    CHECK(run(dir, {"write-flash", "--help"}).out == run(dir, {"flash", "--help"}).out);
    CHECK(run(dir, {"erase-region", "--help"}).out == run(dir, {"erase", "--help"}).out);
    // The same arguments reach the same checks (no board needed: these fail before connecting).
    const std::string port = "socket://127.0.0.1:1";
    for (const auto& [alias, target, args] :
         {std::tuple<std::string, std::string, std::vector<std::string>>{
              "write-flash", "flash", {"--port", port, "0x10000", (dir / "missing.bin").string()}},
          {"write-flash", "flash", {"--port", port, "0x10001", "x.bin"}},
          {"erase-region", "erase", {"--port", port, "0x10000", "0x100"}},
          {"erase-region", "erase", {"--port", port, "0x10000"}}}) {
        const auto a = run(dir, with({alias}, args));
        const auto t = run(dir, with({target}, args));
        INFO(alias << ": " << a.err << "\n" << target << ": " << t.err);
        CHECK(a.exit_code == t.exit_code);
        CHECK(a.exit_code != 0);
        CHECK(a.err == t.err);
    }
    CHECK(run(dir, {"erase-flash", "--help"}).exit_code == 0);
}

TEST_CASE("cli help: read-flash takes its output file as esptool does, or with -o", "[cli][help]") {
    TempDir dir;
    const std::string port = "socket://127.0.0.1:1";
    // A zero size is refused before connecting: these reach that check only when FILE was accepted.
    const auto positional = run(dir, {"read-flash", "--port", port, "0x0", "0", (dir / "out.bin").string()});
    INFO(positional.err);
    CHECK(positional.exit_code == 2);
    CHECK_THAT(positional.err, Catch::Contains("is empty: the size must not be 0"));
    const auto option = run(dir, {"read-flash", "--port", port, "0x0", "0", "-o", (dir / "out.bin").string()});
    CHECK(option.err == positional.err);
    // Without a file it is a usage error.
    const auto none = run(dir, {"read-flash", "--port", port, "0x0", "0x1000"});
    CHECK(none.exit_code == 2);
    CHECK_THAT(none.err, Catch::Contains("is required"));
}

TEST_CASE("cli help: a mistyped command gets the nearest name, one line, exit 2", "[cli][help]") {
    TempDir dir;
    struct Case {
        std::vector<std::string> args;
        std::string line;
    };
    for (const auto& c : std::vector<Case>{
             {{"flsh"}, "vesperctl: error: unknown command 'flsh'; did you mean 'flash'?\n"},
             {{"flsh", "--port", "x"}, "vesperctl: error: unknown command 'flsh'; did you mean 'flash'?\n"},
             {{"--json", "--ledger", "l.db", "serail", "gen"}, ""}, // checked below: JSON is another engineer's
             {{"write-flsh"}, "vesperctl: error: unknown command 'write-flsh'; did you mean 'write-flash'?\n"},
             {{"batch", "shwo", "1"}, "vesperctl: error: unknown batch command 'shwo'; did you mean 'show'?\n"},
             {{"nvs", "biuld"}, "vesperctl: error: unknown nvs command 'biuld'; did you mean 'build'?\n"},
             {{"help", "flsh"}, "vesperctl: error: unknown command 'flsh'; did you mean 'flash'?\n"},
             {{"help", "batch", "shwo"}, "vesperctl: error: unknown batch command 'shwo'; did you mean 'show'?\n"},
         }) {
        const auto r = run(dir, c.args);
        INFO(vesper::join(c.args, " ") << ": " << r.err);
        CHECK(r.exit_code == 2);
        CHECK(r.out.empty());
        if (!c.line.empty())
            CHECK(r.err == c.line);
        else
            CHECK_THAT(r.err, Catch::Contains("did you mean 'serial'?"));
    }
    // Nothing close: the commands there are listed instead.
    const auto far = run(dir, {"xyzzy"});
    CHECK(far.exit_code == 2);
    CHECK_THAT(far.err, Catch::StartsWith("vesperctl: error: unknown command 'xyzzy' (commands: serial, batch,"));
    CHECK(std::count(far.err.begin(), far.err.end(), '\n') == 1);
    // Hidden commands are not offered as a list, but an unknown word after a real command is still
    // CLI11's own message.
    CHECK_THAT(far.err, !Catch::Contains("completion"));
    const auto extra = run(dir, {"batch", "list", "extra"});
    CHECK(extra.exit_code == 2);
    CHECK_THAT(extra.err, !Catch::Contains("unknown"));
}
