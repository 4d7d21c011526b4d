// `nvs build --template`, `nvs batch` and the station's per-board render: a template compiled with
// placeholders on, rendered with the fields a ledger device gives (ledger::template_fields) plus the MQTT
// password.
#include "fuzz_support.hpp"
#include "vesper/nvs/csv.hpp"
#include "vesper/nvs/template.hpp"

using namespace vesper;

VESPER_FUZZ_TARGET(fuzz_nvs_template)(const std::uint8_t* data, std::size_t size) {
    static const nvs::Fields fields = {
        {"serial_number", "PV-26K21-BC02R-A7K3M"},
        {"hw_type", "BC"},
        {"hw_version", "02"},
        {"subscription_plan", "basic"},
        {"available_outputs", "4"},
        {"batch_id", "1"},
        {"status", "reserved"},
        {"mac", "AA:BB:CC:DD:EE:FF"},
        {"created_at", "2026-11-21T09:30:00Z"},
        {"mqtt_password", "0123456789abcdef0123456789abcdef"},
    };
    fuzz::expect_errors([&] {
        const nvs::CsvFile csv =
            nvs::parse_csv(fuzz::text(data, size), "fuzz.csv", VESPER_SOURCE_DIR "/tests/vectors/nvs");
        const nvs::Template t = nvs::Template::compile(csv);
        (void)t.placeholders();
        Bytes out;
        for (nvs::Version v : {nvs::Version::v1, nvs::Version::v2})
            fuzz::expect_errors([&] { (void)t.render_into(fields, 0x6000, v, out); });
    });
    return 0;
}
