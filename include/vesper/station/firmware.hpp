#pragma once
// A board profile turned into bytes, once per run: the bootloader, the partition table built from its
// CSV, the app and any other images (each at its address or partition), the compiled NVS template and
// where its image goes. Quality gates are checked here, before any board is touched: every image
// exists, fits its partition and the flash, nothing overlaps, the app is an image for the profile's chip.
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "vesper/flash/flash_plan.hpp"
#include "vesper/ledger/ledger.hpp"
#include "vesper/nvs/template.hpp"
#include "vesper/part/partition_table.hpp"
#include "vesper/station/config.hpp"
#include "vesper/station/identity.hpp"

namespace vesper::station {

struct FirmwareSet {
    const BoardProfile* profile = nullptr;
    std::filesystem::path config_file; // where the profile is, for messages
    esp::PartitionTable table;
    // Every fixed region, sorted by address: bootloader, partition table, app, other images. Named by
    // the image name and file ("app (firmware/app.bin)").
    std::vector<esp::RegionSource> regions;
    // The NVS partition the per-device image goes to (when the profile has nvs).
    std::optional<esp::Partition> nvs_partition;
    std::shared_ptr<const nvs::Template> nvs_template;
    int nvs_version = 2;
    // From the app image (the image flashed into an app partition, else the image named "app"): the
    // ESP-IDF app description's version ("" when it has none) and the SHA-256 of the file.
    std::string firmware_version;
    std::string firmware_sha256; // 64 lower-case hex digits
    std::string app_name;        // project name from the app description, when present
    // The app image's SHA-256 as the board's running app reports it (esp::running_app_sha256, hex; the
    // image's appended digest): what the test step's firmware check compares with the hello. Empty
    // for images without a chip id (ESP8266).
    std::string app_sha256;
};

// Reads and checks everything the profile names. Errors are Error(input) or Error(not_found) naming the
// config file and line of the offending field and the image file.
FirmwareSet load_firmware(const BoardProfile& profile, const std::filesystem::path& config_file);

// The per-device NVS region ("nvs (TEMPLATE) for SERIAL"), rendered from `fields`. Error(input) when the
// profile has no nvs or the template cannot be rendered. Thread-safe.
esp::RegionSource render_nvs(const FirmwareSet& firmware, const nvs::Fields& fields, const std::string& serial);

// Renders the NVS image once for `sample`, a device of the run's batch, before any board is touched: a
// template that cannot be rendered (a placeholder no field fills, a value its encoding refuses, data
// that does not fit the partition, no secret for {{mqtt_password}}) would fail every board of the batch.
// Error(input) "CONFIG:LINE: profiles.P.nvs.template: ..." naming the template's own line too. Does
// nothing for a profile without nvs.
void check_nvs(const FirmwareSet& firmware, const ledger::Device& sample, const std::string& mqtt_secret,
               const std::string& claim_secret = {});

} // namespace vesper::station
