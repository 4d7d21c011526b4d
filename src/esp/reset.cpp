#include "vesper/esp/reset.hpp"

#include <array>
#include <cstdio>
#include <thread>

namespace vesper::esp {
namespace {

using std::chrono::milliseconds;

constexpr milliseconds kHold{100}; // EN held low / USB-JTAG-Serial step time

LineStep dtr(bool on, milliseconds wait = milliseconds(0)) { return {on, std::nullopt, wait}; }
LineStep rts(bool on, milliseconds wait = milliseconds(0)) { return {std::nullopt, on, wait}; }
LineStep both(bool d, bool r, milliseconds wait = milliseconds(0)) { return {d, r, wait}; }

std::vector<LineStep> classic(milliseconds delay) {
    return {dtr(false), rts(true, kHold), dtr(true), rts(false, delay), dtr(false)};
}

std::vector<LineStep> tight(milliseconds delay) {
    // The final lone DTR off is esptool's: some adapters only settle IO0 high with it.
    return {both(false, false),       both(true, true),   both(false, true, kHold),
            both(true, false, delay), both(false, false), dtr(false)};
}

constexpr std::array<std::pair<ResetKind, std::string_view>, 6> kNames = {{
    {ResetKind::none, "none"},
    {ResetKind::classic, "classic"},
    {ResetKind::classic_extra, "classic_extra"},
    {ResetKind::unix_tight, "unix_tight"},
    {ResetKind::unix_tight_extra, "unix_tight_extra"},
    {ResetKind::usb_jtag_serial, "usb_jtag_serial"},
}};

std::string seconds(milliseconds d) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%g", static_cast<double>(d.count()) / 1000.0);
    return buf;
}

} // namespace

void real_sleep(std::chrono::milliseconds d) {
    if (d.count() > 0) std::this_thread::sleep_for(d);
}

std::vector<LineStep> reset_steps(ResetKind kind) {
    switch (kind) {
    case ResetKind::none: return {};
    case ResetKind::classic: return classic(kResetDelay);
    case ResetKind::classic_extra: return classic(kResetExtraDelay);
    case ResetKind::unix_tight: return tight(kResetDelay);
    case ResetKind::unix_tight_extra: return tight(kResetExtraDelay);
    case ResetKind::usb_jtag_serial:
        // Going into reset, RTS is raised before DTR drops so the lines pass through (1,1), not
        // (0,0); RTS is written twice because Windows drivers only send DTR along with an RTS write.
        return {rts(false), dtr(false, kHold), dtr(true),  rts(false, kHold), rts(true),
                dtr(false), rts(true, kHold),  dtr(false), rts(false)};
    }
    return {};
}

std::vector<LineStep> hard_reset_steps(bool usb_jtag_serial) {
    if (usb_jtag_serial) return {dtr(false), rts(true, milliseconds(200)), rts(false, milliseconds(200))};
    return {dtr(false), rts(true, kHold), rts(false)};
}

std::string describe(const std::vector<LineStep>& steps) {
    std::string out;
    const auto add = [&](const std::string& s) {
        if (!out.empty()) out += '|';
        out += s;
    };
    for (const auto& s : steps) {
        if (s.dtr && s.rts)
            add(std::string("U") + (*s.dtr ? "1" : "0") + "," + (*s.rts ? "1" : "0"));
        else if (s.dtr)
            add(std::string("D") + (*s.dtr ? "1" : "0"));
        else if (s.rts)
            add(std::string("R") + (*s.rts ? "1" : "0"));
        if (s.wait.count() > 0) add("W" + seconds(s.wait));
    }
    return out;
}

std::string_view to_string(ResetKind kind) {
    for (const auto& [k, name] : kNames)
        if (k == kind) return name;
    return "unknown";
}

std::optional<ResetKind> reset_kind_from_name(std::string_view name) {
    std::string n(name);
    for (char& c : n)
        if (c == '-') c = '_';
    for (const auto& [k, kname] : kNames)
        if (kname == n) return k;
    return std::nullopt;
}

bool is_usb_jtag_serial(const Transport& t) {
    const auto usb = t.usb_info();
    return usb && usb->vid == kEspressifUsbVid && usb->pid == kUsbJtagSerialPid;
}

std::vector<ResetKind> connect_reset_strategies(const Transport& t) {
    if (!t.has_control_lines()) return {ResetKind::none};
    std::vector<ResetKind> out;
    if (is_usb_jtag_serial(t)) out.push_back(ResetKind::usb_jtag_serial);
    if (t.sets_lines_atomically()) {
        out.push_back(ResetKind::unix_tight);
        out.push_back(ResetKind::unix_tight_extra);
    }
    out.push_back(ResetKind::classic);
    out.push_back(ResetKind::classic_extra);
    return out;
}

ResetKind connect_reset_strategy(const Transport& t, unsigned attempt) {
    const auto list = connect_reset_strategies(t);
    return list[attempt % list.size()];
}

void run_line_steps(Transport& t, const std::vector<LineStep>& steps, const SleepFn& sleep) {
    const bool lines = t.has_control_lines();
    for (const auto& s : steps) {
        if (lines && (s.dtr || s.rts)) t.set_lines(s.dtr, s.rts);
        if (s.wait.count() > 0) sleep(s.wait);
    }
}

void run_reset(Transport& t, ResetKind kind, const SleepFn& sleep) { run_line_steps(t, reset_steps(kind), sleep); }

ResetKind connect_reset_sequence(Transport& t, unsigned attempt, const SleepFn& sleep) {
    const ResetKind kind = connect_reset_strategy(t, attempt);
    run_reset(t, kind, sleep);
    return kind;
}

bool hard_reset(Transport& t, const SleepFn& sleep) {
    if (!t.has_control_lines()) return false;
    run_line_steps(t, hard_reset_steps(is_usb_jtag_serial(t)), sleep);
    return true;
}

} // namespace vesper::esp
