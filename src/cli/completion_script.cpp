// Both scripts share the same data functions (plain `case` statements, valid in bash and zsh) keyed by
// the command path ("", "batch", "nvs build"); only the function that reads the command line and
// offers the words differs per shell. Global options (the root's) are accepted at every level, as
// the parser's fallthrough accepts them.
#include "completion_script.hpp"

#include <sstream>

#include "vesper/core/text.hpp"

namespace vesper::cli {

namespace {

// A single-quoted shell word.
std::string quoted(const std::string& s) {
    std::string out = "'";
    for (char c : s)
        out += c == '\'' ? std::string("'\\''") : std::string(1, c);
    return out + "'";
}

struct Node {
    std::string path; // "" for the root
    const CommandInfo* command;
};

void collect(const CommandInfo& c, const std::string& path, std::vector<Node>& out) {
    out.push_back({path, &c});
    for (const auto& sub : c.subcommands)
        collect(sub, path.empty() ? sub.name : path + " " + sub.name, out);
}

// One `case` function: for each node whose `words` are not empty, `PATTERN) echo WORDS;;`.
template <class Words>
void case_function(std::ostringstream& s, const std::string& name, const std::string& comment,
                   const std::vector<Node>& nodes, Words words) {
    s << "# " << comment << "\n" << name << "() {\n    case \"$1\" in\n";
    for (const auto& n : nodes)
        for (const auto& [pattern, text] : words(n))
            s << "    " << quoted(pattern) << ") echo " << quoted(text) << " ;;\n";
    s << "    *) return 1 ;;\n    esac\n}\n\n";
}

using Cases = std::vector<std::pair<std::string, std::string>>;

std::string shared_functions(const CommandInfo& root) {
    std::vector<Node> nodes;
    collect(root, "", nodes);
    std::ostringstream s;
    case_function(s, "_vesperctl_subcommands", "$1: a command path. Its subcommands, aliases included.", nodes,
                  [](const Node& n) {
                      std::vector<std::string> names;
                      for (const auto& sub : n.command->subcommands) {
                          names.push_back(sub.name);
                          names.insert(names.end(), sub.aliases.begin(), sub.aliases.end());
                      }
                      return names.empty() ? Cases{} : Cases{{n.path, join(names, " ")}};
                  });
    case_function(s, "_vesperctl_described", "$1: a command path. Its subcommands as NAME:DESCRIPTION lines.", nodes,
                  [](const Node& n) {
                      std::string lines;
                      for (const auto& sub : n.command->subcommands) {
                          // zsh's _describe splits at the first unescaped colon; one line per name.
                          std::string text;
                          for (char c : sub.description.substr(0, sub.description.find('\n')))
                              text += c == ':' ? std::string("\\:") : std::string(1, c);
                          lines += (lines.empty() ? "" : "\n") + sub.name + ":" + text;
                          for (const auto& alias : sub.aliases)
                              lines += "\n" + alias + ":" + text;
                      }
                      return lines.empty() ? Cases{} : Cases{{n.path, lines}};
                  });
    case_function(s, "_vesperctl_canonical", "$1: \"PATH/WORD\". The subcommand WORD names there (aliases resolved).",
                  nodes, [](const Node& n) {
                      Cases out;
                      for (const auto& sub : n.command->subcommands) {
                          out.push_back({n.path + "/" + sub.name, sub.name});
                          for (const auto& alias : sub.aliases)
                              out.push_back({n.path + "/" + alias, sub.name});
                      }
                      return out;
                  });
    case_function(s, "_vesperctl_options", "$1: a command path. Its options.", nodes, [](const Node& n) {
        std::vector<std::string> names;
        for (const auto& o : n.command->options)
            names.insert(names.end(), o.names.begin(), o.names.end());
        return names.empty() ? Cases{} : Cases{{n.path, join(names, " ")}};
    });
    case_function(s, "_vesperctl_value_kind",
                  "$1: \"PATH/OPTION\". Succeeds when OPTION takes a value there; prints its choices, if known.", nodes,
                  [](const Node& n) {
                      Cases out;
                      for (const auto& o : n.command->options)
                          if (o.takes_value())
                              for (const auto& name : o.names)
                                  out.push_back({n.path + "/" + name, join(o.choices, " ")});
                      return out;
                  });
    s << R"sh(# $1: a command path, $2: an option. Its choices (if any) when it takes a value at that level or,
# as global options do, at the root; fails for a flag or an unknown option.
_vesperctl_option_value() {
    _vesperctl_value_kind "$1/$2" || _vesperctl_value_kind "/$2"
}

# Sets _vesperctl_path to the command path the words before the cursor ($@) select.
_vesperctl_walk() {
    _vesperctl_path=""
    local word next skip=0
    for word in "$@"; do
        if [ $skip = 1 ]; then skip=0; continue; fi
        case "$word" in
        --*=*) ;;
        -*) _vesperctl_option_value "$_vesperctl_path" "$word" >/dev/null && skip=1 ;;
        *) next=$(_vesperctl_canonical "$_vesperctl_path/$word") &&
               _vesperctl_path="${_vesperctl_path:+$_vesperctl_path }$next" ;;
        esac
    done
}

)sh";
    return s.str();
}

} // namespace

std::string bash_completion(const CommandInfo& root) {
    std::string s = "# bash completion for " + root.name + ", generated by `" + root.name +
                    " completion bash` from its command definitions.\n\n";
    s += shared_functions(root);
    s += R"sh(_vesperctl() {
    local cur="${COMP_WORDS[COMP_CWORD]}" prev="" choices
    [ "$COMP_CWORD" -gt 1 ] && prev="${COMP_WORDS[COMP_CWORD-1]}"
    _vesperctl_walk "${COMP_WORDS[@]:1:COMP_CWORD-1}"
    COMPREPLY=()
    if [[ "$prev" == -* && "$prev" != *=* ]] && choices=$(_vesperctl_option_value "$_vesperctl_path" "$prev"); then
        if [ -n "$choices" ]; then
            COMPREPLY=($(compgen -W "$choices" -- "$cur"))
        else
            compopt -o filenames 2>/dev/null
            COMPREPLY=($(compgen -f -- "$cur"))
        fi
    elif [[ "$cur" == -* ]]; then
        COMPREPLY=($(compgen -W "$(_vesperctl_options "$_vesperctl_path") $(_vesperctl_options "")" -- "$cur"))
    elif choices=$(_vesperctl_subcommands "$_vesperctl_path"); then
        COMPREPLY=($(compgen -W "$choices" -- "$cur"))
    else
        compopt -o filenames 2>/dev/null
        COMPREPLY=($(compgen -f -- "$cur"))
    fi
}
complete -F _vesperctl )sh" +
         root.name + "\n";
    return s;
}

std::string zsh_completion(const CommandInfo& root) {
    std::string s = "#compdef " + root.name + "\n# zsh completion for " + root.name + ", generated by `" + root.name +
                    " completion zsh` from its command definitions.\n\n";
    s += shared_functions(root);
    s += R"sh(_vesperctl() {
    local cur="${words[CURRENT]}" prev="${words[CURRENT-1]}" choices
    local -a described
    _vesperctl_walk "${(@)words[2,CURRENT-1]}"
    if [[ "$prev" == -* && "$prev" != *=* ]] && choices=$(_vesperctl_option_value "$_vesperctl_path" "$prev"); then
        if [[ -n "$choices" ]]; then
            compadd -- ${=choices}
        else
            _files
        fi
    elif [[ "$cur" == -* ]]; then
        compadd -- ${=$(_vesperctl_options "$_vesperctl_path")} ${=$(_vesperctl_options "")}
    elif choices=$(_vesperctl_described "$_vesperctl_path"); then
        described=("${(@f)choices}")
        _describe -t commands command described
    else
        _files
    fi
}

# Autoloaded from $fpath (the #compdef line), this file is the body of _vesperctl: run it. Sourced,
# register it.
if [[ "${funcstack[1]}" == _vesperctl ]]; then
    _vesperctl "$@"
else
    compdef _vesperctl )sh" +
         root.name + R"sh(
fi
)sh";
    return s;
}

} // namespace vesper::cli
