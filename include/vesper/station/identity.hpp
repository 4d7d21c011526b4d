#pragma once
// A device's identity as its NVS template sees it: the ledger device's fields (ledger::template_fields)
// and, when the template uses {{mqtt_password}} / {{claim_code}}, what the MQTT master secret / the claim
// secret derive. The
// one place `nvs build --serial`, `nvs batch` and the flash step build them.
#include <string>
#include <vector>

#include "vesper/ledger/ledger.hpp"
#include "vesper/nvs/template.hpp"

namespace vesper::station {

// Error(secret.missing) naming the template when it uses {{mqtt_password}} and `mqtt_secret` is empty,
// or {{claim_code}} and `claim_secret` is empty.
nvs::Fields identity_fields(const ledger::Device& device, const nvs::Template& tmpl, const std::string& mqtt_secret,
                            const std::string& claim_secret = {});

// Every field name identity_fields can give, for messages.
std::vector<std::string> identity_field_names();

} // namespace vesper::station
