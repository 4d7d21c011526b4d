#include "vesper/station/step_registry.hpp"

#include <map>
#include <mutex>

#include "vesper/core/text.hpp"
#include "vesper/station/flash_step.hpp"
#include "vesper/station/label_step.hpp"
#include "vesper/station/register_step.hpp"
#include "vesper/station/test_step.hpp"

namespace vesper::station {

namespace {

struct Registry {
    std::mutex mutex;
    std::map<std::string, StepFactory> factories;
};

Registry& registry() {
    // The built-in steps: one line each.
    static Registry r{{},
                      {
                          {"flash", [](const StepSettings& s, StepShared& sh) { return make_flash_step(s, sh); }},
                          {"test", [](const StepSettings& s, StepShared& sh) { return make_test_step(s, sh); }},
                          {"label", [](const StepSettings& s, StepShared& sh) { return make_label_step(s, sh); }},
                          {"register", [](const StepSettings& s, StepShared& sh) { return make_register_step(s, sh); }},
                      }};
    return r;
}

} // namespace

void register_step(const std::string& name, StepFactory factory) {
    if (!ledger::is_step_name(name))
        fail(ErrorCode::internal, "step name '" + name + "': must be 1-32 of a-z, 0-9, '-', '_'");
    Registry& r = registry();
    std::lock_guard lock(r.mutex);
    if (!r.factories.emplace(name, std::move(factory)).second)
        fail(ErrorCode::internal, "step '" + name + "' is registered twice");
}

bool step_exists(const std::string& name) {
    Registry& r = registry();
    std::lock_guard lock(r.mutex);
    return r.factories.count(name) > 0;
}

std::vector<std::string> step_names() {
    Registry& r = registry();
    std::lock_guard lock(r.mutex);
    std::vector<std::string> out;
    for (const auto& [name, factory] : r.factories)
        out.push_back(name);
    return out;
}

Pipeline build_pipeline(const std::vector<std::string>& names, const StepSettings& settings, StepShared& shared) {
    Pipeline pipeline;
    for (const auto& name : names) {
        StepFactory factory;
        {
            Registry& r = registry();
            std::lock_guard lock(r.mutex);
            auto it = r.factories.find(name);
            if (it != r.factories.end()) factory = it->second;
        }
        if (!factory) fail(ErrorCode::config_invalid, "no step '" + name + "' (steps: " + join(step_names()) + ")");
        pipeline.push_back(factory(settings, shared));
    }
    return pipeline;
}

} // namespace vesper::station
