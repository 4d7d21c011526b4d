#include "vesper/station/pipeline.hpp"

namespace vesper::station {

const char* to_string(BoardNeed need) noexcept {
    switch (need) {
    case BoardNeed::rom_loader: return "rom_loader";
    case BoardNeed::app_console: return "app_console";
    case BoardNeed::none: return "none";
    }
    return "none";
}

bool pipeline_done(const Pipeline& pipeline, const std::set<std::string>& passed) {
    for (const auto& step : pipeline)
        if (!passed.count(step->name())) return false;
    return true;
}

} // namespace vesper::station
