#pragma once
// The factory configuration (configs/factory.yaml, documented in docs/config.md): stations and their
// ports, board profiles (what to flash on a board type/revision), flash settings and quality gates.
// Every problem is an Error(input) "FILE:LINE: FIELD: reason"; relative paths resolve against the
// config file's folder.
#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "vesper/backend/settings.hpp"
#include "vesper/chip/chip.hpp"
#include "vesper/factory/test_plan.hpp"
#include "vesper/label/layout.hpp"
#include "vesper/label/render.hpp"

namespace vesper::station {

// One image of a profile. Exactly one of `address` and `partition` is set.
struct ImageSpec {
    std::string name; // "bootloader", "app", ...: for messages and reports
    std::filesystem::path file;
    std::optional<std::uint32_t> address;
    std::string partition; // name of a partition in the profile's table
    int line = 0;
};

struct NvsSpec {
    std::filesystem::path template_file; // NVS CSV with {{field}} placeholders
    std::string partition = "nvs";       // the partition whose offset and size the image takes
    int version = 2;                     // NVS format version (1 or 2)
    int line = 0;
};

// How the `test` step tests a profile's boards (docs/factory-test.md).
struct TestSettings {
    // The profile's plan (`test.plan`: a file or the plan inline); the built-in plan when not given.
    std::shared_ptr<const factory::TestPlan> plan;
    std::uint32_t baud = 115200; // the app console's baud rate
    bool mark_tested = true;     // after a pass, store the board's factory_ok flag (mark_tested)
    int line = 0;                // where `test:` is; 0 when the profile has none
};

// How the `label` step labels a profile's boards (docs/labels.md): the layout, the format, and where
// each passed board's label goes (a printer, a folder of one file per board, or both).
struct LabelSettings {
    std::shared_ptr<const label::Layout> layout; // none: the profile has no `label:`
    std::string layout_source;                   // a built-in's name or the layout file's path, for reloading
    label::Format format = label::Format::pdf;
    std::string printer;          // print with lp; empty: no printing
    std::filesystem::path output; // a folder for SERIAL.pdf / SERIAL.zpl; empty: no files
    int copies = 1;
    int line = 0; // where `label:` is; 0 when the profile has none
};

struct BoardProfile {
    std::string name;       // key under `profiles:`
    std::string board_type; // canonical, e.g. "BC"
    std::string revision;   // canonical two digits, e.g. "02"
    const esp::ChipInfo* chip = nullptr;
    std::string flash_mode = "keep"; // bootloader header patching, as `flash --flash-mode`
    std::string flash_size = "keep";
    std::string flash_freq = "keep";
    std::filesystem::path partition_table; // CSV; built to binary at partition_table_offset
    int partition_table_line = 0;          // where `partition_table:` is, for load_firmware's messages
    std::uint32_t partition_table_offset = 0x8000;
    std::vector<ImageSpec> images;
    std::optional<NvsSpec> nvs;
    // The steps each board goes through, in order, by registry name (step_registry.hpp).
    std::vector<std::string> pipeline{"flash"};
    int pipeline_line = 0;
    TestSettings test;
    LabelSettings label;
    int line = 0;
};

struct StationSpec {
    std::string name;
    std::vector<std::string> ports;    // device paths or socket:// / rfc2217:// URLs, as written
    std::optional<std::uint32_t> baud; // overrides flash.baud for this station
    int line = 0;
};

struct FlashSettings {
    std::uint32_t baud = 460800;
    int retries = 1;                    // further attempts per board after a failed one (0..5)
    double max_seconds_per_board = 300; // quality gate: a board that takes longer fails as too_slow
    bool compress = true;
    bool reset_before = true; // false: boards are already in download mode (before: no-reset)
    bool reset_after = true;  // false: stay in the loader (after: no-reset)
};

struct Config {
    std::filesystem::path file;                  // as loaded
    std::filesystem::path base_dir;              // relative paths resolve against this
    std::optional<std::filesystem::path> ledger; // resolved; the CLI takes --ledger first, then this, then $VESPER_HOME
    std::optional<std::int64_t> batch;           // default batch to draw serials from
    FlashSettings flash;
    std::vector<StationSpec> stations;
    std::vector<BoardProfile> profiles;
    std::optional<backend::BackendSettings> backend; // `backend:`: where `vesperctl register` sends records

    // Error(not_found) "FILE: no station 'x' (stations: a, b)".
    const StationSpec& station(std::string_view name) const;
    // The profile for a batch's board type and revision; Error(not_found) naming them and the file.
    const BoardProfile& profile_for(std::string_view board_type, std::string_view revision) const;
    // The same lookup, nullptr when no profile has them.
    const BoardProfile* find_profile(std::string_view board_type, std::string_view revision) const;
};

// Parses YAML text; `file` is used in messages and for resolving relative paths.
Config parse_config(std::string_view yaml, const std::filesystem::path& file);
Config load_config(const std::filesystem::path& file); // Error(not_found) when missing

// Where the config is: `flag` (--config) if given, else $VESPER_CONFIG, else ./vesper.yaml. Error(not_found)
// saying which places were tried.
std::filesystem::path locate_config(const std::optional<std::filesystem::path>& flag);

} // namespace vesper::station
