// The factory config (`flash --station`, `provision`): the YAML loader and every field check. yaml-cpp
// 0.7 loops on some malformed input (issue 9, defect 4); until the loader bounds it, this harness finds
// that hang (scripts/fuzz reports it as a timeout).
#include "fuzz_support.hpp"
#include "vesper/station/config.hpp"

using namespace vesper;

VESPER_FUZZ_TARGET(fuzz_station_config)(const std::uint8_t* data, std::size_t size) {
    fuzz::expect_errors([&] {
        const station::Config c =
            station::parse_config(fuzz::text(data, size), VESPER_SOURCE_DIR "/configs/factory.yaml");
        for (const auto& s : c.stations)
            fuzz::expect_errors([&] { (void)c.station(s.name); });
        for (const auto& p : c.profiles)
            fuzz::expect_errors([&] { (void)c.profile_for(p.board_type, p.revision); });
    });
    return 0;
}
