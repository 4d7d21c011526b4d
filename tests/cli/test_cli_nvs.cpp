// CLI tests for `vesperctl nvs`: the real binary against the reference vectors, a real ledger, and the
// images read back with the library's reader.
#include <catch2/catch.hpp>

#include <nlohmann/json.hpp>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <filesystem>
#include <fstream>
#include <set>

#include "run_process.hpp"
#include "vesper/core/checksum.hpp"
#include "vesper/core/files.hpp"
#include "vesper/creds/claim_code.hpp"
#include "vesper/nvs/encoding.hpp"
#include "vesper/nvs/reader.hpp"

using vesper::test::ProcessOptions;
using vesper::test::TempDir;
using vesper::test::vesperctl;
namespace fs = std::filesystem;

namespace {

const fs::path kVectors = fs::path(VESPER_TEST_VECTORS) / "nvs";
const std::string kDeviceTemplate = std::string(VESPER_SOURCE_DIR) + "/templates/vesper-device.csv";
const std::string kSecret = "factory-test-master-secret";

// Not the CSV's folder: `file` rows must resolve against the CSV, not the cwd.
ProcessOptions in_dir(const TempDir& dir) { return vesper::test::isolated_in(dir.path()); }

ProcessOptions with_secret(const TempDir& dir) {
    ProcessOptions o = in_dir(dir);
    o.env["VESPER_MQTT_SECRET"] = kSecret;
    return o;
}

// The backend's derivation, computed here independently: HMAC-SHA256(secret, serial), hex, 32 chars.
std::string expected_password(const std::string& serial) {
    unsigned char mac[EVP_MAX_MD_SIZE];
    unsigned int len = 0;
    HMAC(EVP_sha256(), kSecret.data(), static_cast<int>(kSecret.size()),
         reinterpret_cast<const unsigned char*>(serial.data()), serial.size(), mac, &len);
    static const char* digits = "0123456789abcdef";
    std::string hex;
    for (unsigned int i = 0; i < len; ++i) {
        hex += digits[mac[i] >> 4];
        hex += digits[mac[i] & 0xF];
    }
    return hex.substr(0, 32);
}

std::map<std::string, std::string> values_of(const fs::path& image) {
    auto dump = vesper::nvs::read_image(vesper::read_file(image));
    CHECK(dump.ok());
    std::map<std::string, std::string> out;
    for (const auto& v : dump.values) {
        std::string text = vesper::nvs::is_integer(v.type) ? vesper::nvs::integer_text(v.type, v.integer)
                                                           : std::string(v.data.begin(), v.data.end());
        out[v.ns + "/" + v.key] = text;
    }
    return out;
}

std::size_t entries_in(const fs::path& dir) {
    std::size_t n = 0;
    for ([[maybe_unused]] const auto& e : fs::directory_iterator(dir))
        ++n;
    return n;
}

// A ledger holding one batch of three BC rev 02 devices; returns their serials.
std::vector<std::string> make_batch(const TempDir& dir) {
    auto r = vesperctl({"--ledger", (dir / "ledger.db").string(), "--json", "batch", "create", "--type", "BC", "--rev",
                        "02", "--qty", "3"},
                       in_dir(dir));
    REQUIRE(r.exit_code == 0);
    auto doc = nlohmann::json::parse(r.out);
    REQUIRE(doc["batch"]["id"] == 1);
    return doc["serials"].get<std::vector<std::string>>();
}

struct Vector {
    const char* name;
    const char* size;
    const char* version;
};
const Vector kOkVectors[] = {{"nvs_basic", "0x3000", "2"},
                             {"nvs_blobs", "0x8000", "2"},
                             {"nvs_many_pages", "65536", "2"},
                             {"nvs_v1", "0x6000", "1"},
                             {"nvs_vesper_device", "0x6000", "2"}};

} // namespace

TEST_CASE("cli nvs build: every ok vector is byte-identical", "[cli][nvs]") {
    TempDir dir;
    for (const auto& v : kOkVectors) {
        INFO(v.name);
        const fs::path out = dir / (std::string(v.name) + ".bin");
        auto r = vesperctl({"nvs", "build", (kVectors / (std::string(v.name) + ".csv")).string(), "-o", out.string(),
                            "--size", v.size, "--version", v.version},
                           in_dir(dir));
        INFO(r.err);
        REQUIRE(r.exit_code == 0);
        CHECK_THAT(r.out, Catch::StartsWith("wrote " + out.string()));
        CHECK(vesper::read_file(out) == vesper::read_file(kVectors / (std::string(v.name) + ".bin")));
    }
}

TEST_CASE("cli nvs build: --json describes what was written", "[cli][nvs]") {
    TempDir dir;
    const fs::path out = dir / "basic.bin";
    auto r = vesperctl(
        {"--json", "nvs", "build", (kVectors / "nvs_basic.csv").string(), "-o", out.string(), "--size", "0x3000"},
        in_dir(dir));
    REQUIRE(r.exit_code == 0);
    auto doc = nlohmann::json::parse(r.out);
    CHECK(doc["output"] == out.string());
    CHECK(doc["size"] == 0x3000);
    CHECK(doc["version"] == 2);
    CHECK(doc["entries"] == 9);
    CHECK(doc["namespaces"] == 1);
    CHECK(doc["pages_used"] == 1);
    CHECK(doc["sha256"] == vesper::to_hex(vesper::sha256(vesper::read_file(out))));
}

TEST_CASE("cli nvs build: error vectors exit 2 naming file and line, leaving no file", "[cli][nvs]") {
    TempDir dir;
    const std::pair<const char*, const char*> cases[] = {
        {"nvs_err_keylen", ":4: key 'this_key_is_too_long': key is 20 bytes long"},
        {"nvs_err_range", ":4: key 'tiny': value '256' is out of range for u8"},
    };
    for (const auto& [name, says] : cases) {
        INFO(name);
        const std::string csv = (kVectors / (std::string(name) + ".csv")).string();
        auto r = vesperctl({"nvs", "build", csv, "-o", (dir / "out.bin").string(), "--size", "0x3000"}, in_dir(dir));
        CHECK(r.exit_code == 2);
        CHECK_THAT(r.err, Catch::Contains(csv + says));
        CHECK(entries_in(dir.path()) == 0); // neither the image nor a temporary file
    }
}

TEST_CASE("cli nvs build: bad arguments and inputs", "[cli][nvs]") {
    TempDir dir;
    const std::string csv = (kVectors / "nvs_basic.csv").string();
    const std::string out = (dir / "o.bin").string();
    auto size_odd = vesperctl({"nvs", "build", csv, "-o", out, "--size", "0x2500"}, in_dir(dir));
    CHECK(size_odd.exit_code == 2);
    CHECK_THAT(size_odd.err, Catch::Contains("--size: NVS partition size 0x2500 is not a multiple of 4096"));
    auto size_small = vesperctl({"nvs", "build", csv, "-o", out, "--size", "0x2000"}, in_dir(dir));
    CHECK(size_small.exit_code == 2);
    CHECK_THAT(size_small.err, Catch::Contains("too small"));
    auto too_small_for_data =
        vesperctl({"nvs", "build", (kVectors / "nvs_blobs.csv").string(), "-o", out, "--size", "0x3000"}, in_dir(dir));
    CHECK(too_small_for_data.exit_code == 2);
    CHECK_THAT(too_small_for_data.err, Catch::Contains("nvs_blobs.csv:") && Catch::Contains("does not fit"));
    auto bad_version = vesperctl({"nvs", "build", csv, "-o", out, "--size", "0x3000", "--version", "3"}, in_dir(dir));
    CHECK(bad_version.exit_code == 2);
    auto missing = vesperctl({"nvs", "build", (dir / "none.csv").string(), "-o", out, "--size", "0x3000"}, in_dir(dir));
    CHECK(missing.exit_code == 3);
    CHECK_THAT(missing.err, Catch::Contains("none.csv"));
    auto both =
        vesperctl({"nvs", "build", csv, "--template", kDeviceTemplate, "--serial", "X", "-o", out, "--size", "0x6000"},
                  in_dir(dir));
    CHECK(both.exit_code == 2);
    auto no_serial =
        vesperctl({"nvs", "build", "--template", kDeviceTemplate, "-o", out, "--size", "0x6000"}, in_dir(dir));
    CHECK(no_serial.exit_code == 2);
    CHECK_THAT(no_serial.err, Catch::Contains("--serial"));
    auto no_output_dir = vesperctl(
        {"nvs", "build", csv, "-o", (dir / "no" / "such" / "o.bin").string(), "--size", "0x3000"}, in_dir(dir));
    CHECK(no_output_dir.exit_code == 5);
    CHECK(entries_in(dir.path()) == 0);
}

TEST_CASE("cli nvs dump: shows pages and values", "[cli][nvs]") {
    TempDir dir;
    auto r = vesperctl({"nvs", "dump", (kVectors / "nvs_basic.bin").string()}, in_dir(dir));
    REQUIRE(r.exit_code == 0);
    CHECK_THAT(r.out, Catch::Contains("page 0: active, sequence 0, version 2, header CRC ok"));
    for (const char* want : {"storage/u8max", "255", "storage/i8min", "-128", "65535", "-32768", "4294967295",
                             "-2147483648", "18446744073709551615", "-9223372036854775808", "\"hello world\""})
        CHECK_THAT(r.out, Catch::Contains(want));
    CHECK_THAT(r.out, Catch::EndsWith("no problems\n"));

    auto j = vesperctl({"--json", "nvs", "dump", (kVectors / "nvs_blobs.bin").string()}, in_dir(dir));
    REQUIRE(j.exit_code == 0);
    auto doc = nlohmann::json::parse(j.out);
    CHECK(doc["ok"] == true);
    CHECK(doc["pages"].size() == 8);
    bool hexkey = false, big = false;
    for (const auto& v : doc["values"]) {
        if (v["key"] == "hexkey") hexkey = v["value"] == "00112233445566778899aabbccddeeff";
        if (v["key"] == "big_blob") big = v["size"] == 5000 && v["namespace"] == "certs";
    }
    CHECK(hexkey);
    CHECK(big);
}

TEST_CASE("cli nvs dump: a corrupted image prints its problems and exits 7", "[cli][nvs]") {
    TempDir dir;
    auto image = vesper::read_file(kVectors / "nvs_vesper_device.bin");
    image[64 + 12 * 32 + 8] ^= 0x01; // a key byte of 'outputs' (one slot): its entry CRC no longer matches
    image[64 + 7 * 32 + 32] ^= 0x01; // a byte of mqtt_pass's data: its data CRC no longer matches
    const fs::path bad = dir / "bad.bin";
    vesper::write_file_atomic(bad, image);

    auto r = vesperctl({"nvs", "dump", bad.string()}, in_dir(dir));
    CHECK(r.exit_code == 7);
    CHECK_THAT(r.out, Catch::Contains("entry CRC mismatch") && Catch::Contains("data CRC mismatch"));
    CHECK_THAT(r.out, Catch::Contains("\"standard\"")); // undamaged values still shown
    CHECK_THAT(r.err, Catch::Contains("2 problem(s)"));

    auto j = vesperctl({"--json", "nvs", "dump", bad.string()}, in_dir(dir));
    CHECK(j.exit_code == 7);
    auto doc = nlohmann::json::parse(j.out); // exactly one document: parse() rejects trailing content
    CHECK(doc["ok"] == false);
    REQUIRE(doc["problems"].size() == 2);
    CHECK(doc["problems"][0]["kind"] == "data_crc"); // mqtt_pass, slot 7
    CHECK(doc["problems"][0]["slot"] == 7);
    CHECK(doc["problems"][1]["kind"] == "entry_crc"); // outputs, slot 12
    CHECK(doc["problems"][1]["slot"] == 12);

    auto missing = vesperctl({"nvs", "dump", (dir / "none.bin").string()}, in_dir(dir));
    CHECK(missing.exit_code == 3);
    vesper::write_file_atomic(dir / "short.bin", vesper::Bytes(5000, 0xFF));
    auto ragged = vesperctl({"nvs", "dump", (dir / "short.bin").string()}, in_dir(dir));
    CHECK(ragged.exit_code == 2);
    CHECK_THAT(ragged.err, Catch::Contains("not a whole number of 4096-byte"));
}

TEST_CASE("cli nvs build --template: fills a device's fields and its MQTT password", "[cli][nvs][ledger]") {
    TempDir dir;
    auto serials = make_batch(dir);
    const std::string ledger = (dir / "ledger.db").string();
    const fs::path out = dir / "dev.bin";
    auto r = vesperctl({"--ledger", ledger, "--json", "nvs", "build", "--template", kDeviceTemplate, "--serial",
                        serials[1], "-o", out.string(), "--size", "0x6000"},
                       with_secret(dir));
    INFO(r.err);
    REQUIRE(r.exit_code == 0);
    auto doc = nlohmann::json::parse(r.out);
    CHECK(doc["serial"] == serials[1]);
    CHECK(doc["sha256"] == vesper::to_hex(vesper::sha256(vesper::read_file(out))));
    auto values = values_of(out);
    CHECK(values["vesper/serial_number"] == serials[1]);
    CHECK(values["vesper/mqtt_pass"] == expected_password(serials[1]));
    CHECK(values["vesper/hw_type"] == "BC");
    CHECK(values["vesper/hw_version"] == "02");
    CHECK(values["vesper/plan"] == "standard");
    CHECK(values["vesper/outputs"] == "8");
    CHECK(values["vesper/batch_id"] == "1");

    // The secret may come from a file instead of the environment.
    vesper::write_file_atomic(dir / "secret.txt", kSecret + "\n");
    const fs::path out2 = dir / "dev2.bin";
    auto f = vesperctl({"--ledger", ledger, "nvs", "build", "--template", kDeviceTemplate, "--serial", serials[0], "-o",
                        out2.string(), "--size", "0x6000", "--secret-file", (dir / "secret.txt").string()},
                       in_dir(dir));
    REQUIRE(f.exit_code == 0);
    CHECK(values_of(out2)["vesper/mqtt_pass"] == expected_password(serials[0]));
}

TEST_CASE("cli nvs build --template: failures leave no image", "[cli][nvs][ledger]") {
    TempDir dir;
    auto serials = make_batch(dir);
    const std::string ledger = (dir / "ledger.db").string();
    const std::string out = (dir / "out").string() + ".bin";
    auto no_secret = vesperctl({"--ledger", ledger, "nvs", "build", "--template", kDeviceTemplate, "--serial",
                                serials[0], "-o", out, "--size", "0x6000"},
                               in_dir(dir));
    CHECK(no_secret.exit_code == 2);
    CHECK_THAT(no_secret.err, Catch::Contains("VESPER_MQTT_SECRET"));
    CHECK_FALSE(fs::exists(out));

    auto unknown = vesperctl({"--ledger", ledger, "nvs", "build", "--template", kDeviceTemplate, "--serial",
                              "PV-26A18-BC02R-ZZZZZ", "-o", out, "--size", "0x6000"},
                             with_secret(dir));
    CHECK(unknown.exit_code == 3);
    CHECK_FALSE(fs::exists(out));

    const fs::path bad_template = dir / "bad.csv";
    vesper::write_file_atomic(bad_template, std::string_view("key,type,encoding,value\nvesper,namespace,,\n"
                                                             "serial_number,data,string,{{serial_number}}\n"
                                                             "wifi,data,string,{{wifi_ssid}}\n"));
    auto placeholder = vesperctl({"--ledger", ledger, "nvs", "build", "--template", bad_template.string(), "--serial",
                                  serials[0], "-o", out, "--size", "0x6000"},
                                 in_dir(dir));
    CHECK(placeholder.exit_code == 2);
    CHECK_THAT(placeholder.err,
               Catch::Contains(bad_template.string() + ":4: key 'wifi': unknown placeholder {{wifi_ssid}}"));
    CHECK_FALSE(fs::exists(out));
}

TEST_CASE("cli nvs build/batch --template: {{claim_code}} from the claim secret, only when the template uses it",
          "[cli][nvs][ledger][claim]") {
    TempDir dir;
    auto serials = make_batch(dir);
    const std::string ledger = (dir / "ledger.db").string();
    const std::string claim_secret = "claim-secret-for-nvs-tests-42";
    const fs::path tmpl = dir / "claim.csv";
    vesper::write_file_atomic(tmpl, std::string_view("key,type,encoding,value\nvesper,namespace,,\n"
                                                     "serial_number,data,string,{{serial_number}}\n"
                                                     "claim_code,data,string,{{claim_code}}\n"));
    const fs::path out = dir / "dev.bin";
    auto none = vesperctl({"--ledger", ledger, "nvs", "build", "--template", tmpl.string(), "--serial", serials[0],
                           "-o", out.string(), "--size", "0x6000"},
                          with_secret(dir));
    CHECK(none.exit_code == 2);
    CHECK_THAT(none.err, Catch::Contains("VESPER_CLAIM_SECRET") && Catch::Contains("--claim-secret-file"));
    CHECK_FALSE(fs::exists(out));

    vesper::write_file_atomic(dir / "claim.txt", claim_secret + "\n");
    auto r = vesperctl({"--ledger", ledger, "nvs", "build", "--template", tmpl.string(), "--serial", serials[0], "-o",
                        out.string(), "--size", "0x6000", "--claim-secret-file", (dir / "claim.txt").string()},
                       in_dir(dir));
    INFO(r.err);
    REQUIRE(r.exit_code == 0);
    CHECK(values_of(out)["vesper/claim_code"] == vesper::creds::claim_code(claim_secret, serials[0]));
    CHECK(r.out.find(claim_secret) == std::string::npos);
    CHECK(r.err.find(claim_secret) == std::string::npos);

    ProcessOptions env = in_dir(dir);
    env.env["VESPER_CLAIM_SECRET"] = claim_secret;
    auto batch = vesperctl({"--ledger", ledger, "nvs", "batch", "1", "--template", tmpl.string(), "--size", "0x6000",
                            "--out", (dir / "imgs").string()},
                           env);
    INFO(batch.err);
    REQUIRE(batch.exit_code == 0);
    for (const auto& sn : serials)
        CHECK(values_of(dir / "imgs" / (sn + ".bin"))["vesper/claim_code"] ==
              vesper::creds::claim_code(claim_secret, sn));
}

TEST_CASE("cli nvs build --template: no secret needed when the template has no password", "[cli][nvs][ledger]") {
    TempDir dir;
    auto serials = make_batch(dir);
    const fs::path tmpl = dir / "plain.csv";
    vesper::write_file_atomic(tmpl, std::string_view("key,type,encoding,value\nid,namespace,,\n"
                                                     "sn,data,string,{{serial_number}}\nrev,data,u8,{{hw_version}}\n"));
    const fs::path out = dir / "plain.bin";
    auto r = vesperctl({"--ledger", (dir / "ledger.db").string(), "nvs", "build", "--template", tmpl.string(),
                        "--serial", serials[2], "-o", out.string(), "--size", "0x3000"},
                       in_dir(dir));
    INFO(r.err);
    REQUIRE(r.exit_code == 0);
    auto values = values_of(out);
    CHECK(values["id/sn"] == serials[2]);
    CHECK(values["id/rev"] == "2");
}

TEST_CASE("cli nvs batch: one image per device, each with its own password", "[cli][nvs][ledger]") {
    TempDir dir;
    auto serials = make_batch(dir);
    const fs::path out = dir / "images";
    auto r = vesperctl({"--ledger", (dir / "ledger.db").string(), "--json", "nvs", "batch", "1", "--template",
                        kDeviceTemplate, "--size", "0x6000", "--out", out.string()},
                       with_secret(dir));
    INFO(r.err);
    REQUIRE(r.exit_code == 0);
    CHECK(entries_in(out) == 4); // three images and the manifest, written last
    auto doc = nlohmann::json::parse(r.out);
    CHECK(doc["batch_id"] == 1);
    CHECK(doc["count"] == 3);
    REQUIRE(doc["images"].size() == 3);
    std::set<std::string> passwords;
    for (std::size_t i = 0; i < serials.size(); ++i) {
        const fs::path image = out / (serials[i] + ".bin");
        INFO(image.string());
        REQUIRE(fs::exists(image));
        CHECK(fs::file_size(image) == 0x6000);
        auto values = values_of(image);
        CHECK(values["vesper/serial_number"] == serials[i]);
        CHECK(values["vesper/mqtt_pass"] == expected_password(serials[i]));
        passwords.insert(values["vesper/mqtt_pass"]);
        CHECK(doc["images"][i]["serial"] == serials[i]);
        CHECK(doc["images"][i]["output"] == image.string());
        CHECK(doc["images"][i]["sha256"] == vesper::to_hex(vesper::sha256(vesper::read_file(image))));
    }
    CHECK(passwords.size() == 3);

    auto text = vesperctl({"--ledger", (dir / "ledger.db").string(), "nvs", "batch", "1", "--template", kDeviceTemplate,
                           "--size", "0x6000", "--out", out.string(), "--jobs", "1"},
                          with_secret(dir));
    CHECK(text.exit_code == 0);
    CHECK_THAT(text.out, Catch::Contains("batch 1: wrote 3 image(s)"));
}

TEST_CASE("cli nvs batch: failures write nothing", "[cli][nvs][ledger]") {
    TempDir dir;
    make_batch(dir);
    const std::string ledger = (dir / "ledger.db").string();
    const fs::path out = dir / "images";
    auto missing = vesperctl({"--ledger", ledger, "nvs", "batch", "9", "--template", kDeviceTemplate, "--size",
                              "0x6000", "--out", out.string()},
                             with_secret(dir));
    CHECK(missing.exit_code == 3);
    auto no_secret = vesperctl({"--ledger", ledger, "nvs", "batch", "1", "--template", kDeviceTemplate, "--size",
                                "0x6000", "--out", out.string()},
                               in_dir(dir));
    CHECK(no_secret.exit_code == 2);
    // Every device fails to render (u8 cannot hold the serial): nothing is written, not even the folder.
    const fs::path bad = dir / "bad.csv";
    vesper::write_file_atomic(
        bad, std::string_view("key,type,encoding,value\nv,namespace,,\nn,data,u8,{{serial_number}}\n"));
    auto render = vesperctl({"--ledger", ledger, "nvs", "batch", "1", "--template", bad.string(), "--size", "0x6000",
                             "--out", out.string()},
                            with_secret(dir));
    CHECK(render.exit_code == 2);
    CHECK_THAT(render.err, Catch::Contains("device PV-") && Catch::Contains("bad.csv:3: key 'n': value 'PV-"));
    CHECK_FALSE(fs::exists(out));
}

TEST_CASE("cli nvs: sizes beyond any flash are refused before any work, long values are shortened in errors",
          "[cli][nvs][limits]") {
    TempDir dir;
    const std::string csv = (kVectors / "nvs_basic.csv").string();
    const std::string out = (dir / "o.bin").string();
    // 4 GiB used to be allocated and written; larger sizes ended in std::bad_alloc.
    for (const char* size : {"4294967296", "0x8001000", "18446744073709547520"}) {
        INFO(size);
        auto r = vesperctl({"nvs", "build", csv, "-o", out, "--size", size}, in_dir(dir));
        CHECK(r.exit_code == 2);
        CHECK_THAT(r.err, Catch::Contains("--size: NVS partition size") &&
                              Catch::Contains("is more than the largest flash of any ESP chip (128MB)"));
        CHECK(entries_in(dir.path()) == 0);
    }
    auto batch = vesperctl(
        {"nvs", "batch", "1", "--template", kDeviceTemplate, "--size", "4294967296", "--out", (dir / "imgs").string()},
        in_dir(dir));
    CHECK(batch.exit_code == 2);
    CHECK_THAT(batch.err, Catch::Contains("is more than the largest flash of any ESP chip"));

    // A 100,000-digit u8 value gave a 100 KB error line.
    const std::string digits(100000, '7');
    {
        std::ofstream f(dir / "long.csv");
        f << "key,type,encoding,value\nns,namespace,,\ntiny,data,u8," << digits << "\n";
    }
    auto r = vesperctl({"nvs", "build", (dir / "long.csv").string(), "-o", out, "--size", "0x3000"}, in_dir(dir));
    CHECK(r.exit_code == 2);
    CHECK_THAT(r.err,
               Catch::Contains("key 'tiny': value '7777") && Catch::Contains("' (100000 bytes) is out of range"));
    CHECK(r.err.size() < 400);
}
