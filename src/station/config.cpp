// The factory configuration: YAML in, a checked Config out (schema in docs/config.md). Nothing here
// reads the files the config names; load_firmware (firmware.cpp) does that.
#include "vesper/station/config.hpp"

#include <cstdlib>
#include <limits>
#include <map>
#include <utility>

#include "vesper/core/error.hpp"
#include "vesper/core/files.hpp"
#include "vesper/core/text.hpp"
#include "vesper/image/image_patch.hpp"
#include "vesper/port/baud_range.hpp"
#include "vesper/port/port_url.hpp"
#include "vesper/serial/serial_number.hpp"
#include "vesper/station/step_registry.hpp"
#include "vesper/yaml/reader.hpp"

namespace vesper::station {

namespace fs = std::filesystem;

namespace {

using yaml::Entry;
using yaml::Reader;

// One baud range with the command line (esp/baud_range.hpp says why these bounds).
constexpr std::uint64_t kMinBaud = esp::kMinBaud;
constexpr std::uint64_t kMaxBaud = esp::kMaxBaud;
constexpr int kMaxRetries = 5;

fs::path resolve(const fs::path& base, const std::string& written) {
    fs::path p(written);
    return (p.is_absolute() ? p : base / p).lexically_normal();
}

// Runs `f`, turning a library Error about a value into one that says where the value is. The
// Reader's own errors already do (f often reads the value first) and pass through as they are. A value
// the library refuses (a port URL, a chip name) makes the config invalid: config.invalid; other
// failures keep their code.
template <class F> decltype(auto) located(const Reader& r, const yaml::Node& node, const std::string& field, F&& f) {
    try {
        return f();
    } catch (const yaml::LocatedError&) {
        throw;
    } catch (const Error& e) {
        r.fail_at(node, field, e.what(), e.kind() == ErrorKind::input ? ErrorCode::config_invalid : e.code());
    }
}

std::string names_of(std::span<const esp::FlashCode> codes) {
    std::string out = "keep";
    for (const auto& c : codes)
        out += ", " + std::string(c.name);
    return out;
}

FlashSettings read_flash_settings(const Reader& r, const yaml::Node& node) {
    FlashSettings s;
    for (const auto& e :
         r.entries(node, "flash", {"baud", "retries", "max_seconds_per_board", "compress", "before", "after"})) {
        const std::string field = "flash." + e.key;
        if (e.key == "baud")
            s.baud = static_cast<std::uint32_t>(r.uint(e.value, field, kMinBaud, kMaxBaud));
        else if (e.key == "retries")
            s.retries = static_cast<int>(r.uint(e.value, field, 0, kMaxRetries));
        else if (e.key == "max_seconds_per_board")
            s.max_seconds_per_board = r.number(e.value, field, 1, 86400);
        else if (e.key == "compress")
            s.compress = r.boolean(e.value, field);
        else if (e.key == "before")
            s.reset_before = r.choice(e.value, field, {"reset", "no-reset"}) == "reset";
        else if (e.key == "after")
            s.reset_after = r.choice(e.value, field, {"hard-reset", "no-reset"}) == "hard-reset";
    }
    return s;
}

struct PortUse {
    std::string field;
    int line = 0;
};

StationSpec read_station(const Reader& r, const Entry& entry, std::map<std::string, PortUse>& ports_seen) {
    StationSpec st;
    st.name = entry.key;
    st.line = entry.key_node.line;
    const std::string base = "stations." + st.name;
    const auto fields = r.entries(entry.value, base, {"ports", "baud"});
    const Entry* ports = yaml::find(fields, "ports");
    if (!ports) r.fail_at(entry.key_node, base + ".ports", "missing: a station needs at least one port");
    if (const Entry* baud = yaml::find(fields, "baud"))
        st.baud = static_cast<std::uint32_t>(r.uint(baud->value, base + ".baud", kMinBaud, kMaxBaud));

    const auto& items = r.items(ports->value, base + ".ports");
    if (items.empty()) r.fail_at(ports->value, base + ".ports", "empty: a station needs at least one port");
    for (std::size_t i = 0; i < items.size(); ++i) {
        const std::string field = base + ".ports[" + std::to_string(i) + "]";
        std::string port = r.string(items[i], field);
        located(r, items[i], field, [&] { return esp::parse_port_url(port); });
        const int line = items[i].line;
        auto [it, fresh] = ports_seen.emplace(port, PortUse{field, line});
        if (!fresh)
            r.fail_at(items[i], field,
                      "port " + quote_value(port) + " is already " + it->second.field + " (line " +
                          std::to_string(it->second.line) + "); a port belongs to one station, once");
        st.ports.push_back(std::move(port));
    }
    return st;
}

void read_profile_flash(const Reader& r, const yaml::Node& node, const std::string& base, BoardProfile& p) {
    const esp::ChipInfo& chip = *p.chip;
    for (const auto& e : r.entries(node, base, {"mode", "size", "freq"})) {
        const std::string field = base + "." + e.key;
        const std::string v = r.string(e.value, field);
        if (e.key == "mode") {
            if (v != esp::kKeep && !esp::flash_mode_code(v))
                r.fail_at(e.value, field, quote_value(v) + ": expected one of: " + names_of(esp::flash_modes()));
            p.flash_mode = v;
        } else if (e.key == "size") {
            // "detect": the size the board reports, as `flash --flash-size detect`.
            if (v != esp::kKeep && v != "detect" && !esp::flash_size_code(chip, v))
                r.fail_at(e.value, field,
                          quote_value(v) + ": expected detect or one of: " + names_of(esp::flash_encoding(chip).sizes) +
                              " (sizes " + std::string(chip.display_name) + " supports)");
            p.flash_size = v;
        } else {
            if (v != esp::kKeep && !esp::flash_freq_code(chip, v))
                r.fail_at(e.value, field,
                          quote_value(v) + ": expected one of: " + names_of(esp::flash_encoding(chip).freqs) +
                              " (frequencies " + std::string(chip.display_name) + " supports)");
            p.flash_freq = v;
        }
    }
}

ImageSpec read_image(const Reader& r, const yaml::Node& node, const std::string& field, const fs::path& base_dir) {
    ImageSpec img;
    img.line = node.line;
    const auto fields = r.entries(node, field, {"name", "file", "address", "partition"});
    const Entry* name = yaml::find(fields, "name");
    const Entry* file = yaml::find(fields, "file");
    const Entry* address = yaml::find(fields, "address");
    const Entry* partition = yaml::find(fields, "partition");
    if (!name) r.fail_at(node, field + ".name", "missing (e.g. bootloader, app)");
    if (!file) r.fail_at(node, field + ".file", "missing: the image file to flash");
    if (!address == !partition)
        r.fail_at(node, field,
                  address ? "give address or partition, not both"
                          : "missing address or partition: say where the image goes (address: 0x1000 or "
                            "partition: ota_0)");
    img.name = r.string(name->value, field + ".name");
    img.file = resolve(base_dir, r.string(file->value, field + ".file"));
    if (address) {
        const std::uint64_t a = r.uint(address->value, field + ".address", 0, 0xFFFFFFFF);
        if (a % esp::kFlashSectorSize != 0)
            r.fail_at(address->value, field + ".address",
                      address->value.scalar + " is not on a 4 KiB sector boundary (a multiple of 0x1000)");
        img.address = static_cast<std::uint32_t>(a);
    } else {
        img.partition = r.string(partition->value, field + ".partition");
    }
    return img;
}

NvsSpec read_nvs(const Reader& r, const Entry& entry, const std::string& field, const fs::path& base_dir) {
    NvsSpec nvs;
    nvs.line = entry.key_node.line;
    const auto fields = r.entries(entry.value, field, {"template", "partition", "version"});
    const Entry* tmpl = yaml::find(fields, "template");
    if (!tmpl) r.fail_at(entry.key_node, field + ".template", "missing: the NVS CSV template to render per board");
    nvs.template_file = resolve(base_dir, r.string(tmpl->value, field + ".template"));
    if (const Entry* part = yaml::find(fields, "partition"))
        nvs.partition = r.string(part->value, field + ".partition");
    if (const Entry* ver = yaml::find(fields, "version"))
        nvs.version = static_cast<int>(r.uint(ver->value, field + ".version", 1, 2));
    return nvs;
}

// `pipeline: [flash, test, label, register]`: step names the registry knows, each once.
void read_pipeline(const Reader& r, const yaml::Node& node, const std::string& field, BoardProfile& p) {
    const auto& items = r.items(node, field);
    if (items.empty()) r.fail_at(node, field, "empty: a profile runs at least one step (e.g. [flash])");
    p.pipeline.clear();
    p.pipeline_line = node.line;
    for (std::size_t i = 0; i < items.size(); ++i) {
        const std::string item_field = field + "[" + std::to_string(i) + "]";
        const std::string name = r.string(items[i], item_field);
        if (!step_exists(name))
            r.fail_at(items[i], item_field, "no step " + quote_value(name) + " (steps: " + join(step_names()) + ")");
        if (std::find(p.pipeline.begin(), p.pipeline.end(), name) != p.pipeline.end())
            r.fail_at(items[i], item_field, "step " + quote_value(name) + " is already in the pipeline");
        p.pipeline.push_back(name);
    }
}

// `test: {plan: FILE | {hello_timeout_ms, tests}, baud, mark_tested}`.
TestSettings read_test(const Reader& r, const Entry& entry, const std::string& field, const fs::path& base_dir,
                       const std::string& file) {
    TestSettings t;
    t.line = entry.key_node.line;
    const auto fields = r.entries(entry.value, field, {"plan", "baud", "mark_tested"});
    if (const Entry* plan = yaml::find(fields, "plan")) {
        const std::string plan_field = field + ".plan";
        if (plan->value.kind == yaml::Kind::map) {
            t.plan = std::make_shared<const factory::TestPlan>(factory::parse_test_plan(plan->value, file, plan_field));
        } else {
            const fs::path plan_file = resolve(base_dir, r.string(plan->value, plan_field));
            try {
                t.plan = std::make_shared<const factory::TestPlan>(factory::load_test_plan(plan_file));
            } catch (const Error& e) {
                // A problem inside the plan names the plan's own file and line; a missing or unreadable
                // file is this config's problem.
                if (e.kind() != ErrorKind::not_found && e.kind() != ErrorKind::io) throw;
                r.fail_at(plan->value, plan_field, e.what());
            }
        }
    }
    if (const Entry* baud = yaml::find(fields, "baud"))
        t.baud = static_cast<std::uint32_t>(r.uint(baud->value, field + ".baud", 300, 5000000));
    if (const Entry* mark = yaml::find(fields, "mark_tested"))
        t.mark_tested = r.boolean(mark->value, field + ".mark_tested");
    return t;
}

// `label: {layout: NAME | FILE, format: pdf | zpl, dpi, printer, output: DIR, copies}`. A layout's own
// problems name the layout file and its line; a layout file that is missing is this config's problem.
LabelSettings read_label(const Reader& r, const Entry& entry, const std::string& field, const fs::path& base_dir) {
    LabelSettings l;
    l.line = entry.key_node.line;
    const auto fields = r.entries(entry.value, field, {"layout", "format", "dpi", "printer", "output", "copies"});
    const Entry* layout = yaml::find(fields, "layout");
    if (!layout) r.fail_at(entry.key_node, field + ".layout", "missing: a built-in layout name or a layout file");
    std::optional<int> dpi;
    if (const Entry* d = yaml::find(fields, "dpi")) dpi = static_cast<int>(r.uint(d->value, field + ".dpi", 100, 1200));
    const std::string written = r.string(layout->value, field + ".layout");
    // A bare name is a built-in layout; anything that looks like a path is a file next to the config.
    const bool is_file =
        written.find('/') != std::string::npos || written.ends_with(".yaml") || written.ends_with(".yml");
    l.layout_source = is_file ? resolve(base_dir, written).string() : written;
    try {
        l.layout = std::make_shared<const label::Layout>(label::load_layout(l.layout_source, dpi));
    } catch (const yaml::LocatedError&) {
        throw; // a problem inside the layout names the layout's own file and line
    } catch (const Error& e) {
        // An unknown built-in or a missing file is this config's problem.
        r.fail_at(layout->value, field + ".layout", e.what());
    }
    if (const Entry* f = yaml::find(fields, "format"))
        l.format =
            r.choice(f->value, field + ".format", {"pdf", "zpl"}) == "zpl" ? label::Format::zpl : label::Format::pdf;
    if (const Entry* p = yaml::find(fields, "printer")) l.printer = r.string(p->value, field + ".printer");
    if (const Entry* o = yaml::find(fields, "output"))
        l.output = resolve(base_dir, r.string(o->value, field + ".output"));
    if (const Entry* c = yaml::find(fields, "copies"))
        l.copies = static_cast<int>(r.uint(c->value, field + ".copies", 1, 100));
    if (l.printer.empty() && l.output.empty())
        r.fail_at(entry.key_node, field, "give a printer, an output folder, or both: a label must go somewhere");
    if (l.format == label::Format::zpl && l.layout->sheet)
        r.fail_at(layout->value, field + ".layout",
                  "layout '" + l.layout->name + "' is a sheet: ZPL is for roll printers");
    return l;
}

BoardProfile read_profile(const Reader& r, const Entry& entry, const fs::path& base_dir, const std::string& file) {
    BoardProfile p;
    p.name = entry.key;
    p.line = entry.key_node.line;
    const std::string base = "profiles." + p.name;
    const auto fields = r.entries(entry.value, base,
                                  {"board_type", "revision", "chip", "flash", "partition_table",
                                   "partition_table_offset", "images", "nvs", "pipeline", "test", "label"});
    auto required = [&](std::string_view key, const char* what) -> const Entry& {
        const Entry* e = yaml::find(fields, key);
        if (!e) r.fail_at(entry.key_node, base + "." + std::string(key), std::string("missing: ") + what);
        return *e;
    };
    const Entry& board_type = required("board_type", "the board type code, two letters (e.g. BC)");
    const Entry& revision = required("revision", "the board revision (e.g. 02)");
    const Entry& chip = required("chip", "the chip family (e.g. esp32)");
    const Entry& table = required("partition_table", "the partition table CSV");
    const Entry& images = required("images", "the images to flash");

    p.board_type = located(r, board_type.value, base + ".board_type", [&] {
        return serial::normalize_board_type(r.string(board_type.value, base + ".board_type"));
    });
    p.revision = located(r, revision.value, base + ".revision",
                         [&] { return serial::normalize_revision(r.string(revision.value, base + ".revision")); });
    p.chip = &located(r, chip.value, base + ".chip", [&]() -> const esp::ChipInfo& {
        return esp::chip_by_name(r.string(chip.value, base + ".chip"));
    });
    if (const Entry* flash = yaml::find(fields, "flash")) read_profile_flash(r, flash->value, base + ".flash", p);

    p.partition_table = resolve(base_dir, r.string(table.value, base + ".partition_table"));
    p.partition_table_line = table.value.line;
    if (const Entry* off = yaml::find(fields, "partition_table_offset")) {
        const std::string field = base + ".partition_table_offset";
        const std::uint64_t v = r.uint(off->value, field, esp::kFlashSectorSize, 0xFFFFFFFF);
        if (v % esp::kFlashSectorSize != 0)
            r.fail_at(off->value, field, off->value.scalar + " is not a multiple of 0x1000 (the table owns a sector)");
        p.partition_table_offset = static_cast<std::uint32_t>(v);
    }

    const auto& items = r.items(images.value, base + ".images");
    if (items.empty()) r.fail_at(images.value, base + ".images", "empty: a profile flashes at least one image");
    for (std::size_t i = 0; i < items.size(); ++i) {
        const std::string field = base + ".images[" + std::to_string(i) + "]";
        ImageSpec img = read_image(r, items[i], field, base_dir);
        for (const auto& other : p.images) {
            if (other.name == img.name)
                r.fail_line(img.line, field + ".name",
                            "image name " + quote_value(img.name) + " is already used on line " +
                                std::to_string(other.line));
            if (!img.partition.empty() && other.partition == img.partition)
                r.fail_line(img.line, field + ".partition",
                            "partition " + quote_value(img.partition) + " already gets image " +
                                quote_value(other.name) + " (line " + std::to_string(other.line) + ")");
        }
        p.images.push_back(std::move(img));
    }
    if (const Entry* nvs = yaml::find(fields, "nvs")) p.nvs = read_nvs(r, *nvs, base + ".nvs", base_dir);
    if (const Entry* pipeline = yaml::find(fields, "pipeline"))
        read_pipeline(r, pipeline->value, base + ".pipeline", p);
    if (const Entry* test = yaml::find(fields, "test")) p.test = read_test(r, *test, base + ".test", base_dir, file);
    if (const Entry* label = yaml::find(fields, "label")) p.label = read_label(r, *label, base + ".label", base_dir);
    if (!p.test.plan) p.test.plan = std::make_shared<const factory::TestPlan>(factory::default_test_plan());
    return p;
}

// `backend: {url, token_file, ca_file, pinned_public_key, client_cert, client_key, bulk_size, max_in_flight,
// connect_timeout_s, request_timeout_s, backoff_base_s, backoff_max_s, insecure_skip_verify,
// allow_plain_http}` (docs/config.md). The token itself is never in the config: only where it is.
backend::BackendSettings read_backend(const Reader& r, const Entry& entry, const fs::path& base_dir) {
    backend::BackendSettings b;
    b.line = entry.key_node.line;
    const auto fields = r.entries(entry.value, "backend",
                                  {"url", "token_file", "ca_file", "pinned_public_key", "client_cert", "client_key",
                                   "bulk_size", "max_in_flight", "connect_timeout_s", "request_timeout_s",
                                   "backoff_base_s", "backoff_max_s", "insecure_skip_verify", "allow_plain_http"});
    const Entry* url = yaml::find(fields, "url");
    if (!url) r.fail_at(entry.key_node, "backend.url", "missing: the backend's base URL (https://host[:port][/base])");
    for (const auto& e : fields) {
        const std::string field = "backend." + e.key;
        if (e.key == "token_file")
            b.token_file = resolve(base_dir, r.string(e.value, field));
        else if (e.key == "ca_file")
            b.ca_file = resolve(base_dir, r.string(e.value, field));
        else if (e.key == "client_cert")
            b.client_cert = resolve(base_dir, r.string(e.value, field));
        else if (e.key == "client_key")
            b.client_key = resolve(base_dir, r.string(e.value, field));
        else if (e.key == "pinned_public_key") {
            b.pinned_public_key = r.string(e.value, field);
            std::string why;
            if (!backend::valid_pinned_public_key(b.pinned_public_key, &why))
                r.fail_at(e.value, field, why + " (expected sha256//BASE64, several joined by ';')");
        } else if (e.key == "bulk_size")
            b.bulk_size = static_cast<std::size_t>(r.uint(e.value, field, 1, 1000));
        else if (e.key == "max_in_flight")
            b.max_in_flight = static_cast<int>(r.uint(e.value, field, 1, 64));
        else if (e.key == "connect_timeout_s")
            b.connect_timeout_s = r.number(e.value, field, 0.1, 600);
        else if (e.key == "request_timeout_s")
            b.request_timeout_s = r.number(e.value, field, 0.1, 3600);
        else if (e.key == "backoff_base_s")
            b.backoff_base_s = r.number(e.value, field, 0.001, 3600);
        else if (e.key == "backoff_max_s")
            b.backoff_max_s = r.number(e.value, field, 0.001, 86400);
        else if (e.key == "insecure_skip_verify")
            b.insecure_skip_verify = r.boolean(e.value, field);
        else if (e.key == "allow_plain_http")
            b.allow_plain_http = r.boolean(e.value, field);
    }
    if (b.backoff_max_s < b.backoff_base_s)
        r.fail_at(entry.key_node, "backend.backoff_max_s",
                  "smaller than backend.backoff_base_s: the longest wait cannot be shorter than the first");
    if (b.client_cert.empty() != b.client_key.empty())
        r.fail_at(entry.key_node, b.client_cert.empty() ? "backend.client_cert" : "backend.client_key",
                  "missing: mTLS needs both client_cert and client_key");
    b.url = r.string(url->value, "backend.url");
    const bool https = b.url.starts_with("https://");
    const bool http = b.url.starts_with("http://");
    if (!https && !http)
        r.fail_at(url->value, "backend.url", quote_value(b.url) + ": expected https://host[:port][/base]");
    if (http && !b.allow_plain_http)
        r.fail_at(
            url->value, "backend.url",
            quote_value(b.url) +
                ": plain http sends the token in clear; use https, or set allow_plain_http: true (loopback tests)");
    const std::string rest = b.url.substr(https ? 8 : 7);
    const std::string host = rest.substr(0, rest.find('/'));
    if (host.empty() || host.find_first_of("@?# ") != std::string::npos ||
        rest.find_first_of("?# ") != std::string::npos)
        r.fail_at(url->value, "backend.url",
                  quote_value(b.url) + ": expected https://host[:port][/base] (no user, query or fragment)");
    while (b.url.ends_with("/"))
        b.url.pop_back();
    return b;
}

std::string joined_names(const std::vector<std::string>& names) { return names.empty() ? "none" : join(names); }

Config read_config(const Reader& r, const yaml::Node& root, const fs::path& file) {
    if (root.kind == yaml::Kind::null) r.fail_line(1, "", "the config is empty (it needs at least `version: 1`)");
    // The version first: a newer file's unknown keys are better explained by its version.
    const auto any = r.entries(root, "", {});
    const Entry* version = yaml::find(any, "version");
    if (!version) r.fail_at(root, "version", "missing: the first line should be `version: 1`");
    const std::uint64_t v = r.uint(version->value, "version", 0, std::numeric_limits<std::uint32_t>::max());
    if (v != 1)
        r.fail_at(version->value, "version",
                  "unsupported config version " + std::to_string(v) + " (this vesperctl reads version 1)");

    const auto top = r.entries(root, "", {"version", "ledger", "batch", "flash", "stations", "profiles", "backend"});
    Config c;
    c.file = file;
    c.base_dir = fs::absolute(file).parent_path().lexically_normal();
    for (const auto& e : top) {
        if (e.key == "ledger") {
            c.ledger = resolve(c.base_dir, r.string(e.value, "ledger"));
        } else if (e.key == "batch") {
            c.batch = static_cast<std::int64_t>(
                r.uint(e.value, "batch", 1, static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max())));
        } else if (e.key == "flash") {
            c.flash = read_flash_settings(r, e.value);
        } else if (e.key == "backend") {
            c.backend = read_backend(r, e, c.base_dir);
        } else if (e.key == "stations") {
            std::map<std::string, PortUse> ports_seen;
            for (const auto& s : r.entries(e.value, "stations", {}))
                c.stations.push_back(read_station(r, s, ports_seen));
        } else if (e.key == "profiles") {
            for (const auto& pe : r.entries(e.value, "profiles", {})) {
                BoardProfile p = read_profile(r, pe, c.base_dir, file.string());
                for (const auto& other : c.profiles)
                    if (other.board_type == p.board_type && other.revision == p.revision)
                        r.fail_line(p.line, "profiles." + p.name,
                                    "board " + p.board_type + " revision " + p.revision + " already has profile '" +
                                        other.name + "' (line " + std::to_string(other.line) + ")");
                c.profiles.push_back(std::move(p));
            }
        }
    }
    return c;
}

} // namespace

const StationSpec& Config::station(std::string_view name) const {
    std::vector<std::string> names;
    for (const auto& s : stations) {
        if (s.name == name) return s;
        names.push_back(s.name);
    }
    fail(ErrorCode::config_station_not_found,
         file.string() + ": no station " + quote_value(name) + " (stations: " + joined_names(names) + ")");
}

namespace {

// Canonical forms, so "bc"/"2" find the "BC"/"02" profile; junk stays as it is and simply finds nothing.
std::pair<std::string, std::string> canonical_board(std::string_view board_type, std::string_view revision) {
    auto canonical = [](auto f, std::string_view v) {
        try {
            return f(v);
        } catch (const Error&) {
            return std::string(v);
        }
    };
    return {canonical(serial::normalize_board_type, board_type), canonical(serial::normalize_revision, revision)};
}

} // namespace

const BoardProfile* Config::find_profile(std::string_view board_type, std::string_view revision) const {
    const auto [type, rev] = canonical_board(board_type, revision);
    for (const auto& p : profiles)
        if (p.board_type == type && p.revision == rev) return &p;
    return nullptr;
}

const BoardProfile& Config::profile_for(std::string_view board_type, std::string_view revision) const {
    if (const BoardProfile* p = find_profile(board_type, revision)) return *p;
    const auto [type, rev] = canonical_board(board_type, revision);
    std::vector<std::string> names;
    for (const auto& p : profiles)
        names.push_back(p.name + " (" + p.board_type + " " + p.revision + ")");
    fail(ErrorCode::config_profile_not_found, file.string() + ": no profile for board type " + type + " revision " +
                                                  rev + " (profiles: " + joined_names(names) + ")");
}

Config parse_config(std::string_view yaml_text, const fs::path& file) {
    const Reader r(file.string());
    return read_config(r, yaml::parse(yaml_text, file.string()), file);
}

Config load_config(const fs::path& file) {
    std::error_code ec;
    if (!fs::exists(file, ec)) fail(ErrorCode::config_not_found, "config file " + file.string() + ": no such file");
    // One byte over the cap is enough for parse_config to refuse it, whatever the file is (/dev/zero too).
    const Bytes head = read_file_head(file, yaml::Limits{}.max_bytes + 1);
    return parse_config(std::string_view(reinterpret_cast<const char*>(head.data()), head.size()), file);
}

fs::path locate_config(const std::optional<fs::path>& flag) {
    std::error_code ec;
    // An explicit choice that points nowhere is an error, not a reason to look elsewhere.
    if (flag) {
        if (!fs::exists(*flag, ec))
            fail(ErrorCode::config_not_found, "config file " + flag->string() + " (--config): no such file");
        return *flag;
    }
    const char* env = std::getenv("VESPER_CONFIG");
    if (env && *env) {
        if (!fs::exists(env, ec))
            fail(ErrorCode::config_not_found, std::string("config file ") + env + " ($VESPER_CONFIG): no such file");
        return fs::path(env);
    }
    const fs::path local = "vesper.yaml";
    if (fs::exists(local, ec)) return local;
    fail(ErrorCode::config_not_found,
         "no config file: no --config given, $VESPER_CONFIG is not set, and ./vesper.yaml does not exist");
}

} // namespace vesper::station
