// vesperctl help [COMMAND [SUBCOMMAND]]: a command's --help; and, hidden, `completion bash|zsh` and
// `man`, which print the shell completion and the man page generated from the command definitions
// (the build runs them to make the files `cmake --install` installs).
#include <iostream>
#include <memory>

#include "cli.hpp"
#include "command_tree.hpp"
#include "completion_script.hpp"
#include "man_page.hpp"
#include "usage_errors.hpp"

namespace vesper::cli {

namespace {

// Exactly what `COMMAND --help` prints: the same formatter with the same usage path.
void print_help(CLI::App& root, const std::vector<std::string>& path) {
    CLI::App* at = &root;
    for (const auto& word : path) {
        CLI::App* next = find_subcommand(*at, word);
        if (!next) throw unknown_command(*at, word);
        at = next;
    }
    std::cout << at->get_formatter()->make_help(at, command_path(*at), CLI::AppFormatMode::Normal);
}

} // namespace

void register_help(CLI::App& app, Context&) {
    auto path = std::make_shared<std::vector<std::string>>();
    auto* help = app.add_subcommand("help", "Show a command's help: help COMMAND [SUBCOMMAND] (as COMMAND --help)");
    help->add_option("command", *path, "Command and subcommand names");
    help->callback([&app, path] { print_help(app, *path); });

    auto shell = std::make_shared<std::string>();
    auto* completion = app.add_subcommand("completion", "Print the shell completion script for bash or zsh");
    completion->group(""); // hidden: for packagers and the build
    completion->add_option("shell", *shell, "bash or zsh")->required()->check(CLI::IsMember({"bash", "zsh"}));
    completion->callback([&app, shell] {
        const CommandInfo tree = describe(app);
        std::cout << (*shell == "bash" ? bash_completion(tree) : zsh_completion(tree));
    });

    auto* man = app.add_subcommand("man", "Print the vesperctl(1) man page (roff)");
    man->group("");
    man->callback([&app] { std::cout << man_page(describe(app), VESPER_VERSION); });
}

} // namespace vesper::cli
