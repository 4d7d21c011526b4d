#include "devsim/faults.hpp"

#include "vesper/core/bytes.hpp"
#include "vesper/core/error.hpp"
#include "vesper/core/text.hpp"
#include "vesper/factory/frame.hpp"

namespace vesper::devsim {

namespace {

constexpr const char* kForms =
    "corrupt-every=N, drop-every=N, drop-frame=N, stall-after-bytes=N:MS, stall-after-commands=N:MS, "
    "disconnect-after-bytes=N, fail-write-at=ADDR, fail-write-block=N, max-baud=N, stuck-output=I, weak-wifi, "
    "no-hello, panic-at=COMMAND, line-noise=N, late-answer=COMMAND:MS; any of them after DEVICE: for one device";

[[noreturn]] void bad(std::string_view spec, const std::string& why) {
    fail(ErrorCode::cli_usage, "--fault '" + std::string(spec) + "': " + why + " (accepted: " + kForms + ")");
}

std::uint64_t positive(std::string_view spec, std::string_view text, const char* what) {
    auto v = parse_uint(trim(text));
    if (!v || *v == 0) bad(spec, std::string(what) + " must be a positive integer, got '" + std::string(text) + "'");
    return *v;
}

// A protocol command word, as the firmware matches it.
std::string command_word(std::string_view spec, std::string_view text) {
    const std::string_view word = trim(text);
    if (!factory::is_word(word))
        bad(spec, "COMMAND must be a factory command word ([a-z0-9_]{1,24}, e.g. outputs), got " + quote_value(text));
    return std::string(word);
}

// Faults that take no value.
bool add_flag(FaultPlan& plan, std::string_view key) {
    if (key == "weak-wifi") return plan.weak_wifi = true;
    if (key == "no-hello") return plan.no_hello = true;
    return false;
}

} // namespace

void add_fault(FaultPlan& plan, std::string_view spec) {
    const auto eq = spec.find('=');
    if (eq == std::string_view::npos) {
        if (add_flag(plan, trim(spec))) return;
        bad(spec, "missing '='");
    }
    const std::string_view key = trim(spec.substr(0, eq));
    const std::string_view value = trim(spec.substr(eq + 1));
    if (key == "corrupt-every") {
        plan.corrupt_every = positive(spec, value, "N");
    } else if (key == "drop-every") {
        plan.drop_every = positive(spec, value, "N");
    } else if (key == "drop-frame") {
        plan.drop_frame = positive(spec, value, "N");
    } else if (key == "stall-after-bytes" || key == "stall-after-commands") {
        const auto colon = value.find(':');
        if (colon == std::string_view::npos) bad(spec, "expected N:MS");
        FaultPlan::Stall s;
        s.after_commands = key == "stall-after-commands";
        s.after = positive(spec, value.substr(0, colon), "N");
        s.duration = std::chrono::milliseconds(positive(spec, value.substr(colon + 1), "MS"));
        plan.stalls.push_back(s);
    } else if (key == "disconnect-after-bytes") {
        plan.disconnect_after = positive(spec, value, "N");
    } else if (key == "fail-write-at") {
        auto v = parse_uint(value);
        if (!v || *v > 0xFFFFFFFFull) bad(spec, "ADDR must be a 32-bit number (decimal or 0x hex)");
        plan.fail_write_at = static_cast<std::uint32_t>(*v);
    } else if (key == "fail-write-block") {
        plan.fail_write_block = positive(spec, value, "N");
    } else if (key == "max-baud") {
        const std::uint64_t n = positive(spec, value, "N");
        if (n > 0xFFFFFFFFull) bad(spec, "N must be a baud rate below 2^32");
        plan.max_baud = static_cast<std::uint32_t>(n);
    } else if (key == "weak-wifi" || key == "no-hello") {
        bad(spec, "'" + std::string(key) + "' takes no value");
    } else if (key == "stuck-output") {
        const auto v = parse_uint(value);
        if (!v || *v >= kMaxSimOutputs)
            bad(spec, "I must be an output index from 0 to " + std::to_string(kMaxSimOutputs - 1));
        plan.stuck_outputs |= 1u << *v;
    } else if (key == "panic-at") {
        plan.panic_at = command_word(spec, value);
    } else if (key == "line-noise") {
        plan.line_noise = positive(spec, value, "N");
    } else if (key == "late-answer") {
        const auto colon = value.find(':');
        if (colon == std::string_view::npos) bad(spec, "expected COMMAND:MS");
        const std::uint64_t ms = positive(spec, value.substr(colon + 1), "MS");
        if (ms > 3'600'000) bad(spec, "MS must be at most 3600000 (an hour)");
        plan.late_answer = FaultPlan::LateAnswer{command_word(spec, value.substr(0, colon)),
                                                 std::chrono::milliseconds(static_cast<std::int64_t>(ms))};
    } else {
        bad(spec, "unknown fault '" + std::string(key) + "'");
    }
}

std::string describe(const FaultPlan& plan) {
    std::vector<std::string> parts;
    if (plan.corrupt_every) parts.push_back("corrupt-every=" + std::to_string(plan.corrupt_every));
    if (plan.drop_every) parts.push_back("drop-every=" + std::to_string(plan.drop_every));
    if (plan.drop_frame) parts.push_back("drop-frame=" + std::to_string(plan.drop_frame));
    for (const auto& s : plan.stalls)
        parts.push_back(std::string(s.after_commands ? "stall-after-commands=" : "stall-after-bytes=") +
                        std::to_string(s.after) + ":" + std::to_string(s.duration.count()));
    if (plan.disconnect_after) parts.push_back("disconnect-after-bytes=" + std::to_string(plan.disconnect_after));
    if (plan.fail_write_at) parts.push_back("fail-write-at=" + hex32(*plan.fail_write_at));
    if (plan.fail_write_block) parts.push_back("fail-write-block=" + std::to_string(plan.fail_write_block));
    if (plan.max_baud) parts.push_back("max-baud=" + std::to_string(plan.max_baud));
    for (std::uint32_t i = 0; i < kMaxSimOutputs; ++i)
        if (plan.stuck_outputs & (1u << i)) parts.push_back("stuck-output=" + std::to_string(i));
    if (plan.weak_wifi) parts.push_back("weak-wifi");
    if (plan.no_hello) parts.push_back("no-hello");
    if (!plan.panic_at.empty()) parts.push_back("panic-at=" + plan.panic_at);
    if (plan.line_noise) parts.push_back("line-noise=" + std::to_string(plan.line_noise));
    if (plan.late_answer)
        parts.push_back("late-answer=" + plan.late_answer->command + ":" +
                        std::to_string(plan.late_answer->delay.count()));
    if (parts.empty()) return "none";
    std::string out;
    for (const auto& p : parts)
        out += (out.empty() ? "" : ", ") + p;
    return out;
}

FaultArgument split_fault_argument(std::string_view argument) {
    // A prefix is digits and ':' before any '=': "stall-after-bytes=5:10" has its ':' after the '='.
    const auto colon = argument.find(':');
    const auto eq = argument.find('=');
    if (colon == std::string_view::npos || (eq != std::string_view::npos && eq < colon))
        return {std::nullopt, argument};
    const std::string_view prefix = trim(argument.substr(0, colon));
    if (prefix.empty() || prefix.find_first_not_of("0123456789") != std::string_view::npos)
        return {std::nullopt, argument};
    const auto n = parse_uint(prefix);
    if (!n || *n == 0 || *n > 65535)
        bad(argument,
            "the device before ':' must be a number from 1 (the first ready line), got " + quote_value(prefix));
    return {static_cast<int>(*n), argument.substr(colon + 1)};
}

FaultPlan fault_plan_for(const std::vector<std::string>& arguments, int index, int count) {
    FaultPlan plan;
    for (const std::string& argument : arguments) {
        const FaultArgument a = split_fault_argument(argument);
        if (a.device && *a.device > count)
            bad(argument, "device " + std::to_string(*a.device) + " does not exist: there " +
                              (count == 1 ? "is 1 device" : "are " + std::to_string(count) + " devices"));
        // Every spec is checked, also those for other devices.
        FaultPlan scratch;
        add_fault(a.device && *a.device != index + 1 ? scratch : plan, a.spec);
    }
    return plan;
}

bool FaultState::panic_now(std::string_view command) {
    if (panicked_ || plan_.panic_at.empty() || command != plan_.panic_at) return false;
    panicked_ = true;
    return true;
}

Duration FaultState::answer_delay(std::string_view command) {
    if (answered_late_ || !plan_.late_answer || command != plan_.late_answer->command) return Duration::zero();
    answered_late_ = true;
    return plan_.late_answer->delay;
}

bool FaultState::noise_before_line() {
    ++app_lines_;
    return plan_.line_noise != 0 && app_lines_ % plan_.line_noise == 0;
}

bool FaultState::drop_reply_frame() {
    ++reply_frames_;
    if (plan_.drop_frame != 0 && reply_frames_ == plan_.drop_frame) return true;
    return plan_.drop_every != 0 && reply_frames_ % plan_.drop_every == 0;
}

Duration FaultState::command_stall() {
    ++commands_;
    Duration d{};
    for (const auto& s : plan_.stalls)
        if (s.after_commands && s.after == commands_) d += s.duration;
    return d;
}

bool FaultState::fail_flash_write(std::uint32_t address, std::size_t length) {
    ++flash_blocks_;
    if (plan_.fail_write_block != 0 && flash_blocks_ == plan_.fail_write_block) return true;
    return plan_.fail_write_at && length > 0 && std::uint64_t{address} + length > *plan_.fail_write_at;
}

std::vector<WirePiece> FaultState::shape(ByteView wire, std::uint32_t baud) {
    std::vector<WirePiece> out;
    WirePiece piece;
    const bool garbled = line_fails_at(baud);
    for (std::uint8_t b : wire) {
        ++bytes_sent_;
        if (garbled) b = garble(b);
        if (plan_.corrupt_every != 0 && bytes_sent_ % plan_.corrupt_every == 0) b ^= 0x01;
        piece.bytes.push_back(b);
        Duration pause{};
        for (const auto& s : plan_.stalls)
            if (!s.after_commands && s.after == bytes_sent_) pause += s.duration;
        if (plan_.disconnect_after != 0 && bytes_sent_ == plan_.disconnect_after) {
            piece.disconnect_after = true;
            out.push_back(std::move(piece));
            // Only this connection is cut; the counter has passed N, so a new client is not.
            return out;
        }
        if (pause != Duration::zero()) {
            out.push_back(std::move(piece));
            piece = WirePiece{};
            piece.pause_before = pause;
        }
    }
    if (!piece.bytes.empty() || piece.pause_before != Duration::zero()) out.push_back(std::move(piece));
    return out;
}

} // namespace vesper::devsim
