#pragma once
// Steps by name, as the factory config's `pipeline:` names them. A step is added by writing its class
// and one line in the built-in table (step_registry.cpp), or at run time with register_step() (a
// test's own steps). A step is built per port worker (steps may keep per-board state) from the run's
// settings and the things its ports share.
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "vesper/flash/deflate_cache.hpp"
#include "vesper/flash/flasher.hpp"
#include "vesper/station/pipeline.hpp"

namespace vesper::station {

// Every step's settings for one run, from the config and the command line.
struct StepSettings {
    esp::FlashOptions flash;       // compress, force, verify
    bool reset_after_flash = true; // hard reset into the app when flashing is done
    std::string mqtt_secret;       // for templates that use {{mqtt_password}}; never logged
    std::string claim_secret;      // for templates that use {{claim_code}}; never logged
};

// What the ports of one run share. Outlives every pipeline built with it.
struct StepShared {
    esp::DeflateCache deflate_cache; // one compression per image for every port
};

using StepFactory = std::function<std::unique_ptr<Step>(const StepSettings&, StepShared&)>;

// Adds a step under `name` (1-32 of a-z 0-9 - _); Error(internal) if the name is taken.
void register_step(const std::string& name, StepFactory factory);
bool step_exists(const std::string& name);
std::vector<std::string> step_names(); // sorted

// The pipeline for `names` in order; Error(config.invalid) for a name no step has.
Pipeline build_pipeline(const std::vector<std::string>& names, const StepSettings& settings, StepShared& shared);

} // namespace vesper::station
