#pragma once
// vesperctl(1) in roff, generated from the command tree (command_tree.hpp).
#include <string>

#include "command_tree.hpp"

namespace vesper::cli {

std::string man_page(const CommandInfo& root, const std::string& version);

} // namespace vesper::cli
