#include <catch2/catch.hpp>

#include "vesper/core/error.hpp"
#include "vesper/port/reset.hpp"

using namespace vesper;
using namespace vesper::esp;
using std::chrono::milliseconds;

namespace {

// A transport that only records line changes against a virtual clock advanced by the fake sleep.
// "Tight" calls (both lines) are one event, like one TIOCMSET.
class RecordingTransport final : public Transport {
public:
    struct Call {
        milliseconds at;
        std::optional<bool> dtr;
        std::optional<bool> rts;
        bool dtr_after; // line states right after the call
        bool rts_after;
    };

    RecordingTransport(bool lines, bool atomic, std::optional<UsbInfo> usb = std::nullopt)
        : lines_(lines), atomic_(atomic), usb_(std::move(usb)) {}

    const std::string& name() const override { return name_; }
    void write(ByteView) override {}
    std::size_t read(std::uint8_t*, std::size_t, milliseconds) override { return 0; }
    void flush_input() override {}
    void set_baud(std::uint32_t b) override { baud_ = b; }
    std::uint32_t baud() const override { return baud_; }
    void set_lines(std::optional<bool> dtr, std::optional<bool> rts) override {
        if (dtr) dtr_ = *dtr;
        if (rts) rts_ = *rts;
        calls.push_back({now, dtr, rts, dtr_, rts_});
    }
    bool has_control_lines() const override { return lines_; }
    bool sets_lines_atomically() const override { return atomic_; }
    std::optional<UsbInfo> usb_info() const override { return usb_; }

    SleepFn sleeper() {
        return [this](milliseconds d) { now += d; };
    }

    std::vector<Call> calls;
    milliseconds now{0};

private:
    std::string name_ = "recording";
    bool lines_;
    bool atomic_;
    std::optional<UsbInfo> usb_;
    std::uint32_t baud_ = 115200;
    bool dtr_ = true; // as Linux leaves them after open
    bool rts_ = true;
};

// Compact trace: "D0@0 R1@0 D1@100 R0@100 D0@150"; tight calls print as U<d>,<r>.
std::string trace(const std::vector<RecordingTransport::Call>& calls) {
    std::string out;
    for (const auto& c : calls) {
        if (!out.empty()) out += ' ';
        if (c.dtr && c.rts)
            out += "U" + std::to_string(*c.dtr) + "," + std::to_string(*c.rts);
        else if (c.dtr)
            out += "D" + std::to_string(*c.dtr);
        else
            out += "R" + std::to_string(*c.rts);
        out += "@" + std::to_string(c.at.count());
    }
    return out;
}

UsbInfo usj() { return UsbInfo{0x303A, 0x1001, "F4:12:FA:00:11:22", "USB JTAG/serial debug unit"}; }

} // namespace

TEST_CASE("reset: the step lists are esptool's sequences", "[esp][reset]") {
    CHECK(describe(reset_steps(ResetKind::none)).empty());
    CHECK(describe(reset_steps(ResetKind::classic)) == "D0|R1|W0.1|D1|R0|W0.05|D0");
    CHECK(describe(reset_steps(ResetKind::classic_extra)) == "D0|R1|W0.1|D1|R0|W0.55|D0");
    CHECK(describe(reset_steps(ResetKind::unix_tight)) == "U0,0|U1,1|U0,1|W0.1|U1,0|W0.05|U0,0|D0");
    CHECK(describe(reset_steps(ResetKind::unix_tight_extra)) == "U0,0|U1,1|U0,1|W0.1|U1,0|W0.55|U0,0|D0");
    CHECK(describe(reset_steps(ResetKind::usb_jtag_serial)) == "R0|D0|W0.1|D1|R0|W0.1|R1|D0|R1|W0.1|D0|R0");
    CHECK(describe(hard_reset_steps(false)) == "D0|R1|W0.1|R0");
    CHECK(describe(hard_reset_steps(true)) == "D0|R1|W0.2|R0|W0.2");
}

TEST_CASE("reset: classic drives one line per call with the right timing", "[esp][reset]") {
    RecordingTransport t(true, true);
    run_reset(t, ResetKind::classic, t.sleeper());
    CHECK(trace(t.calls) == "D0@0 R1@0 D1@100 R0@100 D0@150");
    // EN released (RTS off) while IO0 is held low (DTR on): download mode.
    CHECK(t.calls[3].dtr_after);
    CHECK_FALSE(t.calls[3].rts_after);
    CHECK(t.now == milliseconds(150));

    RecordingTransport x(true, true);
    run_reset(x, ResetKind::classic_extra, x.sleeper());
    CHECK(trace(x.calls) == "D0@0 R1@0 D1@100 R0@100 D0@650");
}

TEST_CASE("reset: tight sets both lines in each call", "[esp][reset]") {
    RecordingTransport t(true, true);
    run_reset(t, ResetKind::unix_tight, t.sleeper());
    CHECK(trace(t.calls) == "U0,0@0 U1,1@0 U0,1@0 U1,0@100 U0,0@150 D0@150");
    RecordingTransport x(true, true);
    run_reset(x, ResetKind::unix_tight_extra, x.sleeper());
    CHECK(trace(x.calls) == "U0,0@0 U1,1@0 U0,1@0 U1,0@100 U0,0@650 D0@650");
}

TEST_CASE("reset: USB-Serial/JTAG sequence passes through (1,1), not (0,0), into reset", "[esp][reset]") {
    RecordingTransport t(true, true, usj());
    run_reset(t, ResetKind::usb_jtag_serial, t.sleeper());
    CHECK(trace(t.calls) == "R0@0 D0@0 D1@100 R0@100 R1@200 D0@200 R1@200 D0@300 R0@300");
    CHECK(t.calls[4].dtr_after);
    CHECK(t.calls[4].rts_after);
}

TEST_CASE("reset: strategies rotate across connect attempts like esptool", "[esp][reset]") {
    SECTION("local port with atomic lines") {
        RecordingTransport t(true, true);
        const std::vector<ResetKind> want = {ResetKind::unix_tight, ResetKind::unix_tight_extra, ResetKind::classic,
                                             ResetKind::classic_extra};
        CHECK(connect_reset_strategies(t) == want);
        for (unsigned a = 0; a < 9; ++a)
            CHECK(connect_reset_strategy(t, a) == want[a % 4]);
    }
    SECTION("USB-Serial/JTAG goes first") {
        RecordingTransport t(true, true, usj());
        CHECK(is_usb_jtag_serial(t));
        CHECK(connect_reset_strategy(t, 0) == ResetKind::usb_jtag_serial);
        CHECK(connect_reset_strategy(t, 1) == ResetKind::unix_tight);
        CHECK(connect_reset_strategy(t, 5) == ResetKind::usb_jtag_serial);
    }
    SECTION("other Espressif USB devices are not USB-Serial/JTAG") {
        RecordingTransport t(true, true, UsbInfo{0x303A, 0x0002, "", "ESP32-S2 USB-OTG"});
        CHECK_FALSE(is_usb_jtag_serial(t));
        CHECK(connect_reset_strategy(t, 0) == ResetKind::unix_tight);
    }
    SECTION("lines one at a time (RFC 2217): classic only") {
        RecordingTransport t(true, false);
        CHECK(connect_reset_strategies(t) == std::vector<ResetKind>{ResetKind::classic, ResetKind::classic_extra});
    }
    SECTION("no lines (socket://, pty): sync only") {
        RecordingTransport t(false, false);
        CHECK(connect_reset_strategies(t) == std::vector<ResetKind>{ResetKind::none});
        CHECK(connect_reset_sequence(t, 3, t.sleeper()) == ResetKind::none);
        CHECK(t.calls.empty());
        CHECK(t.now == milliseconds(0));
    }
}

TEST_CASE("reset: connect_reset_sequence runs the attempt's strategy", "[esp][reset]") {
    RecordingTransport t(true, true);
    CHECK(connect_reset_sequence(t, 2, t.sleeper()) == ResetKind::classic);
    CHECK(trace(t.calls) == "D0@0 R1@0 D1@100 R0@100 D0@150");
    RecordingTransport u(true, true);
    CHECK(connect_reset_sequence(u, 0, u.sleeper()) == ResetKind::unix_tight);
    CHECK(trace(u.calls) == "U0,0@0 U1,1@0 U0,1@0 U1,0@100 U0,0@150 D0@150");
}

TEST_CASE("reset: hard reset pulses RTS with DTR deasserted", "[esp][reset]") {
    RecordingTransport t(true, true);
    CHECK(hard_reset(t, t.sleeper()));
    CHECK(trace(t.calls) == "D0@0 R1@0 R0@100");
    for (const auto& c : t.calls)
        CHECK_FALSE(c.dtr_after); // IO0 high: the app boots

    RecordingTransport u(true, true, usj());
    CHECK(hard_reset(u, u.sleeper()));
    CHECK(trace(u.calls) == "D0@0 R1@0 R0@200");
    CHECK(u.now == milliseconds(400));

    RecordingTransport none(false, false);
    CHECK_FALSE(hard_reset(none, none.sleeper()));
    CHECK(none.calls.empty());
}

TEST_CASE("reset: names", "[esp][reset]") {
    CHECK(to_string(ResetKind::unix_tight_extra) == "unix_tight_extra");
    CHECK(reset_kind_from_name("classic-extra") == ResetKind::classic_extra);
    CHECK(reset_kind_from_name("usb_jtag_serial") == ResetKind::usb_jtag_serial);
    CHECK(reset_kind_from_name("none") == ResetKind::none);
    CHECK_FALSE(reset_kind_from_name("default_reset"));
}

TEST_CASE("reset: --before and --after take esptool's spellings, v4 and v5", "[esp][reset][modes]") {
    const std::vector<std::pair<std::string, BeforeConnect>> before = {
        {"default_reset", BeforeConnect::reset},
        {"default-reset", BeforeConnect::reset},
        {"default", BeforeConnect::reset},
        {"usb_reset", BeforeConnect::usb_reset},
        {"usb-reset", BeforeConnect::usb_reset},
        {"no_reset", BeforeConnect::no_reset},
        {"no-reset", BeforeConnect::no_reset},
        {"No_Reset", BeforeConnect::no_reset},
        {"no_reset_no_sync", BeforeConnect::no_reset_no_sync},
        {"no-reset-no-sync", BeforeConnect::no_reset_no_sync},
    };
    for (const auto& [name, mode] : before) {
        INFO(name);
        CHECK(before_mode_from_name(name) == mode);
        CHECK(parse_before_mode(name) == mode);
    }
    const std::vector<std::pair<std::string, AfterFlash>> after = {
        {"hard_reset", AfterFlash::hard_reset},
        {"hard-reset", AfterFlash::hard_reset},
        {"soft_reset", AfterFlash::soft_reset},
        {"soft-reset", AfterFlash::soft_reset},
        {"watchdog_reset", AfterFlash::watchdog_reset},
        {"watchdog-reset", AfterFlash::watchdog_reset},
        {"no_reset", AfterFlash::stay},
        {"no-reset", AfterFlash::stay},
        {"no_reset_stub", AfterFlash::stay},
        {"no-reset-stub", AfterFlash::stay},
    };
    for (const auto& [name, mode] : after) {
        INFO(name);
        CHECK(after_mode_from_name(name) == mode);
        CHECK(parse_after_mode(name) == mode);
    }
    // Canonical names are esptool v5's.
    CHECK(to_string(BeforeConnect::reset) == "default-reset");
    CHECK(to_string(BeforeConnect::no_reset_no_sync) == "no-reset-no-sync");
    CHECK(to_string(AfterFlash::stay) == "no-reset");
    CHECK(to_string(AfterFlash::watchdog_reset) == "watchdog-reset");
    CHECK(before_mode_list() == "default-reset, usb-reset, no-reset, no-reset-no-sync");
    CHECK(after_mode_list() == "hard-reset, soft-reset, watchdog-reset, no-reset");
    // Not a mode of that option: nothing, or an error naming the option, the value and the choices.
    CHECK_FALSE(before_mode_from_name("hard_reset"));
    CHECK_FALSE(after_mode_from_name("usb_reset"));
    CHECK_FALSE(after_mode_from_name(""));
    try {
        parse_after_mode("reboot");
        FAIL("no error");
    } catch (const Error& e) {
        CHECK(e.kind() == ErrorKind::input);
        CHECK_THAT(e.what(), Catch::StartsWith("--after 'reboot': expected one of hard-reset, soft-reset, "
                                               "watchdog-reset, no-reset"));
    }
}

TEST_CASE("reset: each --before mode has its own strategy rows", "[esp][reset][modes]") {
    RecordingTransport local(true, true, usj());
    CHECK(connect_reset_strategies(local, BeforeConnect::usb_reset) ==
          std::vector<ResetKind>{ResetKind::usb_jtag_serial});
    CHECK(connect_reset_strategies(local, BeforeConnect::no_reset) == std::vector<ResetKind>{ResetKind::none});
    CHECK(connect_reset_strategies(local, BeforeConnect::no_reset_no_sync) == std::vector<ResetKind>{ResetKind::none});
    CHECK(resets_before_connect(local, BeforeConnect::reset));
    CHECK(resets_before_connect(local, BeforeConnect::usb_reset));
    CHECK_FALSE(resets_before_connect(local, BeforeConnect::no_reset));
    // usb-reset asks for the USB sequence even where the port does not say it is USB-Serial/JTAG (a hub or
    // a driver that hides the id), as esptool does; every attempt uses it.
    RecordingTransport rfc(true, false);
    CHECK(connect_reset_sequence(rfc, 3, rfc.sleeper(), BeforeConnect::usb_reset) == ResetKind::usb_jtag_serial);
    CHECK(describe(reset_steps(ResetKind::usb_jtag_serial)) == "R0|D0|W0.1|D1|R0|W0.1|R1|D0|R1|W0.1|D0|R0");
    // Without control lines no mode changes anything.
    RecordingTransport sock(false, false);
    CHECK(connect_reset_strategies(sock, BeforeConnect::usb_reset) == std::vector<ResetKind>{ResetKind::none});
    CHECK_FALSE(resets_before_connect(sock, BeforeConnect::reset));
}
