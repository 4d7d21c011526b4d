#pragma once
// How far apart two names are, for "did you mean" suggestions.
#include <cstddef>
#include <string_view>

namespace vesper {

// Edits (insert, delete, substitute, swap two neighbours) that turn `a` into `b`: the optimal string
// alignment distance, so "shwo" is 1 from "show".
std::size_t edit_distance(std::string_view a, std::string_view b);

} // namespace vesper
