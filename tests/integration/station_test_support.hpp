#pragma once
// A simulated factory line for the station tests: one vesper-devsim process per board (so faults can
// be set per port), firmware files, a config naming the stations, a ledger with a batch. Header-only.
#include <nlohmann/json.hpp>

#include <map>
#include <memory>
#include <set>

#include "background_process.hpp"
#include "flash_test_support.hpp"
#include "vesper/ledger/ledger.hpp"
#include "vesper/nvs/reader.hpp"
#include "vesper/part/partition_table.hpp"

namespace vesper::station_test {

using namespace flash_test;
using nlohmann::json;

inline constexpr const char* kSecret = "station-test-master-secret-0123456789";
inline constexpr std::uint32_t kBootAddr = 0x1000, kTableAddr = 0x8000, kNvsAddr = 0x10000, kAppAddr = 0x20000;
inline constexpr std::size_t kNvsSize = 0x6000;

// Reads a `--json` run's events until its summary, at most `timeout`; returns the summary.
inline json wait_for_summary(test::BackgroundProcess& run, std::chrono::seconds timeout) {
    json summary;
    REQUIRE(run.wait_for_line(
        [&](const std::string& l) {
            const json e = json::parse(l);
            if (e.at("event") == "summary") summary = e;
            return e.at("event") == "summary";
        },
        timeout));
    return summary;
}

inline std::string mac_of(int i) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "24:0a:c4:12:00:%02x", i + 1);
    return buf;
}

struct BoardSpec {
    std::string station;
    std::vector<std::string> devsim_args; // extra: --fault ..., --timing ...
    std::string chip = "esp32";
};

class FactoryLine {
public:
    // `boards` in port order; `app_size` of the synthesized app; `profile_extra`: more of the profile's
    // YAML (indented 4), e.g. "    pipeline: [flash, test]\n".
    FactoryLine(const std::vector<BoardSpec>& boards, int batch_size, const std::string& app_size = "192KB",
                int max_seconds_per_board = 120, const std::string& profile_extra = "") {
        const fs::path src = VESPER_SOURCE_DIR;
        // Synthetic images: valid ESP32 image format (the config's gates check that), filler code.
        auto boot = test::vesperctl({"image", "synth", "--chip", "esp32", "--size", "16KB", "--project", "bootloader",
                                     "-o", (dir_ / "bootloader.bin").string()});
        REQUIRE(boot.exit_code == 0);
        boot_ = read_file(dir_ / "bootloader.bin");
        auto synth = test::vesperctl({"image", "synth", "--chip", "esp32", "--size", app_size, "--version", "2.3.4",
                                      "-o", (dir_ / "app.bin").string()});
        REQUIRE(synth.exit_code == 0);
        app_ = read_file(dir_ / "app.bin");
        fs::copy_file(src / "configs/partitions-4mb.csv", dir_ / "partitions.csv");
        fs::copy_file(src / "templates/vesper-device.csv", dir_ / "device.csv");

        std::map<std::string, std::vector<std::string>> stations;
        for (std::size_t i = 0; i < boards.size(); ++i) {
            // RFC 2217, so DTR/RTS really reset the boards (as on a USB bench): a rerun can find a board
            // that was left running its app.
            std::vector<std::string> args = {
                "--chip",  boards[i].chip,        "--listen", "rfc2217:0", "--mac", mac_of(static_cast<int>(i)),
                "--flash", flash_file(i).string()};
            args.insert(args.end(), boards[i].devsim_args.begin(), boards[i].devsim_args.end());
            sims_.push_back(std::make_unique<Devsim>(args));
            stations[boards[i].station].push_back(sims_.back()->url());
            ports_.push_back(sims_.back()->url());
        }
        std::string yaml = "version: 1\nflash:\n  baud: 921600\n  retries: 1\n  max_seconds_per_board: " +
                           std::to_string(max_seconds_per_board) + "\nstations:\n";
        for (const auto& [name, ports] : stations) {
            yaml += "  " + name + ":\n    ports:\n";
            for (const auto& p : ports)
                yaml += "      - " + p + "\n";
        }
        yaml += "profiles:\n  vesper-bc-02:\n    board_type: BC\n    revision: 2\n    chip: esp32\n"
                "    partition_table: partitions.csv\n    images:\n"
                "      - {name: bootloader, file: bootloader.bin, address: 0x1000}\n"
                "      - {name: app, file: app.bin, partition: ota_0}\n"
                "    nvs: {template: device.csv, partition: fctry}\n" +
                profile_extra;
        write_file_atomic(config(), as_bytes(yaml));

        auto created =
            ctl({"--json", "batch", "create", "--type", "BC", "--rev", "02", "--qty", std::to_string(batch_size)});
        REQUIRE(created.exit_code == 0);
        batch_ = json::parse(created.out).at("batch").at("id").get<std::int64_t>();
    }

    fs::path config() const { return dir_ / "factory.yaml"; }
    fs::path ledger() const { return dir_ / "ledger.db"; }
    fs::path flash_file(std::size_t i) const { return dir_ / ("flash-" + std::to_string(i) + ".bin"); }
    std::int64_t batch() const { return batch_; }
    const std::vector<std::string>& ports() const { return ports_; }
    const fs::path& dir() const { return dir_.path(); }

    test::ProcessOptions options() const {
        test::ProcessOptions o;
        o.env["VESPER_MQTT_SECRET"] = kSecret;
        o.unset_env = {"VESPER_CONFIG", "VESPER_HOME", "XDG_DATA_HOME"};
        o.env["HOME"] = dir_.path().string(); // a default ledger would stay in the test's folder
        o.timeout_ms = 120000;
        for (const auto& [name, value] : env_)
            o.env[name] = value;
        return o;
    }
    // More environment for every vesperctl this line runs (a claim secret, a PATH with a stand-in lp).
    void set_env(const std::string& name, const std::string& value) { env_[name] = value; }
    test::ProcessResult ctl(std::vector<std::string> args) const {
        args.insert(args.begin(), {"--ledger", ledger().string()});
        return test::vesperctl(args, options());
    }
    std::vector<std::string> station_args(const std::string& command, const std::string& station) const {
        return {VESPERCTL_BIN,    "--json", "--ledger", ledger().string(),      command,
                "--station",      station,  "--batch",  std::to_string(batch_), "--config",
                config().string()};
    }
    test::ProcessResult flash_station(const std::string& station, std::vector<std::string> extra = {}) const {
        auto a = station_args("flash", station);
        a.erase(a.begin());
        a.insert(a.end(), extra.begin(), extra.end());
        return test::vesperctl(a, options());
    }

    // Checks board i's flash holds the bootloader, the partition table, the app and an NVS image whose
    // serial is the one the ledger bound to its MAC; returns that serial.
    std::string check_board(std::size_t i) const {
        INFO("board " << i << " " << ports_[i]);
        const Bytes flash = read_file(flash_file(i));
        CHECK(slice(flash, kBootAddr, boot_.size()) == boot_);
        CHECK(slice(flash, kAppAddr, app_.size()) == app_);
        const auto table =
            esp::decode_partition_table(slice(flash, kTableAddr, esp::kPartitionTableMaxLength), "flash");
        CHECK(table.table.find("fctry") != nullptr);
        const auto dump = nvs::read_image(slice(flash, kNvsAddr, kNvsSize));
        CHECK(dump.ok());
        std::string serial;
        for (const auto& v : dump.values)
            if (v.ns == "vesper" && v.key == "serial_number") serial.assign(v.data.begin(), v.data.end());
        auto led = ledger::Ledger::open(ledger(), "test");
        const auto dev = led.find_device_by_mac(mac_of(static_cast<int>(i)));
        REQUIRE(dev);
        CHECK(dev->serial == serial);
        CHECK(dev->status == ledger::DeviceStatus::flashed);
        CHECK(dev->batch_id == batch_);
        CHECK(dev->firmware_version == "2.3.4");
        CHECK(dev->port == ports_[i]);
        return serial;
    }

    // `bound` of the batch's devices bound, no MAC on two of them (serials are the ledger's key, so each
    // bound MAC has exactly one serial).
    void check_bindings(std::size_t bound) const {
        auto led = ledger::Ledger::open(ledger(), "test");
        std::set<std::string> macs;
        std::size_t n = 0;
        for (const auto& d : led.devices_of_batch(batch_)) {
            if (d.mac.empty()) continue;
            ++n;
            CHECK(macs.insert(d.mac).second);
        }
        CHECK(n == bound);
    }

private:
    test::TempDir dir_;
    Bytes boot_, app_;
    std::vector<std::unique_ptr<Devsim>> sims_;
    std::vector<std::string> ports_;
    std::int64_t batch_ = 0;
    std::map<std::string, std::string> env_;
};

// The summary's board entry for `port`; the test stops when there is none.
inline json board_on(const json& summary, const std::string& port) {
    for (const auto& b : summary.at("boards"))
        if (b.at("port") == port) return b;
    FAIL("no board on " << port << " in the summary: " << summary.dump());
    return {};
}

// A profile's `pipeline:` of `steps` and a short test plan (the boot handshake, then the outputs: a board
// with a stuck-output fault fails it), as FactoryLine's profile_extra.
inline std::string tested_pipeline(const std::string& steps) {
    return "    pipeline: [" + steps + R"(]
    test:
      plan:
        hello_timeout_ms: 3000
        tests:
          - {name: boot, command: hello, expect: {proto: {equals: 1}}, on_fail: stop}
          - {name: outputs, command: outputs, expect: {failed: {equals: []}}}
)";
}

inline json summary_of(const std::string& out) {
    const auto lines = json_lines(out);
    REQUIRE(!lines.empty());
    REQUIRE(lines.back().at("event") == "summary");
    return lines.back();
}

} // namespace vesper::station_test
