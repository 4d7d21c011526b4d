// A whole simulated board: reset and strapping through DTR/RTS (both reset circuits), boot logs, the
// ROM behind the UART, realistic pacing, leaving the loader, a line too slow for the baud rate.
#include <catch2/catch.hpp>

#include <string>
#include <vector>

#include "devsim/device.hpp"
#include "devsim_app_support.hpp"
#include "vesper/core/error.hpp"
#include "vesper/part/partition_table.hpp"
#include "vesper/rom/boot_log.hpp"
#include "vesper/rom/packet.hpp"

using namespace vesper;
using namespace vesper::devsim;
using namespace std::chrono_literals;

namespace {

DeviceConfig config(std::string_view chip, BootMode boot = BootMode::download, Timing timing = Timing::off,
                    ResetCircuit circuit = ResetCircuit::auto_reset) {
    DeviceConfig c;
    c.chip = &esp::chip_by_name(chip);
    c.mac = {0x24, 0x0a, 0xc4, 0x00, 0x00, 0x07};
    c.boot = boot;
    c.reset_circuit = circuit;
    c.timing = TimingModel(timing);
    return c;
}

// Sends one request and returns the frames that came back by `t`.
std::vector<Bytes> exchange(Device& d, const esp::Request& req, TimePoint t) {
    d.receive(esp::frame_request(req), t);
    esp::SlipDecoder dec;
    dec.feed(d.take_output(t).bytes);
    std::vector<Bytes> frames;
    while (auto f = dec.pop_frame())
        frames.push_back(*f);
    return frames;
}

std::string text(const Bytes& b) { return std::string(b.begin(), b.end()); }

// Everything the device sends up to `until`.
std::string drain(Device& d, TimePoint until) {
    d.tick(until);
    return text(d.take_output(until).bytes);
}

// The classic DTR/RTS reset as esptool does it over RFC 2217: one line per message.
void classic_reset(Device& d, TimePoint& t, bool into_download) {
    d.set_lines(false, std::nullopt, t);
    d.set_lines(std::nullopt, true, t); // EN low
    t += 100ms;
    d.tick(t);
    d.set_lines(into_download, std::nullopt, t); // both asserted for a moment: EN starts rising
    d.set_lines(std::nullopt, false, t + 1ms);   // IO0 low (download) before the chip leaves reset
    t += 50ms;
    d.tick(t);
    d.set_lines(false, std::nullopt, t);
}

} // namespace

TEST_CASE("power-on boot logs over a port without control lines", "[devsim][device]") {
    const TimePoint t0{};
    SECTION("download mode") {
        Device d(config("esp32"), FlashStore::in_memory(0x400000));
        d.attach_host(t0);
        d.power_on(t0);
        const std::string out = drain(d, t0);
        CHECK(out.find("rst:0x1 (POWERON_RESET),boot:0x3 (DOWNLOAD_BOOT(UART0/UART1/SDIO_REI_REO_V2))") !=
              std::string::npos);
        CHECK(out.find("waiting for download") != std::string::npos);
        CHECK(esp::triage_boot_log(as_bytes(out)).state == esp::BootState::download_mode);
        CHECK(d.state() == Device::State::download);
    }
    SECTION("app") {
        FlashStore flash = FlashStore::in_memory(0x400000);
        devsim_test::provision(flash, esp::chip_by_name("esp32s3"));
        Device d(config("esp32s3", BootMode::app), std::move(flash));
        d.attach_host(t0);
        d.power_on(t0);
        const std::string out = drain(d, t0);
        CHECK(out.find("boot:0x8 (SPI_FAST_FLASH_BOOT)") != std::string::npos);
        CHECK(out.find("I (") != std::string::npos);
        CHECK(out.find("app: vesper devsim app, MAC 24:0a:c4:00:00:07") != std::string::npos);
        CHECK(esp::triage_boot_log(as_bytes(out)).state == esp::BootState::normal_boot);
        CHECK(d.state() == Device::State::app);
    }
    SECTION("app, but nothing flashed: the bootloader's errors") {
        Device d(config("esp32s3", BootMode::app), FlashStore::in_memory(0x400000));
        d.attach_host(t0);
        d.power_on(t0);
        const std::string out = drain(d, t0);
        CHECK(out.find("boot:0x8 (SPI_FAST_FLASH_BOOT)") != std::string::npos);
        CHECK(out.find("E (") != std::string::npos);
        CHECK(out.find("boot: No bootable app partitions in the partition table") != std::string::npos);
        CHECK(out.find("app ready") == std::string::npos);
        CHECK(esp::triage_boot_log(as_bytes(out)).state == esp::BootState::normal_boot);
        CHECK(d.state() == Device::State::app);
    }
    SECTION("nothing is heard without a host") {
        Device d(config("esp32"), FlashStore::in_memory(0x400000));
        d.power_on(t0);
        d.attach_host(t0);
        CHECK(drain(d, t0 + 1s).empty());
    }
}

TEST_CASE("DTR/RTS through the auto-reset circuit", "[devsim][device]") {
    TimePoint t{};
    Device d(config("esp32c3", BootMode::app), FlashStore::in_memory(0x400000));
    d.attach_host(t);
    d.power_on(t);
    drain(d, t);
    REQUIRE(d.state() == Device::State::app);

    classic_reset(d, t, true);
    CHECK(d.state() == Device::State::download);
    const std::string out = drain(d, t);
    CHECK(out.find("ESP-ROM:esp32c3") != std::string::npos);
    CHECK(out.find("boot:0x5 (DOWNLOAD(USB/UART0/1))") != std::string::npos);
    CHECK(out.find("waiting for download") != std::string::npos);

    // Hard reset (RTS pulse with DTR released): the app boots.
    d.set_lines(false, true, t);
    CHECK(d.state() == Device::State::reset_held);
    d.set_lines(std::nullopt, false, t + 100ms);
    d.tick(t + 105ms);
    CHECK(d.state() == Device::State::reset_held); // EN still rising
    d.tick(t + 111ms);
    CHECK(d.state() == Device::State::app);
    CHECK(drain(d, t + 111ms).find("SPI_FAST_FLASH_BOOT") != std::string::npos);
}

TEST_CASE("an EN-only reset circuit reboots into whatever the IO0 strap says", "[devsim][device]") {
    CHECK(parse_reset_circuit("auto") == ResetCircuit::auto_reset);
    CHECK(parse_reset_circuit("en-only") == ResetCircuit::en_only);
    CHECK_THROWS_AS(parse_reset_circuit("dtr-only"), Error);

    SECTION("IO0 strapped high: the classic download reset boots the app, and the host hears it") {
        TimePoint t{};
        FlashStore flash = FlashStore::in_memory(0x400000);
        devsim_test::provision(flash, esp::chip_by_name("esp32"));
        Device d(config("esp32", BootMode::app, Timing::off, ResetCircuit::en_only), std::move(flash));
        d.attach_host(t);
        d.power_on(t);
        drain(d, t);
        REQUIRE(d.state() == Device::State::app);

        // RTS alone holds EN low; DTR asserted with it does not release EN as on the two-transistor circuit.
        d.set_lines(false, true, t);
        CHECK(d.state() == Device::State::reset_held);
        d.set_lines(true, std::nullopt, t + 1ms);
        d.tick(t + 50ms);
        CHECK(d.state() == Device::State::reset_held);

        t += 100ms;
        classic_reset(d, t, true);
        CHECK(d.state() == Device::State::app);
        const std::string out = drain(d, t);
        CHECK(out.find("rst:0x1 (POWERON_RESET),boot:0x13 (SPI_FAST_FLASH_BOOT)") != std::string::npos);
        CHECK(out.find("vesper-devsim app ready: chip esp32") != std::string::npos);
        const auto triage = esp::triage_boot_log(as_bytes(out));
        CHECK(triage.state == esp::BootState::normal_boot);
        CHECK(triage.boot_line == "boot:0x13 (SPI_FAST_FLASH_BOOT)");
        // The app does not answer SYNC.
        CHECK(exchange(d, esp::sync_request(), t).empty());
    }
    SECTION("IO0 strapped low: every reset enters download mode, whatever DTR does") {
        TimePoint t{};
        Device d(config("esp32c3", BootMode::download, Timing::off, ResetCircuit::en_only),
                 FlashStore::in_memory(0x400000));
        d.attach_host(t);
        d.power_on(t);
        drain(d, t);
        // The hard reset (DTR released throughout) would boot the app on the auto circuit.
        d.set_lines(false, true, t);
        d.set_lines(std::nullopt, false, t + 100ms);
        d.tick(t + 111ms);
        CHECK(d.state() == Device::State::download);
        CHECK(drain(d, t + 111ms).find("waiting for download") != std::string::npos);
    }
}

TEST_CASE("max-baud: above the limit the line is dead until a reset", "[devsim][device][faults]") {
    TimePoint t{};
    DeviceConfig c = config("esp32");
    add_fault(c.faults, "max-baud=115200");
    Device d(std::move(c), FlashStore::in_memory(0x400000));
    d.attach_host(t);
    d.power_on(t);
    drain(d, t);
    REQUIRE(exchange(d, esp::sync_request(), t).size() == 8);
    REQUIRE(exchange(d, esp::read_reg_request(esp::kChipDetectMagicAddr), t).size() == 1);

    // The CHANGE_BAUDRATE reply still goes out at 115200; after it the UART runs at 921600.
    const auto reply = exchange(d, esp::change_baudrate_request(921600, 0), t);
    REQUIRE(reply.size() == 1);
    CHECK(esp::decode_response(reply[0], 4).ok());
    CHECK(d.uart_baud() == 921600);
    // What the host sends now is lost: no reply at all, however long we wait.
    d.receive(esp::frame_request(esp::read_reg_request(esp::kChipDetectMagicAddr)), t);
    CHECK(d.take_output(t + 1s).bytes.empty());

    // A reset brings the UART back to 115200, where the ROM answers again.
    t += 2s;
    classic_reset(d, t, true);
    REQUIRE(d.state() == Device::State::download);
    CHECK(d.uart_baud() == 115200);
    drain(d, t);
    CHECK(exchange(d, esp::sync_request(), t).size() == 8);
}

TEST_CASE("the ROM answers through the UART, FLASH_END boots the app", "[devsim][device]") {
    const TimePoint t{};
    Device d(config("esp32"), FlashStore::in_memory(0x400000));
    d.attach_host(t);
    d.power_on(t);
    drain(d, t);
    d.receive(esp::frame_request(esp::sync_request()), t);
    esp::SlipDecoder dec;
    dec.feed(d.take_output(t).bytes);
    CHECK(dec.frame_count() == 8);

    // Partition table in flash, shown in the app's boot log.
    esp::PartitionTable table({{"nvs", esp::kTypeData, esp::kSubtypeNvs, 0x9000, 0x6000},
                               {"factory", esp::kTypeApp, esp::kSubtypeFactory, 0x10000, 0x100000}});
    d.flash().program(0x8000, esp::encode_partition_table(table));
    d.flash().program(0x10000, devsim_test::app_image(esp::chip_by_name("esp32")));

    d.receive(esp::frame_request(esp::flash_end_request(esp::FlashEndAction::run_user_code)), t);
    const Bytes out = d.take_output(t).bytes;
    esp::SlipDecoder dec2;
    dec2.feed(out);
    REQUIRE(dec2.frame_count() == 1);
    CHECK(esp::decode_response(*dec2.pop_frame(), 4).ok());
    CHECK(d.state() == Device::State::app);
    const std::string log = text(out);
    CHECK(log.find("I (") != std::string::npos);
    CHECK(log.find(" 0 nvs              WiFi data        01 02 00009000 00006000") != std::string::npos);
    CHECK(log.find(" 1 factory          factory app      00 00 00010000 00100000") != std::string::npos);
    CHECK(log.find("vesper devsim app, MAC 24:0a:c4:00:00:07") != std::string::npos);

    // The app does not speak the bootloader protocol any more.
    d.receive(esp::frame_request(esp::sync_request()), t);
    CHECK(d.take_output(t + 1s).bytes.empty());
}

TEST_CASE("realistic timing paces the UART at the current baud", "[devsim][device][timing]") {
    const TimePoint t{};
    Device d(config("esp32", BootMode::download, Timing::realistic), FlashStore::in_memory(0x400000));
    d.attach_host(t);
    d.power_on(t);
    const TimePoint after_banner = *d.next_event() + 1s;
    d.take_output(after_banner);
    const TimePoint sent = after_banner + 1s;
    d.receive(esp::frame_request(esp::sync_request()), sent);
    // 46 bytes in, then 8 x 14 bytes out at 115200 baud: about 13.7 ms in all.
    CHECK(d.take_output(sent + 5ms).bytes.size() < 8 * 14);
    CHECK(d.take_output(sent + 14ms).bytes.size() > 0);
    Bytes rest = d.take_output(sent + 20ms).bytes;
    CHECK(d.next_event() == std::nullopt);
}

TEST_CASE("faults shape what the device sends", "[devsim][device][faults]") {
    const TimePoint t{};
    DeviceConfig c = config("esp32");
    add_fault(c.faults, "drop-every=2");
    Device d(std::move(c), FlashStore::in_memory(0x400000));
    d.power_on(t);
    d.attach_host(t);
    d.receive(esp::frame_request(esp::sync_request()), t);
    esp::SlipDecoder dec;
    dec.feed(d.take_output(t).bytes);
    CHECK(dec.frame_count() == 4); // every second of the 8 SYNC replies dropped
}

TEST_CASE("the RTC watchdog armed through WRITE_REG resets the chip (esptool's watchdog_reset)",
          "[devsim][device][watchdog]") {
    // esptool's sequence: unlock, timeout 2000 slow-clock cycles, enable, lock.
    const auto arm = [](Device& d, const esp::RtcWatchdog& w, TimePoint t) {
        std::vector<std::vector<Bytes>> replies;
        for (const auto& [reg, value] : std::vector<std::pair<std::uint32_t, std::uint32_t>>{
                 {w.wprotect, w.key}, {w.config1, w.timeout}, {w.config0, w.enable}, {w.wprotect, 0}})
            replies.push_back(exchange(d, esp::write_reg_request(reg, value), t));
        return replies;
    };
    const TimePoint t{};
    SECTION("ESP32-S3: every write is answered, then the chip resets and boots as IO0 says") {
        Device d(config("esp32s3"), FlashStore::in_memory(0x400000));
        d.attach_host(t);
        d.power_on(t);
        drain(d, t);
        const auto replies = arm(d, *esp::chip_by_name("esp32s3").rtc_watchdog, t);
        for (const auto& r : replies) {
            REQUIRE(r.size() == 1);
            CHECK(esp::decode_response(r[0], 4).ok());
        }
        CHECK(d.state() == Device::State::download); // not yet: the timeout runs
        REQUIRE(d.next_event());
        const std::string out = drain(d, *d.next_event());
        CHECK_THAT(out, Catch::Contains("rst:0x10 (RTCWDT_RTC_RST),boot:0x0 (DOWNLOAD(USB/UART0))"));
        CHECK(d.state() == Device::State::download); // tcp: the IO0 strap is --boot download
        CHECK_FALSE(d.loader().synced());            // a fresh ROM
    }
    SECTION("with the lines released the watchdog boots the app") {
        Device d(config("esp32c3"), FlashStore::in_memory(0x400000));
        d.attach_host(t);
        d.power_on(t);
        TimePoint now = t;
        classic_reset(d, now, true);
        drain(d, now + 20ms);
        REQUIRE(d.state() == Device::State::download);
        arm(d, *esp::chip_by_name("esp32c3").rtc_watchdog, now + 20ms);
        drain(d, now + 1s);
        CHECK(d.state() == Device::State::app);
    }
    SECTION("without the unlock key nothing happens") {
        Device d(config("esp32s3"), FlashStore::in_memory(0x400000));
        d.attach_host(t);
        d.power_on(t);
        drain(d, t);
        const auto& w = *esp::chip_by_name("esp32s3").rtc_watchdog;
        exchange(d, esp::write_reg_request(w.config0, w.enable), t);
        CHECK_FALSE(d.next_event());
        CHECK(drain(d, t + 1s).empty());
    }
    SECTION("an ESP32 has no such watchdog row: the same writes only store values") {
        const auto& s3 = *esp::chip_by_name("esp32s3").rtc_watchdog;
        Device d(config("esp32"), FlashStore::in_memory(0x400000));
        d.attach_host(t);
        d.power_on(t);
        drain(d, t);
        arm(d, s3, t);
        CHECK_FALSE(d.next_event());
        CHECK(d.state() == Device::State::download);
    }
}
