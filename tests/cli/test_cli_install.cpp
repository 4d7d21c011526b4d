// `cmake --install` into a temporary prefix: the binary, the bash and zsh completions and the man page
// land where distributions look for them, the bash completion completes in a real bash, the zsh one
// loads in a real zsh, and the man page renders with man(1) without a warning.
#include <catch2/catch.hpp>

#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "run_process.hpp"

using vesper::test::ProcessOptions;
using vesper::test::TempDir;
namespace fs = std::filesystem;

namespace {

// The program's path on $PATH, empty when it is not there (run_process takes a path, not a name).
std::string which(const std::string& program) {
    const auto r = vesper::test::run_process({"/bin/sh", "-c", "command -v " + program});
    return r.exit_code == 0 ? r.out.substr(0, r.out.find('\n')) : std::string();
}

// Installs the build into a fresh prefix once for all sections of a test case.
struct Installed {
    TempDir dir;
    fs::path prefix = dir / "prefix";
    Installed() {
        const auto r =
            vesper::test::run_process({CMAKE_COMMAND_BIN, "--install", VESPER_BINARY_DIR, "--prefix", prefix.string()});
        INFO(r.out << r.err);
        REQUIRE(r.exit_code == 0);
    }
    fs::path bash() const { return prefix / "share/bash-completion/completions/vesperctl"; }
    fs::path zsh() const { return prefix / "share/zsh/vendor-completions/_vesperctl"; }
    fs::path man() const { return prefix / "share/man/man1/vesperctl.1"; }
};

// What the installed bash completion offers for the words `line` (the last one being completed).
std::vector<std::string> bash_complete(const fs::path& script, const std::vector<std::string>& line) {
    std::string words;
    for (const auto& w : line)
        words += " '" + w + "'";
    const std::string cmd = "source '" + script.string() + "' && COMP_WORDS=(" + words +
                            "); COMP_CWORD=" + std::to_string(line.size() - 1) +
                            "; _vesperctl; printf '%s\\n' \"${COMPREPLY[@]}\"";
    const auto r = vesper::test::run_process({"/bin/bash", "--norc", "--noprofile", "-c", cmd});
    INFO(cmd << "\n" << r.err);
    REQUIRE(r.exit_code == 0);
    CHECK(r.err.empty());
    std::vector<std::string> out;
    for (std::size_t start = 0, nl; (nl = r.out.find('\n', start)) != std::string::npos; start = nl + 1)
        if (nl > start) out.push_back(r.out.substr(start, nl - start));
    return out;
}

using Words = std::vector<std::string>;

std::string text_of(const fs::path& p) {
    std::ifstream in(p, std::ios::binary);
    std::ostringstream s;
    s << in.rdbuf();
    return s.str();
}

} // namespace

TEST_CASE("cli install: cmake --install puts the binary, completions and man page in place", "[cli][install]") {
    Installed inst;
    CHECK(fs::is_regular_file(inst.prefix / "bin/vesperctl"));
    CHECK(fs::is_regular_file(inst.bash()));
    CHECK(fs::is_regular_file(inst.zsh()));
    CHECK(fs::is_regular_file(inst.man()));
    // The installed files are what the installed binary generates (not stale copies).
    const auto bin = (inst.prefix / "bin/vesperctl").string();
    CHECK(vesper::test::run_process({bin, "completion", "bash"}).out == text_of(inst.bash()));
    CHECK(vesper::test::run_process({bin, "completion", "zsh"}).out == text_of(inst.zsh()));
    CHECK(vesper::test::run_process({bin, "man"}).out == text_of(inst.man()));
}

TEST_CASE("cli install: the bash completion completes commands, options and values", "[cli][install]") {
    Installed inst;
    const auto s = inst.bash();
    CHECK(bash_complete(s, {"vesperctl", "fl"}) == Words{"flash"});
    CHECK(bash_complete(s, {"vesperctl", "wr"}) == Words{"write-flash"});
    CHECK(bash_complete(s, {"vesperctl", "batch", "sh"}) == Words{"show"});
    CHECK(bash_complete(s, {"vesperctl", "--ledger", "l.db", "--json", "ba"}) == Words{"batch"});
    CHECK(bash_complete(s, {"vesperctl", "flash", "--bef"}) == Words{"--before"});
    CHECK(bash_complete(s, {"vesperctl", "flash", "--js"}) == Words{"--json"}); // global options anywhere
    const auto before = bash_complete(s, {"vesperctl", "write-flash", "--before", ""});
    CHECK(std::find(before.begin(), before.end(), "no-reset") != before.end());
    CHECK(bash_complete(s, {"vesperctl", "batch", "export", "1", "--format", "c"}) == Words{"csv"});
    // Hidden commands are not offered.
    CHECK(bash_complete(s, {"vesperctl", "c"}) == (Words{"creds", "chip"}));
}

TEST_CASE("cli install: the zsh completion loads in zsh", "[cli][install]") {
    const std::string zsh = which("zsh");
    if (zsh.empty()) {
        WARN("zsh is not installed (scripts/install-deps installs it): the zsh completion is not checked");
        return;
    }
    Installed inst;
    TempDir home;
    ProcessOptions opts;
    opts.env["ZDOTDIR"] = home.path().string(); // no user startup files
    opts.env["HOME"] = home.path().string();
    const std::string file = inst.zsh().string();
    auto syntax = vesper::test::run_process({zsh, "-n", file}, opts);
    INFO(syntax.err);
    CHECK(syntax.exit_code == 0);
    // compinit, then the file: it registers itself for vesperctl, and from $fpath (as installed) the
    // #compdef line does the same.
    const std::string cmd = "autoload -U compinit && compinit -u -D && source '" + file +
                            "' && [[ ${_comps[vesperctl]} == _vesperctl ]] && "
                            "fpath=('" +
                            inst.zsh().parent_path().string() +
                            "' $fpath) && unset '_comps[vesperctl]' && "
                            "compinit -u -D && [[ ${_comps[vesperctl]} == _vesperctl ]] && echo ok";
    auto load = vesper::test::run_process({zsh, "-f", "-c", cmd}, opts);
    INFO(cmd << "\n" << load.out << load.err);
    CHECK(load.exit_code == 0);
    CHECK(load.out == "ok\n");
    CHECK(load.err.empty());
}

TEST_CASE("cli install: the man page renders without warnings", "[cli][install]") {
    Installed inst;
    ProcessOptions opts;
    opts.env["MANWIDTH"] = "80";
    const std::string man = which("man");
    REQUIRE_FALSE(man.empty()); // man-db: scripts/install-deps installs it
    const auto page = vesper::test::run_process({man, "-l", inst.man().string()}, opts);
    INFO(page.err);
    CHECK(page.exit_code == 0);
    CHECK(page.err.empty());
    CHECK_THAT(page.out, Catch::Contains("vesperctl"));
    CHECK_THAT(page.out, Catch::Contains("EXIT STATUS"));
    CHECK_THAT(page.out, Catch::Contains("erase-flash"));
    CHECK_THAT(page.out, Catch::Contains("--before"));
    // groff's own check: every warning enabled, output discarded.
    if (const std::string groff = which("groff"); !groff.empty()) {
        const auto warnings = vesper::test::run_process({groff, "-man", "-ww", "-z", inst.man().string()});
        INFO(warnings.err);
        CHECK(warnings.exit_code == 0);
        CHECK(warnings.err.empty());
    }
}
