#include "vesper/station/identity.hpp"

#include "vesper/core/error.hpp"
#include "vesper/creds/claim_code.hpp"
#include "vesper/creds/mqtt.hpp"

namespace vesper::station {

nvs::Fields identity_fields(const ledger::Device& device, const nvs::Template& tmpl, const std::string& mqtt_secret,
                            const std::string& claim_secret) {
    nvs::Fields fields = ledger::template_fields(device);
    if (tmpl.uses(creds::kMqttPasswordField)) {
        if (mqtt_secret.empty())
            fail(ErrorCode::secret_missing, tmpl.source() +
                                                ": the template uses {{mqtt_password}} but no MQTT master secret was "
                                                "given ($VESPER_MQTT_SECRET or --secret-file)");
        fields[creds::kMqttPasswordField] = creds::mqtt_password(mqtt_secret, device.serial);
    }
    if (tmpl.uses(creds::kClaimCodeField)) {
        if (claim_secret.empty())
            fail(ErrorCode::secret_missing, tmpl.source() + ": the template uses {{claim_code}} but no claim secret "
                                                            "was given ($VESPER_CLAIM_SECRET or --claim-secret-file)");
        fields[creds::kClaimCodeField] = creds::claim_code(claim_secret, device.serial);
    }
    return fields;
}

std::vector<std::string> identity_field_names() {
    std::vector<std::string> names;
    for (const auto& [name, value] : ledger::template_fields(ledger::Device{}))
        names.push_back(name);
    names.push_back(creds::kMqttPasswordField);
    names.push_back(creds::kClaimCodeField);
    return names;
}

} // namespace vesper::station
