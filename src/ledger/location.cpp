#include "vesper/ledger/location.hpp"

#include <cstdlib>

#include "vesper/core/error.hpp"

namespace vesper::ledger {

const char* system_env(const char* name) { return std::getenv(name); }

LedgerLocation locate_ledger(const std::optional<std::filesystem::path>& option,
                             const std::optional<std::filesystem::path>& config, const EnvLookup& env) {
    namespace fs = std::filesystem;
    if (option && !option->empty()) return {*option, "--ledger", true};
    if (config && !config->empty()) return {*config, "config", true};
    auto var = [&](const char* name) -> std::optional<fs::path> {
        const char* v = env(name);
        if (!v || !*v) return std::nullopt;
        return fs::path(v);
    };
    if (auto home = var("VESPER_HOME")) return {*home / "ledger.db", "VESPER_HOME", false};
    // The spec: a relative XDG_DATA_HOME is invalid and ignored.
    if (auto data = var("XDG_DATA_HOME"); data && data->is_absolute())
        return {*data / "vesper" / "ledger.db", "XDG_DATA_HOME", false};
    if (auto home = var("HOME")) return {*home / ".local" / "share" / "vesper" / "ledger.db", "HOME", false};
    fail(ErrorCode::ledger_no_place,
         "no place for the ledger: none of --ledger, VESPER_HOME, XDG_DATA_HOME or HOME is set");
}

} // namespace vesper::ledger
