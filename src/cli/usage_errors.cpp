#include "usage_errors.hpp"

#include "command_tree.hpp"
#include "vesper/core/edit_distance.hpp"
#include "vesper/core/text.hpp"

namespace vesper::cli {

namespace {

// Close enough to be a typo: one edit in a short name, two from five characters, three from nine.
std::size_t typo_budget(const std::string& word) { return word.size() < 5 ? 1 : word.size() < 9 ? 2 : 3; }

} // namespace

UnknownCommand unknown_command(CLI::App& parent, const std::string& word) {
    std::string best;
    std::size_t best_distance = typo_budget(word) + 1;
    std::vector<std::string> visible;
    for (CLI::App* sub : parent.get_subcommands([](CLI::App*) { return true; })) {
        if (!sub->get_group().empty()) visible.push_back(sub->get_name());
        std::vector<std::string> names{sub->get_name()};
        names.insert(names.end(), sub->get_aliases().begin(), sub->get_aliases().end());
        for (const auto& name : names) {
            const std::size_t d = edit_distance(word, name);
            if (d < best_distance) {
                best = name;
                best_distance = d;
            }
        }
    }
    // "unknown command 'flsh'" at the top, "unknown batch command 'shwo'" below it.
    std::string what = "unknown command '" + word + "'";
    if (parent.get_parent()) {
        const std::string path = command_path(parent);
        what = "unknown " + path.substr(path.find(' ') + 1) + " command '" + word + "'";
    }
    if (!best.empty()) return UnknownCommand(what + "; did you mean '" + best + "'?");
    return UnknownCommand(what + " (commands: " + join(visible) + ")");
}

std::string usage_error_message(CLI::App& app, const CLI::ParseError& e) {
    if (dynamic_cast<const UnknownCommand*>(&e)) return e.what();
    // The deepest command the parser entered; an unknown word there, where a subcommand was expected,
    // is a mistyped command.
    CLI::App* at = &app;
    while (!at->get_subcommands().empty())
        at = at->get_subcommands().front();
    if (at->get_subcommands([](CLI::App*) { return true; }).empty()) return e.what();
    for (const std::string& word : app.remaining(true))
        if (!word.empty() && word.front() != '-') return unknown_command(*at, word).what();
    return e.what();
}

} // namespace vesper::cli
