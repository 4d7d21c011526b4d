// The conventions users bring from esptool to vesperctl's device commands, against vesper-devsim:
// VESPER_PORT/VESPER_BAUD as defaults, every flag checked before the port is touched, esptool's
// --before/--after spellings and modes (no-reset-no-sync, soft-reset, watchdog-reset).
#include <nlohmann/json.hpp>

#include <sys/socket.h>

#include <netinet/in.h>

#include "flash_test_support.hpp"
#include "vesper/core/text.hpp"

using namespace vesper;
using namespace vesper::flash_test;

namespace {

test::ProcessResult ctl(const std::vector<std::string>& args, std::map<std::string, std::string> env = {}) {
    test::ProcessOptions o;
    o.env = std::move(env);
    o.unset_env = {"VESPER_PORT", "VESPER_BAUD"};
    o.timeout_ms = 60000;
    return test::vesperctl(args, o);
}

// "OP RESULT" for each line of the simulator's command log, in order (one per frame the ROM handled).
std::vector<std::string> logged_ops(const fs::path& log) {
    std::vector<std::string> ops;
    if (!fs::exists(log)) return ops;
    const Bytes b = read_file(log);
    for (const auto& e : json_lines(std::string(b.begin(), b.end())))
        ops.push_back(e.at("op").get<std::string>() + " " + e.at("result").get<std::string>());
    return ops;
}

int count_op(const std::vector<std::string>& ops, const std::string& prefix) {
    int n = 0;
    for (const auto& op : ops)
        if (op.rfind(prefix, 0) == 0) ++n;
    return n;
}

// A loopback port nobody listens on (bound, read, closed).
std::uint16_t dead_port() {
    const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    REQUIRE(fd >= 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    REQUIRE(::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0);
    socklen_t len = sizeof a;
    REQUIRE(::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len) == 0);
    ::close(fd);
    return ntohs(a.sin_port);
}

} // namespace

TEST_CASE("device commands: VESPER_PORT and VESPER_BAUD are the defaults of --port and --baud",
          "[integration][device][env]") {
    test::TempDir dir;
    Devsim sim({"--chip", "esp32", "--port", "0", "--flash", (dir / "flash.bin").string()});
    const std::string nowhere = "socket://127.0.0.1:" + std::to_string(dead_port());

    SECTION("VESPER_PORT with no --port") {
        auto r = ctl({"--json", "chip"}, {{"VESPER_PORT", sim.url()}});
        INFO(r.out << r.err);
        REQUIRE(r.exit_code == 0);
        CHECK(nlohmann::json::parse(r.out).at("port") == sim.url());
    }
    SECTION("--port wins over VESPER_PORT") {
        auto r = ctl({"--json", "chip", "--port", sim.url()}, {{"VESPER_PORT", nowhere}});
        INFO(r.out << r.err);
        CHECK(r.exit_code == 0);
    }
    SECTION("VESPER_BAUD with no --baud, for chip and flash") {
        // Left in the loader (a socket has no reset lines: hard-reset would start the app).
        auto r =
            ctl({"--json", "chip", "--after", "no-reset"}, {{"VESPER_PORT", sim.url()}, {"VESPER_BAUD", "230400"}});
        INFO(r.out << r.err);
        REQUIRE(r.exit_code == 0);
        CHECK(nlohmann::json::parse(r.out).at("baud") == 230400);
        const auto fw = write_firmware(dir.path(), 0x3000);
        auto f = ctl({"flash", "0x1000", fw.boot.string()}, {{"VESPER_PORT", sim.url()}, {"VESPER_BAUD", "230400"}});
        INFO(f.out << f.err);
        REQUIRE(f.exit_code == 0);
        CHECK_THAT(f.out, Catch::Contains("Connected to ESP32 on " + sim.url()));
        CHECK_THAT(f.out, Catch::Contains("230400 baud)"));
    }
    SECTION("--baud wins over VESPER_BAUD") {
        auto r = ctl({"--json", "chip", "--baud", "115200"}, {{"VESPER_PORT", sim.url()}, {"VESPER_BAUD", "230400"}});
        INFO(r.out << r.err);
        REQUIRE(r.exit_code == 0);
        CHECK(nlohmann::json::parse(r.out).at("baud") == 115200);
    }
    SECTION("a VESPER_BAUD out of the one range is refused by name, before any port") {
        for (const char* bad : {"1200", "12000000", "fast"}) {
            INFO(bad);
            auto r = ctl({"chip"}, {{"VESPER_PORT", nowhere}, {"VESPER_BAUD", bad}});
            CHECK(r.exit_code == 2);
            CHECK_THAT(r.err, Catch::StartsWith(std::string("vesperctl: error: VESPER_BAUD ")));
        }
        auto r = ctl({"chip"}, {{"VESPER_PORT", nowhere}, {"VESPER_BAUD", "1200"}});
        CHECK_THAT(r.err, Catch::Contains("VESPER_BAUD 1200: expected a baud rate from 9600 to 5000000"));
    }
}

TEST_CASE("device commands: every flag is checked before the port is touched", "[integration][device][flags]") {
    test::TempDir dir;
    const auto log = dir / "commands.jsonl";
    Devsim sim({"--chip", "esp32", "--port", "0", "--log", log.string()});
    const auto fw = write_firmware(dir.path(), 0x3000);
    const std::string nowhere = "socket://127.0.0.1:" + std::to_string(dead_port());
    struct Case {
        std::vector<std::string> args;
        std::string message;
    };
    const std::vector<Case> cases = {
        {{"flash", "--flash-mode", "xio"}, "--flash-mode 'xio' is not valid for any chip (accepted: keep, qio"},
        {{"flash", "--flash-size", "3MB"}, "--flash-size '3MB' is not valid for any chip"},
        {{"flash", "--flash-freq", "99m"}, "--flash-freq '99m' is not valid for any chip"},
        {{"flash", "--chip", "esp32", "--flash-freq", "60m"}, "--flash-freq '60m' is not valid for ESP32"},
        {{"flash", "--chip", "esp99"}, "esp99"},
        {{"flash", "--chip", "esp32", "--after", "watchdog-reset"},
         "--after watchdog-reset: the ESP32 ROM has no RTC watchdog reset"},
        {{"flash", "--before", "reboot"}, "--before: 'reboot': expected one of default-reset"},
        {{"flash", "--after", "reboot"}, "--after: 'reboot': expected one of hard-reset"},
        {{"flash", "--baud", "1200"}, "--baud"},
        {{"chip", "--chip", "esp8266", "--after", "watchdog_reset"}, "the ESP8266 ROM has no RTC watchdog reset"},
        {{"read-flash", "--chip", "esp32c6", "--after", "watchdog-reset", "0", "0x1000", "-o",
          (dir / "out.bin").string()},
         "the ESP32-C6 ROM has no RTC watchdog reset"},
        {{"erase", "--baud", "6000000", "0", "0x1000"}, "--baud"},
    };
    for (const auto& c : cases) {
        for (const std::string& port : {sim.url(), nowhere}) {
            std::vector<std::string> args = c.args;
            args.insert(args.begin() + 1, {"--port", port});
            if (args[0] == "flash") args.insert(args.end(), {"0x1000", fw.boot.string()});
            auto r = ctl(args);
            INFO(join(args, " ") << "\n" << r.out << r.err);
            // The flag's own error (exit 2), not a connection refused or a board error.
            CHECK(r.exit_code == 2);
            CHECK_THAT(r.err, Catch::Contains(c.message));
            CHECK(r.out.empty());
        }
    }
    // No command ever reached the board: no reset, no SYNC.
    CHECK(logged_ops(log).empty());
}

TEST_CASE("device commands: esptool's --before/--after spellings and modes", "[integration][device][reset]") {
    test::TempDir dir;
    const auto log = dir / "commands.jsonl";

    SECTION("underscore spellings over RFC 2217 (DTR/RTS reset)") {
        Devsim sim({"--chip", "esp32", "--listen", "rfc2217:0"});
        auto r = ctl({"--json", "chip", "--port", sim.url(), "--before", "default_reset", "--after", "no_reset"});
        INFO(r.out << r.err);
        CHECK(r.exit_code == 0);
        r = ctl({"--json", "chip", "--port", sim.url(), "--before", "no_reset", "--after", "hard_reset"});
        INFO(r.out << r.err);
        CHECK(r.exit_code == 0);
    }
    SECTION("no-reset-no-sync talks to a loader left synced, without a single SYNC") {
        Devsim sim({"--chip", "esp32s3", "--port", "0", "--log", log.string()});
        auto r = ctl({"chip", "--port", sim.url(), "--baud", "115200", "--after", "no-reset"});
        REQUIRE(r.exit_code == 0);
        const int syncs = count_op(logged_ops(log), "SYNC ");
        CHECK(syncs > 0);
        const std::size_t before = logged_ops(log).size();
        r = ctl({"--json", "chip", "--port", sim.url(), "--baud", "115200", "--before", "no_reset_no_sync", "--after",
                 "no-reset"});
        INFO(r.out << r.err);
        REQUIRE(r.exit_code == 0);
        CHECK(nlohmann::json::parse(r.out).at("chip") == "esp32s3");
        CHECK(count_op(logged_ops(log), "SYNC ") == syncs);
        CHECK(logged_ops(log).size() > before); // it did talk to the board
    }
    SECTION("soft-reset: the ROM runs the app through FLASH_END, even where RTS could reset") {
        Devsim sim({"--chip", "esp32", "--listen", "rfc2217:0", "--log", log.string()});
        const auto fw = write_firmware(dir.path(), 0x3000);
        auto r = ctl({"flash", "--port", sim.url(), "--after", "soft_reset", "0x1000", fw.boot.string()});
        INFO(r.out << r.err);
        REQUIRE(r.exit_code == 0);
        CHECK_THAT(r.out, Catch::Contains("the loader ran the application (soft reset)"));
        const auto ops = logged_ops(log);
        REQUIRE(ops.size() >= 2);
        CHECK_THAT(ops.back(), Catch::StartsWith("FLASH_END ok (leaving the loader: run user code)"));
        CHECK_THAT(ops[ops.size() - 2], Catch::StartsWith("FLASH_BEGIN ok"));
    }
    SECTION("watchdog-reset on an ESP32-S3: the RTC watchdog restarts the board into its app") {
        Devsim sim({"--chip", "esp32s3", "--listen", "rfc2217:0", "--log", log.string()});
        // Control: left in the loader, the board answers a connect without reset.
        auto r = ctl({"chip", "--port", sim.url(), "--after", "no-reset"});
        REQUIRE(r.exit_code == 0);
        r = ctl({"chip", "--port", sim.url(), "--before", "no-reset", "--after", "watchdog-reset"});
        INFO(r.out << r.err);
        REQUIRE(r.exit_code == 0);
        CHECK(count_op(logged_ops(log), "WRITE_REG ok (RTC watchdog armed)") == 1);
        // The watchdog reset the chip, which booted its app (IO0 high): no loader answers any more.
        r = ctl({"chip", "--port", sim.url(), "--before", "no-reset"});
        INFO(r.out << r.err);
        CHECK(r.exit_code == 6);
        CHECK_THAT(r.err, Catch::Contains("cannot connect to " + sim.url()));
    }
    SECTION("watchdog-reset on a detected ESP32 is refused before any work, naming the chip") {
        Devsim sim({"--chip", "esp32", "--port", "0", "--log", log.string()});
        const auto fw = write_firmware(dir.path(), 0x3000);
        auto r = ctl({"flash", "--port", sim.url(), "--after", "watchdog-reset", "0x1000", fw.boot.string()});
        INFO(r.out << r.err);
        CHECK(r.exit_code == 2);
        CHECK_THAT(r.err, Catch::Contains("--after watchdog-reset: the ESP32 ROM has no RTC watchdog reset"));
        const auto ops = logged_ops(log);
        CHECK(count_op(ops, "FLASH_BEGIN") == 0);
        CHECK(count_op(ops, "FLASH_DEFL_BEGIN") == 0);
        CHECK(count_op(ops, "WRITE_REG") == 0);
    }
}
