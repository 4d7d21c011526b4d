// Stations end to end: vesperctl flash --station / provision against one vesper-devsim per board,
// checking the boards' flash files, the ledger's bindings and the JSON events.
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <future>
#include <set>

#include "background_process.hpp"
#include "pty_process.hpp"
#include "station_test_support.hpp"

using namespace vesper;
using namespace vesper::station_test;

namespace {

std::vector<BoardSpec> boards(const std::string& station, int n, std::vector<std::string> extra = {}) {
    return std::vector<BoardSpec>(static_cast<std::size_t>(n), BoardSpec{station, extra});
}

std::vector<BoardSpec> operator+(std::vector<BoardSpec> a, const std::vector<BoardSpec>& b) {
    a.insert(a.end(), b.begin(), b.end());
    return a;
}

int count_result(const json& summary, const std::string& result) {
    int n = 0;
    for (const auto& b : summary.at("boards"))
        if (b.at("result") == result) ++n;
    return n;
}

} // namespace

TEST_CASE("station: two stations of 4 ports flash 8 boards at once, each with its own identity",
          "[integration][station]") {
    // Realistic UART and flash timing: a board takes long enough that the ports visibly overlap.
    FactoryLine line(boards("bench-a", 4, {"--timing", "realistic"}) + boards("bench-b", 4, {"--timing", "realistic"}),
                     8);
    auto a = std::async(std::launch::async, [&] { return line.flash_station("bench-a"); });
    auto b = std::async(std::launch::async, [&] { return line.flash_station("bench-b"); });
    const auto ra = a.get(), rb = b.get();
    INFO(ra.out << ra.err << rb.out << rb.err);
    REQUIRE(ra.exit_code == 0);
    REQUIRE(rb.exit_code == 0);
    for (const auto* r : {&ra, &rb}) {
        const json s = summary_of(r->out);
        CHECK(s.at("passed") == 4);
        CHECK(s.at("failed") == 0);
        CHECK(s.at("failed_ports").empty());
    }
    // All four ports of a station were at work at the same time: each port's first write event comes
    // before any port's result.
    const auto events = json_lines(ra.out);
    std::set<std::string> writing;
    for (const auto& e : events) {
        if (e.at("event") == "result") break;
        if (e.at("phase") == "write") writing.insert(e.at("port").get<std::string>());
    }
    CHECK(writing.size() == 4);
    // Progress events carry the board's identity and byte counts.
    bool progress_seen = false;
    for (const auto& e : events)
        if (e.at("event") == "progress" && e.at("phase") == "write") {
            progress_seen = true;
            CHECK(e.at("serial").is_string());
            CHECK(e.at("mac").is_string());
            CHECK(e.at("total").get<std::uint64_t>() > 0);
            CHECK(e.at("done").get<std::uint64_t>() <= e.at("total").get<std::uint64_t>());
        }
    CHECK(progress_seen);

    std::set<std::string> serials;
    for (std::size_t i = 0; i < 8; ++i)
        serials.insert(line.check_board(i));
    CHECK(serials.size() == 8);
    line.check_bindings(8);

    // The ledger has one passed flash attempt per board, with timings per phase.
    auto led = ledger::Ledger::open(line.ledger(), "test");
    const auto attempts = led.attempts_of_batch(line.batch());
    CHECK(attempts.size() == 8);
    for (const auto& at : attempts) {
        CHECK(at.result == ledger::AttemptResult::passed);
        CHECK(at.step == "flash");
        const json phases = json::parse(at.phases);
        CHECK(phases.contains("connect"));
        CHECK(phases.contains("flash"));
        CHECK(at.firmware_sha256.size() == 64);
    }

    // Running a station again finds every board done and touches nothing.
    const auto again = line.flash_station("bench-a");
    INFO(again.out << again.err);
    CHECK(again.exit_code == 0);
    const json s = summary_of(again.out);
    CHECK(count_result(s, "skipped") == 4);
    CHECK(led.attempts_of_batch(line.batch()).size() == 8);
}

TEST_CASE("station: faults on some ports fail or retry them without holding up the others", "[integration][station]") {
    // Port 0 clean; port 1 drops its connection once mid-write (a retry completes it); port 2 has a
    // flash that fails to program (every attempt fails); port 3 corrupts a byte now and then (the
    // protocol's own retries absorb it); port 4 goes silent for 4 s in the middle (its board is slow,
    // the others are not held up).
    std::vector<BoardSpec> spec = {{"bench", {}},
                                   {"bench", {"--fault", "disconnect-after-bytes=2000"}},
                                   {"bench", {"--fault", "fail-write-at=0x20000"}},
                                   {"bench", {"--fault", "corrupt-every=5000"}},
                                   {"bench", {"--fault", "stall-after-bytes=2500:4000"}}};
    FactoryLine line(spec, 5);
    const auto r = line.flash_station("bench");
    INFO(r.out << r.err);
    CHECK(r.exit_code == 6);
    const json s = summary_of(r.out);
    CHECK(s.at("passed") == 4);
    CHECK(s.at("failed") == 1);
    REQUIRE(s.at("failed_ports").size() == 1);
    CHECK(s.at("failed_ports")[0] == line.ports()[2]);
    CHECK_THAT(s.at("retry").get<std::string>(),
               Catch::Contains(" flash --station bench --batch " + std::to_string(line.batch())));
    CHECK_THAT(s.at("retry").get<std::string>(), Catch::Contains("--port " + line.ports()[2]));
    CHECK_THAT(r.err, Catch::Contains("1 of 5 board(s) failed on station bench"));
    const double clean_seconds = board_on(s, line.ports()[0]).at("seconds").get<double>();
    const double stalled_seconds = board_on(s, line.ports()[4]).at("seconds").get<double>();
    CHECK(board_on(s, line.ports()[1]).at("attempts") == 2);
    const json write_failed = board_on(s, line.ports()[2]);
    CHECK(write_failed.at("result") == "failed");
    CHECK(write_failed.at("cause") == "write");
    CHECK_THAT(write_failed.at("error").get<std::string>(), Catch::Contains("0x"));
    CHECK(write_failed.at("attempts") == 2);
    CHECK(stalled_seconds > 3.5);
    CHECK(clean_seconds < stalled_seconds - 2);
    line.check_board(0);
    line.check_board(1);
    line.check_board(3);
    line.check_board(4);

    // The failed board keeps its serial bound to its MAC, with the reason, and its attempts say why.
    auto led = ledger::Ledger::open(line.ledger(), "test");
    const auto failed = led.find_device_by_mac(mac_of(2));
    REQUIRE(failed);
    CHECK(failed->status == ledger::DeviceStatus::failed);
    CHECK_FALSE(failed->last_error.empty());
    const auto tries = led.attempts_of(failed->serial);
    REQUIRE(tries.size() == 2);
    for (const auto& t : tries) {
        CHECK(t.result == ledger::AttemptResult::failed);
        CHECK(t.cause == "write");
    }
    line.check_bindings(5);
}

TEST_CASE("station: a run killed with SIGKILL completes on the next run with no serial used twice",
          "[integration][station]") {
    // Realistic timing so the run is slow enough to be killed in the middle of writing.
    FactoryLine line(boards("bench", 4, {"--timing", "realistic"}), 6, "320KB");
    {
        test::BackgroundProcess run(line.station_args("flash", "bench"), {{"VESPER_MQTT_SECRET", kSecret}});
        std::set<std::string> writing;
        const bool mid_write = run.wait_for_line(
            [&](const std::string& l) {
                const json e = json::parse(l);
                if (e.at("event") == "progress" && e.at("phase") == "write") writing.insert(e.at("port"));
                return writing.size() >= 2;
            },
            std::chrono::seconds(60));
        REQUIRE(mid_write);
        const int status = run.kill(SIGKILL);
        CHECK(WIFSIGNALED(status));
    }
    {
        // The killed run left attempts running and boards half-written.
        auto led = ledger::Ledger::open(line.ledger(), "test");
        int running = 0;
        for (const auto& at : led.attempts_of_batch(line.batch()))
            if (at.result == ledger::AttemptResult::running) ++running;
        CHECK(running >= 2);
    }
    const auto r = line.flash_station("bench");
    INFO(r.out << r.err);
    REQUIRE(r.exit_code == 0);
    const json s = summary_of(r.out);
    CHECK(s.at("failed") == 0);
    std::set<std::string> serials;
    for (std::size_t i = 0; i < 4; ++i)
        serials.insert(line.check_board(i));
    CHECK(serials.size() == 4);
    line.check_bindings(4);
    auto led = ledger::Ledger::open(line.ledger(), "test");
    int interrupted = 0, passed = 0;
    for (const auto& at : led.attempts_of_batch(line.batch())) {
        CHECK(at.result != ledger::AttemptResult::running);
        if (at.result == ledger::AttemptResult::interrupted) ++interrupted;
        if (at.result == ledger::AttemptResult::passed) ++passed;
    }
    CHECK(interrupted >= 2);
    CHECK(passed == 4);
    // Two devices of the batch were never used: still unbound, still manufactured.
    int unbound = 0;
    for (const auto& d : led.devices_of_batch(line.batch()))
        if (d.mac.empty()) {
            ++unbound;
            CHECK(d.status == ledger::DeviceStatus::manufactured);
        }
    CHECK(unbound == 2);
}

TEST_CASE("station: a board of another chip fails as a chip mismatch, not retried", "[integration][station]") {
    FactoryLine line({{"bench", {}}, {"bench", {}, "esp32s3"}}, 2);
    const auto r = line.flash_station("bench");
    INFO(r.out << r.err);
    CHECK(r.exit_code == 6);
    const json s = summary_of(r.out);
    const json other = board_on(s, line.ports()[1]);
    CHECK(other.at("cause") == "chip_mismatch");
    CHECK(other.at("attempts") == 1);
    CHECK(other.at("serial").is_null()); // never bound: no serial spent on it
    line.check_board(0);
    line.check_bindings(1);
}

TEST_CASE("provision: --loop takes every board and stops when the batch is complete", "[integration][station]") {
    FactoryLine line(boards("bench", 3), 3);
    auto args = line.station_args("provision", "bench");
    args.erase(args.begin());
    args.insert(args.end(), {"--loop", "--poll-interval", "200"});
    const auto r = test::vesperctl(args, line.options());
    INFO(r.out << r.err);
    REQUIRE(r.exit_code == 0);
    const json s = summary_of(r.out);
    CHECK(s.at("passed") == 3);
    CHECK(s.at("batch_complete") == true);
    for (std::size_t i = 0; i < 3; ++i)
        line.check_board(i);
    // The operator is told to swap each finished board.
    int swaps = 0;
    for (const auto& e : json_lines(r.out))
        if (e.at("event") == "phase" && e.at("phase") == "waiting" && e.value("message", "") == "board done: swap it")
            ++swaps;
    CHECK(swaps >= 1);
}

TEST_CASE("station: bad station arguments are one-line input errors", "[integration][station]") {
    FactoryLine line(boards("bench", 1), 1);
    auto unknown = line.flash_station("nope");
    CHECK(unknown.exit_code == 3);
    CHECK_THAT(unknown.err, Catch::Contains("nope"));
    auto port = line.flash_station("bench", {"--port", "socket://127.0.0.1:1"});
    CHECK(port.exit_code == 2);
    CHECK_THAT(port.err, Catch::Contains("is not a port of station bench"));
    auto pairs = line.flash_station("bench", {"0x1000", "x.bin"});
    CHECK(pairs.exit_code == 2);
    CHECK_THAT(pairs.err, Catch::Contains("takes no ADDRESS FILE pairs"));
    auto batch = test::vesperctl({"--ledger", line.ledger().string(), "flash", "--station", "bench", "--batch", "999",
                                  "--config", line.config().string()},
                                 line.options());
    CHECK(batch.exit_code == 3);
    CHECK_THAT(batch.err, Catch::Contains("999"));
}

TEST_CASE("station: on a terminal, live port lines then a summary table and the retry command",
          "[integration][station]") {
    FactoryLine line({{"bench", {}}, {"bench", {"--fault", "fail-write-at=0x20000"}}}, 2);
    auto args = line.station_args("flash", "bench");
    args.erase(std::find(args.begin(), args.end(), "--json"));
    // A terminal that can move the cursor (TERM=dumb gets plain lines: test_terminal_output.cpp).
    const auto r =
        test::run_in_pty(args, {{"VESPER_MQTT_SECRET", kSecret}, {"TERM", "xterm"}}, std::chrono::seconds(60));
    INFO(r.output);
    CHECK(r.exit_code == 6);
    CHECK_THAT(r.output, Catch::Contains("Station bench, batch " + std::to_string(line.batch()) + ", 2 port(s)"));
    // The live block is redrawn in place: cursor up over the two port lines.
    CHECK_THAT(r.output, Catch::Contains("\033[2A"));
    CHECK_THAT(r.output, Catch::Contains("PASS"));
    CHECK_THAT(r.output, Catch::Contains("FAIL"));
    CHECK_THAT(r.output, Catch::Contains("PORT"));
    CHECK_THAT(r.output, Catch::Contains("1 passed, 1 failed, 0 already done"));
    CHECK_THAT(r.output, Catch::Contains("Retry with:"));
    CHECK_THAT(r.output, Catch::Contains("--port " + line.ports()[1]));
    // Nothing machine-shaped on a terminal.
    CHECK_THAT(r.output, !Catch::Contains("\"event\""));
}

TEST_CASE("provision: Ctrl-C lets the boards in progress finish, then stops", "[integration][station]") {
    // A batch bigger than the bench, so only Ctrl-C ends the loop; realistic timing so the signal
    // arrives while the boards are being written.
    FactoryLine line(boards("bench", 2, {"--timing", "realistic"}), 5, "320KB");
    auto args = line.station_args("provision", "bench");
    args.insert(args.end(), {"--loop", "--poll-interval", "200"});
    test::BackgroundProcess run(args, {{"VESPER_MQTT_SECRET", kSecret}});
    std::set<std::string> writing;
    REQUIRE(run.wait_for_line(
        [&](const std::string& l) {
            const json e = json::parse(l);
            if (e.at("event") == "progress" && e.at("phase") == "write") writing.insert(e.at("port"));
            return writing.size() == 2;
        },
        std::chrono::seconds(60)));
    const auto t0 = std::chrono::steady_clock::now();
    ::kill(run.pid(), SIGINT);
    const json summary = wait_for_summary(run, std::chrono::seconds(60));
    const int status = run.kill(0);
    CHECK(WIFEXITED(status));
    CHECK(WEXITSTATUS(status) == 0);
    CHECK(std::chrono::steady_clock::now() - t0 < std::chrono::seconds(30));
    CHECK(summary.at("stopped") == true);
    CHECK(summary.at("batch_complete") == false);
    CHECK(summary.at("passed") == 2); // both boards in progress were finished, not abandoned
    line.check_board(0);
    line.check_board(1);
    auto led = ledger::Ledger::open(line.ledger(), "test");
    for (const auto& at : led.attempts_of_batch(line.batch()))
        CHECK(at.result == ledger::AttemptResult::passed);
}

TEST_CASE("station: a board slower than max_seconds_per_board fails the time gate", "[integration][station]") {
    // Realistic timing: a 192 KB app takes about 3 s, over the 1 s gate.
    FactoryLine line(boards("bench", 1, {"--timing", "realistic"}), 1, "192KB", 1);
    const auto r = line.flash_station("bench");
    INFO(r.out << r.err);
    CHECK(r.exit_code == 6);
    const json s = summary_of(r.out);
    REQUIRE(s.at("boards").size() == 1);
    CHECK(s.at("boards")[0].at("cause") == "too_slow");
    CHECK(s.at("boards")[0].at("attempts") == 1); // not retried: a retry would skip what was written
    CHECK_THAT(s.at("boards")[0].at("error").get<std::string>(), Catch::Contains("max_seconds_per_board"));
    auto led = ledger::Ledger::open(line.ledger(), "test");
    const auto dev = led.find_device_by_mac(mac_of(0));
    REQUIRE(dev);
    CHECK(dev->status == ledger::DeviceStatus::failed);
    const auto attempts = led.attempts_of(dev->serial);
    REQUIRE(attempts.size() == 1);
    CHECK(attempts[0].cause == "too_slow");
}

TEST_CASE("station: options the board profile decides are refused, not ignored", "[integration][station]") {
    for (const char* option : {"--chip=esp32", "--flash-mode=dio", "--flash-size=4MB", "--flash-freq=40m"}) {
        INFO(option);
        const auto r = run({"flash", "--station", "bench", option});
        CHECK(r.exit_code == 2);
        const std::string name = std::string(option).substr(0, std::string(option).find('='));
        CHECK_THAT(r.err, Catch::Contains("flash --station: " + name + " comes from the board profile"));
        CHECK(r.out.empty());
    }
}

namespace {

// The run's JSON error line: exit 2, one line on stderr, nothing on stdout, and no board touched (no
// MAC bound, no attempt in the ledger).
std::string load_error_of(const FactoryLine& line, const test::ProcessResult& r) {
    INFO(r.out << r.err);
    CHECK(r.exit_code == 2);
    CHECK(r.out.empty());
    CHECK(std::count(r.err.begin(), r.err.end(), '\n') == 1);
    line.check_bindings(0);
    CHECK(ledger::Ledger::open(line.ledger(), "test").attempts_of_batch(line.batch()).empty());
    return json::parse(r.err).at("error").at("message").get<std::string>();
}

int line_of_text(const fs::path& file, const std::string& needle) {
    const std::string text = read_text_file(file);
    const auto pos = text.find(needle);
    REQUIRE(pos != std::string::npos);
    return 1 + static_cast<int>(std::count(text.begin(), text.begin() + static_cast<std::ptrdiff_t>(pos), '\n'));
}

} // namespace

TEST_CASE("station: a template that cannot render stops the run before any board is bound", "[integration][station]") {
    FactoryLine line(boards("bench", 2), 2);
    const std::string where = line.config().string() + ":" + std::to_string(line_of_text(line.config(), "    nvs:")) +
                              ": profiles.vesper-bc-02.nvs.template: ";
    const fs::path tmpl = line.dir() / "device.csv";
    const std::string original = read_text_file(tmpl);

    // A placeholder no field fills (docs/config.md: exit 2 naming the config line): it was bound to
    // both boards' serials, and both were marked failed.
    write_file_atomic(tmpl, original + "sn,data,string,{{serial}}\n");
    const std::string unknown = load_error_of(line, line.flash_station("bench"));
    CHECK_THAT(unknown, Catch::StartsWith(where) && Catch::Contains("unknown placeholder {{serial}}"));

    // A value no device of the batch can have in its encoding: refused for the batch, at load.
    write_file_atomic(tmpl, original + "sn,data,u32,{{serial_number}}\n");
    const std::string value = load_error_of(line, line.flash_station("bench"));
    CHECK_THAT(value, Catch::StartsWith(where) && Catch::Contains("key 'sn'"));
}

TEST_CASE("provision: a port that refuses the connection says so while it waits", "[integration][station]") {
    FactoryLine line(boards("bench", 1), 1);
    // A loopback port that refuses connections: bound (so nothing else takes it) but not listening.
    const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    REQUIRE(fd >= 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof addr;
    REQUIRE(::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0);
    REQUIRE(::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) == 0);
    const std::string refused = "socket://127.0.0.1:" + std::to_string(ntohs(addr.sin_port));
    std::string yaml = read_text_file(line.config());
    yaml.replace(yaml.find(line.ports()[0]), line.ports()[0].size(), refused);
    write_file_atomic(line.config(), yaml);

    auto args = line.station_args("provision", "bench");
    args.insert(args.end(), {"--poll-interval", "100"});
    test::BackgroundProcess run(args, {{"VESPER_MQTT_SECRET", kSecret}});
    json note;
    const bool said = run.wait_for_line(
        [&](const std::string& l) {
            const json e = json::parse(l);
            if (e.at("event") == "note") note = e;
            return e.at("event") == "note";
        },
        std::chrono::seconds(20));
    REQUIRE(said);
    CHECK(note.at("port") == refused);
    CHECK_THAT(note.at("message").get<std::string>(), Catch::Contains("Connection refused"));
    // Still waiting for a board, as provision does: the live line says why nothing comes.
    bool waiting = false;
    REQUIRE(run.wait_for_line(
        [&](const std::string& l) {
            const json e = json::parse(l);
            waiting = e.at("event") == "phase" && e.at("phase") == "waiting" &&
                      e.value("message", "") == "cannot open the port";
            return waiting;
        },
        std::chrono::seconds(20)));
    ::kill(run.pid(), SIGINT);
    REQUIRE(run.wait_for_line([](const std::string& l) { return json::parse(l).at("event") == "summary"; },
                              std::chrono::seconds(20)));
    const int status = run.kill(0);
    CHECK(WIFEXITED(status));
    ::close(fd);
}

TEST_CASE("station: boards that fail at connect count in the batch report, per port", "[integration][station]") {
    // Ports 1 and 2 hold boards that never answer the loader (every reply frame dropped): they fail at
    // connect, before any serial is bound to them.
    FactoryLine line({{"bench", {}}, {"bench", {"--fault", "drop-every=1"}}, {"bench", {"--fault", "drop-every=1"}}},
                     3);
    const auto r = line.flash_station("bench");
    INFO(r.out << r.err);
    CHECK(r.exit_code == 6);
    const json s = summary_of(r.out);
    CHECK(s.at("passed") == 1);
    CHECK(s.at("failed") == 2);
    for (std::size_t i : {1u, 2u}) {
        const json b = board_on(s, line.ports()[i]);
        CHECK(b.at("cause") == "connect");
        CHECK(b.at("serial").is_null());
    }
    line.check_bindings(1);

    auto text = line.ctl({"batch", "report", std::to_string(line.batch())});
    INFO(text.out << text.err);
    REQUIRE(text.exit_code == 0);
    CHECK_THAT(text.out, !Catch::Contains("failures: none"));
    CHECK_THAT(text.out, Catch::Contains("failures: connect=4\n")); // two tries per port (retries: 1)
    CHECK_THAT(text.out, Catch::Contains(line.ports()[1]) && Catch::Contains(line.ports()[2]));

    auto doc = line.ctl({"--json", "batch", "report", std::to_string(line.batch())});
    REQUIRE(doc.exit_code == 0);
    const json summary = json::parse(doc.out).at("summary");
    CHECK(summary.at("failures_by_cause") == json{{"connect", 4}});
    CHECK(summary.at("attempts") == 5);
    REQUIRE(summary.at("unbound_failures").size() == 2);
    std::set<std::string> ports;
    for (const auto& u : summary.at("unbound_failures")) {
        CHECK(u.at("station") == "bench");
        CHECK(u.at("failed") == 2);
        CHECK(u.at("failures_by_cause") == json{{"connect", 2}});
        ports.insert(u.at("port").get<std::string>());
    }
    CHECK(ports == std::set<std::string>{line.ports()[1], line.ports()[2]});
    REQUIRE(summary.at("stations").size() == 1);
    CHECK(summary.at("stations")[0].at("passed") == 1);
    CHECK(summary.at("stations")[0].at("failed") == 4);
    // A run of a few seconds gives no boards-per-hour figure, and says why.
    CHECK(summary.at("stations")[0].at("boards_per_hour").is_null());
    CHECK_THAT(summary.at("stations")[0].at("no_rate").get<std::string>(), Catch::Contains("too short for a rate"));
}

TEST_CASE("station: the retry command repeats the run's options, quoted for the shell", "[integration][station]") {
    FactoryLine line({{"bench", {}}, {"bench", {"--fault", "fail-write-at=0x20000"}}}, 2);
    // A config path a shell would split and unquote.
    const fs::path config = line.dir() / "line's config $HOME.yaml";
    fs::copy_file(line.config(), config);
    const std::string batch = std::to_string(line.batch());
    const std::vector<std::string> args = {"--json",        "--ledger",  line.ledger().string(),
                                           "flash",         "--station", "bench",
                                           "--batch",       batch,       "--config",
                                           config.string(), "--reflash", "--no-compress",
                                           "--baud",        "460800",    "--before",
                                           "default",       "--force"};
    const auto r = test::vesperctl(args, line.options());
    INFO(r.out << r.err);
    CHECK(r.exit_code == 6);
    const std::string retry = summary_of(r.out).at("retry");
    CHECK(retry == "vesperctl --ledger " + line.ledger().string() +
                       " flash --baud 460800 --before default-reset --station "
                       "bench --batch " +
                       batch + " --config '" + line.dir().string() +
                       "/line'\\''s config $HOME.yaml' --reflash --no-compress --force --port " + line.ports()[1]);
    // --json: the error line is the JSON error object, its message ending with the same retry.
    CHECK_THAT(json::parse(r.err).at("error").at("message").get<std::string>(), Catch::EndsWith("retry: " + retry));

    // Run through a shell, the retry runs the same way on the failed port only, and hints the same.
    auto opts = line.options();
    opts.env["PATH"] = fs::path(VESPERCTL_BIN).parent_path().string() + ":" + std::getenv("PATH");
    const auto again = test::run_process({"/bin/bash", "-c", retry}, opts); // execve: no PATH search
    INFO(again.out << again.err);
    CHECK(again.exit_code == 6);
    const json s = summary_of(again.out);
    REQUIRE(s.at("boards").size() == 1);
    CHECK(s.at("boards")[0].at("port") == line.ports()[1]);
    CHECK(s.at("retry") == retry);
}
