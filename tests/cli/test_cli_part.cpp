// vesperctl part build / dump, run as a real process against the ESP-IDF reference vectors.
#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include <filesystem>
#include <string>

#include "partition_table_gen.hpp"
#include "run_process.hpp"
#include "vesper/core/files.hpp"

using vesper::Bytes;
using vesper::read_file;
using vesper::read_text_file;
using vesper::write_file_atomic;
using vesper::test::TempDir;
using vesper::test::vesperctl;
namespace fs = std::filesystem;

namespace {

const fs::path kVectors = fs::path(VESPER_TEST_VECTORS) / "partitions";

std::vector<std::string> ok_vectors() {
    auto manifest = nlohmann::json::parse(read_text_file(fs::path(VESPER_TEST_VECTORS) / "manifest.json"));
    std::vector<std::string> names;
    for (const auto& c : manifest.at("partitions"))
        if (c.at("expect") == "ok") names.push_back(fs::path(c.at("csv").get<std::string>()).stem().string());
    return names;
}

std::size_t files_in(const fs::path& dir) {
    return static_cast<std::size_t>(std::distance(fs::directory_iterator(dir), fs::directory_iterator{}));
}

} // namespace

TEST_CASE("part build: every reference vector builds byte-identically", "[part][cli]") {
    TempDir tmp;
    const auto names = ok_vectors();
    REQUIRE(names.size() == 3);
    for (const auto& name : names) {
        INFO(name);
        const auto out = tmp / (name + ".bin");
        auto r = vesperctl({"part", "build", (kVectors / (name + ".csv")).string(), "-o", out.string()});
        INFO(r.err);
        REQUIRE(r.exit_code == 0);
        CHECK(read_file(out) == read_file(kVectors / (name + ".bin")));
        CHECK_THAT(r.out, Catch::Contains("partitions, 3072 bytes, with MD5 row"));
    }
}

TEST_CASE("part dump: every vector dumps to CSV that rebuilds the same bytes", "[part][cli]") {
    TempDir tmp;
    for (const auto& name : ok_vectors()) {
        INFO(name);
        const auto bin = kVectors / (name + ".bin");

        // CSV on stdout.
        auto dump = vesperctl({"part", "dump", bin.string()});
        INFO(dump.err);
        REQUIRE(dump.exit_code == 0);
        CHECK_THAT(dump.out, Catch::StartsWith("# ESP-IDF Partition Table\n"));
        write_file_atomic(tmp / (name + ".stdout.csv"), dump.out);
        auto rebuilt = tmp / (name + ".stdout.bin");
        auto b1 = vesperctl({"part", "build", (tmp / (name + ".stdout.csv")).string(), "-o", rebuilt.string()});
        REQUIRE(b1.exit_code == 0);
        CHECK(read_file(rebuilt) == read_file(bin));

        // CSV into a file with -o: same text.
        auto csv = tmp / (name + ".csv");
        auto dump2 = vesperctl({"part", "dump", bin.string(), "-o", csv.string()});
        REQUIRE(dump2.exit_code == 0);
        CHECK(read_text_file(csv) == dump.out);
        auto rebuilt2 = tmp / (name + ".bin");
        REQUIRE(vesperctl({"part", "build", csv.string(), "-o", rebuilt2.string()}).exit_code == 0);
        CHECK(read_file(rebuilt2) == read_file(bin));
    }
}

TEST_CASE("part dump --json prints one document with the entries", "[part][cli]") {
    auto r = vesperctl({"--json", "part", "dump", (kVectors / "part_ota.bin").string()});
    INFO(r.err);
    REQUIRE(r.exit_code == 0);
    auto doc = nlohmann::json::parse(r.out); // throws if there is more than one document
    CHECK(doc.at("md5") == true);
    CHECK(doc.at("table_offset") == 0x8000);
    const auto& parts = doc.at("partitions");
    REQUIRE(parts.size() == 7);
    CHECK(parts[0] == nlohmann::json{{"name", "nvs"},
                                     {"type", 1},
                                     {"type_name", "data"},
                                     {"subtype", 2},
                                     {"subtype_name", "nvs"},
                                     {"offset", 0x9000},
                                     {"size", 0x4000},
                                     {"encrypted", false},
                                     {"readonly", false}});
    CHECK(parts[3].at("name") == "ota_0");
    CHECK(parts[3].at("subtype_name") == "ota_0");
    CHECK(parts[4].at("offset") == 0x190000);
    CHECK(parts[5].at("encrypted") == true);
    CHECK(parts[6].at("readonly") == true);
    CHECK(parts[6].at("size") == 24 * 1024);

    auto custom =
        nlohmann::json::parse(vesperctl({"--json", "part", "dump", (kVectors / "part_custom.bin").string()}).out);
    CHECK(custom.at("partitions")[4].at("type") == 0x40);
    CHECK(custom.at("partitions")[4].at("type_name").is_null());
}

TEST_CASE("part build --json, --no-md5 and --offset", "[part][cli]") {
    TempDir tmp;
    write_file_atomic(tmp / "t.csv", std::string("nvs, data, nvs, , 0x6000\nfactory, app, factory, , 1M\n"));

    auto r = vesperctl({"--json", "part", "build", (tmp / "t.csv").string(), "-o", (tmp / "t.bin").string(), "--no-md5",
                        "--offset", "0x10000"});
    INFO(r.err);
    REQUIRE(r.exit_code == 0);
    auto doc = nlohmann::json::parse(r.out);
    CHECK(doc.at("md5") == false);
    CHECK(doc.at("bytes") == 3072);
    CHECK(doc.at("table_offset") == 0x10000);
    CHECK(doc.at("partitions")[0].at("offset") == 0x11000); // placed after a table at 0x10000
    CHECK(doc.at("partitions")[1].at("offset") == 0x20000);

    const Bytes bin = read_file(tmp / "t.bin");
    REQUIRE(bin.size() == 3072);
    CHECK(bin[64] == 0xFF); // no MD5 row after the two entries

    auto d = vesperctl({"--json", "part", "dump", (tmp / "t.bin").string(), "--offset", "0x10000"});
    REQUIRE(d.exit_code == 0);
    CHECK(nlohmann::json::parse(d.out).at("md5") == false);

    auto bad = vesperctl({"part", "build", (tmp / "t.csv").string(), "-o", (tmp / "x.bin").string(), "--offset", "8k"});
    CHECK(bad.exit_code == 2);
    CHECK_THAT(bad.err, Catch::Contains("--offset '8k'"));
}

TEST_CASE("part build: the error vector exits 2 naming line 4 and writes nothing", "[part][cli]") {
    TempDir tmp;
    const auto out = tmp / "out.bin";
    auto r = vesperctl({"part", "build", (kVectors / "part_err_overlap.csv").string(), "-o", out.string()});
    CHECK(r.exit_code == 2);
    CHECK_THAT(r.err, Catch::Contains("part_err_overlap.csv:4: partition 'factory' at 0xa000 overlaps 'nvs'"));
    CHECK_FALSE(fs::exists(out));
    CHECK(files_in(tmp.path()) == 0); // no temporary file left behind either

    auto j = vesperctl({"--json", "part", "build", (kVectors / "part_err_overlap.csv").string(), "-o", out.string()});
    CHECK(j.exit_code == 2);
    CHECK(j.out.empty()); // stdout carries results only
    CHECK_THAT(j.err, Catch::Contains("part_err_overlap.csv:4: "));
    CHECK_FALSE(fs::exists(out));
}

TEST_CASE("part: a missing input exits 3", "[part][cli]") {
    TempDir tmp;
    auto b = vesperctl({"part", "build", (tmp / "nope.csv").string(), "-o", (tmp / "out.bin").string()});
    CHECK(b.exit_code == 3);
    CHECK_THAT(b.err, Catch::Contains("nope.csv"));
    auto d = vesperctl({"part", "dump", (tmp / "nope.bin").string()});
    CHECK(d.exit_code == 3);
    CHECK_THAT(d.err, Catch::Contains("nope.bin"));
    CHECK(files_in(tmp.path()) == 0);
}

TEST_CASE("part dump: an MD5 mismatch exits 7 naming the file, and other damage exits 2", "[part][cli]") {
    TempDir tmp;
    Bytes bin = read_file(kVectors / "part_singleapp.bin");
    bin[8] ^= 0x01; // nvs size
    write_file_atomic(tmp / "bad.bin", bin);
    auto r = vesperctl({"part", "dump", (tmp / "bad.bin").string(), "-o", (tmp / "bad.csv").string()});
    CHECK(r.exit_code == 7);
    CHECK_THAT(r.err, Catch::Contains("bad.bin: MD5 mismatch"));
    CHECK(r.out.empty());
    CHECK_FALSE(fs::exists(tmp / "bad.csv"));

    // A CSV given to dump is not a table.
    auto c = vesperctl({"part", "dump", (kVectors / "part_ota.csv").string()});
    CHECK(c.exit_code == 2);
    CHECK_THAT(c.err, Catch::Contains("part_ota.csv: row 1 (byte 0x0): bad magic"));
}

TEST_CASE("part dump then part build: generated tables round-trip byte for byte or are refused",
          "[part][cli][roundtrip]") {
    // docs/partitions.md: a dump builds back. Every dump that succeeds must build (same --offset, --no-md5
    // when the binary had no MD5 row) into the binary's first 0xC00 bytes; a refused dump exits 2 or 7
    // and writes no CSV. Generated tables include rows out of flash order and bad partition_table rows.
    TempDir tmp;
    vesper::test::TableGenerator gen(7);
    int dumped = 0, refused = 0;
    for (int i = 0; i < 120; ++i) {
        const auto t = gen.next();
        INFO("table " << i << ", damage: " << t.damage);
        const auto bin = tmp / "t.bin", csv = tmp / "t.csv", out = tmp / "rebuilt.bin";
        fs::remove(csv);
        fs::remove(out);
        write_file_atomic(bin, t.bytes);
        const std::string offset = vesper::hex32(t.table_offset);
        auto d = vesperctl({"part", "dump", bin.string(), "-o", csv.string(), "--offset", offset});
        if (d.exit_code != 0) {
            INFO(d.err);
            CHECK_FALSE(t.valid_by_construction);
            CHECK((d.exit_code == 2 || d.exit_code == 7));
            CHECK_FALSE(fs::exists(csv));
            ++refused;
            continue;
        }
        const bool md5 = d.out.find("the input had no MD5 row") == std::string::npos;
        std::vector<std::string> build{"part", "build", csv.string(), "-o", out.string(), "--offset", offset};
        if (!md5) build.push_back("--no-md5");
        auto b = vesperctl(build);
        INFO(read_text_file(csv));
        INFO(b.err);
        REQUIRE(b.exit_code == 0);
        Bytes expected(t.bytes.begin(),
                       t.bytes.begin() + static_cast<std::ptrdiff_t>(std::min<std::size_t>(t.bytes.size(), 0xC00)));
        expected.resize(0xC00, 0xFF);
        REQUIRE(read_file(out) == expected);
        ++dumped;
    }
    CHECK(dumped > 30);
    CHECK(refused > 15);
}

TEST_CASE("part dump: a table out of flash order is refused naming the entry", "[part][cli][roundtrip]") {
    TempDir tmp;
    vesper::test::GenTable t;
    t.rows = {{0, 0, 0x10000, 0x100000, "factory", 0}, {1, 2, 0x9000, 0x6000, "nvs", 0}};
    write_file_atomic(tmp / "o.bin", vesper::test::layout_table(t));
    auto d = vesperctl({"part", "dump", (tmp / "o.bin").string(), "-o", (tmp / "o.csv").string()});
    CHECK(d.exit_code == 2);
    CHECK_THAT(d.err, Catch::Contains("o.bin: entry 2: partition 'nvs' at 0x9000 comes after 'factory'"));
    CHECK_FALSE(fs::exists(tmp / "o.csv"));
}
