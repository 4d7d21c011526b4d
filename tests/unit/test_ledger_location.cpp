// Where the ledger is: --ledger, the factory config's ledger:, $VESPER_HOME, then the XDG data folder.
#include <catch2/catch.hpp>

#include <map>
#include <string>

#include "unit_support.hpp"
#include "vesper/ledger/location.hpp"

using namespace vesper;
namespace fs = std::filesystem;
using ledger::locate_ledger;

namespace {

// An environment of exactly these variables.
ledger::EnvLookup env_of(std::map<std::string, std::string> vars) {
    return [vars = std::move(vars)](const char* name) -> const char* {
        auto it = vars.find(name);
        return it == vars.end() ? nullptr : it->second.c_str();
    };
}

} // namespace

TEST_CASE("ledger location: the default follows the XDG base-directory convention, not the folder",
          "[ledger][location]") {
    const auto home = env_of({{"HOME", "/home/op"}});
    auto l = locate_ledger(std::nullopt, std::nullopt, home);
    CHECK(l.path == fs::path("/home/op/.local/share/vesper/ledger.db"));
    CHECK(l.source == "HOME");
    CHECK_FALSE(l.named);

    l = locate_ledger(std::nullopt, std::nullopt, env_of({{"HOME", "/home/op"}, {"XDG_DATA_HOME", "/data/op"}}));
    CHECK(l.path == fs::path("/data/op/vesper/ledger.db"));
    CHECK(l.source == "XDG_DATA_HOME");

    // The spec: a relative XDG_DATA_HOME is invalid and ignored; an empty one is unset.
    for (const char* bad : {"relative/data", ""}) {
        INFO(bad);
        l = locate_ledger(std::nullopt, std::nullopt, env_of({{"HOME", "/home/op"}, {"XDG_DATA_HOME", bad}}));
        CHECK(l.path == fs::path("/home/op/.local/share/vesper/ledger.db"));
    }
}

TEST_CASE("ledger location: --ledger, then the config, then VESPER_HOME, then the XDG place", "[ledger][location]") {
    const auto env = env_of({{"HOME", "/home/op"}, {"XDG_DATA_HOME", "/data/op"}, {"VESPER_HOME", "/srv/vesper"}});
    auto l = locate_ledger(fs::path("mine.db"), fs::path("/factory/ledger.db"), env);
    CHECK(l.path == fs::path("mine.db"));
    CHECK(l.source == "--ledger");
    CHECK(l.named);

    l = locate_ledger(std::nullopt, fs::path("/factory/ledger.db"), env);
    CHECK(l.path == fs::path("/factory/ledger.db"));
    CHECK(l.source == "config");
    CHECK(l.named);

    l = locate_ledger(std::nullopt, std::nullopt, env);
    CHECK(l.path == fs::path("/srv/vesper/ledger.db"));
    CHECK(l.source == "VESPER_HOME");
    CHECK_FALSE(l.named);

    // Empty values count as unset.
    l = locate_ledger(fs::path(""), fs::path(""), env_of({{"VESPER_HOME", ""}, {"HOME", "/home/op"}}));
    CHECK(l.source == "HOME");
}

TEST_CASE("ledger location: no place at all is an input error that says what to set", "[ledger][location]") {
    const Error e = test::error_from([] { locate_ledger(std::nullopt, std::nullopt, env_of({})); });
    CHECK(e.kind() == ErrorKind::input);
    CHECK(e.code() == ErrorCode::ledger_no_place);
    CHECK_THAT(e.what(), Catch::Contains("--ledger") && Catch::Contains("VESPER_HOME") &&
                             Catch::Contains("XDG_DATA_HOME") && Catch::Contains("HOME"));
}
