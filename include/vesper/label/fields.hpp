#pragma once
// What a label's placeholders stand for: a device record's fields as label text. Known placeholders:
// serial_number, hw_type, hw_version, mac (upper case, colons), batch_id, subscription_plan,
// available_outputs, date (YYYY-MM-DD of manufacture), date_code (YYWW, ISO week of manufacture) and
// claim_code (only when a claim secret is given).
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "vesper/ledger/ledger.hpp"

namespace vesper::label {

using Values = std::map<std::string, std::string>;

const std::vector<std::string>& placeholder_names();

// The values for one device; claim_code only when `claim_code` is not empty.
Values device_values(const ledger::Device& device, const std::string& claim_code = {});
// Values of the greatest length each placeholder can take (a claim code included), for checking a
// layout before any device is at hand.
const Values& sample_values();

// The placeholder names in a template, in order of appearance (repeats kept). Error(label.placeholder)
// "{{" without "}}" or an empty name.
std::vector<std::string> placeholders_in(std::string_view tmpl);
// The template with every {{name}} replaced. Error(label.placeholder) naming the first one `values`
// lacks.
std::string expand(std::string_view tmpl, const Values& values);

} // namespace vesper::label
