#pragma once
// Shell completion scripts for bash and zsh, generated from the command tree (command_tree.hpp).
#include <string>

#include "command_tree.hpp"

namespace vesper::cli {

std::string bash_completion(const CommandInfo& root);
std::string zsh_completion(const CommandInfo& root);

} // namespace vesper::cli
