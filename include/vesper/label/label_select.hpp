#pragma once
// Which devices `vesperctl label` labels. Labels are for boards that passed their factory test (status
// tested or registered); a device labelled before gets another label only as an explicit reprint.
#include <cstdint>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "vesper/ledger/ledger.hpp"

namespace vesper::label {

struct SelectRequest {
    std::vector<std::string> serials;  // these devices, in this order...
    std::optional<std::int64_t> batch; // ...or the batch's, in serial order
    bool include_untested = false;     // also devices that have not passed their test
    bool reprint = false;              // also devices labelled before
};

struct Selected {
    ledger::Device device;
    bool untested = false; // included by include_untested
    bool reprint = false;  // labelled before
};

struct Selection {
    std::vector<Selected> devices;
    std::vector<std::string> left_untested; // batch devices left out: not tested
    std::vector<std::string> left_labelled; // batch devices left out: labelled before
};

// Named serials must all qualify: Error(ledger.device_not_found), Error(label.not_tested) or
// Error(label.already_printed) for the first that does not. A batch's devices that do not qualify are
// left out and listed; Error(label.not_tested) when none is left (the message counts why).
// Error(input) when both or neither of serials and batch are given.
Selection select_devices(const ledger::Ledger& ledger, const SelectRequest& request);

} // namespace vesper::label
