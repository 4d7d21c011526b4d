#pragma once
// Where the ledger is. By default one ledger per user and machine, in the XDG data folder, so that
// "unique against the ledger" never quietly becomes "unique per working folder".
#include <filesystem>
#include <functional>
#include <optional>
#include <string>

namespace vesper::ledger {

// Looks up an environment variable: nullptr when unset. Tests pass their own.
using EnvLookup = std::function<const char*(const char*)>;
const char* system_env(const char* name);

struct LedgerLocation {
    std::filesystem::path path;
    // What chose it: "--ledger", "config", "VESPER_HOME", "XDG_DATA_HOME" or "HOME".
    std::string source;
    // True when a person named this very file (--ledger or the config's ledger:), false for a default
    // place: a read that finds no ledger at a default place may go on without one; at a named file it
    // is a mistake to report.
    bool named = false;
};

// The first of: `option` (--ledger), `config` (the factory config's ledger:), $VESPER_HOME/ledger.db,
// $XDG_DATA_HOME/vesper/ledger.db (only an absolute XDG_DATA_HOME counts, as the XDG base-directory
// spec says), $HOME/.local/share/vesper/ledger.db. Empty values count as unset. Error(input) when none
// applies.
LedgerLocation locate_ledger(const std::optional<std::filesystem::path>& option,
                             const std::optional<std::filesystem::path>& config, const EnvLookup& env = system_env);

} // namespace vesper::ledger
