// Station firmware: a profile's files read, laid out and gated (sizes, flash, overlaps, chip, NVS), and
// the per-device NVS image rendered from its template.
#include <catch2/catch.hpp>

#include "temp_dir.hpp"
#include "unit_support.hpp"

#include <filesystem>
#include <functional>
#include <string>

#include "vesper/core/checksum.hpp"
#include "vesper/core/error.hpp"
#include "vesper/core/files.hpp"
#include "vesper/creds/claim_code.hpp"
#include "vesper/creds/mqtt.hpp"
#include "vesper/image/image_synth.hpp"
#include "vesper/nvs/reader.hpp"
#include "vesper/part/partition_table.hpp"
#include "vesper/station/board_test.hpp"
#include "vesper/station/firmware.hpp"
#include "vesper/station/identity.hpp"

using namespace vesper;
using namespace vesper::station;
namespace fs = std::filesystem;

namespace {

using test::error_from;
using test::replaced;

const std::string kTable = R"(# Name, Type, SubType, Offset, Size, Flags
nvs,      data, nvs,    0x9000,  0x5000,
otadata,  data, ota,    0xe000,  0x2000,
fctry,    data, nvs,    0x10000, 0x6000,
ota_0,    app,  ota_0,  0x20000, 0x40000,
ota_1,    app,  ota_1,  0x60000, 0x40000,
storage,  data, spiffs, 0xA0000, 0x10000,
)";

const std::string kTemplate = R"(key,type,encoding,value
vesper,namespace,,
serial_number,data,string,{{serial_number}}
outputs,data,u8,{{available_outputs}}
)";

// Lines: the profile key is line 3, partition_table 8, the bootloader image 10, the app 11, nvs 12.
const std::string kConfig = R"(version: 1
profiles:
  p:
    board_type: BC
    revision: 2
    chip: esp32
    flash: {mode: dio, size: 4MB, freq: 40m}
    partition_table: parts.csv
    images:
      - {name: bootloader, file: firmware/boot.bin, address: 0x1000}
      - {name: app, file: firmware/app.bin, partition: ota_0}
    nvs: {template: ../templates/device.csv, partition: fctry}
)";

// A factory folder: line/f.yaml, line/parts.csv, line/firmware/{boot,app}.bin, templates/device.csv.
struct Line {
    test::TempDir tmp;
    fs::path root = tmp.path();
    fs::path dir = root / "line";
    Bytes app;
    Config config;

    Line() {
        fs::create_directories(dir / "firmware");
        fs::create_directories(root / "templates");
        write_file_atomic(dir / "parts.csv", std::string_view(kTable));
        write_file_atomic(root / "templates" / "device.csv", std::string_view(kTemplate));
        const auto& esp32 = esp::chip_info(esp::Chip::esp32);
        write_file_atomic(dir / "firmware" / "boot.bin",
                          esp::synthesize_app_image(esp32, {.size = 0x4000, .project = "boot", .version = "b1"}));
        set_app(esp32, 0x20000);
    }

    void set_app(const esp::ChipInfo& chip, std::size_t size) {
        app = esp::synthesize_app_image(chip, {.size = size, .project = "vesper-app", .version = "1.4.2"});
        write_file_atomic(dir / "firmware" / "app.bin", app);
    }
    FirmwareSet load(const std::string& yaml = kConfig) {
        write_file_atomic(dir / "f.yaml", std::string_view(yaml));
        config = load_config(dir / "f.yaml");
        return load_firmware(config.profiles.at(0), config.file);
    }
    Error error(const std::string& yaml = kConfig) {
        return error_from([&] { load(yaml); });
    }
    std::string prefix(int line, const std::string& field) const {
        return (dir / "f.yaml").string() + ":" + std::to_string(line) + ": " + field + ": ";
    }
};

// The config with a third image after the app (line 12; nvs moves to line 13).
std::string with_image(const std::string& yaml, const std::string& image) {
    const std::string app = "partition: ota_0}\n";
    return replaced(yaml, app, app + "      - " + image + "\n");
}

} // namespace

TEST_CASE("station firmware: a profile loads into sorted regions", "[station][firmware]") {
    Line line;
    const FirmwareSet fw = line.load();
    CHECK(fw.profile == &line.config.profiles[0]);

    REQUIRE(fw.regions.size() == 3);
    CHECK(fw.regions[0].address == 0x1000);
    CHECK(fw.regions[0].name == "bootloader (firmware/boot.bin)");
    CHECK(fw.regions[0].data == read_file(line.dir / "firmware" / "boot.bin"));
    CHECK(fw.regions[1].address == 0x8000);
    CHECK(fw.regions[1].name == "partition table (parts.csv)");
    CHECK(fw.regions[2].address == 0x20000);
    CHECK(fw.regions[2].name == "app (firmware/app.bin)");
    CHECK(fw.regions[2].data == line.app);

    // The table region is the CSV's table in binary.
    const auto decoded = esp::decode_partition_table(fw.regions[1].data, "region");
    CHECK(decoded.table == fw.table);
    CHECK(decoded.has_md5);
    REQUIRE(fw.table.size() == 6);
    CHECK(fw.table.find("ota_0")->offset == 0x20000);

    CHECK(fw.firmware_version == "1.4.2");
    CHECK(fw.app_name == "vesper-app");
    CHECK(fw.firmware_sha256 == to_hex(sha256(line.app)));
    CHECK(fw.firmware_sha256.size() == 64);

    REQUIRE(fw.nvs_partition);
    CHECK(fw.nvs_partition->name == "fctry");
    CHECK(fw.nvs_partition->offset == 0x10000);
    REQUIRE(fw.nvs_template);
    CHECK(fw.nvs_template->uses("serial_number"));
    CHECK(fw.nvs_version == 2);
}

TEST_CASE("station firmware: the app is the image in an app partition or else the one named app",
          "[station][firmware]") {
    Line line;
    // By address: ota_1's offset makes it the app even though it is called "main".
    write_file_atomic(line.dir / "firmware" / "main.bin", line.app);
    const FirmwareSet by_address =
        line.load(replaced(kConfig, "{name: app, file: firmware/app.bin, partition: ota_0}",
                           "{name: data, file: firmware/boot.bin, partition: storage}\n"
                           "      - {name: main, file: firmware/main.bin, address: 0x60000}"));
    CHECK(by_address.firmware_sha256 == to_hex(sha256(line.app)));
    CHECK(by_address.firmware_version == "1.4.2");

    // Neither: refused.
    const Error none = line.error(replaced(kConfig, "{name: app, file: firmware/app.bin, partition: ota_0}",
                                           "{name: data, file: firmware/boot.bin, partition: storage}"));
    CHECK_THAT(none.what(), Catch::StartsWith(line.prefix(3, "profiles.p.images")) &&
                                Catch::Contains("no app image: none goes to an app partition of parts.csv"));
}

TEST_CASE("station firmware: an app too big for its partition is refused", "[station][firmware]") {
    Line line;
    line.set_app(esp::chip_info(esp::Chip::esp32), 0x50000);
    const Error e = line.error();
    CHECK(e.kind() == ErrorKind::input);
    CHECK(e.code() == ErrorCode::config_invalid);
    CHECK(std::string(e.what()) == line.prefix(11, "profiles.p.images[1]") +
                                       "app firmware/app.bin is 320.0 KB (327680 bytes), partition ota_0 holds "
                                       "256.0 KB (262144 bytes)");
    // Exactly the partition's size fits.
    line.set_app(esp::chip_info(esp::Chip::esp32), 0x40000);
    CHECK_NOTHROW(line.load());
}

TEST_CASE("station firmware: everything must fit the profile's flash size", "[station][firmware]") {
    Line line;
    const Error image = line.error(with_image(replaced(kConfig, "size: 4MB", "size: 1MB"),
                                              "{name: extra, file: firmware/boot.bin, address: 0xFF000}"));
    CHECK_THAT(image.what(), Catch::StartsWith(line.prefix(12, "profiles.p.images[2]")) &&
                                 Catch::Contains("extra (firmware/boot.bin) (0xFF000..0x103000) ends beyond the "
                                                 "profile's 1MB flash"));

    write_file_atomic(line.dir / "parts.csv", replaced(kTable, "0xA0000, 0x10000", "0xA0000, 0x100000"));
    const Error table = line.error(replaced(kConfig, "size: 4MB", "size: 1MB"));
    CHECK_THAT(table.what(), Catch::StartsWith(line.prefix(8, "profiles.p.partition_table")) &&
                                 Catch::Contains("beyond the profile's 1MB flash"));
    // With the size left as built (keep), the gate does not apply.
    CHECK_NOTHROW(line.load(replaced(kConfig, "size: 4MB", "size: keep")));
}

TEST_CASE("station firmware: overlapping images are refused", "[station][firmware]") {
    Line line;
    const Error e = line.error(with_image(kConfig, "{name: extra, file: firmware/boot.bin, address: 0x30000}"));
    CHECK(e.kind() == ErrorKind::input);
    CHECK(e.code() == ErrorCode::flash_out_of_range);
    CHECK_THAT(e.what(), Catch::StartsWith(line.prefix(12, "profiles.p.images[2]")) &&
                             Catch::Contains("extra (firmware/boot.bin) (0x30000..0x34000) overlaps app "
                                             "(firmware/app.bin) (0x20000..0x40000, line 11)"));

    // An image over the partition table, and one over the per-device NVS partition.
    const Error table = line.error(replaced(kConfig, "address: 0x1000}", "address: 0x6000}"));
    CHECK(std::string(table.what()) == line.prefix(8, "profiles.p.partition_table") +
                                           "partition table (parts.csv) (0x8000..0x8C00) overlaps bootloader "
                                           "(firmware/boot.bin) (0x6000..0xA000, line 10)");
    const Error nvs = line.error(with_image(kConfig, "{name: extra, file: firmware/boot.bin, address: 0x13000}"));
    CHECK_THAT(nvs.what(), Catch::StartsWith(line.prefix(12, "profiles.p.images[2]")) &&
                               Catch::Contains("overlaps nvs partition fctry"));
}

TEST_CASE("station firmware: an app for another chip is refused", "[station][firmware]") {
    Line line;
    line.set_app(esp::chip_info(esp::Chip::esp32s3), 0x20000);
    const Error e = line.error();
    CHECK(e.kind() == ErrorKind::input);
    CHECK(e.code() == ErrorCode::image_chip_mismatch);
    CHECK(std::string(e.what()) ==
          line.prefix(11, "profiles.p.images[1].file") +
              "app firmware/app.bin is built for ESP32-S3 (chip id 9), but the profile's chip is ESP32");

    // A file that is no image at all.
    write_file_atomic(line.dir / "firmware" / "app.bin", Bytes(0x1000, 0x00));
    CHECK_THAT(line.error().what(), Catch::StartsWith(line.prefix(11, "profiles.p.images[1].file")) &&
                                        Catch::Contains("app firmware/app.bin is not an ESP image"));

    // A corrupted app (one byte of segment data flipped).
    line.set_app(esp::chip_info(esp::Chip::esp32), 0x20000);
    Bytes bad = line.app;
    bad[0x200] ^= 0x01;
    write_file_atomic(line.dir / "firmware" / "app.bin", bad);
    CHECK_THAT(line.error().what(), Catch::Contains("app firmware/app.bin is corrupt"));
}

TEST_CASE("station firmware: the bootloader must be for the chip and take the flash settings", "[station][firmware]") {
    Line line;
    write_file_atomic(line.dir / "firmware" / "boot.bin",
                      esp::synthesize_app_image(esp::chip_info(esp::Chip::esp32c3), {.size = 0x4000}));
    CHECK_THAT(line.error().what(), Catch::StartsWith(line.prefix(10, "profiles.p.images[0].file")) &&
                                        Catch::Contains("bootloader firmware/boot.bin is built for ESP32-C3"));

    // Flash settings the bootloader header cannot take are found before any board (a profile built in
    // code; parse_config already refuses such names).
    write_file_atomic(line.dir / "firmware" / "boot.bin",
                      esp::synthesize_app_image(esp::chip_info(esp::Chip::esp32), {.size = 0x4000}));
    line.load();
    BoardProfile p = line.config.profiles.at(0);
    p.flash_mode = "fast";
    const Error e = error_from([&] { load_firmware(p, line.config.file); });
    CHECK_THAT(e.what(), Catch::StartsWith(line.prefix(10, "profiles.p.images[0]") +
                                           "cannot apply the profile's flash settings: ") &&
                             Catch::Contains("fast"));
    p.flash_mode = "keep";
    p.flash_size = "detect"; // the board's own size, known only when flashing: nothing to check now
    CHECK_NOTHROW(load_firmware(p, line.config.file));
}

TEST_CASE("station firmware: missing files are not_found naming the file and the config line", "[station][firmware]") {
    Line line;
    fs::remove(line.dir / "firmware" / "app.bin");
    const Error app = line.error();
    CHECK(app.kind() == ErrorKind::not_found);
    CHECK_THAT(app.what(), Catch::StartsWith(line.prefix(11, "profiles.p.images[1].file") +
                                             "image file firmware/app.bin not found (looked for "));

    const Error table = line.error(replaced(kConfig, "parts.csv", "nope.csv"));
    CHECK(table.kind() == ErrorKind::not_found);
    CHECK_THAT(table.what(),
               Catch::StartsWith(line.prefix(8, "profiles.p.partition_table") + "partition table nope.csv not found"));

    line.set_app(esp::chip_info(esp::Chip::esp32), 0x20000);
    const Error tmpl = line.error(replaced(kConfig, "device.csv", "gone.csv"));
    CHECK(tmpl.kind() == ErrorKind::not_found);
    CHECK_THAT(tmpl.what(),
               Catch::StartsWith(line.prefix(12, "profiles.p.nvs.template")) && Catch::Contains("gone.csv"));
}

TEST_CASE("station firmware: bad partition tables and partitions", "[station][firmware]") {
    Line line;
    write_file_atomic(line.dir / "parts.csv", kTable + "broken, data, nvs, 0x9000, 0x1000,\n");
    const Error csv = line.error();
    CHECK(csv.kind() == ErrorKind::input);
    CHECK_THAT(csv.what(), Catch::StartsWith(line.prefix(8, "profiles.p.partition_table") + "parts.csv:"));

    write_file_atomic(line.dir / "parts.csv", std::string_view(kTable));
    const Error part = line.error(replaced(kConfig, "partition: ota_0", "partition: ota_7"));
    CHECK(std::string(part.what()) ==
          line.prefix(11, "profiles.p.images[1].partition") +
              "no partition 'ota_7' in parts.csv (partitions: nvs, otadata, fctry, ota_0, ota_1, storage)");
}

TEST_CASE("station firmware: the NVS template and partition are checked", "[station][firmware]") {
    Line line;
    write_file_atomic(line.root / "templates" / "device.csv",
                      std::string_view("key,type,encoding,value\nvesper,namespace,,\nx,data,float,1\n"));
    const Error bad = line.error();
    CHECK(bad.kind() == ErrorKind::input);
    CHECK_THAT(bad.what(),
               Catch::StartsWith(line.prefix(12, "profiles.p.nvs.template")) && Catch::Contains("device.csv:3"));

    write_file_atomic(line.root / "templates" / "device.csv", std::string_view(kTemplate));
    const Error missing = line.error(replaced(kConfig, "partition: fctry", "partition: factory"));
    CHECK(std::string(missing.what()) ==
          line.prefix(12, "profiles.p.nvs.partition") +
              "no partition 'factory' in parts.csv (partitions: nvs, otadata, fctry, ota_0, ota_1, storage)");
    const Error wrong = line.error(replaced(kConfig, "partition: fctry", "partition: storage"));
    CHECK(std::string(wrong.what()) ==
          line.prefix(12, "profiles.p.nvs.partition") + "partition 'storage' is data/spiffs, not data/nvs");
    CHECK_NOTHROW(line.load(replaced(kConfig, "partition: fctry", "partition: nvs")));

    // A read-only NVS partition may be smaller than 0x3000 in the table, but an image rendered for it
    // cannot be (NVS keeps one page spare): refused here, not on every board.
    write_file_atomic(line.dir / "parts.csv", replaced(kTable, "0x10000, 0x6000,", "0x10000, 0x2000, readonly"));
    const Error small = line.error();
    CHECK(small.kind() == ErrorKind::input);
    CHECK_THAT(small.what(), Catch::StartsWith(line.prefix(12, "profiles.p.nvs.partition") + "partition 'fctry': ") &&
                                 Catch::Contains("is too small"));
}

TEST_CASE("station firmware: render_nvs gives the device's NVS image at its partition", "[station][firmware]") {
    Line line;
    const FirmwareSet fw = line.load();
    const std::string serial = "PV-26113-BC02R-7K3QX";
    const esp::RegionSource r = render_nvs(fw, {{"serial_number", serial}, {"available_outputs", "8"}}, serial);
    CHECK(r.address == 0x10000);
    CHECK(r.name == "nvs (device.csv) for " + serial);
    CHECK(r.data.size() == 0x6000);

    const nvs::Dump dump = nvs::read_image(r.data);
    CHECK(dump.ok());
    REQUIRE(dump.values.size() == 2);
    CHECK(dump.values[0].ns == "vesper");
    CHECK(dump.values[0].key == "serial_number");
    CHECK(std::string(dump.values[0].data.begin(), dump.values[0].data.end()) == serial);
    CHECK(dump.values[1].key == "outputs");
    CHECK(dump.values[1].integer == 8);

    // A missing field names the device.
    const Error e = error_from([&] { render_nvs(fw, {{"serial_number", serial}}, serial); });
    CHECK(e.kind() == ErrorKind::input);
    CHECK_THAT(e.what(), Catch::StartsWith("nvs for " + serial + ": ") && Catch::Contains("available_outputs"));

    // Version 1 is honoured.
    const FirmwareSet v1 = line.load(replaced(kConfig, "partition: fctry}", "partition: fctry, version: 1}"));
    const esp::RegionSource r1 = render_nvs(v1, {{"serial_number", serial}, {"available_outputs", "8"}}, serial);
    CHECK(nvs::read_image(r1.data).pages.at(0).version_byte == 0xFF);
    CHECK(nvs::read_image(r.data).pages.at(0).version_byte == 0xFE);

    // A profile without nvs has nothing to render.
    const FirmwareSet plain =
        line.load(replaced(kConfig, "    nvs: {template: ../templates/device.csv, partition: fctry}\n", ""));
    CHECK_FALSE(plain.nvs_partition);
    const Error none = error_from([&] { render_nvs(plain, {}, serial); });
    CHECK_THAT(none.what(), Catch::Contains("profile p has no nvs"));
}

TEST_CASE("station firmware: a template placeholder no field fills is refused at load", "[station][firmware]") {
    Line line;
    // Line 4 of the template; every board would have failed on it after being bound.
    write_file_atomic(line.root / "templates" / "device.csv",
                      replaced(kTemplate, "{{serial_number}}\n", "{{serial_number}}\nsn,data,string,{{serial}}\n"));
    const Error e = line.error();
    CHECK(e.kind() == ErrorKind::input);
    CHECK_THAT(e.what(), Catch::StartsWith(line.prefix(12, "profiles.p.nvs.template")) &&
                             Catch::Contains("device.csv:4: key 'sn': unknown placeholder {{serial}} (fields: ") &&
                             Catch::Contains("serial_number") && Catch::Contains("mqtt_password"));
}

TEST_CASE("station firmware: check_nvs renders once for a device of the batch, naming the config line",
          "[station][firmware]") {
    Line line;
    ledger::Device sample;
    sample.serial = "PV-26113-BC02R-7K3QX";
    sample.available_outputs = 8;
    // Renders: nothing to say.
    const FirmwareSet fw = line.load();
    CHECK_NOTHROW(check_nvs(fw, sample, ""));

    // A value its encoding refuses for this batch's devices: a serial number is no u32.
    write_file_atomic(line.root / "templates" / "device.csv", kTemplate + "sn,data,u32,{{serial_number}}\n");
    const FirmwareSet bad = line.load();
    const Error e = error_from([&] { check_nvs(bad, sample, ""); });
    CHECK(e.kind() == ErrorKind::input);
    CHECK_THAT(e.what(), Catch::StartsWith(line.prefix(12, "profiles.p.nvs.template") + "nvs for " + sample.serial) &&
                             Catch::Contains("device.csv:5: key 'sn'"));

    // {{mqtt_password}} without a secret.
    write_file_atomic(line.root / "templates" / "device.csv", kTemplate + "pw,data,string,{{mqtt_password}}\n");
    const FirmwareSet secret = line.load();
    const Error none = error_from([&] { check_nvs(secret, sample, ""); });
    CHECK_THAT(none.what(), Catch::StartsWith(line.prefix(12, "profiles.p.nvs.template")) &&
                                Catch::Contains("no MQTT master secret"));
    CHECK_NOTHROW(check_nvs(secret, sample, "a-secret"));
}

TEST_CASE("station firmware: {{claim_code}} loads as a field and renders only with the claim secret",
          "[station][firmware][claim]") {
    Line line;
    ledger::Device sample;
    sample.serial = "PV-26113-BC02R-7K3QX";
    sample.available_outputs = 8;
    write_file_atomic(line.root / "templates" / "device.csv", kTemplate + "claim,data,string,{{claim_code}}\n");
    const FirmwareSet fw = line.load();
    const Error none = error_from([&] { check_nvs(fw, sample, "mqtt-only"); });
    CHECK(none.code() == ErrorCode::secret_missing);
    CHECK_THAT(none.what(), Catch::Contains("{{claim_code}}") && Catch::Contains("VESPER_CLAIM_SECRET"));
    const std::string claim_secret = "claim-secret-for-station-tests";
    CHECK_NOTHROW(check_nvs(fw, sample, "", claim_secret));
    const nvs::Fields fields = identity_fields(sample, *fw.nvs_template, "", claim_secret);
    CHECK(fields.at("claim_code") == creds::claim_code(claim_secret, sample.serial));
}

TEST_CASE("station board test: the expected identity is read back from the NVS image rendered for the device",
          "[station][firmware][factory]") {
    Line line;
    write_file_atomic(
        line.root / "templates" / "device.csv",
        std::string_view("key,type,encoding,value\nvesper,namespace,,\n"
                         "serial_number,data,string,{{serial_number}}\nhw_type,data,string,{{hw_type}}\n"
                         "hw_version,data,string,{{hw_version}}\nmqtt_pass,data,string,{{mqtt_password}}\n"
                         "plan,data,string,{{subscription_plan}}\noutputs,data,u8,{{available_outputs}}\n"
                         "batch_id,data,u32,{{batch_id}}\nother,namespace,,\nserial_number,data,string,x\n"));
    const FirmwareSet fw = line.load();
    ledger::Device d;
    d.serial = "PV-26113-BC02R-7K3QX";
    d.batch_id = 12;
    d.hw_type = "BC";
    d.hw_version = "02";
    d.subscription_plan = "pro";
    d.available_outputs = 6;
    const std::string secret(64, 'a');
    const factory::ExpectedIdentity id = expected_identity(fw, d, secret);
    CHECK(id.serial_number == d.serial); // not the other namespace's "x"
    CHECK(id.hw_type == "BC");
    CHECK(id.hw_version == "02");
    CHECK(id.plan == "pro");
    CHECK(id.outputs == 6);
    CHECK(id.batch_id == 12);
    const std::string password = creds::mqtt_password(secret, d.serial);
    CHECK(id.mqtt_pass_sha256 ==
          to_hex(sha256(ByteView(reinterpret_cast<const std::uint8_t*>(password.data()), password.size()))));
    // The password itself is nowhere in it.
    CHECK(id.mqtt_pass_sha256.find(password) == std::string::npos);

    // The template needs the secret: without it, the same error the flash step gives.
    CHECK(error_from([&] { expected_identity(fw, d, ""); }).code() == ErrorCode::secret_missing);

    // The ledger's fields alone, for a board tested without its profile.
    const factory::ExpectedIdentity plain = ledger_identity(d);
    CHECK(plain.serial_number == d.serial);
    CHECK(plain.plan == "pro");
    CHECK(plain.outputs == 6);
    CHECK(plain.mqtt_pass_sha256.empty());
}
