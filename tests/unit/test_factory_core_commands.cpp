// The factory console's built-in commands (docs/factory-protocol.md), answered over a fake board: the
// exact bytes of every answer line, CRC included (computed here with zlib).
#include <catch2/catch.hpp>

#include <string>
#include <vector>

#include "factory_core_fake_hal.hpp"
#include "vesper_factory.hpp"

using vesper::test::ActiveConsole;
using vesper::test::framed;
using vesper::test::kFakeHello;

namespace {

std::string ok(int id, const std::string& json) { return framed("~VF1 " + std::to_string(id) + " ok " + json); }
std::string err(int id, const std::string& code, const std::string& message) {
    return framed("~VF1 " + std::to_string(id) + R"( err {"code":")" + code + R"(","message":")" + message + "\"}");
}

} // namespace

TEST_CASE("factory command hello answers the hello object, with a null app hash when unknown", "[factory]") {
    ActiveConsole c;
    CHECK(c.request(1, "hello") == ok(1, kFakeHello));
    c.hal.app_sha.reset();
    CHECK(c.request(2, "hello") ==
          ok(2, R"({"proto":1,"fw":"vesper-factory","fw_version":"1.0.0","app_sha256":null,)"
                R"("caps":["hello","info","identity","outputs","gpio","wifi_scan","mark_tested","reboot"]})"));
}

TEST_CASE("factory command info reports the chip, firmware and uptime", "[factory]") {
    ActiveConsole c;
    c.hal.now = 1234;
    CHECK(c.request(7, "info") ==
          ok(7, R"({"chip":"ESP32-S3","revision":2,"mac":"7c:df:a1:0b:2c:0e","flash_id":"0xEF4016",)"
                R"("flash_size":4194304,"psram_size":0,"free_heap":281234,"min_free_heap":270000,)"
                R"("reset_reason":"poweron","fw":"vesper-factory","fw_version":"1.0.0","uptime_ms":1234})"));
}

TEST_CASE("factory requests typed by hand with '-' are answered with a CRC", "[factory]") {
    ActiveConsole c;
    CHECK(c.ask("~VF1 3 mark_tested {} -\r\n") == ok(3, R"({"factory_ok":true})"));
    CHECK(c.ask("~VF1 4 mark_tested {\"passed\": false} -\n") == ok(4, R"({"factory_ok":false})"));
}

TEST_CASE("factory command identity: missing keys are null, the MQTT password is hashed and never sent", "[factory]") {
    ActiveConsole c;
    c.hal.strings = {{"serial_number", "PV-26123-01A1B-7QK3M"},
                     {"hw_type", "KC868-A6"},
                     {"plan", "pro \"x\""},
                     {"mqtt_pass", "3f1c9a7e5b2d4f6081a3c5e7f9b1d3e5"}};
    c.hal.u8s = {{"outputs", 6}};
    c.hal.u32s = {{"batch_id", 4000000000u}};
    const std::string answer = c.request(9, "identity");
    CHECK(answer == ok(9, R"({"serial_number":"PV-26123-01A1B-7QK3M","hw_type":"KC868-A6","hw_version":null,)"
                          R"("plan":"pro \"x\"","outputs":6,"batch_id":4000000000,)"
                          R"("mqtt_pass_sha256":"17d09d73c13d73e15c23058344640082523b2ad5c8f2b4467505e87ed3f3ea7a"})"));
    CHECK(answer.find("3f1c9a7e5b2d") == std::string::npos);

    ActiveConsole empty;
    CHECK(empty.request(10, "identity") ==
          ok(10, R"({"serial_number":null,"hw_type":null,"hw_version":null,"plan":null,"outputs":null,)"
                 R"("batch_id":null,"mqtt_pass_sha256":null})"));
}

TEST_CASE("factory command outputs switches each output on and off and reports the stuck one", "[factory]") {
    ActiveConsole c;
    c.hal.u8s = {{"outputs", 4}};
    c.hal.stuck_outputs[2] = true; // welded relay: always reads on
    CHECK(c.request(11, "outputs") ==
          ok(11, R"({"count":4,"passed":false,"failed":[2],"results":[{"index":0,"on":true,"off":true},)"
                 R"({"index":1,"on":true,"off":true},{"index":2,"on":true,"off":false},)"
                 R"({"index":3,"on":true,"off":true}]})"));
    CHECK(c.hal.output_log ==
          std::vector<std::string>{"0:on", "0:off", "1:on", "1:off", "2:on", "2:off", "3:on", "3:off"});

    c.hal.stuck_outputs.clear();
    c.hal.stuck_outputs[0] = false; // never switches on
    CHECK(c.request(12, "outputs", R"({"count":1})") ==
          ok(12, R"({"count":1,"passed":false,"failed":[0],"results":[{"index":0,"on":false,"off":true}]})"));
    c.hal.stuck_outputs.clear();
    CHECK(c.request(13, "outputs", R"({"count":2})") ==
          ok(13, R"({"count":2,"passed":true,"failed":[],"results":[{"index":0,"on":true,"off":true},)"
                 R"({"index":1,"on":true,"off":true}]})"));
    // Without the identity's count, the board's own; an output the board does not have fails.
    c.hal.u8s.clear();
    c.hal.outputs = 1;
    CHECK(c.request(14, "outputs") ==
          ok(14, R"({"count":1,"passed":true,"failed":[],"results":[{"index":0,"on":true,"off":true}]})"));
    CHECK(c.request(15, "outputs", R"({"count":2})") ==
          ok(15, R"({"count":2,"passed":false,"failed":[1],"results":[{"index":0,"on":true,"off":true},)"
                 R"({"index":1,"on":false,"off":false}]})"));

    const std::string range = "count must be an integer from 1 to 32";
    CHECK(c.request(16, "outputs", R"({"count":0})") == err(16, "bad_args", range));
    CHECK(c.request(17, "outputs", R"({"count":33})") == err(17, "bad_args", range));
    CHECK(c.request(18, "outputs", R"({"count":"3"})") == err(18, "bad_args", range));
    CHECK(c.request(19, "outputs", R"({"cnt":3})") == err(19, "bad_args", "unknown argument 'cnt'"));
    c.hal.outputs = 0;
    CHECK(c.request(20, "outputs") == err(20, "bad_args", "no outputs to test: send count"));
}

TEST_CASE("factory command gpio drives each pair both ways at both levels", "[factory]") {
    ActiveConsole c;
    c.hal.wire(4, 5);
    c.hal.wire(12, 13);
    c.hal.wire(16, 17);
    c.hal.stuck_pins[13] = true;  // shorted to 3V3: reads high whatever 12 drives
    c.hal.stuck_pins[17] = false; // shorted to ground
    // 14-15 are not connected at all: the pulls make both levels fail.
    CHECK(c.request(21, "gpio", R"({"pairs":[[4,5],[12,13],[14,15],[16,17]]})") ==
          ok(21, R"({"tested":4,"failed":[[12,13],[14,15],[16,17]],"results":[)"
                 R"({"a":4,"b":5,"ab_high":true,"ab_low":true,"ba_high":true,"ba_low":true},)"
                 R"({"a":12,"b":13,"ab_high":true,"ab_low":false,"ba_high":true,"ba_low":true},)"
                 R"({"a":14,"b":15,"ab_high":false,"ab_low":false,"ba_high":false,"ba_low":false},)"
                 R"({"a":16,"b":17,"ab_high":false,"ab_low":true,"ba_high":true,"ba_low":true}]})"));
    CHECK(c.hal.driven.empty()); // every pin released

    // Without pairs: the board's configured ones.
    c.hal.configured = {{5, 4}};
    CHECK(c.request(22, "gpio") == ok(22,
                                      R"({"tested":1,"failed":[],"results":[)"
                                      R"({"a":5,"b":4,"ab_high":true,"ab_low":true,"ba_high":true,"ba_low":true}]})"));
    c.hal.configured.clear();
    CHECK(c.request(23, "gpio") == err(23, "bad_args", "no gpio pairs configured for this board: send pairs"));

    const std::string shape = "each pair must be [a,b]: two different pin numbers";
    const std::string list = "pairs must be an array of 1 to 16 [a,b] pin pairs";
    CHECK(c.request(24, "gpio", R"({"pairs":[[4,6]]})") ==
          err(24, "bad_args", "pin 6 is not a test pin on this board"));
    CHECK(c.request(25, "gpio", R"({"pairs":[[4]]})") == err(25, "bad_args", shape));
    CHECK(c.request(26, "gpio", R"({"pairs":[[4,4]]})") == err(26, "bad_args", shape));
    CHECK(c.request(27, "gpio", R"({"pairs":[[4,5,12]]})") == err(27, "bad_args", shape));
    CHECK(c.request(28, "gpio", R"({"pairs":[[4,-5]]})") == err(28, "bad_args", shape));
    CHECK(c.request(29, "gpio", R"({"pairs":[[4,256]]})") == err(29, "bad_args", shape));
    CHECK(c.request(30, "gpio", R"({"pairs":[4,5]})") == err(30, "bad_args", shape));
    CHECK(c.request(31, "gpio", R"({"pairs":[]})") == err(31, "bad_args", list));
    CHECK(c.request(32, "gpio", R"({"pairs":"4,5"})") == err(32, "bad_args", list));
    std::string seventeen = R"({"pairs":[)";
    for (int i = 0; i < 17; ++i)
        seventeen += (i ? ",[4,5]" : "[4,5]");
    CHECK(c.request(33, "gpio", seventeen + "]}") == err(33, "bad_args", list));
    CHECK(c.hal.driven.empty());
}

TEST_CASE("factory command wifi_scan lists the strongest networks first, at most max", "[factory]") {
    ActiveConsole c;
    c.hal.add_network("office", -70, 6);
    c.hal.add_network("lab", -48, 1);
    c.hal.add_network("guest", -70, 11);
    c.hal.add_network("", -90, 3);
    CHECK(c.request(40, "wifi_scan", R"({"max":2})") ==
          ok(40, R"({"count":4,"best_rssi":-48,"networks":[{"ssid":"lab","rssi":-48,"channel":1},)"
                 R"({"ssid":"office","rssi":-70,"channel":6}]})"));
    CHECK(c.request(41, "wifi_scan") ==
          ok(41, R"({"count":4,"best_rssi":-48,"networks":[{"ssid":"lab","rssi":-48,"channel":1},)"
                 R"({"ssid":"office","rssi":-70,"channel":6},{"ssid":"guest","rssi":-70,"channel":11},)"
                 R"({"ssid":"","rssi":-90,"channel":3}]})"));

    c.hal.networks.clear();
    CHECK(c.request(42, "wifi_scan") == ok(42, R"({"count":0,"best_rssi":null,"networks":[]})"));
    c.hal.scan_fails = true;
    CHECK(c.request(43, "wifi_scan") == err(43, "hw_error", "wifi scan failed"));
    CHECK(c.request(44, "wifi_scan", R"({"max":0})") == err(44, "bad_args", "max must be an integer from 1 to 20"));
    CHECK(c.request(45, "wifi_scan", R"({"max":21})") == err(45, "bad_args", "max must be an integer from 1 to 20"));
    CHECK(c.request(46, "wifi_scan", R"({"max":1,"max":2})") == err(46, "bad_args", "argument given twice: 'max'"));
    CHECK(c.hal.scans == 4); // bad arguments never start a scan
}

TEST_CASE("factory command wifi_scan keeps its line within 1024 bytes", "[factory]") {
    ActiveConsole c;
    // 32 control bytes escape to 192 characters: twenty such networks cannot all fit.
    for (int i = 0; i < 25; ++i)
        c.hal.add_network(std::string(32, '\x01'), -40 - i, 1);
    const std::string line = c.request(47, "wifi_scan", R"({"max":20})");
    REQUIRE(line.size() <= 1024);
    CHECK(line.rfind(R"(~VF1 47 ok {"count":25,"best_rssi":-40,"networks":[{"ssid":"\u0001)", 0) == 0);
    CHECK(line.substr(line.size() - 13, 3) == "}]}");
    CHECK(line == framed(line.substr(0, line.size() - 10)));
}

TEST_CASE("factory command mark_tested writes factory_ok", "[factory]") {
    ActiveConsole c;
    CHECK(c.request(50, "mark_tested") == ok(50, R"({"factory_ok":true})"));
    CHECK(c.hal.flag == 1);
    CHECK(c.request(51, "mark_tested", R"({"passed":false})") == ok(51, R"({"factory_ok":false})"));
    CHECK(c.hal.flag == 0);
    CHECK(c.request(52, "mark_tested", R"({"passed":1})") == err(52, "bad_args", "passed must be true or false"));
    CHECK(c.hal.flag == 0);
    c.hal.flag_write_fails = true;
    CHECK(c.request(53, "mark_tested") ==
          err(53, "hw_error", "could not write factory_ok to NVS namespace vesper_fct"));
    // The flag counts from the next boot: the console keeps answering now.
    c.hal.flag_write_fails = false;
    CHECK(c.request(54, "mark_tested") == ok(54, R"({"factory_ok":true})"));
    CHECK(c.console.state() == vesper_factory::Console::State::active);
    CHECK(c.request(55, "hello") == ok(55, kFakeHello));
}

TEST_CASE("factory command reboot answers before it restarts the chip", "[factory]") {
    ActiveConsole c;
    CHECK(c.request(60, "reboot") == ok(60, R"({"rebooting":true})"));
    CHECK(c.hal.events == std::vector<std::string>{"write", "reboot"});
    CHECK(c.request(61, "reboot", R"({"now":true})") == err(61, "bad_args", "unknown argument 'now'"));
    CHECK(c.hal.reboots == 1);
}

TEST_CASE("factory requests: unknown commands and arguments that are not a JSON object", "[factory]") {
    ActiveConsole c;
    CHECK(c.request(70, "selftest") == err(70, "unknown_command", "unknown command 'selftest'"));
    const std::string not_object = "args are not a JSON object (or nest deeper than 8, or hold more than 64 values)";
    CHECK(c.request(71, "info", R"({"a":})") == err(71, "bad_args", not_object));
    CHECK(c.request(72, "info", R"({} {})") == err(72, "bad_args", not_object));
    CHECK(c.request(73, "info", R"({"x":1})") == err(73, "bad_args", "unknown argument 'x'"));
    CHECK(c.request(74, "info", R"({"a\"b":1})") == err(74, "bad_args", R"(unknown argument 'a\\\"b')"));
    CHECK(c.console.answered() == 5);
}
