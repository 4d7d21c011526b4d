#include "vesper/label/label_select.hpp"

#include "vesper/core/error.hpp"

namespace vesper::label {

namespace {

bool passed_test(const ledger::Device& d) {
    return d.status == ledger::DeviceStatus::tested || d.status == ledger::DeviceStatus::registered;
}

} // namespace

Selection select_devices(const ledger::Ledger& ledger, const SelectRequest& request) {
    if (request.serials.empty() == !request.batch)
        fail(ErrorCode::cli_usage, "give serial numbers or --batch ID (one of the two)");
    Selection out;
    ledger.read_snapshot([&] {
        if (!request.serials.empty()) {
            for (const auto& serial : request.serials) {
                const auto device = ledger.find_device(serial);
                if (!device)
                    fail(ErrorCode::ledger_device_not_found,
                         "device " + serial + " not found in ledger " + ledger.path().string());
                const bool untested = !passed_test(*device);
                if (untested && !request.include_untested)
                    fail(ErrorCode::label_not_tested, serial + " is " + ledger::to_string(device->status) +
                                                          ", not tested: it gets a label after it passes its test "
                                                          "(--include-untested to label it anyway)");
                const bool labelled = !ledger.labels_of(serial).empty();
                if (labelled && !request.reprint)
                    fail(ErrorCode::label_already_printed,
                         serial + " has a label already: --reprint to make another (recorded in the audit log)");
                out.devices.push_back({*device, untested, labelled});
            }
            return;
        }
        const auto batch = ledger.get_batch(*request.batch);
        std::set<std::string> labelled;
        for (const auto& l : ledger.labels_of_batch(batch.id))
            labelled.insert(l.serial);
        for (const auto& device : ledger.devices_of_batch(batch.id)) {
            const bool untested = !passed_test(device);
            const bool before = labelled.count(device.serial) > 0;
            if (untested && !request.include_untested)
                out.left_untested.push_back(device.serial);
            else if (before && !request.reprint)
                out.left_labelled.push_back(device.serial);
            else
                out.devices.push_back({device, untested, before});
        }
    });
    if (out.devices.empty() && request.batch) {
        const auto n = [](std::size_t k) { return std::to_string(k); };
        const std::string why = n(out.left_untested.size()) + " not tested, " + n(out.left_labelled.size()) +
                                " labelled before (--include-untested, --reprint)";
        // Tested devices labelled before: a reprint is what is missing; else nothing was tested.
        if (!out.left_labelled.empty())
            fail(ErrorCode::label_already_printed,
                 "batch " + std::to_string(*request.batch) + " has no device to label: " + why);
        fail(ErrorCode::label_not_tested,
             "batch " + std::to_string(*request.batch) + " has no device to label: " + why);
    }
    return out;
}

} // namespace vesper::label
