// vesperctl image info / merge / synth, run as a real process.
#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include <filesystem>
#include <string>

#include "run_process.hpp"
#include "vesper/core/files.hpp"

using vesper::Bytes;
using vesper::read_file;
using vesper::write_file_atomic;
using vesper::test::TempDir;
using vesper::test::vesperctl;
namespace fs = std::filesystem;

namespace {

std::string synth(const TempDir& tmp, const std::string& chip, const std::string& size, const std::string& name,
                  const std::string& version = "1.0.0") {
    const auto out = (tmp / name).string();
    auto r = vesperctl({"image", "synth", "--chip", chip, "--size", size, "-o", out, "--version", version});
    INFO(r.err);
    REQUIRE(r.exit_code == 0);
    return out;
}

} // namespace

TEST_CASE("image synth + info: a synthetic image shows as a valid app", "[image][cli]") {
    TempDir tmp;
    auto s = vesperctl({"image", "synth", "--chip", "esp32", "--size", "1MB", "-o", (tmp / "app.bin").string()});
    INFO(s.err);
    REQUIRE(s.exit_code == 0);
    CHECK_THAT(s.out, Catch::Contains("synthetic ESP32 app image, 1048576 bytes"));
    CHECK_THAT(s.out, Catch::Contains("does NOT run on hardware"));
    CHECK(fs::file_size(tmp / "app.bin") == 1048576);

    auto r = vesperctl({"image", "info", (tmp / "app.bin").string()});
    INFO(r.err);
    REQUIRE(r.exit_code == 0);
    CHECK_THAT(r.out, Catch::Contains("ESP32 app image, 1048576 bytes, valid"));
    CHECK_THAT(r.out, Catch::Contains("flash mode       dio (2)"));
    CHECK_THAT(r.out, Catch::Contains("flash size       4MB"));
    CHECK_THAT(r.out, Catch::Contains("chip             ESP32 (chip id 0)"));
    CHECK_THAT(r.out, Catch::Contains("DROM"));
    CHECK_THAT(r.out, Catch::Contains("IROM"));
    CHECK_THAT(r.out, Catch::Contains("(valid)"));
    CHECK_THAT(r.out, Catch::Contains("project          vesper-factory"));
    CHECK_THAT(r.out, Catch::Contains("version          1.0.0"));
    CHECK(r.err.empty());
}

TEST_CASE("image info --json: one document with header, segments and app description", "[image][cli]") {
    TempDir tmp;
    const auto app = synth(tmp, "esp32s3", "256KB", "s3.bin", "3.1.4");
    auto r = vesperctl({"image", "info", app, "--json"});
    INFO(r.err);
    REQUIRE(r.exit_code == 0);
    const auto j = nlohmann::json::parse(r.out);
    CHECK(j["kind"] == "image");
    CHECK(j["valid"] == true);
    CHECK(j["size"] == 256 * 1024);
    const auto& im = j["image"];
    CHECK(im["role"] == "app");
    CHECK(im["chip"] == "esp32s3");
    CHECK(im["header"]["flash_mode"] == "dio");
    CHECK(im["extended_header"]["chip_id"] == 9);
    CHECK(im["segments"].size() == 4);
    CHECK(im["segments"][0]["regions"][0] == "DROM");
    CHECK(im["checksum"]["valid"] == true);
    CHECK(im["sha256"]["present"] == true);
    CHECK(im["sha256"]["valid"] == true);
    CHECK(im["app_description"]["project_name"] == "vesper-factory");
    CHECK(im["app_description"]["version"] == "3.1.4");
    CHECK(im["bootloader_description"].is_null());
}

TEST_CASE("image info: a corrupted image is shown, then exit 7", "[image][cli]") {
    TempDir tmp;
    const auto app = synth(tmp, "esp32c3", "64KB", "c3.bin");
    Bytes b = read_file(app);
    b[0x9000] ^= 0x01; // inside the IROM segment
    write_file_atomic(tmp / "bad.bin", b);

    auto r = vesperctl({"image", "info", (tmp / "bad.bin").string()});
    CHECK(r.exit_code == 7);
    CHECK_THAT(r.out, Catch::Contains("ESP32-C3 app image, 65536 bytes, INVALID"));
    CHECK_THAT(r.out, Catch::Contains("(INVALID: segments give"));
    CHECK_THAT(r.err, Catch::Contains("bad.bin: invalid image: checksum at 0xFFDF"));
    CHECK_THAT(r.err, Catch::Contains("SHA-256"));

    auto j = vesperctl({"image", "info", (tmp / "bad.bin").string(), "--json"});
    CHECK(j.exit_code == 7);
    const auto doc = nlohmann::json::parse(j.out);
    CHECK(doc["valid"] == false);
    CHECK(doc["image"]["checksum"]["valid"] == false);
    CHECK(nlohmann::json::parse(j.err)["error"]["kind"] == "verify");
    CHECK(nlohmann::json::parse(j.err)["error"]["code"] == "image.checksum");
}

TEST_CASE("image info: partition tables are recognised, junk and missing files are errors", "[image][cli]") {
    const fs::path table = fs::path(VESPER_TEST_VECTORS) / "partitions" / "part_ota.bin";
    auto r = vesperctl({"image", "info", table.string()});
    INFO(r.err);
    CHECK(r.exit_code == 0);
    CHECK_THAT(r.out, Catch::StartsWith(table.string() + " is a partition table (7 entries)"));
    auto j = vesperctl({"image", "info", table.string(), "--json"});
    CHECK(j.exit_code == 0);
    CHECK(nlohmann::json::parse(j.out)["partition_table"]["entries"] == 7);

    const fs::path nvs = fs::path(VESPER_TEST_VECTORS) / "nvs" / "nvs_basic.bin";
    auto n = vesperctl({"image", "info", nvs.string()});
    CHECK(n.exit_code == 0);
    CHECK_THAT(n.out, Catch::Contains("is an NVS partition image"));

    TempDir tmp;
    Bytes junk(3000);
    for (std::size_t i = 0; i < junk.size(); ++i)
        junk[i] = static_cast<std::uint8_t>((i * 2654435761u) >> 13);
    junk[0] = 0x3C;
    write_file_atomic(tmp / "junk.bin", junk);
    auto bad = vesperctl({"image", "info", (tmp / "junk.bin").string()});
    CHECK(bad.exit_code == 2);
    CHECK(bad.out.empty());
    CHECK_THAT(bad.err, Catch::Contains("junk.bin: not an ESP image"));

    auto missing = vesperctl({"image", "info", (tmp / "nope.bin").string()});
    CHECK(missing.exit_code == 3);
    CHECK_THAT(missing.err, Catch::Contains("nope.bin"));

    // A truncated image: exit 2, naming the offset.
    const auto app = synth(tmp, "esp32", "8KB", "a.bin");
    Bytes cut = read_file(app);
    cut.resize(1000);
    write_file_atomic(tmp / "cut.bin", cut);
    auto t = vesperctl({"image", "info", (tmp / "cut.bin").string()});
    CHECK(t.exit_code == 2);
    CHECK_THAT(t.err, Catch::Contains("cut.bin: offset 0x1C: segment 0 length"));
}

TEST_CASE("image merge: layout checked byte by byte", "[image][cli]") {
    TempDir tmp;
    const Bytes boot(0x30, 0x11), table(0x20, 0x22);
    write_file_atomic(tmp / "boot.bin", boot);
    write_file_atomic(tmp / "table.bin", table);
    const auto app = synth(tmp, "esp32c3", "4KB", "app.bin");
    const Bytes app_bytes = read_file(app);

    // Given out of order; ESP32-C3's bootloader offset is 0x0 but no flash parameters are asked for.
    const auto out = (tmp / "merged.bin").string();
    auto r = vesperctl({"image", "merge", "--chip", "esp32c3", "-o", out, "0x2000", app, "0x0",
                        (tmp / "boot.bin").string(), "0x1000", (tmp / "table.bin").string()});
    INFO(r.err);
    REQUIRE(r.exit_code == 0);
    CHECK_THAT(r.out, Catch::Contains("flash it at 0x0"));
    const Bytes m = read_file(out);
    REQUIRE(m.size() == 0x2000 + app_bytes.size());
    for (std::size_t i = 0; i < m.size(); ++i) {
        std::uint8_t expected = 0xFF;
        if (i < 0x30)
            expected = 0x11;
        else if (i >= 0x1000 && i < 0x1020)
            expected = 0x22;
        else if (i >= 0x2000)
            expected = app_bytes[i - 0x2000];
        INFO("offset " << i);
        REQUIRE(m[i] == expected);
    }

    // JSON and padding to a flash size.
    auto j = vesperctl({"image", "merge", "--chip", "esp32c3", "-o", out, "--fill-flash-size", "1MB", "0x1000",
                        (tmp / "table.bin").string(), "--json"});
    INFO(j.err);
    REQUIRE(j.exit_code == 0);
    CHECK(nlohmann::json::parse(j.out)["size"] == 1024 * 1024);
    CHECK(fs::file_size(out) == 1024 * 1024);
}

TEST_CASE("image merge: the bootloader header is patched and stays valid", "[image][cli]") {
    TempDir tmp;
    const auto boot = synth(tmp, "esp32", "4KB", "boot.bin");
    const auto out = (tmp / "m.bin").string();
    auto r = vesperctl({"image", "merge", "--chip", "esp32", "-o", out, "--flash-mode", "qio", "--flash-size", "8MB",
                        "--flash-freq", "80m", "0x1000", boot});
    INFO(r.err);
    REQUIRE(r.exit_code == 0);
    CHECK_THAT(r.out, Catch::Contains("bootloader header set to mode qio, size 8MB, freq 80m"));
    const Bytes m = read_file(out);
    REQUIRE(m.size() == 0x1000 + 4096);
    CHECK(m[0x1002] == 0x00);
    CHECK(m[0x1003] == 0x3F);
    write_file_atomic(tmp / "boot_patched.bin", Bytes(m.begin() + 0x1000, m.end()));
    auto info = vesperctl({"image", "info", (tmp / "boot_patched.bin").string()});
    CHECK(info.exit_code == 0);
    CHECK_THAT(info.out, Catch::Contains("flash size       8MB"));
    CHECK_THAT(info.out, Catch::Contains("flash frequency  80m"));
}

TEST_CASE("image merge: errors", "[image][cli]") {
    TempDir tmp;
    write_file_atomic(tmp / "a.bin", Bytes(0x1200, 1));
    write_file_atomic(tmp / "b.bin", Bytes(0x200, 2));
    const auto a = (tmp / "a.bin").string();
    const auto b = (tmp / "b.bin").string();
    const auto out = (tmp / "out.bin").string();

    auto overlap = vesperctl({"image", "merge", "--chip", "esp32", "-o", out, "0x10000", a, "0x11000", b});
    CHECK(overlap.exit_code == 2);
    CHECK_THAT(overlap.err, Catch::Contains("b.bin (0x11000..0x11200) overlaps"));
    CHECK_THAT(overlap.err, Catch::Contains("a.bin (0x10000..0x11200)"));
    CHECK_FALSE(fs::exists(out));

    // The rules flash applies: a 2 GiB output, an unaligned address, an empty file are refused.
    auto far = vesperctl({"image", "merge", "--chip", "esp32", "-o", out, "0x7FFFF000", a});
    CHECK(far.exit_code == 2);
    CHECK_THAT(far.err,
               Catch::Contains("a.bin (0x7FFFF000..0x80000200) reaches beyond the largest ESP32 flash (128MB)"));
    CHECK_FALSE(fs::exists(out));
    auto unaligned = vesperctl({"image", "merge", "--chip", "esp32", "-o", out, "0x10100", a});
    CHECK(unaligned.exit_code == 2);
    CHECK_THAT(unaligned.err, Catch::Contains("a.bin: address 0x10100 is not on a 4 KiB sector boundary"));
    write_file_atomic(tmp / "empty.bin", Bytes{});
    auto empty = vesperctl({"image", "merge", "--chip", "esp32", "-o", out, "0x10000", (tmp / "empty.bin").string()});
    CHECK(empty.exit_code == 2);
    CHECK_THAT(empty.err, Catch::Contains("empty.bin (at 0x10000) is empty"));
    auto fill = vesperctl({"image", "merge", "--chip", "esp8266", "-o", out, "--fill-flash-size", "32MB", "0x0", a});
    CHECK(fill.exit_code == 2);
    CHECK_THAT(fill.err,
               Catch::Contains("--fill-flash-size: 0x2000000 bytes is more than the largest ESP8266 flash (16MB)"));
    CHECK_FALSE(fs::exists(out));

    auto odd = vesperctl({"image", "merge", "--chip", "esp32", "-o", out, "0x10000", a, "0x20000"});
    CHECK(odd.exit_code == 2);
    CHECK_THAT(odd.err, Catch::Contains("expected ADDRESS FILE pairs, got 3 argument(s)"));

    auto addr = vesperctl({"image", "merge", "--chip", "esp32", "-o", out, "0x1zz", a});
    CHECK(addr.exit_code == 2);
    CHECK_THAT(addr.err, Catch::Contains("address '0x1zz'"));

    auto chip = vesperctl({"image", "merge", "--chip", "esp99", "-o", out, "0x0", a});
    CHECK(chip.exit_code == 2);
    CHECK_THAT(chip.err, Catch::Contains("esp99"));

    auto mode = vesperctl({"image", "merge", "--chip", "esp32", "-o", out, "--flash-mode", "fast", "0x0", a});
    CHECK(mode.exit_code == 2);
    CHECK_THAT(mode.err, Catch::Contains("--flash-mode 'fast'"));

    auto missing = vesperctl({"image", "merge", "--chip", "esp32", "-o", out, "0x0", (tmp / "gone.bin").string()});
    CHECK(missing.exit_code == 3);
    CHECK_FALSE(fs::exists(out));
}

TEST_CASE("image synth: JSON and bad arguments", "[image][cli]") {
    TempDir tmp;
    const auto out = (tmp / "x.bin").string();
    auto j = vesperctl(
        {"image", "synth", "--chip", "esp32c3", "--size", "0x10000", "-o", out, "--project", "demo", "--json"});
    INFO(j.err);
    REQUIRE(j.exit_code == 0);
    const auto doc = nlohmann::json::parse(j.out);
    CHECK(doc["size"] == 0x10000);
    CHECK(doc["synthetic"] == true);
    CHECK(doc["project"] == "demo");

    CHECK(vesperctl({"image", "synth", "--chip", "esp32", "--size", "1000", "-o", out}).exit_code == 2);
    CHECK(vesperctl({"image", "synth", "--chip", "esp32", "--size", "lots", "-o", out}).exit_code == 2);
    auto e8266 = vesperctl({"image", "synth", "--chip", "esp8266", "-o", out});
    CHECK(e8266.exit_code == 2);
    CHECK_THAT(e8266.err, Catch::Contains("ESP8266"));
}
