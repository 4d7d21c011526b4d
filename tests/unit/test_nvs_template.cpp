// Templates: compile-time checks, placeholder rendering, and the shipped device template.
#include <catch2/catch.hpp>

#include <filesystem>
#include <random>
#include <thread>

#include "vesper/core/error.hpp"
#include "vesper/core/files.hpp"
#include "vesper/ledger/ledger.hpp"
#include "vesper/nvs/reader.hpp"
#include "vesper/nvs/template.hpp"

using namespace vesper;
using namespace vesper::nvs;
namespace fs = std::filesystem;

namespace {

Template compile_text(const std::string& csv, bool placeholders = true, const fs::path& dir = ".") {
    return Template::compile(parse_csv(csv, "t.csv", dir), {.placeholders = placeholders});
}

std::string compile_error(const std::string& csv, const fs::path& dir = ".") {
    try {
        compile_text(csv, true, dir);
    } catch (const Error& e) {
        CHECK(e.kind() == ErrorKind::input);
        return e.what();
    }
    return "accepted";
}

std::string render_error(const Template& t, const Fields& f, Version v = Version::v2) {
    try {
        t.render(f, 0x3000, v);
    } catch (const Error& e) {
        CHECK(e.kind() == ErrorKind::input);
        return e.what();
    }
    return "accepted";
}

std::string string_value(const Dump& d, const std::string& key) {
    for (const auto& v : d.values)
        if (v.key == key) return std::string(v.data.begin(), v.data.end());
    return "<missing>";
}

const std::string kTemplateHeader = "key,type,encoding,value\n";

// The reference vector's CSV, with its per-device values turned into placeholders.
const std::string kDeviceTemplate =
    "# size=0x6000 version=2\n" + kTemplateHeader +
    "vesper,namespace,,\n"
    "serial_number,data,string,{{serial_number}}\n"
    "hw_type,data,string,{{ hw_type }}\n"
    "hw_version,data,string,{{hw_version}}\n"
    "mqtt_pass,data,string,{{mqtt_password}}\n"
    "plan,data,string,{{subscription_plan}}\n"
    "outputs,data,u8,{{available_outputs}}\n"
    "ota_base,data,string,https://ota.example.com/ota/bellcore-v{{hw_version_major}}/\n";

const Fields kVectorFields = {{"serial_number", "PV-26A18-BC02R-X7KQA"},
                              {"hw_type", "BC"},
                              {"hw_version", "02"},
                              {"hw_version_major", "2"},
                              {"mqtt_password", "5d41402abc4b2a76b9719d911017c592"},
                              {"subscription_plan", "standard"},
                              {"available_outputs", "8"}};

} // namespace

TEST_CASE("nvs template: lists its placeholders", "[nvs][template]") {
    Template t = compile_text(kDeviceTemplate);
    CHECK(t.placeholders() == std::vector<std::string>{"available_outputs", "hw_type", "hw_version", "hw_version_major",
                                                       "mqtt_password", "serial_number", "subscription_plan"});
    CHECK(t.uses("mqtt_password"));
    CHECK_FALSE(t.uses("mac"));
    CHECK(t.source() == "t.csv");
}

TEST_CASE("nvs template: rendering the vector's fields gives the reference image", "[nvs][template]") {
    Template t = compile_text(kDeviceTemplate);
    RenderInfo info;
    Bytes img = t.render(kVectorFields, 0x6000, Version::v2, &info);
    CHECK(img == read_file(std::string(VESPER_TEST_VECTORS) + "/nvs/nvs_vesper_device.bin"));
    CHECK(info.namespaces == 1);
    CHECK(info.values == 7);
    CHECK(info.slots_used == 16);
    CHECK(info.pages_used == 1);
}

TEST_CASE("nvs template: per-device lengths move the layout and still read back", "[nvs][template]") {
    Template t = compile_text(kDeviceTemplate);
    Fields f = kVectorFields;
    f["serial_number"] = std::string(200, 'S');
    f["subscription_plan"] = "";
    Bytes buffer;
    t.render_into(f, 0x6000, Version::v2, buffer);
    auto d = read_image(buffer);
    CHECK(d.ok());
    CHECK(string_value(d, "serial_number") == std::string(200, 'S'));
    CHECK(string_value(d, "plan").empty());
    CHECK(string_value(d, "ota_base") == "https://ota.example.com/ota/bellcore-v2/");
    // The same buffer is reused for a smaller image.
    t.render_into(kVectorFields, 0x3000, Version::v2, buffer);
    CHECK(buffer.size() == 0x3000);
    CHECK(string_value(read_image(buffer), "serial_number") == "PV-26A18-BC02R-X7KQA");
}

TEST_CASE("nvs template: render errors name the placeholder, file, line and key", "[nvs][template]") {
    Template t = compile_text(kDeviceTemplate);
    Fields f = kVectorFields;
    f.erase("mqtt_password");
    CHECK(render_error(t, f) == "t.csv:7: key 'mqtt_pass': unknown placeholder {{mqtt_password}} (no such field)");
    f = kVectorFields;
    f["available_outputs"] = "300";
    CHECK_THAT(render_error(t, f), Catch::StartsWith("t.csv:9: key 'outputs': value '300' is out of range for u8"));
    f = kVectorFields;
    f["serial_number"] = std::string(2000, 'x');
    CHECK_THAT(render_error(t, f, Version::v1),
               Catch::StartsWith("t.csv:4: key 'serial_number': string is 2001 bytes"));
    f = kVectorFields;
    // Three strings of about a page each; 0x3000 has two data pages.
    f["serial_number"] = std::string(3000, 'x');
    f["mqtt_password"] = std::string(3000, 'm');
    f["subscription_plan"] = std::string(3000, 'p');
    CHECK_THAT(render_error(t, f), Catch::StartsWith("t.csv:8: key 'plan': does not fit"));
}

TEST_CASE("nvs template: compile-time checks", "[nvs][template]") {
    CHECK(compile_error(kTemplateHeader + "ns,namespace,,\n{{k}},data,u8,1\n") ==
          "t.csv:3: key '{{k}}': placeholders are only allowed in values");
    CHECK_THAT(compile_error(kTemplateHeader + "ns,namespace,,\nf,file,binary,{{path}}.bin\n"),
               Catch::Contains("t.csv:3: key 'f': placeholders are not allowed in file paths"));
    CHECK_THAT(compile_error(kTemplateHeader + "ns,namespace,,\nk,data,string,a{{open\n"),
               Catch::Contains("t.csv:3: key 'k': placeholder '{{open' is never closed"));
    CHECK_THAT(compile_error(kTemplateHeader + "ns,namespace,,\nk,data,string,{{bad-name}}\n"),
               Catch::Contains("bad placeholder '{{bad-name}}'"));
    CHECK_THAT(compile_error(kTemplateHeader + "ns,namespace,,\nk,data,string,{{}}\n"),
               Catch::Contains("bad placeholder"));
    CHECK(compile_error(kTemplateHeader + "k,data,u8,1\n") == "t.csv:2: key 'k': data row before any namespace row");
    CHECK(compile_error(kTemplateHeader + "ns,namespace,,\n,data,u8,1\n") == "t.csv:3: empty key");
    CHECK(compile_error(kTemplateHeader + "a,namespace,,\nk,data,u8,1\nb,namespace,,\na,namespace,,\n") ==
          "t.csv:5: key 'a': namespace opened again (first at line 2); keep each namespace's rows together");
    CHECK(compile_error(kTemplateHeader + "a,namespace,,\nk,data,u8,1\nk,data,u16,2\n") ==
          "t.csv:4: key 'k': key defined twice in namespace 'a' (first at line 3)");
    // Same key in two namespaces is fine.
    CHECK_NOTHROW(compile_text(kTemplateHeader + "a,namespace,,\nk,data,u8,1\nb,namespace,,\nk,data,u8,2\n"));
    CHECK_THAT(compile_error(kTemplateHeader + "a_namespace_too_long,namespace,,\n"),
               Catch::Contains("t.csv:2: key 'a_namespace_too_long': key is 20 bytes long"));
    // Values without placeholders are checked when compiling, before any render.
    CHECK(compile_error(kTemplateHeader + "ns,namespace,,\n\n# c\nn,data,i8,128\n") ==
          "t.csv:5: key 'n': value '128' is out of range for i8 (-128 to 127)");
    CHECK_THAT(compile_error(kTemplateHeader + "ns,namespace,,\nh,data,hex2bin,0g\n"),
               Catch::Contains("t.csv:3: key 'h': hex value: 'g' at position 2 is not a hex digit"));
    CHECK_THAT(compile_error(kTemplateHeader + "ns,namespace,,\nb,data,base64,abc\n"),
               Catch::Contains("t.csv:3: key 'b': base64 value"));

    std::string many = kTemplateHeader;
    for (int i = 0; i < 255; ++i)
        many += std::string("n").append(std::to_string(i)).append(",namespace,,\n");
    CHECK(compile_error(many) == "t.csv:256: key 'n254': more than 254 namespaces");
}

TEST_CASE("nvs template: file rows", "[nvs][template]") {
    std::random_device rd;
    const fs::path dir = fs::temp_directory_path() / ("vesper-nvs-template-" + std::to_string(rd()));
    fs::create_directories(dir / "sub");
    write_file_atomic(dir / "sub" / "bytes.bin", Bytes{0xC3, 0x28, 0x00});
    write_file_atomic(dir / "hex.txt", std::string_view(" 0a0b\n"));
    write_file_atomic(dir / "num.txt", std::string_view("42\n"));

    auto t = compile_text(kTemplateHeader + "ns,namespace,,\nb,file,binary,sub/bytes.bin\nh,file,hex2bin,hex.txt\n"
                                            "n,file,u16,num.txt\n",
                          true, dir);
    auto d = read_image(t.render({}, 0x3000, Version::v2));
    REQUIRE(d.values.size() == 3);
    CHECK(d.values[0].data == Bytes{0xC3, 0x28, 0x00});
    CHECK(d.values[1].data == Bytes{0x0A, 0x0B});
    CHECK(d.values[2].integer == 42);

    CHECK_THAT(compile_error(kTemplateHeader + "ns,namespace,,\nm,file,binary,missing.bin\n", dir),
               Catch::Contains("t.csv:3: key 'm': file 'missing.bin' not found (looked for ") &&
                   Catch::Contains("missing.bin)"));
    CHECK_THAT(compile_error(kTemplateHeader + "ns,namespace,,\ns,file,string,sub/bytes.bin\n", dir),
               Catch::Contains("t.csv:3: key 's': file 'sub/bytes.bin' is not UTF-8 text"));
    CHECK_THAT(compile_error(kTemplateHeader + "ns,namespace,,\nd,file,binary,sub\n", dir),
               Catch::Contains("is not a regular file"));
    std::error_code ec;
    fs::remove_all(dir, ec);
}

TEST_CASE("nvs template: placeholders off keeps braces literal", "[nvs][template]") {
    Template t = compile_text(kTemplateHeader + "ns,namespace,,\nk,data,string,{{not_a_field}}\n", false);
    CHECK(t.placeholders().empty());
    auto d = read_image(t.render({}, 0x3000, Version::v2));
    CHECK(string_value(d, "k") == "{{not_a_field}}");
}

TEST_CASE("nvs template: concurrent renders do not interfere", "[nvs][template]") {
    Template t = compile_text(kDeviceTemplate);
    const Bytes expected = t.render(kVectorFields, 0x6000, Version::v2);
    std::vector<int> mismatches(2, 0);
    std::vector<std::jthread> threads;
    for (int id = 0; id < 2; ++id)
        threads.emplace_back([&, id] {
            Bytes buf;
            Fields other = kVectorFields;
            other["serial_number"] = std::string("PV-OTHER-").append(std::to_string(id));
            for (int i = 0; i < 500; ++i) {
                t.render_into(i % 2 ? other : kVectorFields, 0x6000, Version::v2, buf);
                bool same = buf == expected;
                if (same == (i % 2 == 1)) ++mismatches[id];
            }
        });
    threads.clear();
    CHECK(mismatches == std::vector<int>{0, 0});
}

TEST_CASE("nvs template: the shipped device template fits the ledger's fields", "[nvs][template]") {
    Template t = Template::load(std::string(VESPER_SOURCE_DIR) + "/templates/vesper-device.csv");
    CHECK(t.placeholders() == std::vector<std::string>{"available_outputs", "batch_id", "hw_type", "hw_version",
                                                       "mqtt_password", "serial_number", "subscription_plan"});
    ledger::Device dev;
    dev.serial = "PV-26A18-BC02R-X7KQA";
    dev.batch_id = 12;
    dev.hw_type = "BC";
    dev.hw_version = "02";
    dev.subscription_plan = "premium";
    dev.available_outputs = 8;
    Fields f = ledger::template_fields(dev);
    f["mqtt_password"] = "0123456789abcdef0123456789abcdef";
    auto d = read_image(t.render(f, 0x6000, Version::v2));
    CHECK(d.ok());
    CHECK(d.namespaces.at(1) == "vesper");
    CHECK(string_value(d, "serial_number") == "PV-26A18-BC02R-X7KQA");
    CHECK(string_value(d, "mqtt_pass") == "0123456789abcdef0123456789abcdef");
    CHECK(string_value(d, "plan") == "premium");
    CHECK(string_value(d, "hw_type") == "BC");
    CHECK(string_value(d, "hw_version") == "02");
    bool outputs = false, batch = false;
    for (const auto& v : d.values) {
        if (v.key == "outputs") outputs = v.type == ItemType::u8 && v.integer == 8;
        if (v.key == "batch_id") batch = v.type == ItemType::u32 && v.integer == 12;
    }
    CHECK(outputs);
    CHECK(batch);
}
