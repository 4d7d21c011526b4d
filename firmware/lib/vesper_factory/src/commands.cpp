// The built-in commands of docs/factory-protocol.md. Every handler first checks its arguments: an
// argument it does not know, one given twice or one of the wrong type or range is err bad_args, so a
// typo never silently falls back to a default.
#include <string.h>

#include "dispatcher.hpp"

namespace vesper_factory {

namespace {

const char kHex[] = "0123456789abcdef";

// Every member of the args object must be one of allowed (count names) and appear once.
bool check_args(CommandContext& ctx, const char* const* allowed, size_t count) {
    const JsonReader& r = ctx.args;
    uint32_t seen = 0;
    for (int k = r.first(0); k < r.end(0); k = r.end(k + 1)) {
        size_t i = 0;
        while (i < count && !r.equals(k, allowed[i]))
            ++i;
        if (i == count || (seen & (1u << i)) != 0) {
            ctx.fail(ErrorCode::bad_args, "");
            ctx.message.add(i == count ? "unknown argument '" : "argument given twice: '");
            ctx.message.add(r.raw(k), r.raw_size(k) > 24 ? 24 : r.raw_size(k)).add("'");
            return false;
        }
        seen |= 1u << i;
    }
    return true;
}

bool no_args(CommandContext& ctx) { return check_args(ctx, nullptr, 0); }

// An optional integer argument within [lo, hi]: value untouched when absent.
bool int_arg(CommandContext& ctx, const char* name, int32_t lo, int32_t hi, int32_t& value) {
    const int t = ctx.args.find(0, name);
    if (t < 0) return true;
    int32_t v = 0;
    if (!ctx.args.get_int(t, v) || v < lo || v > hi) {
        ctx.fail(ErrorCode::bad_args, "");
        ctx.message.add(name).add(" must be an integer from ").add_uint(static_cast<uint32_t>(lo));
        ctx.message.add(" to ").add_uint(static_cast<uint32_t>(hi));
        return false;
    }
    value = v;
    return true;
}

void hex_bytes(const uint8_t* data, size_t len, char* out) {
    for (size_t i = 0; i < len; ++i) {
        out[2 * i] = kHex[data[i] >> 4];
        out[2 * i + 1] = kHex[data[i] & 0x0F];
    }
    out[2 * len] = '\0';
}

// ---- hello

bool cmd_hello(CommandContext& ctx) {
    if (!no_args(ctx)) return false;
    write_hello(ctx.hal, ctx.fw, ctx.out);
    return true;
}

// ---- info

bool cmd_info(CommandContext& ctx) {
    if (!no_args(ctx)) return false;
    Hal& hal = ctx.hal;
    JsonWriter& out = ctx.out;
    out.field("chip", hal.chip_name());
    out.field_uint("revision", hal.chip_revision());
    uint8_t mac[6] = {};
    hal.mac_address(mac);
    char mac_text[18];
    for (size_t i = 0; i < 6; ++i) {
        mac_text[3 * i] = kHex[mac[i] >> 4];
        mac_text[3 * i + 1] = kHex[mac[i] & 0x0F];
        mac_text[3 * i + 2] = i < 5 ? ':' : '\0';
    }
    out.field("mac", mac_text);
    // JEDEC id as "0x" and at least 6 upper-case hex digits: "0xEF4016".
    const uint32_t id = hal.flash_id();
    char id_text[11] = {'0', 'x'};
    size_t digits = 6;
    while (digits < 8 && (id >> (4 * digits)) != 0)
        ++digits;
    for (size_t i = 0; i < digits; ++i)
        id_text[2 + i] = "0123456789ABCDEF"[(id >> (4 * (digits - 1 - i))) & 0x0F];
    id_text[2 + digits] = '\0';
    out.field("flash_id", id_text);
    out.field_uint("flash_size", hal.flash_size());
    out.field_uint("psram_size", hal.psram_size());
    out.field_uint("free_heap", hal.free_heap());
    out.field_uint("min_free_heap", hal.min_free_heap());
    out.field("reset_reason", hal.reset_reason());
    out.field("fw", ctx.fw.name);
    out.field("fw_version", ctx.fw.version);
    out.field_uint("uptime_ms", hal.millis());
    return true;
}

// ---- identity

bool cmd_identity(CommandContext& ctx) {
    if (!no_args(ctx)) return false;
    Hal& hal = ctx.hal;
    JsonWriter& out = ctx.out;
    static const char* const kStrings[] = {"serial_number", "hw_type", "hw_version", "plan"};
    char text[96];
    for (const char* key : kStrings) {
        if (hal.identity_string(key, text, sizeof text)) {
            text[sizeof text - 1] = '\0';
            out.field(key, text);
        } else {
            out.field_null(key);
        }
    }
    uint8_t outputs = 0;
    if (hal.identity_u8("outputs", outputs))
        out.field_uint("outputs", outputs);
    else
        out.field_null("outputs");
    uint32_t batch = 0;
    if (hal.identity_u32("batch_id", batch))
        out.field_uint("batch_id", batch);
    else
        out.field_null("batch_id");

    // The MQTT password is hashed, never sent; the copy read from NVS is wiped afterwards.
    char pass[128];
    if (hal.identity_string("mqtt_pass", pass, sizeof pass)) {
        pass[sizeof pass - 1] = '\0';
        uint8_t digest[32];
        hal.sha256(reinterpret_cast<const uint8_t*>(pass), strlen(pass), digest);
        char hex[65];
        hex_bytes(digest, sizeof digest, hex);
        out.field("mqtt_pass_sha256", hex);
    } else {
        out.field_null("mqtt_pass_sha256");
    }
    volatile char* wipe = pass;
    for (size_t i = 0; i < sizeof pass; ++i)
        wipe[i] = 0;
    return true;
}

// ---- outputs

bool cmd_outputs(CommandContext& ctx) {
    static const char* const kArgs[] = {"count"};
    if (!check_args(ctx, kArgs, 1)) return false;
    Hal& hal = ctx.hal;
    uint8_t identity_outputs = 0;
    int32_t count = hal.identity_u8("outputs", identity_outputs) ? identity_outputs : hal.output_count();
    if (count > kMaxOutputs) count = kMaxOutputs;
    if (!int_arg(ctx, "count", 1, kMaxOutputs, count)) return false;
    if (count == 0) return ctx.fail(ErrorCode::bad_args, "no outputs to test: send count");

    bool on_ok[kMaxOutputs];
    bool off_ok[kMaxOutputs];
    for (int32_t i = 0; i < count; ++i) {
        const uint8_t index = static_cast<uint8_t>(i);
        bool level = false;
        on_ok[i] = hal.output_set(index, true) && hal.output_read(index, level) && level;
        level = true;
        off_ok[i] = hal.output_set(index, false) && hal.output_read(index, level) && !level;
    }

    JsonWriter& out = ctx.out;
    bool all = true;
    for (int32_t i = 0; i < count; ++i)
        all = all && on_ok[i] && off_ok[i];
    out.field_uint("count", static_cast<uint32_t>(count));
    out.field_bool("passed", all);
    out.key("failed");
    out.begin_array();
    for (int32_t i = 0; i < count; ++i)
        if (!on_ok[i] || !off_ok[i]) out.uint(static_cast<uint32_t>(i));
    out.end_array();
    out.key("results");
    out.begin_array();
    for (int32_t i = 0; i < count; ++i) {
        out.begin_object();
        out.field_uint("index", static_cast<uint32_t>(i));
        out.field_bool("on", on_ok[i]);
        out.field_bool("off", off_ok[i]);
        out.end_object();
    }
    out.end_array();
    return true;
}

// ---- gpio

struct PairResult {
    bool ab_high, ab_low, ba_high, ba_low;
};

// from drives, to reads: high with a pull-down and low with a pull-up, so an open pair fails both.
void drive_and_read(Hal& hal, uint8_t from, uint8_t to, bool& high_ok, bool& low_ok) {
    hal.gpio_drive(from, true);
    high_ok = hal.gpio_read(to, Pull::down);
    hal.gpio_drive(from, false);
    low_ok = !hal.gpio_read(to, Pull::up);
    hal.gpio_release(from);
    hal.gpio_release(to);
}

bool read_pairs(CommandContext& ctx, size_t& count) {
    const JsonReader& r = ctx.args;
    const int list = r.find(0, "pairs");
    GpioPair* pairs = ctx.scratch.pairs;
    if (list < 0) {
        count = ctx.hal.gpio_pairs(pairs, kMaxGpioPairs);
        if (count > kMaxGpioPairs) count = kMaxGpioPairs;
        if (count == 0) return ctx.fail(ErrorCode::bad_args, "no gpio pairs configured for this board: send pairs");
    } else {
        if (r.type(list) != JsonType::array || r.count(list) < 1 || r.count(list) > static_cast<int>(kMaxGpioPairs))
            return ctx.fail(ErrorCode::bad_args, "pairs must be an array of 1 to 16 [a,b] pin pairs");
        count = 0;
        for (int e = r.first(list); e < r.end(list); e = r.end(e)) {
            int32_t a = -1, b = -1;
            const bool shape = r.type(e) == JsonType::array && r.count(e) == 2 && r.get_int(e + 1, a) &&
                               r.get_int(r.end(e + 1), b) && a >= 0 && a <= 255 && b >= 0 && b <= 255 && a != b;
            if (!shape) return ctx.fail(ErrorCode::bad_args, "each pair must be [a,b]: two different pin numbers");
            pairs[count++] = {static_cast<uint8_t>(a), static_cast<uint8_t>(b)};
        }
    }
    for (size_t i = 0; i < count; ++i) {
        const uint8_t pins[2] = {pairs[i].a, pairs[i].b};
        for (uint8_t pin : pins) {
            if (!ctx.hal.gpio_allowed(pin)) {
                ctx.fail(ErrorCode::bad_args, "pin ");
                ctx.message.add_uint(pin).add(" is not a test pin on this board");
                return false;
            }
        }
    }
    return true;
}

bool cmd_gpio(CommandContext& ctx) {
    static const char* const kArgs[] = {"pairs"};
    if (!check_args(ctx, kArgs, 1)) return false;
    size_t count = 0;
    if (!read_pairs(ctx, count)) return false;
    const GpioPair* pairs = ctx.scratch.pairs;

    PairResult results[kMaxGpioPairs];
    for (size_t i = 0; i < count; ++i) {
        Hal& hal = ctx.hal;
        hal.gpio_release(pairs[i].a);
        hal.gpio_release(pairs[i].b);
        drive_and_read(hal, pairs[i].a, pairs[i].b, results[i].ab_high, results[i].ab_low);
        drive_and_read(hal, pairs[i].b, pairs[i].a, results[i].ba_high, results[i].ba_low);
    }

    JsonWriter& out = ctx.out;
    out.field_uint("tested", static_cast<uint32_t>(count));
    out.key("failed");
    out.begin_array();
    for (size_t i = 0; i < count; ++i) {
        const PairResult& p = results[i];
        if (p.ab_high && p.ab_low && p.ba_high && p.ba_low) continue;
        out.begin_array();
        out.uint(pairs[i].a);
        out.uint(pairs[i].b);
        out.end_array();
    }
    out.end_array();
    out.key("results");
    out.begin_array();
    for (size_t i = 0; i < count; ++i) {
        out.begin_object();
        out.field_uint("a", pairs[i].a);
        out.field_uint("b", pairs[i].b);
        out.field_bool("ab_high", results[i].ab_high);
        out.field_bool("ab_low", results[i].ab_low);
        out.field_bool("ba_high", results[i].ba_high);
        out.field_bool("ba_low", results[i].ba_low);
        out.end_object();
    }
    out.end_array();
    return true;
}

// ---- wifi_scan

bool cmd_wifi_scan(CommandContext& ctx) {
    static const char* const kArgs[] = {"max"};
    if (!check_args(ctx, kArgs, 1)) return false;
    int32_t max = 10;
    if (!int_arg(ctx, "max", 1, static_cast<int32_t>(kMaxNetworks), max)) return false;

    WifiNetwork* nets = ctx.scratch.networks;
    size_t seen = 0;
    const int filled = ctx.hal.wifi_scan(nets, kMaxNetworks, seen);
    if (filled < 0) return ctx.fail(ErrorCode::hw_error, "wifi scan failed");
    size_t n = static_cast<size_t>(filled) > kMaxNetworks ? kMaxNetworks : static_cast<size_t>(filled);
    if (seen < n) seen = n;
    // Strongest first; equal RSSI keeps the HAL's order (insertion sort is stable).
    for (size_t i = 1; i < n; ++i) {
        const WifiNetwork item = nets[i];
        size_t j = i;
        while (j > 0 && nets[j - 1].rssi < item.rssi) {
            nets[j] = nets[j - 1];
            --j;
        }
        nets[j] = item;
    }

    JsonWriter& out = ctx.out;
    out.field_uint("count", static_cast<uint32_t>(seen));
    if (n > 0)
        out.field_int("best_rssi", nets[0].rssi);
    else
        out.field_null("best_rssi");
    out.key("networks");
    out.begin_array();
    const size_t listed = n < static_cast<size_t>(max) ? n : static_cast<size_t>(max);
    for (size_t i = 0; i < listed; ++i) {
        // A network that would not leave room for the closing "]}" is left out, and so are the rest.
        const JsonWriter::Mark before = out.mark();
        out.begin_object();
        const uint8_t len = nets[i].ssid_len > sizeof nets[i].ssid ? sizeof nets[i].ssid : nets[i].ssid_len;
        out.key("ssid");
        out.string(nets[i].ssid, len);
        out.field_int("rssi", nets[i].rssi);
        out.field_uint("channel", nets[i].channel);
        out.end_object();
        if (out.overflow() || out.room() < 2) {
            out.rollback(before);
            break;
        }
    }
    out.end_array();
    return true;
}

// ---- mark_tested

bool cmd_mark_tested(CommandContext& ctx) {
    static const char* const kArgs[] = {"passed"};
    if (!check_args(ctx, kArgs, 1)) return false;
    bool passed = true;
    const int t = ctx.args.find(0, "passed");
    if (t >= 0 && !ctx.args.get_bool(t, passed)) return ctx.fail(ErrorCode::bad_args, "passed must be true or false");
    if (!ctx.hal.factory_flag_write(passed ? 1 : 0))
        return ctx.fail(ErrorCode::hw_error, "could not write factory_ok to NVS namespace vesper_fct");
    ctx.out.field_bool("factory_ok", passed);
    return true;
}

// ---- reboot

bool cmd_reboot(CommandContext& ctx) {
    if (!no_args(ctx)) return false;
    ctx.out.field_bool("rebooting", true);
    ctx.reboot_after = true;
    return true;
}

} // namespace

const Command kCommands[] = {
    {"hello", cmd_hello}, {"info", cmd_info},           {"identity", cmd_identity},       {"outputs", cmd_outputs},
    {"gpio", cmd_gpio},   {"wifi_scan", cmd_wifi_scan}, {"mark_tested", cmd_mark_tested}, {"reboot", cmd_reboot},
};
const size_t kCommandCount = sizeof kCommands / sizeof kCommands[0];

} // namespace vesper_factory
