#include "command_tree.hpp"

namespace vesper::cli {

namespace {

// IsMember describes itself as "{a,b,c}"; other validators (ranges, files) are not lists of values.
std::vector<std::string> choices_of(CLI::Option& opt) {
    std::vector<std::string> out;
    for (int i = 0;; ++i) {
        CLI::Validator* v = nullptr;
        try {
            v = opt.get_validator(i);
        } catch (const CLI::OptionNotFound&) {
            break;
        }
        const std::string d = v->get_description();
        if (d.size() < 2 || d.front() != '{' || d.back() != '}') continue;
        std::string item;
        for (char c : d.substr(1, d.size() - 2)) {
            if (c == ',') {
                out.push_back(item);
                item.clear();
            } else {
                item += c;
            }
        }
        out.push_back(item);
    }
    return out;
}

OptionInfo describe_option(CLI::Option& opt) {
    OptionInfo o;
    for (const auto& s : opt.get_snames())
        o.names.push_back("-" + s);
    for (const auto& l : opt.get_lnames())
        o.names.push_back("--" + l);
    if (opt.get_positional()) o.positional = opt.get_name(true, false);
    o.description = opt.get_description();
    // A flag has no type name; get_type_name() appends the validators' descriptions ("TEXT:{a,b}").
    o.value_type = opt.get_type_name();
    if (const auto colon = o.value_type.find(':'); colon != std::string::npos) o.value_type.resize(colon);
    o.choices = choices_of(opt);
    o.required = opt.get_required();
    o.repeats = opt.get_items_expected_max() > 1;
    return o;
}

} // namespace

CommandInfo describe(CLI::App& app) {
    CommandInfo c;
    c.name = app.get_name();
    c.aliases = app.get_aliases();
    c.description = app.get_description();
    c.subcommand_required = app.get_require_subcommand_min() > 0;
    for (CLI::Option* opt : app.get_options())
        c.options.push_back(describe_option(*opt));
    for (CLI::App* sub : app.get_subcommands([](CLI::App* s) { return !s->get_group().empty(); }))
        c.subcommands.push_back(describe(*sub));
    return c;
}

CLI::App* find_subcommand(CLI::App& app, const std::string& name) {
    auto found = app.get_subcommands([&](CLI::App* s) { return s->check_name(name); });
    return found.empty() ? nullptr : found.front();
}

std::string command_path(const CLI::App& app) {
    return app.get_parent() ? command_path(*app.get_parent()) + " " + app.get_name() : app.get_name();
}

} // namespace vesper::cli
