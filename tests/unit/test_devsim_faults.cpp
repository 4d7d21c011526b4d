// Fault injection: syntax, and the same plan failing the same way every time.
#include <catch2/catch.hpp>

#include "devsim/faults.hpp"
#include "vesper/core/error.hpp"

using namespace vesper;
using namespace vesper::devsim;

namespace {

Bytes flatten(const std::vector<WirePiece>& pieces) {
    Bytes out;
    for (const auto& p : pieces)
        out.insert(out.end(), p.bytes.begin(), p.bytes.end());
    return out;
}

} // namespace

TEST_CASE("fault specs", "[devsim][faults]") {
    FaultPlan p;
    add_fault(p, "corrupt-every=100");
    add_fault(p, "drop-every=7");
    add_fault(p, "stall-after-bytes=500:200");
    add_fault(p, "stall-after-commands=3:50");
    add_fault(p, "disconnect-after-bytes=4096");
    add_fault(p, "fail-write-at=0x10000");
    add_fault(p, "fail-write-block=9");
    CHECK(p.corrupt_every == 100);
    CHECK(p.stalls.size() == 2);
    CHECK(p.stalls[1].after_commands);
    CHECK(*p.fail_write_at == 0x10000);
    CHECK(describe(p) == "corrupt-every=100, drop-every=7, stall-after-bytes=500:200, stall-after-commands=3:50, "
                         "disconnect-after-bytes=4096, fail-write-at=0x10000, fail-write-block=9");
    CHECK(describe(FaultPlan{}) == "none");
    FaultPlan m;
    add_fault(m, "max-baud=115200");
    CHECK(m.max_baud == 115200);
    CHECK_FALSE(m.empty());
    CHECK(describe(m) == "max-baud=115200");
    for (const char* bad : {"corrupt-every", "corrupt-every=0", "stall-after-bytes=5", "explode=1", "drop-every=x",
                            "max-baud=0", "max-baud=fast", "max-baud=99999999999"}) {
        FaultPlan q;
        CHECK_THROWS_AS(add_fault(q, bad), Error);
    }
}

TEST_CASE("byte faults are deterministic", "[devsim][faults]") {
    FaultPlan p;
    add_fault(p, "corrupt-every=10");
    add_fault(p, "stall-after-bytes=25:40");
    Bytes wire(64, 0xAA);
    auto run = [&] {
        FaultState s(p);
        auto a = s.shape(ByteView(wire).first(20), 115200);
        auto b = s.shape(ByteView(wire).subspan(20), 115200);
        a.insert(a.end(), b.begin(), b.end());
        return a;
    };
    const auto first = run(), second = run();
    REQUIRE(flatten(first) == flatten(second));
    const Bytes out = flatten(first);
    REQUIRE(out.size() == 64);
    for (std::size_t i = 0; i < out.size(); ++i)
        CHECK(out[i] == ((i + 1) % 10 == 0 ? 0xAB : 0xAA)); // bytes 10, 20, ... (1-based) flipped
    // The stall splits the stream after byte 25 with a 40 ms pause.
    std::size_t before = 0;
    bool found = false;
    for (const auto& piece : first) {
        if (piece.pause_before == std::chrono::milliseconds(40)) {
            found = true;
            break;
        }
        before += piece.bytes.size();
    }
    CHECK(found);
    CHECK(before == 25);
}

TEST_CASE("drop, command stall, disconnect and write faults count", "[devsim][faults]") {
    FaultPlan p;
    add_fault(p, "drop-every=3");
    add_fault(p, "stall-after-commands=2:30");
    add_fault(p, "disconnect-after-bytes=5");
    FaultState s(p);
    std::vector<bool> dropped;
    for (int i = 0; i < 7; ++i)
        dropped.push_back(s.drop_reply_frame());
    CHECK(dropped == std::vector<bool>{false, false, true, false, false, true, false});
    CHECK(s.command_stall() == Duration::zero());
    CHECK(s.command_stall() == std::chrono::milliseconds(30));
    CHECK(s.command_stall() == Duration::zero());
    const auto pieces = s.shape(Bytes(8, 0x11), 115200);
    REQUIRE_FALSE(pieces.empty());
    CHECK(pieces.back().disconnect_after);
    CHECK(flatten(pieces).size() == 5);
    CHECK_FALSE(s.shape(Bytes(8, 0x11), 115200).back().disconnect_after); // once
}

TEST_CASE("drop-frame drops one reply frame, once", "[devsim][faults]") {
    FaultPlan p;
    add_fault(p, "drop-frame=4");
    CHECK(describe(p) == "drop-frame=4");
    CHECK_FALSE(p.empty());
    FaultState s(p);
    std::vector<bool> dropped;
    for (int i = 0; i < 9; ++i)
        dropped.push_back(s.drop_reply_frame());
    CHECK(dropped == std::vector<bool>{false, false, false, true, false, false, false, false, false});
}

TEST_CASE("max-baud garbles everything sent above the limit, nothing at or below it", "[devsim][faults]") {
    FaultPlan p;
    add_fault(p, "max-baud=115200");
    FaultState s(p);
    CHECK_FALSE(s.line_fails_at(115200));
    CHECK_FALSE(s.line_fails_at(74880));
    CHECK(s.line_fails_at(115201));
    CHECK(s.line_fails_at(921600));
    CHECK_FALSE(FaultState{}.line_fails_at(4000000)); // no fault: any speed

    // A SYNC-like reply frame: intact at 115200.
    const Bytes frame = {0xC0, 0x01, 0x08, 0x04, 0x00, 0x07, 0x07, 0x12, 0x20, 0x00, 0x00, 0xDB, 0xDC, 0xC0};
    CHECK(flatten(s.shape(frame, 115200)) == frame);
    // At 921600 every byte is shifted one bit, the same way every time, and no SLIP END survives.
    const Bytes garbled = flatten(s.shape(frame, 921600));
    REQUIRE(garbled.size() == frame.size());
    for (std::size_t i = 0; i < frame.size(); ++i)
        CHECK(garbled[i] == static_cast<std::uint8_t>((frame[i] << 1) | 1));
    CHECK(garbled == flatten(FaultState(p).shape(frame, 921600)));
    for (int b = 0; b < 256; ++b)
        CHECK(FaultState::garble(static_cast<std::uint8_t>(b)) != 0xC0);
}

TEST_CASE("app fault specs", "[devsim][faults][app]") {
    FaultPlan p;
    add_fault(p, "stuck-output=2");
    add_fault(p, "stuck-output=31");
    add_fault(p, "weak-wifi");
    add_fault(p, "no-hello");
    add_fault(p, "panic-at=outputs");
    add_fault(p, "line-noise=5");
    add_fault(p, "late-answer=wifi_scan:2500");
    CHECK(p.stuck_outputs == ((1u << 2) | (1u << 31)));
    CHECK(p.weak_wifi);
    CHECK(p.no_hello);
    CHECK(p.panic_at == "outputs");
    CHECK(p.line_noise == 5);
    REQUIRE(p.late_answer);
    CHECK(p.late_answer->command == "wifi_scan");
    CHECK(p.late_answer->delay == std::chrono::milliseconds(2500));
    CHECK_FALSE(p.empty());
    CHECK(describe(p) == "stuck-output=2, stuck-output=31, weak-wifi, no-hello, panic-at=outputs, line-noise=5, "
                         "late-answer=wifi_scan:2500");
    for (const char* bad : {"stuck-output=32", "stuck-output=-1", "stuck-output=", "weak-wifi=1", "no-hello=yes",
                            "panic-at=", "panic-at=Outputs", "panic-at=out puts", "line-noise=0", "late-answer=info",
                            "late-answer=info:0", "late-answer=:100", "late-answer=info:x", "weak_wifi"}) {
        FaultPlan q;
        INFO(bad);
        CHECK_THROWS_AS(add_fault(q, bad), Error);
    }
    // The message names the spec and lists the forms.
    try {
        FaultPlan q;
        add_fault(q, "stuck-output=40");
        FAIL("no error");
    } catch (const Error& e) {
        CHECK(std::string(e.what()).find("--fault 'stuck-output=40': I must be an output index from 0 to 31") !=
              std::string::npos);
        CHECK(std::string(e.what()).find("late-answer=COMMAND:MS") != std::string::npos);
    }
}

TEST_CASE("a device prefix applies a fault to one device", "[devsim][faults]") {
    SECTION("splitting") {
        auto a = split_fault_argument("6:stuck-output=2");
        CHECK(a.device == 6);
        CHECK(a.spec == "stuck-output=2");
        a = split_fault_argument("3:no-hello");
        CHECK(a.device == 3);
        CHECK(a.spec == "no-hello");
        // A ':' after the '=' belongs to the spec.
        a = split_fault_argument("stall-after-bytes=5:10");
        CHECK_FALSE(a.device);
        CHECK(a.spec == "stall-after-bytes=5:10");
        a = split_fault_argument("2:late-answer=info:300");
        CHECK(a.device == 2);
        CHECK(a.spec == "late-answer=info:300");
        a = split_fault_argument("weak-wifi");
        CHECK_FALSE(a.device);
        CHECK_THROWS_AS(split_fault_argument("0:weak-wifi"), Error);
    }
    SECTION("plans per device") {
        const std::vector<std::string> args = {"corrupt-every=50", "6:stuck-output=2", "2:late-answer=info:300",
                                               "6:weak-wifi"};
        const FaultPlan first = fault_plan_for(args, 0, 8);
        CHECK(first.corrupt_every == 50);
        CHECK(first.stuck_outputs == 0);
        CHECK_FALSE(first.late_answer);
        const FaultPlan second = fault_plan_for(args, 1, 8);
        REQUIRE(second.late_answer);
        CHECK(second.late_answer->delay == std::chrono::milliseconds(300));
        const FaultPlan sixth = fault_plan_for(args, 5, 8);
        CHECK(sixth.stuck_outputs == 1u << 2);
        CHECK(sixth.weak_wifi);
        CHECK(describe(sixth) == "corrupt-every=50, stuck-output=2, weak-wifi");
    }
    SECTION("errors") {
        // A device beyond --count, and a bad spec for another device, are errors for every device.
        try {
            fault_plan_for({"9:no-hello"}, 0, 8);
            FAIL("no error");
        } catch (const Error& e) {
            CHECK(std::string(e.what()).find("--fault '9:no-hello': device 9 does not exist: there are 8 devices") !=
                  std::string::npos);
        }
        CHECK_THROWS_AS(fault_plan_for({"2:stuck-output=99"}, 0, 8), Error);
        CHECK_THROWS_AS(fault_plan_for({"1:"}, 0, 1), Error);
        CHECK_NOTHROW(fault_plan_for({"1:no-hello"}, 0, 1));
    }
}
