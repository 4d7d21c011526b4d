#include "vesper/port/reset.hpp"

#include <array>
#include <cctype>
#include <cstdio>
#include <thread>

#include "vesper/core/error.hpp"

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

// --before and --after spellings. Rows, not code: a new spelling is a new row.
constexpr ModeName<BeforeConnect> kBeforeNames[] = {
    {"default-reset", BeforeConnect::reset, "reset into download mode with DTR/RTS (the strategies rotate)"},
    {"usb-reset", BeforeConnect::usb_reset, "the USB-Serial/JTAG reset sequence (boards on the chip's own USB)"},
    {"no-reset", BeforeConnect::no_reset, "no reset, SYNC only: the board is already in download mode"},
    {"no-reset-no-sync", BeforeConnect::no_reset_no_sync,
     "neither reset nor SYNC: the loader is already synced (e.g. left there by --after no-reset)"},
    {"default", BeforeConnect::reset, ""}, // vesperctl's earlier name
};

constexpr ModeName<AfterFlash> kAfterNames[] = {
    {"hard-reset", AfterFlash::hard_reset, "reset into the application with RTS (ROM run-user-code without lines)"},
    {"soft-reset", AfterFlash::soft_reset, "the ROM loader runs the application (FLASH_END run-user-code)"},
    {"watchdog-reset", AfterFlash::watchdog_reset,
     "an RTC watchdog reset through registers (chips whose ROM allows it)"},
    {"no-reset", AfterFlash::stay, "stay in the ROM loader"},
    {"no-reset-stub", AfterFlash::stay, ""}, // esptool: stay in the stub; vesperctl runs none, so the ROM
};

// esptool writes both "no_reset" and "no-reset" (v4 and v5), users any case.
std::string normalized(std::string_view name) {
    std::string n(name);
    for (char& c : n)
        c = c == '_' ? '-' : static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return n;
}

template <class Mode> std::optional<Mode> find_mode(std::span<const ModeName<Mode>> rows, std::string_view name) {
    const std::string n = normalized(name);
    for (const auto& r : rows)
        if (r.name == n) return r.mode;
    return std::nullopt;
}

template <class Mode> std::string_view mode_name(std::span<const ModeName<Mode>> rows, Mode mode) {
    for (const auto& r : rows)
        if (r.mode == mode) return r.name;
    return "unknown";
}

template <class Mode> std::string mode_list(std::span<const ModeName<Mode>> rows) {
    std::string out;
    for (const auto& r : rows) {
        if (r.help.empty()) continue;
        if (!out.empty()) out += ", ";
        out += r.name;
    }
    return out;
}

template <class Mode>
Mode parse_mode(std::span<const ModeName<Mode>> rows, std::string_view name, std::string_view option) {
    if (auto m = find_mode(rows, name)) return *m;
    fail(ErrorKind::input, std::string(option) + " '" + std::string(name) + "': expected one of " + mode_list(rows) +
                               " (esptool's underscore spellings are accepted too)");
}

// Which reset sequences a --before mode rotates through across connect attempts, in order, and on
// which ports each applies (a port without control lines gets none at all).
struct StrategyRow {
    BeforeConnect before;
    ResetKind kind;
    bool (*applies)(const Transport&);
};
bool any_port(const Transport&) { return true; }
bool usb_jtag_port(const Transport& t) { return is_usb_jtag_serial(t); }
bool atomic_lines(const Transport& t) { return t.sets_lines_atomically(); }

constexpr StrategyRow kStrategies[] = {
    {BeforeConnect::reset, ResetKind::usb_jtag_serial, usb_jtag_port},
    {BeforeConnect::reset, ResetKind::unix_tight, atomic_lines},
    {BeforeConnect::reset, ResetKind::unix_tight_extra, atomic_lines},
    {BeforeConnect::reset, ResetKind::classic, any_port},
    {BeforeConnect::reset, ResetKind::classic_extra, any_port},
    {BeforeConnect::usb_reset, ResetKind::usb_jtag_serial, any_port},
};

std::string seconds(milliseconds d) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%g", static_cast<double>(d.count()) / 1000.0);
    return buf;
}

} // namespace

std::span<const ModeName<BeforeConnect>> before_mode_names() { return kBeforeNames; }
std::span<const ModeName<AfterFlash>> after_mode_names() { return kAfterNames; }
std::string_view to_string(BeforeConnect mode) { return mode_name(before_mode_names(), mode); }
std::string_view to_string(AfterFlash mode) { return mode_name(after_mode_names(), mode); }
std::optional<BeforeConnect> before_mode_from_name(std::string_view name) {
    return find_mode(before_mode_names(), name);
}
std::optional<AfterFlash> after_mode_from_name(std::string_view name) { return find_mode(after_mode_names(), name); }
BeforeConnect parse_before_mode(std::string_view name, std::string_view option) {
    return parse_mode(before_mode_names(), name, option);
}
AfterFlash parse_after_mode(std::string_view name, std::string_view option) {
    return parse_mode(after_mode_names(), name, option);
}
std::string before_mode_list() { return mode_list(before_mode_names()); }
std::string after_mode_list() { return mode_list(after_mode_names()); }

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

std::vector<ResetKind> connect_reset_strategies(const Transport& t, BeforeConnect before) {
    std::vector<ResetKind> out;
    if (t.has_control_lines())
        for (const auto& row : kStrategies)
            if (row.before == before && row.applies(t)) out.push_back(row.kind);
    if (out.empty()) out.push_back(ResetKind::none);
    return out;
}

ResetKind connect_reset_strategy(const Transport& t, unsigned attempt, BeforeConnect before) {
    const auto list = connect_reset_strategies(t, before);
    return list[attempt % list.size()];
}

bool resets_before_connect(const Transport& t, BeforeConnect before) {
    return connect_reset_strategy(t, 0, before) != ResetKind::none;
}

void run_line_steps(Transport& t, const std::vector<LineStep>& steps, const SleepFn& sleep) {
    const bool lines = t.has_control_lines();
    for (const auto& s : steps) {
        if (lines && (s.dtr || s.rts)) t.set_lines(s.dtr, s.rts);
        if (s.wait.count() > 0) sleep(s.wait);
    }
}

void run_reset(Transport& t, ResetKind kind, const SleepFn& sleep) { run_line_steps(t, reset_steps(kind), sleep); }

ResetKind connect_reset_sequence(Transport& t, unsigned attempt, const SleepFn& sleep, BeforeConnect before) {
    const ResetKind kind = connect_reset_strategy(t, attempt, before);
    run_reset(t, kind, sleep);
    return kind;
}

bool hard_reset(Transport& t, const SleepFn& sleep) {
    if (!t.has_control_lines()) return false;
    run_line_steps(t, hard_reset_steps(is_usb_jtag_serial(t)), sleep);
    return true;
}

} // namespace vesper::esp
