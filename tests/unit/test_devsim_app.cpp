// The simulated board runs the companion firmware's factory console (tools/devsim/app, sim_hal): the
// boot log, the hello the host library decodes, every built-in command over the simulated HAL, the
// identity read from the board's own NVS, the factory flag written into its flash, reboots and the
// listening window in modelled time.
#include <catch2/catch.hpp>

#include <map>

#include "devsim_app_support.hpp"
#include "temp_dir.hpp"
#include "vesper/core/checksum.hpp"
#include "vesper/image/image.hpp"
#include "vesper/nvs/reader.hpp"

using namespace vesper;
using namespace vesper::devsim_test;
using nlohmann::json;

namespace {

std::optional<std::uint64_t> factory_flag_in(devsim::FlashStore& flash) {
    for (const nvs::NvsValue& v : nvs::read_image(flash.read(kNvsAddr, kNvsSize)).values)
        if (v.ns == "vesper_fct" && v.key == "factory_ok" && v.type == nvs::ItemType::u8) return v.integer;
    return std::nullopt;
}

} // namespace

TEST_CASE("devsim app: boot log, banner, then a hello the host library decodes", "[devsim][app]") {
    const esp::ChipInfo& chip = esp::chip_by_name("esp32s3");
    Board b(app_config("esp32s3"));
    const std::string out = b.read();
    CHECK(out.find("rst:0x1 (POWERON),boot:0x8 (SPI_FAST_FLASH_BOOT)") != std::string::npos);
    CHECK(out.find("I (") != std::string::npos);
    CHECK(out.find("boot: Loaded app from partition at offset 0x20000") != std::string::npos);
    CHECK(out.find("app_init: Project name:     vesper-factory") != std::string::npos);
    CHECK(out.find("vesper-devsim app ready: chip esp32s3, MAC 7c:df:a1:00:00:2a") != std::string::npos);
    // The hello comes after the boot log.
    REQUIRE(out.find("~VF1 0 hello") != std::string::npos);
    CHECK(out.find("~VF1 0 hello") > out.find("app ready"));

    const auto frames = frames_of(out);
    REQUIRE(frames.size() == 1);
    const factory::Frame& hello = frames[0];
    CHECK(hello.id == 0);
    CHECK(hello.word == "hello");
    CHECK(hello.body.at("proto") == 1);
    CHECK(hello.body.at("fw") == "vesper-factory");
    CHECK(hello.body.at("fw_version") == "1.4.2");
    // esp_partition_get_sha256 of an image with an appended hash: that hash.
    const Bytes app = app_image(chip);
    const esp::ImageInfo info = esp::parse_image(app, "app");
    REQUIRE(info.sha256_present);
    CHECK(hello.body.at("app_sha256") == to_hex(info.sha256_stored));
    CHECK(hello.body.at("caps") ==
          json::array({"hello", "info", "identity", "outputs", "gpio", "wifi_scan", "mark_tested", "reboot"}));
    CHECK(b.device->app().console().state() == vesper_factory::Console::State::active);
}

TEST_CASE("devsim app: an image without an appended hash reports the SHA-256 of the image bytes", "[devsim][app]") {
    const esp::ChipInfo& chip = esp::chip_by_name("esp32");
    Bytes app = app_image(chip);
    esp::ImageInfo info = esp::parse_image(app, "app");
    // Clear the flag (byte 23 of the extended header) and drop the hash: the image still verifies.
    app[23] = 0;
    app.resize(info.sha256_offset);
    info = esp::parse_image(app, "app");
    REQUIRE_FALSE(info.sha256_present);
    REQUIRE(info.valid());
    auto flash = devsim::FlashStore::in_memory(0x400000);
    provision(flash, chip, {.app = false});
    flash.program(kAppAddr, app);
    Board b(app_config("esp32"), std::move(flash), {}, nullptr, false);
    const auto frames = frames_of(b.read());
    REQUIRE(frames.size() == 1);
    CHECK(frames[0].body.at("app_sha256") == to_hex(sha256(ByteView(app).first(info.image_size))));
}

TEST_CASE("devsim app: every command answers from the simulated board", "[devsim][app]") {
    Board b(app_config("esp32s3"));
    b.read();

    SECTION("info: chip row, device MAC, flash id and size, heap, reset reason, firmware") {
        const factory::Frame a = answer_of(b.ask(1, "info"), 1);
        REQUIRE(a.word == "ok");
        CHECK(a.body.at("chip") == "ESP32-S3");
        CHECK(a.body.at("revision") == 0);
        CHECK(a.body.at("mac") == "7c:df:a1:00:00:2a");
        CHECK(a.body.at("flash_id") == "0xEF4016");
        CHECK(a.body.at("flash_size") == 4194304);
        CHECK(a.body.at("psram_size") == 0);
        CHECK(a.body.at("free_heap").get<int>() > 200000);
        CHECK(a.body.at("min_free_heap").get<int>() < a.body.at("free_heap").get<int>());
        CHECK(a.body.at("reset_reason") == "poweron");
        CHECK(a.body.at("fw") == "vesper-factory");
        CHECK(a.body.at("fw_version") == "1.4.2");
    }
    SECTION("identity: the fctry partition as the NVS generator wrote it, the password only hashed") {
        const std::string out = b.ask(2, "identity");
        const factory::Frame a = answer_of(out, 2);
        REQUIRE(a.word == "ok");
        const nvs::Fields& f = identity_fields();
        CHECK(a.body.at("serial_number") == f.at("serial_number"));
        CHECK(a.body.at("hw_type") == f.at("hw_type"));
        CHECK(a.body.at("hw_version") == f.at("hw_version"));
        CHECK(a.body.at("plan") == f.at("subscription_plan"));
        CHECK(a.body.at("outputs") == 6);
        CHECK(a.body.at("batch_id") == 4242);
        CHECK(a.body.at("mqtt_pass_sha256") == to_hex(sha256(as_bytes(f.at("mqtt_password")))));
        CHECK(out.find(f.at("mqtt_password")) == std::string::npos);
    }
    SECTION("outputs: as many as the identity says, each following its drive") {
        const factory::Frame a = answer_of(b.ask(3, "outputs"), 3);
        REQUIRE(a.word == "ok");
        CHECK(a.body.at("count") == 6);
        CHECK(a.body.at("passed") == true);
        CHECK(a.body.at("failed") == json::array());
    }
    SECTION("gpio: the fixture's wired pairs pass both ways, an unwired pair fails") {
        const factory::Frame a = answer_of(b.ask(4, "gpio"), 4);
        REQUIRE(a.word == "ok");
        CHECK(a.body.at("tested") == 2);
        CHECK(a.body.at("failed") == json::array());
        const factory::Frame open = answer_of(b.ask(5, "gpio", {{"pairs", {{21, 22}}}}), 5);
        CHECK(open.body.at("failed") == json{{21, 22}});
        const factory::Frame flash_pin = answer_of(b.ask(6, "gpio", {{"pairs", {{6, 7}}}}), 6);
        CHECK(flash_pin.word == "err");
        CHECK(flash_pin.body.at("code") == "bad_args");
    }
    SECTION("wifi_scan: the simulated networks, strongest first, a non-UTF-8 SSID among them") {
        const factory::Frame a = answer_of(b.ask(7, "wifi_scan"), 7);
        REQUIRE(a.word == "ok");
        CHECK(a.body.at("count") == 3);
        CHECK(a.body.at("best_rssi") == -47);
        CHECK(a.body.at("networks").at(0).at("ssid") == "vesper-line");
        CHECK(a.body.at("networks").at(0).at("channel") == 6);
        CHECK(a.body.at("networks").size() == 3);
    }
    SECTION("an unknown command is an err answer") {
        const factory::Frame a = answer_of(b.ask(8, "selfdestruct"), 8);
        CHECK(a.word == "err");
        CHECK(a.body.at("code") == "unknown_command");
    }
}

TEST_CASE("devsim app: no fctry partition, no identity, and no nvs partition, no flag", "[devsim][app]") {
    Board b(app_config("esp32"), {.identity = false});
    b.read();
    const factory::Frame id = answer_of(b.ask(1, "identity"), 1);
    CHECK(id.body.at("serial_number").is_null());
    CHECK(id.body.at("outputs").is_null());
    // Without the identity's count, the board's 8 outputs.
    CHECK(answer_of(b.ask(2, "outputs"), 2).body.at("count") == 8);

    // A table without an nvs partition: mark_tested cannot store the flag.
    const esp::ChipInfo& chip = esp::chip_by_name("esp32");
    auto flash = devsim::FlashStore::in_memory(0x400000);
    esp::PartitionTable table({{"fctry", esp::kTypeData, esp::kSubtypeNvs, 0x10000, 0x6000},
                               {"factory", esp::kTypeApp, esp::kSubtypeFactory, 0x20000, 0x100000}});
    flash.program(kTableAddr, esp::encode_partition_table(table));
    flash.program(kAppAddr, app_image(chip));
    Board c(app_config("esp32"), std::move(flash), {}, nullptr, false);
    REQUIRE(frames_of(c.read()).size() == 1);
    const factory::Frame m = answer_of(c.ask(1, "mark_tested"), 1);
    CHECK(m.word == "err");
    CHECK(m.body.at("code") == "hw_error");
}

TEST_CASE("devsim app: no valid app, no console", "[devsim][app]") {
    SECTION("nothing flashed") {
        Board b(app_config("esp32"), {.app = false});
        const std::string out = b.read();
        CHECK(out.find("E (") != std::string::npos);
        CHECK(out.find("esp_image: image at 0x20000 has invalid magic byte (nothing flashed here?)") !=
              std::string::npos);
        CHECK(out.find("boot: No bootable app partitions in the partition table") != std::string::npos);
        CHECK(out.find("app ready") == std::string::npos);
        CHECK(out.find("~VF1") == std::string::npos);
        CHECK(b.ask(1, "hello", nullptr, 5s).empty());
        CHECK_FALSE(b.device->app().console_running());
    }
    SECTION("a corrupted image") {
        const esp::ChipInfo& chip = esp::chip_by_name("esp32");
        auto flash = devsim::FlashStore::in_memory(0x400000);
        provision(flash, chip, {.app = false});
        Bytes app = app_image(chip);
        app[0x100] ^= 0x01; // inside a segment: the checksum no longer matches
        flash.program(kAppAddr, app);
        Board b(app_config("esp32"), std::move(flash), {}, nullptr, false);
        const std::string out = b.read();
        CHECK(out.find("esp_image: Checksum failed.") != std::string::npos);
        CHECK(out.find("OTA app partition slot 0 is not bootable") != std::string::npos);
        CHECK(out.find("~VF1") == std::string::npos);
    }
}

TEST_CASE("devsim app: mark_tested stores the flag in flash, and the next boot is silent and listens 3 s",
          "[devsim][app]") {
    test::TempDir dir;
    const auto file = dir / "flash.bin";
    const esp::ChipInfo& chip = esp::chip_by_name("esp32s3");
    {
        auto flash = devsim::FlashStore::open_file(file, 0x400000);
        provision(flash, chip);
        Board b(app_config("esp32s3"), std::move(flash), {}, nullptr, false);
        REQUIRE(frames_of(b.read()).size() == 1);
        const factory::Frame m = answer_of(b.ask(1, "mark_tested"), 1);
        REQUIRE(m.word == "ok");
        CHECK(m.body.at("factory_ok") == true);
        CHECK(factory_flag_in(b.device->flash()) == 1u);
        // The identity next to it is untouched.
        CHECK(Bytes(b.device->flash().read(kFctryAddr, kFctrySize).begin(),
                    b.device->flash().read(kFctryAddr, kFctrySize).end()) == identity_image());

        // reboot: the answer, then a software reset into the app, which is silent now.
        const std::string out = b.ask(2, "reboot");
        const factory::Frame r = answer_of(out, 2);
        CHECK(r.body.at("rebooting") == true);
        const std::size_t rst = out.find("rst:0xc (RTC_SW_CPU_RST),boot:0x8 (SPI_FAST_FLASH_BOOT)");
        REQUIRE(rst != std::string::npos);
        CHECK(rst > out.find("~VF1 2 ok"));
        CHECK(out.find("app ready", rst) != std::string::npos);
        CHECK(out.find("~VF1 0 hello", rst) == std::string::npos);
        CHECK(b.device->app().console().state() == vesper_factory::Console::State::listening);
        // Inside the window a request wakes it: hello first, then the answer.
        b.now += 2900ms;
        const std::string woke = b.ask(3, "info");
        REQUIRE(frames_of(woke).size() == 2);
        CHECK(frames_of(woke)[0].word == "hello");
        CHECK(answer_of(woke, 3).body.at("reset_reason") == "sw");
        CHECK(answer_of(woke, 3).body.at("uptime_ms") == 2900);
    }
    // The flag is in the file: a new simulator on it boots silent, and after 3 s of modelled time the
    // console is off for good.
    auto flash = devsim::FlashStore::open_file(file, 0x400000);
    Board b(app_config("esp32s3"), std::move(flash), {}, nullptr, false);
    const std::string out = b.read();
    CHECK(out.find("app ready") != std::string::npos);
    CHECK(out.find("~VF1") == std::string::npos);
    REQUIRE(b.device->next_event() == b.now + 3000ms);
    b.now += 3000ms;
    CHECK(b.read().empty());
    CHECK(b.device->app().console().state() == vesper_factory::Console::State::off);
    CHECK(b.ask(4, "hello", nullptr, 1s).empty());

    // mark_tested passed=false clears it again (a reworked board), keeping the rest of the partition.
    b.device->set_lines(false, true, b.now); // RFC 2217 reset lines: EN low...
    b.device->set_lines(std::nullopt, false, b.now + 100ms);
    b.now += 200ms;
    b.read();
    const std::string woke = b.ask(5, "mark_tested", {{"passed", false}});
    CHECK(answer_of(woke, 5).body.at("factory_ok") == false);
    CHECK(factory_flag_in(b.device->flash()) == 0u);
}

TEST_CASE("devsim app: realistic timing adds the firmware's modelled time and logs it", "[devsim][app][timing]") {
    test::TempDir dir;
    devsim::CommandLog log(dir / "log.jsonl");
    Board b(app_config("esp32", {}, devsim::Timing::realistic), {}, &log);
    b.read_until(b.now + 1s);
    b.now += 1s;
    b.send(factory::encode_request(9, "wifi_scan", nullptr));
    // The scan takes 2.2 s on the board: nothing before that.
    CHECK(b.read_until(b.now + 2100ms).empty());
    const std::string out = b.read_until(b.now + 2400ms);
    CHECK(answer_of(out, 9).body.at("best_rssi") == -47);

    b.now += 3s;
    b.send(factory::encode_request(10, "outputs", nullptr));
    CHECK(b.read_until(b.now + 200ms).empty()); // 6 outputs x 2 reads x 20 ms settle = 240 ms
    CHECK(answer_of(b.read_until(b.now + 350ms), 10).body.at("passed") == true);

    const auto lines = lines_of(test::text_of(dir / "log.jsonl"));
    std::vector<json> app;
    for (const auto& l : lines)
        if (!l.empty() && json::parse(l).value("layer", "") == "app") app.push_back(json::parse(l));
    REQUIRE(app.size() == 2);
    CHECK(app[0].at("op") == "wifi_scan");
    CHECK(app[0].at("id") == 9);
    CHECK(app[0].at("result") == "ok");
    CHECK(app[0].at("firmware_ms") == 2200.0);
    // The modelled time adds the request and the answer on the UART at the app's baud.
    CHECK(app[0].at("baud") == 115200);
    CHECK(app[0].at("wire_in") == factory::encode_request(9, "wifi_scan", nullptr).size());
    CHECK(app[0].at("wire_out").get<double>() > 100);
    const double uart_ms =
        (app[0].at("wire_in").get<double>() + app[0].at("wire_out").get<double>()) * 10 * 1000 / 115200;
    CHECK(app[0].at("modelled_ms").get<double>() == Approx(2200.0 + uart_ms));
    CHECK(app[1].at("op") == "outputs");
    CHECK(app[1].at("firmware_ms") == 240.0);
}

TEST_CASE("devsim app: with timing off the answers are immediate", "[devsim][app][timing]") {
    Board b(app_config("esp32"));
    b.read();
    CHECK(answer_of(b.ask(1, "wifi_scan"), 1).word == "ok");
    CHECK(answer_of(b.ask(2, "outputs"), 2).word == "ok");
}

TEST_CASE("devsim app: the factory flag joins what the nvs partition already holds", "[devsim][app]") {
    const esp::ChipInfo& chip = esp::chip_by_name("esp32");
    auto flash = devsim::FlashStore::in_memory(0x400000);
    provision(flash, chip);
    // The product firmware's own settings in the default nvs partition.
    const std::string csv = "key,type,encoding,value\n"
                            "app,namespace,,\n"
                            "boot_count,data,u32,17\n"
                            "name,data,string,bench-3\n"
                            "cal,data,hex2bin,00ff10\n";
    const auto t = nvs::Template::compile(nvs::parse_csv(csv, "app.csv", "."));
    flash.program(kNvsAddr, t.render({}, kNvsSize, nvs::Version::v2));
    Board b(app_config("esp32"), std::move(flash), {}, nullptr, false);
    REQUIRE(frames_of(b.read()).size() == 1);
    REQUIRE(answer_of(b.ask(1, "mark_tested"), 1).word == "ok");

    const nvs::Dump dump = nvs::read_image(b.device->flash().read(kNvsAddr, kNvsSize));
    CHECK(dump.ok());
    std::map<std::string, std::string> values;
    for (const nvs::NvsValue& v : dump.values)
        values[v.ns + "/" + v.key] = nvs::value_text(v);
    CHECK(values == std::map<std::string, std::string>{{"app/boot_count", "17"},
                                                       {"app/name", "\"bench-3\""},
                                                       {"app/cal", "00ff10"},
                                                       {"vesper_fct/factory_ok", "1"}});
}
