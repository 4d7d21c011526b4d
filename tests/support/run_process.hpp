#pragma once
// Test support: run a real process (usually the built vesperctl) with arguments, environment and
// stdin, capturing stdout, stderr and the exit code. Bounded by a timeout so no test hangs.
#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include "temp_dir.hpp"

namespace vesper::test {

struct ProcessResult {
    int exit_code = -1; // -1 when killed by a signal or the timeout
    std::string out;
    std::string err;
    bool timed_out = false;
};

struct ProcessOptions {
    std::filesystem::path cwd;              // empty: current folder
    std::map<std::string, std::string> env; // added to (or replacing) the inherited environment
    std::vector<std::string> unset_env;     // removed from the inherited environment
    std::string stdin_data;
    int timeout_ms = 60000;
};

ProcessResult run_process(const std::vector<std::string>& argv, const ProcessOptions& opts = {});

// For a child started by hand (fork + execve): the inherited environment with opts.unset_env removed
// and opts.env added, as NAME=VALUE strings, and a null-terminated char* array over strings. Build both
// before fork: after fork in a threaded test only async-signal-safe calls are allowed.
std::vector<std::string> environment_for(const ProcessOptions& opts);
std::vector<char*> c_strings(std::vector<std::string>& strings);

// Options for a vesperctl run in `dir` that none of the caller's vesperctl settings reach
// (VESPER_HOME, VESPER_MQTT_SECRET, VESPER_CONFIG and XDG_DATA_HOME unset, HOME=dir; operator
// "cli-test").
ProcessOptions isolated_in(const std::filesystem::path& dir);
// Where such a run keeps its default ledger: HOME's XDG data folder.
std::filesystem::path default_ledger_in(const std::filesystem::path& dir);

// Runs the vesperctl built alongside the tests.
ProcessResult vesperctl(const std::vector<std::string>& args, const ProcessOptions& opts = {});

} // namespace vesper::test
