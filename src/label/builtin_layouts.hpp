#pragma once
// The layouts in templates/labels/, built into vesperctl: the build generates their definition
// (cmake/embed_label_layouts.cmake) from the YAML files themselves, so the file and the binary agree.
#include <string_view>
#include <vector>

namespace vesper::label {

struct BuiltinLayout {
    std::string_view name; // the file's stem: "roll-50x30"
    std::string_view text; // the YAML as written
};

// In name order.
const std::vector<BuiltinLayout>& builtin_layouts();

} // namespace vesper::label
