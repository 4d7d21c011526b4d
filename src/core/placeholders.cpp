#include "vesper/core/placeholders.hpp"

#include "vesper/core/text.hpp"

namespace vesper {

PlaceholderSplit split_placeholders(std::string_view text) {
    PlaceholderSplit split;
    std::size_t pos = 0;
    while (pos < text.size()) {
        const std::size_t open = text.find("{{", pos);
        if (open == std::string_view::npos) {
            split.pieces.push_back({false, text.substr(pos), text.substr(pos)});
            break;
        }
        if (open > pos) split.pieces.push_back({false, text.substr(pos, open - pos), text.substr(pos, open - pos)});
        const std::size_t close = text.find("}}", open + 2);
        if (close == std::string_view::npos) {
            split.unclosed = text.substr(open);
            break;
        }
        split.pieces.push_back(
            {true, trim(text.substr(open + 2, close - open - 2)), text.substr(open, close + 2 - open)});
        pos = close + 2;
    }
    return split;
}

} // namespace vesper
