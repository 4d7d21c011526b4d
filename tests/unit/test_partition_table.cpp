// Partition tables: CSV rules, validation messages, the binary codec and the ESP-IDF reference vectors.
#include <catch2/catch.hpp>

#include "unit_support.hpp"
#include <nlohmann/json.hpp>

#include <filesystem>
#include <functional>
#include <string>

#include "partition_table_gen.hpp"
#include "vesper/core/checksum.hpp"
#include "vesper/core/error.hpp"
#include "vesper/core/files.hpp"
#include "vesper/part/partition_table.hpp"

using namespace vesper;
using namespace vesper::esp;

namespace {

const std::filesystem::path kPartitionVectors = std::filesystem::path(VESPER_TEST_VECTORS) / "partitions";

PartitionTable parse(const std::string& csv, const TableOptions& opts = {}) {
    return parse_partition_csv(csv, "t.csv", opts);
}

// Runs f, which must throw vesper::Error; returns it for checks on kind and message.
using test::error_from;

Error csv_error(const std::string& csv, const TableOptions& opts = {}) {
    return error_from([&] { parse(csv, opts); });
}

std::string message(const Error& e) { return e.what(); }

std::string csv_of_rows(int n, const std::string& first_comment = "") {
    std::string csv = first_comment;
    for (int i = 0; i < n; ++i)
        csv += "p" + std::to_string(i) + ", data, spiffs, , 4K\n";
    return csv;
}

} // namespace

TEST_CASE("partition vectors: every ok vector builds byte-identically, the error vector names line 4",
          "[part][vectors]") {
    auto manifest = nlohmann::json::parse(read_text_file(std::filesystem::path(VESPER_TEST_VECTORS) / "manifest.json"));
    const auto& cases = manifest.at("partitions");
    REQUIRE(cases.size() >= 4);
    int ok = 0, errors = 0;
    for (const auto& c : cases) {
        const std::string csv_name = c.at("csv");
        INFO(csv_name);
        const std::string csv = read_text_file(kPartitionVectors / csv_name);
        if (c.at("expect") == "ok") {
            const Bytes want = read_file(kPartitionVectors / c.at("bin").get<std::string>());
            REQUIRE(want.size() == kPartitionTableMaxLength);
            const auto table = parse_partition_csv(csv, csv_name);
            CHECK(encode_partition_table(table) == want);

            // Reading the reference binary gives the same table, and our CSV of it builds the same bytes.
            const auto decoded = decode_partition_table(want, c.at("bin").get<std::string>());
            CHECK(decoded.has_md5);
            CHECK(decoded.table == table);
            const auto again = parse_partition_csv(format_partition_csv(decoded.table), "dumped.csv");
            CHECK(encode_partition_table(again) == want);
            ++ok;
        } else {
            auto e = error_from([&] { parse_partition_csv(csv, csv_name); });
            CHECK(e.kind() == ErrorKind::input);
            CHECK_THAT(message(e), Catch::StartsWith(csv_name + ":4: "));
            CHECK(message(e) == csv_name + ":4: partition 'factory' at 0xa000 overlaps 'nvs' which ends at 0xf000");
            ++errors;
        }
    }
    CHECK(ok == 3);
    CHECK(errors == 1);
}

TEST_CASE("partition csv: sizes and offsets take decimal, hex and K/M suffixes", "[part][csv]") {
    auto t = parse("a, data, nvs, 36864, 24K\n"
                   "b, data, 0x99, 0xf000, 0x1000\n"
                   "c, app, factory, 64k, 1M\n"
                   "d, data, fat, 0x110000, 2m\n"
                   "e, data, fat, 0x310000, 0x10K\n"
                   "f, data, fat, 0x0031_4000, 1_024\n"
                   "g, data, fat, 0o14250000, 0b1000000000000\n");
    REQUIRE(t.size() == 7);
    CHECK(t[0].offset == 0x9000);
    CHECK(t[0].size == 0x6000);
    CHECK(t[1].subtype == 0x99);
    CHECK(t[2].offset == 0x10000);
    CHECK(t[2].size == 0x100000);
    CHECK(t[3].size == 0x200000);
    CHECK(t[4].size == 0x4000);
    CHECK(t[5].offset == 0x314000);
    CHECK(t[5].size == 1024);
    CHECK(t[6].offset == 0x315000); // 0o14250000
    CHECK(t[6].size == 0x1000);

    CHECK_THAT(message(csv_error("a, data, nvs, 010, 0x4000\n")),
               Catch::Contains("t.csv:1: offset '010' is not a number"));
    CHECK_THAT(message(csv_error("a, data, nvs, , 4G\n")), Catch::Contains("t.csv:1: size '4G' is not a number"));
    CHECK_THAT(message(csv_error("a, data, nvs, , 0x1__0\n")), Catch::Contains("size '0x1__0' is not a number"));
    CHECK_THAT(message(csv_error("a, data, nvs, , 0x100000000\n")), Catch::Contains("does not fit in 32 bits"));
    CHECK_THAT(message(csv_error("a, data, nvs, -0x9000, 0x4000\n")), Catch::Contains("must not be negative"));
}

TEST_CASE("partition csv: empty offsets follow the previous partition, 64 KiB aligned for apps, 4 KiB for the rest",
          "[part][csv]") {
    auto t = parse("nvs, data, nvs, , 0x4800\n"    // right after the table: 0x9000
                   "phy, data, phy, , 0x1000\n"    // 0xd800 rounded up to 0xe000
                   "app, app, factory, , 0x1000\n" // 0xf000 rounded up to 0x10000
                   "dat, data, spiffs, , 4K\n"     // 0x11000: data only needs 4 KiB
                   "cus, 0x40, 7, , 0x800\n"       // custom types align like data
                   "ap2, app, ota_0, , 64K\n");    // 0x13000 -> 0x20000
    REQUIRE(t.size() == 6);
    CHECK(t[0].offset == 0x9000);
    CHECK(t[1].offset == 0xe000);
    CHECK(t[2].offset == 0x10000);
    CHECK(t[3].offset == 0x11000);
    CHECK(t[4].offset == 0x12000);
    CHECK(t[5].offset == 0x20000);

    // The first free offset depends on where the table is.
    TableOptions at_0x10000;
    at_0x10000.table_offset = 0x10000;
    CHECK(parse("nvs, data, nvs, , 0x4000\n", at_0x10000)[0].offset == 0x11000);
    CHECK(parse("fw, app, factory, , 0x10000\n", at_0x10000)[0].offset == 0x20000);
}

TEST_CASE("partition csv: a negative size means 'up to that offset'", "[part][csv]") {
    auto t = parse("first, app, factory, 0x10000, -2M\nsecond, data, 0x15, , 1M\n");
    CHECK(t[0].size == 0x200000 - 0x10000);
    CHECK(t[1].offset == 0x200000);
    CHECK_THAT(
        message(csv_error("x, data, nvs, 0x20000, -0x10000\n")),
        Catch::Contains("t.csv:1: partition 'x' size -0x10000 means up to 0x10000, which is not after its offset "
                        "0x20000"));
}

TEST_CASE("partition csv: types and subtypes by name or number", "[part][csv]") {
    auto t = parse("a, DATA, NVS, , 0x4000\n"
                   "b, 1, 2, , 0x4000\n"
                   "c, 0x40, 0x01, , 4K\n"
                   "d, data, , , 4K\n"
                   "e, 254, 255, , 4K\n");
    CHECK(t[0].type == kTypeData);
    CHECK(t[0].subtype == kSubtypeNvs);
    CHECK(t[1].type == t[0].type);
    CHECK(t[1].subtype == t[0].subtype);
    CHECK(t[2].type == 0x40);
    CHECK(t[2].subtype == 0x01);
    CHECK(t[3].subtype == kSubtypeUndefined);
    CHECK(t[4].type == 254);
    CHECK(t[4].subtype == 255);

    struct Case {
        const char* type;
        const char* subtype;
        std::uint8_t type_value, subtype_value;
    };
    const Case cases[] = {
        {"app", "factory", 0x00, 0x00},
        {"app", "test", 0x00, 0x20},
        {"app", "ota_0", 0x00, 0x10},
        {"app", "ota_9", 0x00, 0x19},
        {"app", "ota_15", 0x00, 0x1f},
        {"app", "tee_0", 0x00, 0x30},
        {"app", "tee_1", 0x00, 0x31},
        {"data", "ota", 0x01, 0x00},
        {"data", "phy", 0x01, 0x01},
        {"data", "nvs", 0x01, 0x02},
        {"data", "coredump", 0x01, 0x03},
        {"data", "nvs_keys", 0x01, 0x04},
        {"data", "efuse", 0x01, 0x05},
        {"data", "undefined", 0x01, 0x06},
        {"data", "esphttpd", 0x01, 0x80},
        {"data", "fat", 0x01, 0x81},
        {"data", "spiffs", 0x01, 0x82},
        {"data", "littlefs", 0x01, 0x83},
        {"data", "tee_ota", 0x01, 0x90},
        {"bootloader", "primary", 0x02, 0x00},
        {"bootloader", "ota", 0x02, 0x01},
        {"bootloader", "recovery", 0x02, 0x02},
        {"partition_table", "primary", 0x03, 0x00},
        {"partition_table", "ota", 0x03, 0x01},
    };
    for (const auto& c : cases) {
        INFO(c.type << "/" << c.subtype);
        REQUIRE(partition_type_from_name(c.type) == c.type_value);
        REQUIRE(partition_subtype_from_name(c.type_value, c.subtype) == c.subtype_value);
        CHECK(partition_type_name(c.type_value) == std::string_view(c.type));
        CHECK(partition_subtype_name(c.type_value, c.subtype_value) == std::string_view(c.subtype));
    }
    CHECK_FALSE(partition_subtype_name(0x40, 0).has_value());
    CHECK_FALSE(partition_subtype_from_name(kTypeApp, "nvs").has_value());

    CHECK_THAT(message(csv_error("\n\na, blob, nvs, , 4K\n")),
               Catch::Contains("t.csv:3: unknown partition type 'blob'"));
    CHECK_THAT(message(csv_error("a, app, nvs, , 64K\n")),
               Catch::Contains("t.csv:1: unknown subtype 'nvs' for type app"));
    CHECK_THAT(message(csv_error("a, 0x40, nvs, , 4K\n")),
               Catch::Contains("t.csv:1: subtype 'nvs' of custom type 0x40 must be a number"));
    CHECK_THAT(message(csv_error("a, 0x100, 0, , 4K\n")),
               Catch::Contains("t.csv:1: type '0x100' is outside 0x00-0xff"));
    CHECK_THAT(message(csv_error("a, data, 256, , 4K\n")), Catch::Contains("t.csv:1: subtype '256' is outside"));
    CHECK_THAT(message(csv_error("a, app, , , 64K\n")), Catch::Contains("t.csv:1: app partition needs a subtype"));
    CHECK_THAT(message(csv_error("a, , nvs, , 4K\n")), Catch::Contains("t.csv:1: type column is empty"));
}

TEST_CASE("partition csv: flags", "[part][csv]") {
    auto t = parse("a, data, nvs, , 0x4000, encrypted\n"
                   "b, data, nvs, , 0x1000, readonly\n"
                   "c, data, nvs, , 0x4000, encrypted:readonly\n"
                   "d, data, nvs, , 0x4000,\n");
    CHECK(t[0].encrypted);
    CHECK_FALSE(t[0].readonly);
    CHECK(t[1].readonly);
    CHECK_FALSE(t[1].encrypted);
    CHECK((t[2].encrypted && t[2].readonly));
    CHECK_FALSE((t[3].encrypted || t[3].readonly));
    CHECK_THAT(message(csv_error("a, data, nvs, , 0x4000, secret\n")),
               Catch::Contains("t.csv:1: unknown flag 'secret' (known: encrypted, readonly)"));
    CHECK_THAT(message(csv_error("a, data, nvs, , 0x4000, Encrypted\n")), Catch::Contains("unknown flag 'Encrypted'"));
}

TEST_CASE("partition csv: comments, blank lines, CRLF and BOM keep line numbers right", "[part][csv]") {
    const std::string csv = "\xEF\xBB\xBF# header\r\n\r\n   # indented comment\r\n"
                            "nvs, data, nvs, 0x9000, 0x6000\r\n"
                            "\tfactory , app , factory , 0x10000 , 1M \r\n";
    auto t = parse(csv);
    REQUIRE(t.size() == 2);
    CHECK(t[0].name == "nvs");
    CHECK(t[1].name == "factory");
    CHECK(t[1].size == 0x100000);
    // Old Mac line ends count too; the bad row is on line 3.
    CHECK_THAT(message(csv_error("# c\ra, data, nvs, , 0x4000\rb, data, nvs, 0x9000, 0x4000\r")),
               Catch::StartsWith("t.csv:3: "));
    // '#' only starts a comment at the start of a line, as in the reference.
    CHECK_THAT(message(csv_error("a, data, nvs, , 0x4000, # note\n")), Catch::Contains("unknown flag '# note'"));
}

TEST_CASE("partition csv: every validation error names the file, the line and the reason", "[part][csv]") {
    SECTION("overlap with the previous partition") {
        CHECK(message(csv_error("# c\nnvs, data, nvs, 0x9000, 0x6000\nfactory, app, factory, 0xA000, 1M\n")) ==
              "t.csv:3: partition 'factory' at 0xa000 overlaps 'nvs' which ends at 0xf000");
    }
    SECTION("listed out of flash order") {
        CHECK(message(csv_error("a, data, nvs, 0x20000, 0x4000\nb, data, nvs, 0x10000, 0x4000\n")) ==
              "t.csv:2: partition 'b' at 0x10000 is listed after 'a' which ends at 0x24000; list partitions in flash "
              "order");
    }
    SECTION("overlap with the partition table") {
        CHECK(message(csv_error("nvs, data, nvs, 0x8000, 0x4000\n")) ==
              "t.csv:1: partition 'nvs' at 0x8000 overlaps the partition table at 0x8000-0x8fff; use 0x9000 or higher");
    }
    SECTION("app offset not 64 KiB aligned") {
        CHECK(message(csv_error("a, data, nvs, , 0x4000\nfw, app, factory, 0x18000, 1M\n")) ==
              "t.csv:2: partition 'fw' offset 0x18000 is not aligned to 0x10000 (app partitions)");
    }
    SECTION("data offset not 4 KiB aligned") {
        CHECK(message(csv_error("a, data, nvs, 0x9800, 0x4000\n")) ==
              "t.csv:1: partition 'a' offset 0x9800 is not aligned to 0x1000");
    }
    SECTION("app size not a multiple of 4 KiB") {
        CHECK(message(csv_error("fw, app, factory, , 0x10800\n")) ==
              "t.csv:1: app partition 'fw' size 0x10800 is not a multiple of 0x1000");
    }
    SECTION("duplicate names") {
        CHECK(message(csv_error("a, data, nvs, , 0x4000\n\nb, data, fat, , 4K\na, data, spiffs, , 4K\n")) ==
              "t.csv:4: duplicate partition name 'a' (also used on line 1)");
    }
    SECTION("size zero") { CHECK(message(csv_error("a, data, fat, , 0\n")) == "t.csv:1: partition 'a' has size 0"); }
    SECTION("empty size") { CHECK(message(csv_error("a, data, fat, 0x9000\n")) == "t.csv:1: size column is empty"); }
    SECTION("names up to 16 bytes") {
        CHECK(parse("abcdefghijklmnop, data, fat, , 4K\n")[0].name.size() == 16);
        CHECK_THAT(message(csv_error("abcdefghijklmnopq, data, fat, , 4K\n")),
                   Catch::StartsWith("t.csv:1: partition name 'abcdefghijklmnopq' is 17 bytes; at most 16 fit"));
        CHECK(message(csv_error(", data, fat, , 4K\n")) == "t.csv:1: partition name is empty");
    }
    SECTION("too many partitions") {
        CHECK(parse(csv_of_rows(94)).size() == 94);
        CHECK_THAT(message(csv_error(csv_of_rows(95, "# many\n"))),
                   Catch::StartsWith("t.csv:96: too many partitions (95); at most 94 fit in 0xc00 bytes with the MD5 "
                                     "row"));
        TableOptions no_md5;
        no_md5.md5 = false;
        CHECK(parse(csv_of_rows(95), no_md5).size() == 95);
        CHECK_THAT(message(csv_error(csv_of_rows(96), no_md5)),
                   Catch::StartsWith("t.csv:96: too many partitions (96)"));
    }
    SECTION("small read-write nvs") {
        CHECK_THAT(message(csv_error("a, data, nvs, , 0x2000\n")),
                   Catch::StartsWith("t.csv:1: nvs partition 'a' size 0x2000 is below 0x3000"));
        CHECK(parse("a, data, nvs, , 0x2000, readonly\n")[0].readonly);
    }
    SECTION("otadata") {
        CHECK(message(csv_error("otadata, data, ota, , 0x3000\n")) ==
              "t.csv:1: data/ota partition 'otadata' must be 0x2000 bytes, not 0x3000");
        CHECK(message(csv_error("o1, data, ota, , 0x2000\no2, data, ota, , 0x2000\n")) ==
              "t.csv:2: second data/ota partition 'o2'; only one is allowed (first: 'o1')");
        CHECK_THAT(message(csv_error("o1, data, tee_ota, , 0x1000\n")),
                   Catch::StartsWith("t.csv:1: data/tee_ota partition 'o1' must be 0x2000 bytes"));
    }
    SECTION("always read-write subtypes") {
        CHECK_THAT(message(csv_error("cd, data, coredump, , 64K, readonly\n")),
                   Catch::StartsWith("t.csv:1: partition 'cd' (data/coredump) is always written by the firmware"));
    }
    SECTION("partitions past 4 GiB") {
        CHECK_THAT(message(csv_error("a, data, fat, 0xfffff000, 0x2000\n")),
                   Catch::StartsWith("t.csv:1: partition 'a' at 0xfffff000 with size 0x2000 ends beyond the largest "
                                     "flash of any ESP chip (128MB)"));
    }
    SECTION("things we refuse rather than guess") {
        CHECK_THAT(message(csv_error("a, data, nvs, , $NVS_SIZE\n")),
                   Catch::StartsWith("t.csv:1: '$' found: environment variables are not expanded"));
        CHECK_THAT(message(csv_error("a, data, nvs, , 0x4000, , extra\n")),
                   Catch::StartsWith("t.csv:1: unexpected field 7 'extra'"));
        CHECK(parse("a, data, nvs, , 0x4000, , ,\n").size() == 1); // empty extra fields are harmless
        CHECK_THAT(message(csv_error("# only comments\n")), Catch::StartsWith("t.csv: no partitions defined"));
        CHECK_THAT(message(csv_error("\xAA\x50\x01\x02")), Catch::Contains("binary partition table, not CSV"));
    }
}

TEST_CASE("partition csv: bootloader and partition_table rows (ESP-IDF 6)", "[part][csv]") {
    // The primary table's place is known; the CSV may leave it empty or repeat it.
    auto t = parse("partition_table, partition_table, primary, , \n"
                   "nvs, data, nvs, , 0x4000\n");
    CHECK(t[0].offset == 0x8000);
    CHECK(t[0].size == 0x1000);
    CHECK(t[1].offset == 0x9000);
    CHECK(parse("pt, partition_table, primary, 0x8000, 0x1000\n")[0].offset == 0x8000);
    CHECK_THAT(
        message(csv_error("pt, partition_table, primary, 0x9000, 0x1000\n")),
        Catch::StartsWith("t.csv:1: partition 'pt' offset 0x9000 differs from 0x8000, the partition table offset"));

    // The bootloader's size and offset come from the bootloader offset, or from the CSV when it is not known.
    CHECK_THAT(message(csv_error("bl, bootloader, primary, , \n")),
               Catch::StartsWith(
                   "t.csv:1: partition 'bl' has no offset: write it in the CSV or give the primary bootloader offset"));
    TableOptions opts;
    opts.primary_bootloader_offset = 0x1000;
    auto b = parse("bl, bootloader, primary, , \nnvs, data, nvs, , 0x4000\n", opts);
    CHECK(b[0].offset == 0x1000);
    CHECK(b[0].size == 0x7000);
    CHECK(b[1].offset == 0x9000);
    auto explicit_bl = parse("bl, bootloader, primary, 0x0, 0x8000\n");
    CHECK(explicit_bl[0].offset == 0);
    CHECK(explicit_bl[0].size == 0x8000);
    // An OTA bootloader copy is placed like data but sized like the primary.
    auto ota = parse("nvs, data, nvs, , 0x4000\nbl_ota, bootloader, ota, , \n", opts);
    CHECK(ota[1].offset == 0xd000);
    CHECK(ota[1].size == 0x7000);
}

TEST_CASE("partition table: find helpers", "[part]") {
    auto t = parse("nvs, data, nvs, , 0x4000\nota_0, app, ota_0, , 1M\nota_1, app, ota_1, , 1M\nnvs2, data, nvs, , "
                   "0x4000\n");
    REQUIRE(t.find("ota_1") != nullptr);
    CHECK(t.find("ota_1")->offset == 0x110000);
    CHECK(t.find("missing") == nullptr);
    REQUIRE(t.find(kTypeData, kSubtypeNvs) != nullptr);
    CHECK(t.find(kTypeData, kSubtypeNvs)->name == "nvs");
    CHECK(t.find(kTypeApp, kSubtypeFactory) == nullptr);
    auto all = t.find_all(kTypeData, kSubtypeNvs);
    REQUIRE(all.size() == 2);
    CHECK(all[1]->name == "nvs2");
    CHECK(t.flash_end() == 0x214000);
    CHECK(kDefaultPartitionTableOffset == 0x8000);
}

TEST_CASE("partition binary: layout of a row, the MD5 row and the padding", "[part][binary]") {
    auto t = parse("first, 0x30, 0xEE, 0x100000, 0x300000, encrypted:readonly\n");
    const Bytes bin = encode_partition_table(t);
    REQUIRE(bin.size() == 0xC00);
    const Bytes row(bin.begin(), bin.begin() + 32);
    const Bytes want_row = {0xAA, 0x50, 0x30, 0xEE, 0x00, 0x00, 0x10, 0x00, 0x00, 0x00, 0x30, 0x00, 'f', 'i', 'r', 's',
                            't',  0,    0,    0,    0,    0,    0,    0,    0,    0,    0,    0,    3,   0,   0,   0};
    CHECK(row == want_row);
    CHECK(bin[32] == 0xEB);
    CHECK(bin[33] == 0xEB);
    for (int i = 34; i < 48; ++i)
        CHECK(bin[i] == 0xFF);
    auto digest = md5(ByteView(bin.data(), 32));
    CHECK(Bytes(bin.begin() + 48, bin.begin() + 64) == Bytes(digest.begin(), digest.end()));
    for (std::size_t i = 64; i < bin.size(); ++i)
        REQUIRE(bin[i] == 0xFF);

    TableOptions no_md5;
    no_md5.md5 = false;
    const Bytes plain = encode_partition_table(t, no_md5);
    REQUIRE(plain.size() == 0xC00);
    CHECK(Bytes(plain.begin(), plain.begin() + 32) == want_row);
    for (std::size_t i = 32; i < plain.size(); ++i)
        REQUIRE(plain[i] == 0xFF);
}

TEST_CASE("partition binary: round trip through the binary and through CSV", "[part][binary]") {
    const auto t = parse("nvs, data, nvs, , 0x6000\n"
                         "otadata, data, ota, , 0x2000\n"
                         "abcdefghijklmnop, app, ota_3, , 0x100000\n" // 16 bytes: no NUL in the row
                         "keys, data, nvs_keys, , 4K, encrypted\n"
                         "ro, data, nvs, , 4K, readonly\n"
                         "cus, 0x41, 0x07, 0x400000, 0x1000\n");
    const Bytes bin = encode_partition_table(t);
    auto d = decode_partition_table(bin, "t.bin");
    CHECK(d.has_md5);
    CHECK(d.table == t);
    CHECK(encode_partition_table(parse_partition_csv(format_partition_csv(d.table), "x.csv")) == bin);

    TableOptions no_md5;
    no_md5.md5 = false;
    auto plain = decode_partition_table(encode_partition_table(t, no_md5), "t.bin");
    CHECK_FALSE(plain.has_md5);
    CHECK(plain.table == t);

    // A whole flash sector read back from a board has whatever follows 0xC00 (a signature, or 0xFF).
    Bytes sector = bin;
    sector.resize(0x1000, 0x5A);
    CHECK(decode_partition_table(sector, "s.bin").table == t);
    // A table cut right after its end marker is complete too.
    Bytes trimmed(bin.begin(), bin.begin() + 32 * 8);
    CHECK(decode_partition_table(trimmed, "t.bin").table == t);
}

TEST_CASE("partition binary: the CSV writer's exact output", "[part][binary]") {
    auto t = parse("nvs, data, nvs, 0x9000, 24K\nfactory, app, factory, 0x10000, 1M\nx, 0x40, 1, 0x110000, 4K, "
                   "encrypted:readonly\n");
    CHECK(format_partition_csv(t) == "# ESP-IDF Partition Table\n"
                                     "# Name, Type, SubType, Offset, Size, Flags\n"
                                     "nvs,     data, nvs,     0x9000,   0x6000,\n"
                                     "factory, app,  factory, 0x10000,  0x100000,\n"
                                     "x,       0x40, 0x1,     0x110000, 0x1000,   encrypted:readonly\n");
    PartitionTable odd({Partition{"a,b", kTypeData, kSubtypeFat, 0x9000, 0x1000, false, false}});
    CHECK_THAT(message(error_from([&] { format_partition_csv(odd); })), Catch::Contains("'a,b' has a comma"));
}

TEST_CASE("partition binary: corruption is detected", "[part][binary]") {
    const Bytes good = read_file(kPartitionVectors / "part_ota.bin");

    SECTION("a changed partition row fails the MD5 check") {
        Bytes bad = good;
        bad[4 + 32] ^= 0x10; // otadata's offset
        auto e = error_from([&] { decode_partition_table(bad, "board.bin"); });
        CHECK(e.kind() == ErrorKind::verify);
        CHECK(e.code() == ErrorCode::part_md5_mismatch);
        CHECK_THAT(message(e), Catch::StartsWith("board.bin: MD5 mismatch"));
    }
    SECTION("a changed MD5 row fails too") {
        Bytes bad = good;
        bad[7 * 32 + 20] ^= 0x01;
        CHECK(error_from([&] { decode_partition_table(bad, "board.bin"); }).kind() == ErrorKind::verify);
    }
    SECTION("bad magic") {
        Bytes bad = good;
        bad[2 * 32] = 0x12;
        auto e = error_from([&] { decode_partition_table(bad, "board.bin"); });
        CHECK(e.kind() == ErrorKind::input);
        CHECK(e.code() == ErrorCode::part_invalid);
        CHECK_THAT(message(e), Catch::StartsWith("board.bin: row 3 (byte 0x40): bad magic 12 50"));
    }
    SECTION("rows after the MD5 row") {
        Bytes bad = good;
        std::copy(good.begin(), good.begin() + 32, bad.begin() + 8 * 32);
        CHECK_THAT(message(error_from([&] { decode_partition_table(bad, "board.bin"); })),
                   Catch::StartsWith("board.bin: row 9 (byte 0x100): data after the MD5 row"));
    }
    SECTION("no end marker") {
        Bytes cut(good.begin(), good.begin() + 8 * 32);
        CHECK_THAT(message(error_from([&] { decode_partition_table(cut, "cut.bin"); })),
                   Catch::StartsWith("cut.bin: no end-of-table marker"));
        Bytes odd(good.begin(), good.begin() + 70);
        CHECK_THAT(message(error_from([&] { decode_partition_table(odd, "odd.bin"); })),
                   Catch::Contains("not a whole number of 32-byte rows"));
    }
    SECTION("erased flash") {
        Bytes erased(0xC00, 0xFF);
        CHECK_THAT(message(error_from([&] { decode_partition_table(erased, "e.bin"); })),
                   Catch::StartsWith("e.bin: the partition table has no partitions (erased flash?)"));
    }
    SECTION("unknown flag bits") {
        TableOptions no_md5;
        no_md5.md5 = false;
        Bytes bin = encode_partition_table(parse("a, data, fat, , 4K\n"), no_md5);
        bin[28] = 0x04;
        CHECK_THAT(message(error_from([&] { decode_partition_table(bin, "f.bin"); })),
                   Catch::StartsWith("f.bin: row 1 (byte 0x0): partition 'a' has unknown flag bits 0x4"));
    }
    SECTION("a valid binary with an invalid table is still checked") {
        PartitionTable overlapping({Partition{"a", kTypeData, kSubtypeFat, 0x9000, 0x2000, false, false},
                                    Partition{"b", kTypeData, kSubtypeFat, 0xa000, 0x1000, false, false}});
        Bytes bin = encode_partition_table(overlapping);
        CHECK(message(error_from([&] { decode_partition_table(bin, "o.bin"); })) ==
              "o.bin: entry 2: partition 'b' at 0xa000 overlaps 'a' at 0x9000-0xafff");
    }
    SECTION("names that are not UTF-8") {
        TableOptions no_md5;
        no_md5.md5 = false;
        Bytes bin = encode_partition_table(parse("a, data, fat, , 4K\n"), no_md5);
        bin[12] = 0xC3; // a lead byte followed by NUL padding
        CHECK_THAT(message(error_from([&] { decode_partition_table(bin, "u.bin"); })),
                   Catch::Contains("is not valid UTF-8"));
    }
}

TEST_CASE("partition binary: the encoder refuses tables that do not fit", "[part][binary]") {
    std::vector<Partition> many;
    for (int i = 0; i < 95; ++i)
        many.push_back(Partition{"p" + std::to_string(i), kTypeData, kSubtypeFat,
                                 static_cast<std::uint32_t>(0x10000 + i * 0x1000), 0x1000, false, false});
    PartitionTable t(many);
    CHECK_THAT(message(error_from([&] { encode_partition_table(t); })),
               Catch::Contains("95 partitions plus the MD5 row do not fit"));
    TableOptions no_md5;
    no_md5.md5 = false;
    CHECK(encode_partition_table(t, no_md5).size() == 0xC00);
}

TEST_CASE("partition dump: every generated table that dumps builds back byte for byte", "[part][binary][roundtrip]") {
    // Thousands of random tables, valid and damaged. A dump either refuses (an input or verify error naming
    // the file) or gives a CSV that builds, with the same table offset and MD5 setting, into exactly the
    // binary's first 0xC00 bytes (0xFF where the file was shorter). Tables built valid must dump.
    test::TableGenerator gen(20261203);
    int dumped = 0, refused = 0;
    for (int i = 0; i < 4000; ++i) {
        const test::GenTable t = gen.next();
        INFO("table " << i << " at " << hex32(t.table_offset) << ", damage: " << t.damage);
        TableOptions opts;
        opts.table_offset = t.table_offset;
        PartitionDump dump;
        try {
            dump = dump_partition_table(t.bytes, "gen.bin", opts);
        } catch (const Error& e) {
            INFO(e.what());
            CHECK_FALSE(t.valid_by_construction);
            CHECK((e.kind() == ErrorKind::input || e.kind() == ErrorKind::verify));
            CHECK_THAT(std::string(e.what()), Catch::StartsWith("gen.bin"));
            ++refused;
            continue;
        }
        INFO(dump.csv);
        TableOptions build = opts;
        build.md5 = dump.decoded.has_md5;
        Bytes expected(t.bytes.begin(),
                       t.bytes.begin() + static_cast<std::ptrdiff_t>(std::min<std::size_t>(t.bytes.size(), 0xC00)));
        expected.resize(0xC00, 0xFF);
        Bytes rebuilt;
        REQUIRE_NOTHROW(rebuilt = encode_partition_table(parse_partition_csv(dump.csv, "dumped.csv", build), build));
        REQUIRE(rebuilt == expected);
        ++dumped;
    }
    CHECK(dumped > 1500);
    CHECK(refused > 500);
}

TEST_CASE("partition dump: what would not build back is named", "[part][binary][roundtrip]") {
    auto table = [](std::vector<Partition> parts, bool md5 = true) {
        TableOptions o;
        o.md5 = md5;
        return encode_partition_table(PartitionTable(std::move(parts)), o);
    };
    const Partition nvs{"nvs", kTypeData, kSubtypeNvs, 0x9000, 0x6000, false, false};
    const Partition app{"factory", kTypeApp, kSubtypeFactory, 0x10000, 0x100000, false, false};

    SECTION("out of flash order") {
        CHECK(message(error_from([&] {
                  dump_partition_table(table({app, nvs}), "o.bin");
              })) ==
              "o.bin: entry 2: partition 'nvs' at 0x9000 comes after 'factory' which ends at 0x110000: partitions "
              "must be listed in flash order");
    }
    SECTION("a partition_table row of the wrong size or not at the table offset") {
        const Partition pt{"pt", kTypePartitionTable, kSubtypePrimary, 0x8000, 0x2000, false, false};
        CHECK_THAT(message(error_from([&] {
                       dump_partition_table(table({pt, nvs, app}), "p.bin");
                   })),
                   Catch::StartsWith("p.bin: entry 1: partition_table partition 'pt' size 0x2000 must be 0x1000"));
        Partition moved = pt;
        moved.size = 0x1000;
        TableOptions at9000;
        at9000.table_offset = 0x7000;
        CHECK_THAT(message(error_from([&] {
                       dump_partition_table(table({moved, nvs, app}), "p.bin", at9000);
                   })),
                   Catch::StartsWith("p.bin: entry 1: partition_table partition 'pt' at 0x8000 is not at the "
                                     "partition table offset 0x7000"));
    }
    SECTION("bytes after the end marker") {
        Bytes bin = table({nvs, app});
        bin[0x200] = 0x00;
        CHECK_THAT(message(error_from([&] { dump_partition_table(bin, "t.bin"); })),
                   Catch::StartsWith("t.bin: byte 0x200 after the end-of-table marker is 0x0, not 0xff"));
    }
    SECTION("a good table dumps as before") {
        const auto d = dump_partition_table(table({nvs, app}), "g.bin");
        CHECK(d.decoded.has_md5);
        CHECK(d.csv == format_partition_csv(d.decoded.table));
    }
}
