// Station configuration: a full config read field by field, every validation error with its file, line
// and field, relative paths, where the config is looked for, and the shipped configs/factory.yaml.
#include <catch2/catch.hpp>

#include "temp_dir.hpp"

#include "unit_support.hpp"

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <functional>
#include <optional>
#include <string>

#include "vesper/core/error.hpp"
#include "vesper/core/files.hpp"
#include "vesper/serial/serial_number.hpp"
#include "vesper/station/config.hpp"

using namespace vesper;
using namespace vesper::station;
namespace fs = std::filesystem;

namespace {

// Sets or unsets an environment variable for one scope, then puts the old value back.
class EnvGuard {
public:
    EnvGuard(const char* name, const char* value) : name_(name) {
        if (const char* old = std::getenv(name)) old_ = old;
        if (value)
            ::setenv(name, value, 1);
        else
            ::unsetenv(name);
    }
    ~EnvGuard() {
        if (old_)
            ::setenv(name_, old_->c_str(), 1);
        else
            ::unsetenv(name_);
    }

private:
    const char* name_;
    std::optional<std::string> old_;
};

class CwdGuard {
public:
    explicit CwdGuard(const fs::path& dir) : old_(fs::current_path()) { fs::current_path(dir); }
    ~CwdGuard() {
        std::error_code ec;
        fs::current_path(old_, ec);
    }

private:
    fs::path old_;
};

using test::error_from;
using test::replaced;

std::string parse_error(const std::string& yaml) {
    Error e = error_from([&] { parse_config(yaml, "f.yaml"); });
    CHECK(e.kind() == ErrorKind::input);
    CHECK(e.code() == ErrorCode::config_invalid); // whatever below refused the value
    return e.what();
}

// 1-based line of the first line containing `needle`, so expected lines follow the YAML as written.
int line_of(const std::string& text, const std::string& needle) {
    const auto pos = text.find(needle);
    REQUIRE(pos != std::string::npos);
    int line = 1;
    for (std::size_t i = 0; i < pos; ++i)
        line += text[i] == '\n';
    return line;
}

const std::string kFull = R"(# a comment first, so lines are not all off by one
version: 1
ledger: data/ledger.db
batch: 0x0C
flash:
  baud: 921600
  retries: 3
  max_seconds_per_board: 90.5
  compress: false
  before: no-reset
  after: no-reset
stations:
  bench-a:
    ports:
      - /dev/serial/by-path/pci-0000:00:14.0-usb-0:1.1:1.0-port0
      - rfc2217://10.0.0.5:4000
    baud: 460800
  bench-b:
    ports: [socket://127.0.0.1:4004, socket://127.0.0.1:4005]
profiles:
  vesper-bc-02:
    board_type: bc
    revision: 2
    chip: ESP32
    flash: {mode: dio, size: 4MB, freq: 40m}
    partition_table: partitions-4mb.csv
    partition_table_offset: 0x9000
    images:
      - {name: bootloader, file: firmware/bootloader.bin, address: 0x1000}
      - {name: app, file: firmware/vesper-app.bin, partition: ota_0}
    nvs: {template: ../templates/vesper-device.csv, partition: fctry, version: 1}
  vesper-rl-10:
    board_type: RL
    revision: "10"
    chip: esp32s3
    partition_table: /abs/parts.csv
    images:
      - name: app
        file: app.bin
        address: 65536
)";

// The smallest valid config; error cases change one thing in it.
const std::string kMinimal = R"(version: 1
stations:
  a:
    ports: [socket://127.0.0.1:4000]
profiles:
  p:
    board_type: BC
    revision: 2
    chip: esp32
    partition_table: parts.csv
    images:
      - {name: app, file: app.bin, partition: ota_0}
)";

} // namespace

TEST_CASE("station config: a full config with every field", "[station][config]") {
    const fs::path dir = fs::path("/srv/line");
    const Config c = parse_config(kFull, dir / "factory.yaml");

    CHECK(c.file == dir / "factory.yaml");
    CHECK(c.base_dir == dir);
    REQUIRE(c.ledger);
    CHECK(*c.ledger == dir / "data" / "ledger.db");
    REQUIRE(c.batch);
    CHECK(*c.batch == 12);

    CHECK(c.flash.baud == 921600);
    CHECK(c.flash.retries == 3);
    CHECK(c.flash.max_seconds_per_board == 90.5);
    CHECK_FALSE(c.flash.compress);
    CHECK_FALSE(c.flash.reset_before);
    CHECK_FALSE(c.flash.reset_after);

    REQUIRE(c.stations.size() == 2);
    const StationSpec& a = c.stations[0];
    CHECK(a.name == "bench-a");
    CHECK(a.line == line_of(kFull, "bench-a:"));
    CHECK(a.ports == std::vector<std::string>{"/dev/serial/by-path/pci-0000:00:14.0-usb-0:1.1:1.0-port0",
                                              "rfc2217://10.0.0.5:4000"});
    REQUIRE(a.baud);
    CHECK(*a.baud == 460800);
    const StationSpec& b = c.stations[1];
    CHECK(b.name == "bench-b");
    CHECK(b.ports == std::vector<std::string>{"socket://127.0.0.1:4004", "socket://127.0.0.1:4005"});
    CHECK_FALSE(b.baud);

    REQUIRE(c.profiles.size() == 2);
    const BoardProfile& p = c.profiles[0];
    CHECK(p.name == "vesper-bc-02");
    CHECK(p.line == line_of(kFull, "vesper-bc-02:"));
    CHECK(p.board_type == "BC");
    CHECK(p.revision == "02");
    REQUIRE(p.chip);
    CHECK(p.chip->chip == esp::Chip::esp32);
    CHECK(p.flash_mode == "dio");
    CHECK(p.flash_size == "4MB");
    CHECK(p.flash_freq == "40m");
    CHECK(p.partition_table == dir / "partitions-4mb.csv");
    CHECK(p.partition_table_line == line_of(kFull, "partition_table: partitions"));
    CHECK(p.partition_table_offset == 0x9000);
    REQUIRE(p.images.size() == 2);
    CHECK(p.images[0].name == "bootloader");
    CHECK(p.images[0].file == dir / "firmware" / "bootloader.bin");
    REQUIRE(p.images[0].address);
    CHECK(*p.images[0].address == 0x1000);
    CHECK(p.images[0].partition.empty());
    CHECK(p.images[0].line == line_of(kFull, "{name: bootloader"));
    CHECK(p.images[1].name == "app");
    CHECK(p.images[1].file == dir / "firmware" / "vesper-app.bin");
    CHECK_FALSE(p.images[1].address);
    CHECK(p.images[1].partition == "ota_0");
    CHECK(p.images[1].line == line_of(kFull, "{name: app"));
    REQUIRE(p.nvs);
    CHECK(p.nvs->template_file == fs::path("/srv/templates/vesper-device.csv"));
    CHECK(p.nvs->partition == "fctry");
    CHECK(p.nvs->version == 1);
    CHECK(p.nvs->line == line_of(kFull, "nvs:"));

    // Defaults, a block-style image, a quoted revision and an absolute path.
    const BoardProfile& q = c.profiles[1];
    CHECK(q.board_type == "RL");
    CHECK(q.revision == "10");
    CHECK(q.chip->chip == esp::Chip::esp32s3);
    CHECK(q.flash_mode == "keep");
    CHECK(q.flash_size == "keep");
    CHECK(q.flash_freq == "keep");
    CHECK(q.partition_table == fs::path("/abs/parts.csv"));
    CHECK(q.partition_table_offset == 0x8000);
    REQUIRE(q.images.size() == 1);
    CHECK(*q.images[0].address == 0x10000);
    CHECK(q.images[0].line == line_of(kFull, "- name: app"));
    CHECK_FALSE(q.nvs);
}

TEST_CASE("station config: defaults of a minimal config", "[station][config]") {
    const Config c = parse_config("version: 1\n", "f.yaml");
    CHECK_FALSE(c.ledger);
    CHECK_FALSE(c.batch);
    CHECK(c.flash.baud == 460800);
    CHECK(c.flash.retries == 1);
    CHECK(c.flash.max_seconds_per_board == 300);
    CHECK(c.flash.compress);
    CHECK(c.flash.reset_before);
    CHECK(c.flash.reset_after);
    CHECK(c.stations.empty());
    CHECK(c.profiles.empty());

    const Config m = parse_config(kMinimal, "f.yaml");
    REQUIRE(m.profiles.size() == 1);
    CHECK_FALSE(m.profiles[0].nvs);
    const Config n = parse_config(kMinimal + "    nvs: {template: t.csv}\n", "f.yaml");
    REQUIRE(n.profiles[0].nvs);
    CHECK(n.profiles[0].nvs->partition == "nvs");
    CHECK(n.profiles[0].nvs->version == 2);
}

TEST_CASE("station config: validation errors name file and line and field", "[station][config]") {
    struct Case {
        std::string yaml;
        int line;
        std::string field;
        std::string reason;
    };
    const std::string m = kMinimal;
    const std::vector<Case> cases = {
        // Unknown keys at every level.
        {m + "ledgr: x.db\n", 13, "ledgr", "unknown key (expected one of: version, ledger, batch, flash"},
        {m + "flash: {baud: 115200, retry: 2}\n", 13, "flash.retry", "unknown key"},
        {replaced(m, "    ports:", "    port: [x]\n    ports:"), 4, "stations.a.port", "unknown key"},
        {replaced(m, "partition_table:", "partition_tabel:"), 10, "profiles.p.partition_tabel", "unknown key"},
        {replaced(m, "partition: ota_0", "partiton: ota_0"), 12, "profiles.p.images[0].partiton", "unknown key"},
        {m + "    nvs: {template: t.csv, part: fctry}\n", 13, "profiles.p.nvs.part", "unknown key"},
        {replaced(m, "chip: esp32", "chip: esp32\n    flash: {mode: dio, speed: 40m}"), 10, "profiles.p.flash.speed",
         "unknown key"},
        // Version.
        {"ledger: x.db\n", 1, "version", "missing"},
        {"version: 2\nnew_key: 1\n", 1, "version", "unsupported config version 2 (this vesperctl reads version 1)"},
        {"version: one\n", 1, "version", "'one' is not a whole number"},
        // Types and ranges.
        {m + "batch: twelve\n", 13, "batch", "'twelve' is not a whole number (decimal or 0x hex)"},
        {m + "batch: 0\n", 13, "batch", "0 is out of range"},
        {m + "batch: [1]\n", 13, "batch", "expected a number, got a list"},
        {m + "ledger:\n", 13, "ledger", "has no value"},
        {replaced(m, "profiles:", "  b:\nprofiles:"), 5, "stations.b", "has no value"},
        {m + "stations:\n", 13, "stations", "given twice"},
        {m + "flash:\n  compress: maybe\n", 14, "flash.compress", "'maybe': expected true or false"},
        {m + "flash:\n  baud: 12\n", 14, "flash.baud", "12 is out of range (9600..5000000)"},
        {m + "flash:\n  baud: 6000000\n", 14, "flash.baud", "6000000 is out of range (9600..5000000)"},
        {m + "flash:\n  retries: 9\n", 14, "flash.retries", "9 is out of range (0..5)"},
        {m + "flash:\n  max_seconds_per_board: soon\n", 14, "flash.max_seconds_per_board", "'soon' is not a number"},
        {m + "flash:\n  max_seconds_per_board: 0\n", 14, "flash.max_seconds_per_board", "0 is out of range (1..86400)"},
        {m + "flash:\n  before: maybe\n", 14, "flash.before", "'maybe': expected one of: reset, no-reset"},
        {m + "flash:\n  after: reset\n", 14, "flash.after", "'reset': expected one of: hard-reset, no-reset"},
        {m + "flash: fast\n", 13, "flash", "expected a mapping (key: value lines), got 'fast'"},
        {m + "batch: 1\nbatch: 2\n", 14, "batch", "given twice"},
        // Stations and ports.
        {replaced(m, "ports: [socket://127.0.0.1:4000]", "ports: socket://127.0.0.1:4000"), 4, "stations.a.ports",
         "expected a list"},
        {replaced(m, "ports: [socket://127.0.0.1:4000]", "ports: []"), 4, "stations.a.ports", "empty"},
        {replaced(m, "ports: [socket://127.0.0.1:4000]", "baud: 115200"), 3, "stations.a.ports", "missing"},
        {replaced(m, "ports: [socket://127.0.0.1:4000]", "ports: [socket://127.0.0.1:4000, socket://127.0.0.1:4000]"),
         4, "stations.a.ports[1]", "port 'socket://127.0.0.1:4000' is already stations.a.ports[0] (line 4)"},
        {replaced(m, "profiles:",
                  "  b:\n    ports:\n      - socket://127.0.0.1:4001\n      - socket://127.0.0.1:4000\nprofiles:"),
         8, "stations.b.ports[1]", "is already stations.a.ports[0] (line 4)"},
        {replaced(m, "socket://127.0.0.1:4000", "socket://nohost"), 4, "stations.a.ports[0]", "socket://nohost"},
        {replaced(m, "ports: [", "baud: 50\n    ports: ["), 4, "stations.a.baud", "out of range"},
        // Profiles.
        {replaced(m, "board_type: BC", "board_type: B1"), 7, "profiles.p.board_type", "must be two letters"},
        {replaced(m, "revision: 2", "revision: 123"), 8, "profiles.p.revision", "must be two digits"},
        {replaced(m, "chip: esp32", "chip: esp99"), 9, "profiles.p.chip", "esp99"},
        {replaced(m, "    chip: esp32\n", ""), 6, "profiles.p.chip", "missing"},
        {replaced(m, "    partition_table: parts.csv\n", ""), 6, "profiles.p.partition_table", "missing"},
        {replaced(m, "chip: esp32", "chip: esp32\n    flash: {mode: fast}"), 10, "profiles.p.flash.mode",
         "'fast': expected one of: keep, qio"},
        {replaced(m, "chip: esp32", "chip: esp32\n    flash: {size: 3MB}"), 10, "profiles.p.flash.size",
         "'3MB': expected detect or one of: keep, 1MB"},
        {replaced(m, "chip: esp32", "chip: esp32\n    flash: {freq: 48m}"), 10, "profiles.p.flash.freq", "'48m'"},
        {replaced(m, "parts.csv", "parts.csv\n    partition_table_offset: 0x8800"), 11,
         "profiles.p.partition_table_offset", "not a multiple of 0x1000"},
        {replaced(m, "revision: 2", "revision: 2\n    nvs: {template: t.csv, version: 3}"), 9, "profiles.p.nvs.version",
         "3 is out of range (1..2)"},
        {replaced(m, "revision: 2", "revision: 2\n    nvs: {partition: fctry}"), 9, "profiles.p.nvs.template",
         "missing"},
        {m + "  q:\n    board_type: bc\n    revision: '02'\n    chip: esp32\n    partition_table: parts.csv\n"
             "    images: [{name: app, file: app.bin, partition: ota_0}]\n",
         13, "profiles.q", "board BC revision 02 already has profile 'p' (line 6)"},
        // Images.
        {replaced(m, "images:\n      - {name: app, file: app.bin, partition: ota_0}", "images: []"), 11,
         "profiles.p.images", "empty"},
        {replaced(m, "partition: ota_0}", "partition: ota_0, address: 0x10000}"), 12, "profiles.p.images[0]",
         "give address or partition, not both"},
        {replaced(m, ", partition: ota_0}", "}"), 12, "profiles.p.images[0]", "missing address or partition"},
        {replaced(m, "{name: app, ", "{"), 12, "profiles.p.images[0].name", "missing"},
        {replaced(m, "file: app.bin, ", ""), 12, "profiles.p.images[0].file", "missing"},
        {replaced(m, "partition: ota_0}", "address: 0x1001}"), 12, "profiles.p.images[0].address",
         "0x1001 is not on a 4 KiB sector boundary"},
        {m + "      - {name: app, file: b.bin, address: 0x1000}\n", 13, "profiles.p.images[1].name",
         "image name 'app' is already used on line 12"},
        {m + "      - {name: app2, file: b.bin, partition: ota_0}\n", 13, "profiles.p.images[1].partition",
         "partition 'ota_0' already gets image 'app' (line 12)"},
    };
    for (const auto& c : cases) {
        INFO(c.yaml);
        const std::string msg = parse_error(c.yaml);
        CHECK_THAT(msg, Catch::StartsWith("f.yaml:" + std::to_string(c.line) + ": " + c.field + ": "));
        CHECK_THAT(msg, Catch::Contains(c.reason));
    }
}

TEST_CASE("station config: YAML syntax errors and empty files", "[station][config]") {
    CHECK_THAT(parse_error("version: 1\nstations:\n  a: [socket://x\n"),
               Catch::StartsWith("f.yaml:") && Catch::Contains(": invalid YAML: "));
    CHECK_THAT(parse_error("version: 1\nstations: {a: 1\nprofiles: x\n"), Catch::StartsWith("f.yaml:"));
    // A tab where YAML wants spaces, on line 3.
    const std::string tabbed = parse_error("version: 1\nflash:\n\tbaud: 1\n");
    CHECK_THAT(tabbed, Catch::StartsWith("f.yaml:3: invalid YAML: "));
    CHECK_THAT(parse_error(""), Catch::StartsWith("f.yaml:1: the config is empty"));
    CHECK_THAT(parse_error("# only a comment\n"), Catch::StartsWith("f.yaml:1: the config is empty"));
    CHECK_THAT(parse_error("version: 1\n---\nversion: 1\n"),
               Catch::StartsWith("f.yaml:3: more than one YAML document"));
    CHECK_THAT(parse_error("- version: 1\n"), Catch::StartsWith("f.yaml:1: expected a mapping"));
}

TEST_CASE("station config: load_config reads files and resolves paths against them", "[station][config]") {
    test::TempDir dir;
    fs::create_directories(dir.path() / "line");
    const fs::path file = dir.path() / "line" / "vesper.yaml";
    write_file_atomic(file,
                      std::string_view(replaced(kMinimal, "version: 1\n", "version: 1\nledger: ../db/ledger.db\n")));
    const Config c = load_config(file);
    CHECK(c.base_dir == dir.path() / "line");
    CHECK(*c.ledger == dir.path() / "db" / "ledger.db");
    CHECK(c.profiles[0].partition_table == dir.path() / "line" / "parts.csv");
    CHECK(c.profiles[0].images[0].file == dir.path() / "line" / "app.bin");

    // A relative config file name resolves against the current folder.
    {
        CwdGuard cwd(dir.path());
        const Config r = load_config("line/vesper.yaml");
        CHECK(r.file == fs::path("line/vesper.yaml"));
        CHECK(r.base_dir == dir.path() / "line");
        CHECK(r.profiles[0].images[0].file == dir.path() / "line" / "app.bin");
    }

    const Error missing = error_from([&] { load_config(dir.path() / "nope.yaml"); });
    CHECK(missing.kind() == ErrorKind::not_found);
    CHECK(missing.code() == ErrorCode::config_not_found);
    CHECK_THAT(missing.what(), Catch::Contains((dir.path() / "nope.yaml").string()));

    // Messages carry the file name as given.
    write_file_atomic(dir.path() / "bad.yaml", std::string_view("version: 1\nbatch: -3\n"));
    const Error bad = error_from([&] { load_config(dir.path() / "bad.yaml"); });
    CHECK(bad.kind() == ErrorKind::input);
    CHECK_THAT(bad.what(), Catch::StartsWith((dir.path() / "bad.yaml").string() + ":2: batch: "));
}

TEST_CASE("station config: station and profile lookups", "[station][config]") {
    const Config c = parse_config(kFull, "factory.yaml");
    CHECK(c.station("bench-b").ports.size() == 2);
    const Error no_station = error_from([&] { c.station("bench-c"); });
    CHECK(no_station.kind() == ErrorKind::not_found);
    CHECK(no_station.code() == ErrorCode::config_station_not_found);
    CHECK(std::string(no_station.what()) == "factory.yaml: no station 'bench-c' (stations: bench-a, bench-b)");

    CHECK(c.profile_for("BC", "02").name == "vesper-bc-02");
    CHECK(c.profile_for("bc", "2").name == "vesper-bc-02");
    CHECK(c.profile_for("RL", "10").name == "vesper-rl-10");
    const Error no_profile = error_from([&] { c.profile_for("BC", "03"); });
    CHECK(no_profile.kind() == ErrorKind::not_found);
    CHECK(no_profile.code() == ErrorCode::config_profile_not_found);
    CHECK(std::string(no_profile.what()) == "factory.yaml: no profile for board type BC revision 03 (profiles: "
                                            "vesper-bc-02 (BC 02), vesper-rl-10 (RL 10))");
}

TEST_CASE("station config: board type and revision normalisation (serial library)", "[station][config]") {
    using serial::normalize_board_type;
    using serial::normalize_revision;
    CHECK(normalize_board_type("bc") == "BC");
    CHECK(normalize_board_type("Bc") == "BC");
    CHECK(normalize_revision("2") == "02");
    CHECK(normalize_revision("12") == "12");
    CHECK_THROWS_AS(normalize_board_type("B"), Error);
    CHECK_THROWS_AS(normalize_board_type("B2"), Error);
    CHECK_THROWS_AS(normalize_revision(""), Error);
    CHECK_THROWS_AS(normalize_revision("1a"), Error);
    CHECK_THROWS_AS(normalize_revision("123"), Error);
}

TEST_CASE("station config: locate_config tries the flag then VESPER_CONFIG then ./vesper.yaml", "[station][config]") {
    test::TempDir dir;
    const fs::path flag_file = dir.path() / "flag.yaml";
    const fs::path env_file = dir.path() / "env.yaml";
    write_file_atomic(flag_file, std::string_view("version: 1\n"));
    write_file_atomic(env_file, std::string_view("version: 1\n"));
    CwdGuard cwd(dir.path());

    {
        EnvGuard env("VESPER_CONFIG", env_file.c_str());
        CHECK(locate_config(flag_file) == flag_file);
        CHECK(locate_config(std::nullopt) == env_file);
        // A flag naming a missing file is an error, not a reason to look elsewhere.
        const Error e = error_from([&] { locate_config(dir.path() / "gone.yaml"); });
        CHECK(e.kind() == ErrorKind::not_found);
        CHECK_THAT(e.what(), Catch::Contains("gone.yaml") && Catch::Contains("--config"));
    }
    {
        EnvGuard env("VESPER_CONFIG", (dir.path() / "gone.yaml").c_str());
        const Error e = error_from([&] { locate_config(std::nullopt); });
        CHECK(e.kind() == ErrorKind::not_found);
        CHECK_THAT(e.what(), Catch::Contains("gone.yaml") && Catch::Contains("$VESPER_CONFIG"));
    }
    {
        EnvGuard env("VESPER_CONFIG", nullptr);
        const Error e = error_from([&] { locate_config(std::nullopt); });
        CHECK(e.kind() == ErrorKind::not_found);
        CHECK_THAT(e.what(), Catch::Contains("--config") && Catch::Contains("$VESPER_CONFIG") &&
                                 Catch::Contains("./vesper.yaml"));
        write_file_atomic(dir.path() / "vesper.yaml", std::string_view("version: 1\n"));
        CHECK(locate_config(std::nullopt) == fs::path("vesper.yaml"));
    }
    {
        // An empty VESPER_CONFIG counts as unset.
        EnvGuard env("VESPER_CONFIG", "");
        CHECK(locate_config(std::nullopt) == fs::path("vesper.yaml"));
    }
}

TEST_CASE("station config: the shipped configs/factory.yaml parses", "[station][config]") {
    const fs::path file = fs::path(VESPER_SOURCE_DIR) / "configs" / "factory.yaml";
    const Config c = load_config(file);
    CHECK(c.batch == 12);
    CHECK(c.flash.baud == 921600);
    REQUIRE(c.stations.size() == 2);
    CHECK(c.station("bench-a").baud == 460800u);
    CHECK(c.station("bench-b").ports.size() == 4);
    const BoardProfile& p = c.profile_for("BC", "02");
    CHECK(p.chip->chip == esp::Chip::esp32);
    CHECK(fs::exists(p.partition_table));
    REQUIRE(p.nvs);
    CHECK(fs::exists(p.nvs->template_file));
    CHECK(p.nvs->partition == "fctry");
}

TEST_CASE("station config: inputs that hang yaml-cpp 0.7 are refused at once", "[station][config][yaml-hang]") {
    // Each file made the loader loop, growing ~160 MB/s until bad_alloc (tests/vectors/yaml-hang/README.md).
    const fs::path corpus = fs::path(VESPER_TEST_VECTORS) / "yaml-hang";
    std::size_t files = 0;
    for (const auto& entry : fs::directory_iterator(corpus)) {
        if (entry.path().extension() != ".yaml") continue;
        ++files;
        INFO(entry.path());
        const std::string name = entry.path().filename().string();
        const Bytes bytes = read_file(entry.path());
        const Error e = error_from([&] { parse_config(std::string(bytes.begin(), bytes.end()), name); });
        CHECK(e.kind() == ErrorKind::input);
        const std::string msg = e.what();
        CHECK_THAT(msg, Catch::StartsWith(name + ":") && Catch::Contains("invalid YAML"));
        CHECK(msg.find('\n') == std::string::npos);
        const Error loaded = error_from([&] { load_config(entry.path()); });
        CHECK_THAT(loaded.what(), Catch::StartsWith(entry.path().string() + ":"));
    }
    CHECK(files >= 10);
    // The message says where the parser stopped and at what.
    CHECK(parse_error("\n,\n") == "f.yaml:2: invalid YAML: unexpected ','");
    CHECK(parse_error("version: 1\n...\n,x\n") == "f.yaml:3: invalid YAML: unexpected ','");
}

TEST_CASE("station config: size, depth and alias limits", "[station][config]") {
    // Size: over 1 MiB is refused before parsing, whatever the file is.
    const std::string big = "version: 1\n" + std::string(1024 * 1024, '#');
    CHECK_THAT(parse_error(big), Catch::StartsWith("f.yaml: more than 1048576 bytes"));
    const Error zero = error_from([] { load_config("/dev/zero"); });
    CHECK(zero.kind() == ErrorKind::input);
    CHECK_THAT(zero.what(), Catch::StartsWith("/dev/zero: more than 1048576 bytes"));

    // Depth.
    const std::string deep = "version: 1\nx: " + std::string(40, '[') + std::string(40, ']') + "\n";
    CHECK(parse_error(deep) == "f.yaml:2: nested deeper than 32 levels");

    // Aliases are copies and count in full: six levels of ten make a million nodes from 60 lines' worth.
    std::string bomb = "version: 1\na0: &a0 [x, x, x, x, x, x, x, x, x, x]\n";
    for (int i = 1; i <= 6; ++i) {
        const std::string prev = "*a" + std::to_string(i - 1);
        bomb += "a" + std::to_string(i) + ": &a" + std::to_string(i) + " [";
        for (int k = 0; k < 10; ++k)
            bomb += (k ? ", " : "") + prev;
        bomb += "]\n";
    }
    CHECK_THAT(parse_error(bomb), Catch::Contains("more than 100000 YAML nodes"));

    // Within the limits, anchors and aliases work as YAML says.
    const Config c = parse_config(
        kMinimal + "    flash: &flash {mode: dio, size: 4MB}\n"
                   "  q:\n    board_type: RL\n    revision: 1\n    chip: esp32\n    flash: *flash\n"
                   "    partition_table: parts.csv\n    images: [{name: app, file: app.bin, partition: ota_0}]\n",
        "f.yaml");
    REQUIRE(c.profiles.size() == 2);
    CHECK(c.profiles[1].flash_mode == "dio");
    CHECK(c.profiles[1].flash_size == "4MB");
}

TEST_CASE("station config: a value of the wrong type is located once", "[station][config]") {
    // These fields are read and then checked by a library function whose errors get the location added;
    // the type error came with its own and got a second one.
    struct Case {
        std::string from, to, expected;
    };
    const std::vector<Case> cases = {
        {"board_type: BC", "board_type: [BC]", "f.yaml:7: profiles.p.board_type: expected a text value, got a list"},
        {"revision: 2", "revision: {r: 2}", "f.yaml:8: profiles.p.revision: expected a text value, got a mapping"},
        {"chip: esp32", "chip: [esp32]", "f.yaml:9: profiles.p.chip: expected a text value, got a list"},
        {"ports: [socket://127.0.0.1:4000]", "ports: [[socket://127.0.0.1:4000]]",
         "f.yaml:4: stations.a.ports[0]: expected a text value, got a list"},
    };
    for (const auto& c : cases) {
        INFO(c.to);
        CHECK(parse_error(replaced(kMinimal, c.from, c.to)) == c.expected);
    }
}

TEST_CASE("station config: a profile's test settings, inline plan, plan file and the built-in plan",
          "[station][config][factory]") {
    // No test: the built-in plan at 115200, boards marked after a pass.
    const Config plain = parse_config(kMinimal, "f.yaml");
    const TestSettings& d = plain.profiles.at(0).test;
    REQUIRE(d.plan);
    CHECK(d.plan->source == "built-in");
    CHECK(d.baud == 115200);
    CHECK(d.mark_tested);
    CHECK(d.line == 0);

    const std::string inline_plan = kMinimal + R"(    test:
      baud: 9600
      mark_tested: false
      plan:
        hello_timeout_ms: 2000
        tests:
          - {name: heap, command: info, expect: {free_heap: {min: 50000}}}
)";
    const Config c = parse_config(inline_plan, "f.yaml");
    const TestSettings& t = c.profiles.at(0).test;
    CHECK(t.line == 13);
    CHECK(t.baud == 9600);
    CHECK_FALSE(t.mark_tested);
    REQUIRE(t.plan);
    REQUIRE(t.plan->tests.size() == 1);
    CHECK(t.plan->tests[0].name == "heap");
    CHECK(t.plan->hello_timeout == std::chrono::milliseconds(2000));

    // A plan problem is located in the config, under the profile's field.
    const std::string bad = replaced(inline_plan, "command: info", "command: infos");
    const std::string why = parse_error(bad);
    CHECK_THAT(why, Catch::StartsWith("f.yaml:19: profiles.p.test.plan.tests[0].command: "));
    CHECK_THAT(parse_error(kMinimal + "    test: {baud: 10}\n"),
               Catch::StartsWith("f.yaml:13: profiles.p.test.baud: "));
    CHECK_THAT(parse_error(kMinimal + "    test: {plans: x.yaml}\n"),
               Catch::StartsWith("f.yaml:13: profiles.p.test.plans: unknown key"));

    // A plan file resolves against the config's folder; its own problems name its own file and line; a
    // missing one is the config's problem.
    test::TempDir tmp;
    write_file_atomic(tmp.path() / "plan.yaml",
                      std::string_view("tests:\n  - {name: boot, command: hello, expect: {proto: {equals: 1}}}\n"));
    const Config f = parse_config(kMinimal + "    test: {plan: plan.yaml}\n", tmp.path() / "f.yaml");
    REQUIRE(f.profiles.at(0).test.plan->tests.size() == 1);
    CHECK(f.profiles.at(0).test.plan->source == (tmp.path() / "plan.yaml").string());
    write_file_atomic(tmp.path() / "plan.yaml", std::string_view("tests:\n  - {name: boot, command: nope}\n"));
    const Error inner =
        error_from([&] { parse_config(kMinimal + "    test: {plan: plan.yaml}\n", tmp.path() / "f.yaml"); });
    CHECK_THAT(inner.what(), Catch::StartsWith((tmp.path() / "plan.yaml").string() + ":2: "));
    const Error missing =
        error_from([&] { parse_config(kMinimal + "    test: {plan: gone.yaml}\n", tmp.path() / "f.yaml"); });
    CHECK(missing.code() == ErrorCode::config_invalid);
    CHECK_THAT(missing.what(), Catch::StartsWith((tmp.path() / "f.yaml").string() + ":13: profiles.p.test.plan: ") &&
                                   Catch::Contains("gone.yaml"));
}

TEST_CASE("station config: a profile's label settings, built-in and file layouts, and their errors",
          "[station][config][label]") {
    CHECK_FALSE(parse_config(kMinimal, "f.yaml").profiles.at(0).label.layout);

    const Config c = parse_config(
        kMinimal + "    label: {layout: roll-50x30, format: zpl, dpi: 300, printer: zebra-a, output: out, copies: 2}\n",
        fs::path("/srv/line/f.yaml"));
    const LabelSettings& l = c.profiles.at(0).label;
    REQUIRE(l.layout);
    CHECK(l.layout->name == "roll-50x30");
    CHECK(l.layout->dpi == 300); // the profile's dpi overrides the layout's
    CHECK(l.layout_source == "roll-50x30");
    CHECK(l.format == label::Format::zpl);
    CHECK(l.printer == "zebra-a");
    CHECK(l.output == fs::path("/srv/line/out"));
    CHECK(l.copies == 2);
    CHECK(l.line == 13);

    CHECK_THAT(parse_error(kMinimal + "    label: {layout: roll-50x30}\n"),
               Catch::StartsWith("f.yaml:13: profiles.p.label: ") && Catch::Contains("printer"));
    CHECK_THAT(parse_error(kMinimal + "    label: {output: out}\n"),
               Catch::StartsWith("f.yaml:13: profiles.p.label.layout: missing"));
    CHECK_THAT(parse_error(kMinimal + "    label: {layout: roll-50x30, output: o, copies: 0}\n"),
               Catch::StartsWith("f.yaml:13: profiles.p.label.copies: "));
    CHECK_THAT(parse_error(kMinimal + "    label: {layout: no-such, output: o}\n"),
               Catch::StartsWith("f.yaml:13: profiles.p.label.layout: "));
    CHECK_THAT(parse_error(kMinimal + "    label: {layout: a4-l7160, format: zpl, output: o}\n"),
               Catch::StartsWith("f.yaml:13: profiles.p.label.layout: ") && Catch::Contains("ZPL"));

    // A layout file resolves against the config's folder; its own problems name its own file and line
    // with their own code; a missing one is the config's problem.
    test::TempDir tmp;
    const std::string good = "label: {width: 50, height: 30}\nfields:\n"
                             "  - {name: sn, text: \"{{serial_number}}\", x: 2, y: 2, width: 45, height: 5}\n";
    write_file_atomic(tmp.path() / "mine.yaml", std::string_view(good));
    const Config f = parse_config(kMinimal + "    label: {layout: mine.yaml, output: o}\n", tmp.path() / "f.yaml");
    CHECK(f.profiles.at(0).label.layout->fields.size() == 1);
    CHECK(f.profiles.at(0).label.layout_source == (tmp.path() / "mine.yaml").string());
    write_file_atomic(tmp.path() / "mine.yaml", std::string_view(replaced(good, "serial_number", "serial_numbr")));
    const Error inner = error_from(
        [&] { parse_config(kMinimal + "    label: {layout: mine.yaml, output: o}\n", tmp.path() / "f.yaml"); });
    CHECK(inner.code() == ErrorCode::label_placeholder);
    CHECK_THAT(inner.what(), Catch::StartsWith((tmp.path() / "mine.yaml").string() + ":3: "));
    const Error missing = error_from(
        [&] { parse_config(kMinimal + "    label: {layout: gone.yaml, output: o}\n", tmp.path() / "f.yaml"); });
    CHECK(missing.code() == ErrorCode::config_invalid);
    CHECK_THAT(missing.what(), Catch::StartsWith((tmp.path() / "f.yaml").string() + ":13: profiles.p.label.layout: "));
}
