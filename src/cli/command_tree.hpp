#pragma once
// The command line as data, read from the CLI11 definition: what `help CMD`, the did-you-mean
// messages, the shell completions and the man page are made from, so none of them is kept by hand.
#include <CLI/CLI.hpp>

#include <string>
#include <vector>

namespace vesper::cli {

struct OptionInfo {
    std::vector<std::string> names; // "-p", "--port"; empty for a positional only
    std::string positional;         // the positional name ("address"), empty for an option only
    std::string description;
    std::string value_type;           // "TEXT", "UINT", ...; empty for a flag
    std::vector<std::string> choices; // the values CLI11 accepts (IsMember), when it knows them
    bool required = false;
    bool repeats = false; // a positional taking any number of values
    bool takes_value() const { return !value_type.empty(); }
};

struct CommandInfo {
    std::string name;
    std::vector<std::string> aliases;
    std::string description;
    std::vector<OptionInfo> options; // in definition order, positionals included
    std::vector<CommandInfo> subcommands;
    bool subcommand_required = false;
};

// The visible tree under `app` (hidden subcommands, such as `completion` and `man`, left out).
CommandInfo describe(CLI::App& app);

// The subcommand of `app` called `name` (or an alias of it), visible or not; nullptr when none.
CLI::App* find_subcommand(CLI::App& app, const std::string& name);

// "vesperctl batch show": the names from the root down to `app`.
std::string command_path(const CLI::App& app);

} // namespace vesper::cli
