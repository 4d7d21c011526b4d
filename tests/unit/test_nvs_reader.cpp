// Reading images back: round trips through build + dump, and CRC damage being reported, not trusted.
#include <catch2/catch.hpp>

#include "temp_dir.hpp"

#include <filesystem>
#include <fstream>
#include <random>

#include "vesper/core/error.hpp"
#include "vesper/core/files.hpp"
#include "vesper/core/json_text.hpp"
#include "vesper/nvs/dump_format.hpp"
#include "vesper/nvs/reader.hpp"
#include "vesper/nvs/template.hpp"

using namespace vesper;
using namespace vesper::nvs;
namespace fs = std::filesystem;

namespace {

Bytes build_text(const std::string& csv, std::size_t size, Version v, const fs::path& dir = ".") {
    return Template::compile(parse_csv(csv, "t.csv", dir), {.placeholders = false}).render({}, size, v);
}

const NvsValue* find(const Dump& d, const std::string& ns, const std::string& key) {
    for (const auto& v : d.values)
        if (v.ns == ns && v.key == key) return &v;
    return nullptr;
}

std::string text_of(const NvsValue* v) { return v ? std::string(v->data.begin(), v->data.end()) : "<missing>"; }
std::string int_of(const NvsValue* v) { return v ? integer_text(v->type, v->integer) : "<missing>"; }

const std::string kAllTypes = "key,type,encoding,value\n"
                              "first,namespace,,\n"
                              "u8,data,u8,255\n"
                              "i8,data,i8,-128\n"
                              "u16,data,u16,65535\n"
                              "i16,data,i16,-32768\n"
                              "u32,data,u32,4294967295\n"
                              "i32,data,i32,-2147483648\n"
                              "u64,data,u64,18446744073709551615\n"
                              "i64,data,i64,-9223372036854775808\n"
                              "small_neg,data,i32,-5\n"
                              "empty,data,string,\n"
                              "comma,data,string,\"a, b\"\n"
                              "multi,data,string,\"line1\nline2\"\n"
                              "utf8,data,string,gr\xC3\xBC\xC3\x9F\xE2\x82\xAC\n"
                              "second,namespace,,\n"
                              "hex,data,hex2bin,00FF10ab\n"
                              "b64,data,base64,VmVzcGVy\n"
                              "raw,data,binary,plain text\n"
                              "fbin,file,binary,blob.bin\n"
                              "ftext,file,string,note.txt\n"
                              "u8,data,u8,7\n"; // same key, other namespace

} // namespace

TEST_CASE("nvs reader: build then dump gives back every value (v1 and v2)", "[nvs][reader]") {
    test::TempDir dir;
    Bytes blob(300);
    for (std::size_t i = 0; i < blob.size(); ++i)
        blob[i] = static_cast<std::uint8_t>(255 - i);
    write_file_atomic(dir.path() / "blob.bin", blob);
    write_file_atomic(dir.path() / "note.txt", std::string_view("from a file\n"));

    for (Version v : {Version::v1, Version::v2}) {
        INFO("version " << (v == Version::v1 ? 1 : 2));
        auto d = read_image(build_text(kAllTypes, 0x4000, v, dir.path()));
        CHECK(d.ok());
        CHECK(d.namespaces == std::map<std::uint8_t, std::string>{{1, "first"}, {2, "second"}});
        CHECK(int_of(find(d, "first", "u8")) == "255");
        CHECK(int_of(find(d, "first", "i8")) == "-128");
        CHECK(int_of(find(d, "first", "u16")) == "65535");
        CHECK(int_of(find(d, "first", "i16")) == "-32768");
        CHECK(int_of(find(d, "first", "u32")) == "4294967295");
        CHECK(int_of(find(d, "first", "i32")) == "-2147483648");
        CHECK(int_of(find(d, "first", "u64")) == "18446744073709551615");
        CHECK(int_of(find(d, "first", "i64")) == "-9223372036854775808");
        CHECK(int_of(find(d, "first", "small_neg")) == "-5");
        CHECK(text_of(find(d, "first", "empty")).empty());
        CHECK(find(d, "first", "empty") != nullptr);
        CHECK(text_of(find(d, "first", "comma")) == "a, b");
        CHECK(text_of(find(d, "first", "multi")) == "line1\nline2");
        CHECK(text_of(find(d, "first", "utf8")) == "gr\xC3\xBC\xC3\x9F\xE2\x82\xAC");
        CHECK(find(d, "second", "hex")->data == Bytes{0x00, 0xFF, 0x10, 0xAB});
        CHECK(text_of(find(d, "second", "b64")) == "Vesper");
        CHECK(text_of(find(d, "second", "raw")) == "plain text");
        CHECK(find(d, "second", "fbin")->data == blob);
        CHECK(text_of(find(d, "second", "ftext")) == "from a file\n");
        CHECK(int_of(find(d, "second", "u8")) == "7");
        CHECK(find(d, "second", "hex")->type == ItemType::blob);
        CHECK(find(d, "first", "utf8")->type == ItemType::sz);
        CHECK(d.values.size() == 19);
    }
}

TEST_CASE("nvs reader: pages report state, sequence and version", "[nvs][reader]") {
    auto d = read_image(read_file(std::string(VESPER_TEST_VECTORS) + "/nvs/nvs_many_pages.bin"));
    REQUIRE(d.pages.size() == 16);
    CHECK(std::string(page_state_name(d.pages[0].state)) == "full");
    CHECK(std::string(page_state_name(d.pages[2].state)) == "active");
    CHECK(d.pages[2].sequence == 2);
    CHECK(d.pages[2].version_byte == 0xFE);
    CHECK(d.pages[0].written_entries == 126);
    CHECK(d.pages[3].erased);
    CHECK(d.namespaces.size() == 3);
    CHECK(d.values.size() == 270);
    CHECK(int_of(find(d, "ns2", "k2_88")) == "-88000");
}

TEST_CASE("nvs reader: damaged CRCs are reported and their content not used", "[nvs][reader]") {
    const std::string csv = "key,type,encoding,value\nns,namespace,,\nnum,data,u32,77\ntxt,data,string,hello\n"
                            "blob,data,hex2bin,0011223344\n";
    const Bytes good = build_text(csv, 0x3000, Version::v2);
    REQUIRE(read_image(good).ok());
    // Layout: slot 0 ns, 1 num, 2-3 txt, 4-5 blob chunk, 6 blob index.
    const std::size_t entries = 64;

    SECTION("entry header") {
        Bytes img = good;
        img[entries + 1 * 32 + 8] ^= 0x01; // a key byte of 'num'
        auto d = read_image(img);
        REQUIRE(d.problems.size() == 1);
        CHECK(d.problems[0].kind == ProblemKind::entry_crc);
        CHECK(d.problems[0].page == 0);
        CHECK(d.problems[0].slot == 1);
        CHECK_THAT(d.problems[0].message, Catch::Contains("page 0 entry 1") && Catch::Contains("entry CRC mismatch"));
        CHECK(find(d, "ns", "num") == nullptr);
        CHECK(find(d, "ns", "oum") == nullptr);
        CHECK(text_of(find(d, "ns", "txt")) == "hello"); // the rest still reads
    }
    SECTION("a damaged multi-slot entry: its span is not trusted either") {
        Bytes img = good;
        img[entries + 2 * 32 + 9] ^= 0x01; // key byte of 'txt' (span 2)
        auto d = read_image(img);
        REQUIRE(d.problems.size() == 2); // the header, then its data slot read as an entry of its own
        CHECK(d.problems[0].slot == 2);
        CHECK(d.problems[1].slot == 3);
        CHECK(d.problems[1].kind == ProblemKind::entry_crc);
        CHECK(find(d, "ns", "txt") == nullptr);
        CHECK(find(d, "ns", "blob") != nullptr); // reading resumes after the damage
    }
    SECTION("stored CRC field") {
        Bytes img = good;
        img[entries + 1 * 32 + 4] ^= 0x80;
        auto d = read_image(img);
        REQUIRE(d.problems.size() == 1);
        CHECK(d.problems[0].kind == ProblemKind::entry_crc);
    }
    SECTION("string data") {
        Bytes img = good;
        img[entries + 3 * 32] ^= 0x20; // 'h' -> 'H'
        auto d = read_image(img);
        REQUIRE(d.problems.size() == 1);
        CHECK(d.problems[0].kind == ProblemKind::data_crc);
        CHECK(d.problems[0].slot == 2);
        CHECK(find(d, "ns", "txt") == nullptr);
        CHECK(int_of(find(d, "ns", "num")) == "77");
    }
    SECTION("blob chunk data") {
        Bytes img = good;
        img[entries + 5 * 32 + 1] ^= 0xFF;
        auto d = read_image(img);
        REQUIRE(d.problems.size() == 2);
        CHECK(d.problems[0].kind == ProblemKind::data_crc);
        CHECK(d.problems[1].kind == ProblemKind::structure);
        CHECK_THAT(d.problems[1].message, Catch::Contains("blob 'ns/blob': chunk 0 is missing or unreadable"));
        CHECK(find(d, "ns", "blob") == nullptr);
    }
    SECTION("page header") {
        Bytes img = good;
        img[4] ^= 0x01; // sequence number, covered by the header CRC
        auto d = read_image(img);
        REQUIRE(d.problems.size() == 1);
        CHECK(d.problems[0].kind == ProblemKind::header_crc);
        CHECK_FALSE(d.pages[0].header_crc_ok);
        CHECK_THAT(d.problems[0].message, Catch::Contains("page 0: header CRC mismatch"));
        CHECK(d.values.empty()); // nothing on an untrusted page is read
        CHECK(d.entries.empty());
    }
    SECTION("data in a slot the bitmap marks empty") {
        Bytes img = good;
        img[entries + 20 * 32 + 3] = 0x00;
        auto d = read_image(img);
        REQUIRE(d.problems.size() == 1);
        CHECK(d.problems[0].kind == ProblemKind::structure);
        CHECK(d.problems[0].message == "page 0 entry 20: marked empty but not erased");
        CHECK(d.values.size() == 3);
    }
    SECTION("page state outside the header CRC") {
        Bytes img = good;
        img[0] = 0x12;
        auto d = read_image(img);
        REQUIRE(d.problems.size() == 1);
        CHECK(d.problems[0].kind == ProblemKind::structure);
        CHECK_THAT(d.problems[0].message, Catch::Contains("state"));
        CHECK(d.values.size() == 3);
    }
}

TEST_CASE("nvs reader: image size and integer text", "[nvs][reader]") {
    CHECK_THROWS_AS(read_image(Bytes(5000, 0xFF)), Error);
    CHECK_THROWS_AS(read_image(Bytes{}), Error);
    auto blank = read_image(Bytes(0x3000, 0xFF));
    CHECK(blank.ok());
    CHECK(blank.values.empty());
    CHECK(blank.pages.size() == 3);
    CHECK(integer_text(ItemType::i8, 0xFF) == "-1");
    CHECK(integer_text(ItemType::i16, 0x8000) == "-32768");
    CHECK(integer_text(ItemType::u16, 0xFFFFFFFFFFFF8000) == "32768");
    CHECK(integer_text(ItemType::i64, 0xFFFFFFFFFFFFFFFE) == "-2");
}

TEST_CASE("nvs dump format: text and JSON carry the values and problems", "[nvs][reader]") {
    const std::string csv =
        "key,type,encoding,value\nns,namespace,,\nnum,data,i16,-300\ntxt,data,string,\"q\"\"uote\"\n"
        "blob,data,hex2bin,0011\n";
    Bytes img = build_text(csv, 0x3000, Version::v2);
    auto d = read_image(img);
    const std::string text = dump_text(d, "img.bin");
    CHECK_THAT(text, Catch::Contains("img.bin: 12288 bytes, 3 pages"));
    CHECK_THAT(text, Catch::Contains("page 0: active, sequence 0, version 2, header CRC ok"));
    CHECK_THAT(text, Catch::Contains("ns/num") && Catch::Contains("-300"));
    CHECK_THAT(text, Catch::Contains("\"q\\\"uote\""));
    CHECK_THAT(text, Catch::Contains("0011 (2 bytes)"));
    CHECK_THAT(text, Catch::Contains("pages 1-2: erased"));
    CHECK_THAT(text, Catch::EndsWith("no problems\n"));

    auto j = dump_json(d, "img.bin");
    CHECK(j["ok"] == true);
    CHECK(j["size"] == 12288);
    CHECK(j["pages"].size() == 3);
    CHECK(j["pages"][0]["state"] == "active");
    CHECK(j["values"].size() == 3);
    CHECK(j["values"][0]["value"] == -300);
    CHECK(j["values"][0]["type"] == "i16");
    CHECK(j["values"][1]["value"] == "q\"uote");
    CHECK(j["values"][2]["value"] == "0011");
    CHECK(j["values"][2]["size"] == 2);
    CHECK(j["namespaces"][0]["name"] == "ns");

    img[64 + 32 + 8] ^= 0x80; // key byte of 'num' becomes non-ASCII: CRC breaks and JSON must stay valid
    auto bad = read_image(img);
    auto jb = dump_json(bad, "img.bin");
    CHECK(jb["ok"] == false);
    REQUIRE(jb["problems"].size() == 1);
    CHECK(jb["problems"][0]["kind"] == "entry_crc");
    CHECK(jb["problems"][0]["slot"] == 1);
    CHECK_NOTHROW(nlohmann::json::parse(vesper::json_text(jb))); // the key's bad byte is written as \xNN
    CHECK_THAT(dump_text(bad, "img.bin"), Catch::Contains("1 problem(s):") && Catch::Contains("entry CRC mismatch"));
}

TEST_CASE("nvs reader: random damage is reported, never crashes", "[nvs][reader]") {
    std::mt19937 rng(20261121);
    int reported = 0, runs = 0;
    for (const char* name : {"nvs_basic.bin", "nvs_blobs.bin", "nvs_v1.bin", "nvs_vesper_device.bin"}) {
        const Bytes good = read_file(std::string(VESPER_TEST_VECTORS) + "/nvs/" + name);
        for (int i = 0; i < 300; ++i, ++runs) {
            Bytes img = good;
            // Damage within the written part of page 0 (the first 1 KiB), where every byte is covered by
            // a CRC or is a state, bitmap or span the reader must cope with.
            for (int k = 0; k < 1 + i % 4; ++k)
                img[rng() % 1024] ^= static_cast<std::uint8_t>(1 + rng() % 255);
            if (img == good) continue;
            Dump d;
            REQUIRE_NOTHROW(d = read_image(img));
            REQUIRE_NOTHROW(nlohmann::json::parse(vesper::json_text(dump_json(d, name))));
            REQUIRE_NOTHROW(dump_text(d, name));
            reported += d.ok() ? 0 : 1;
        }
    }
    // Nearly every change shows up. The rest cannot: padding after a string's last byte, bitmap bits past
    // slot 125, a page state changed to another valid state, a written entry marked erased (deleted).
    CHECK(reported > runs * 95 / 100); // measured: 1174 of 1200
}

TEST_CASE("nvs csv: arbitrary text is parsed or refused with Error, nothing else", "[nvs][csv]") {
    std::mt19937 rng(7);
    const std::string alphabet = "key,type,encoding,value\"#\n\r namespace data file u8 string hex2bin {}x0";
    for (int i = 0; i < 2000; ++i) {
        std::string text = i % 2 ? "key,type,encoding,value\n" : "";
        for (int n = rng() % 200; n > 0; --n)
            text += alphabet[rng() % alphabet.size()];
        try {
            auto csv = parse_csv(text, "fuzz.csv", ".");
            Template::compile(csv).render({}, 0x3000, Version::v2);
        } catch (const Error&) {
            // refused with a message: fine
        }
    }
    SUCCEED("no crash, no foreign exception");
}
