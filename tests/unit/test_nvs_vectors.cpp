// Every NVS case in tests/vectors/manifest.json: "ok" inputs must build byte-identical to the image
// ESP-IDF's generator made; "error" inputs must be refused with Error(input) naming file and line.
#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include <filesystem>
#include <regex>

#include "vesper/core/error.hpp"
#include "vesper/core/files.hpp"
#include "vesper/nvs/format.hpp"
#include "vesper/nvs/reader.hpp"
#include "vesper/nvs/template.hpp"

using namespace vesper;
namespace fs = std::filesystem;

namespace {

const fs::path kVectors = fs::path(VESPER_TEST_VECTORS) / "nvs";

nlohmann::json nvs_manifest() {
    auto doc = nlohmann::json::parse(read_text_file(fs::path(VESPER_TEST_VECTORS) / "manifest.json"));
    return doc.at("nvs");
}

nvs::Version version_of(const nlohmann::json& c) {
    return c.at("version").get<int>() == 1 ? nvs::Version::v1 : nvs::Version::v2;
}

// First differing offset, for a readable failure instead of a 64 KiB dump.
std::string first_difference(const Bytes& a, const Bytes& b) {
    if (a.size() != b.size()) return "sizes differ: " + std::to_string(a.size()) + " vs " + std::to_string(b.size());
    for (std::size_t i = 0; i < a.size(); ++i)
        if (a[i] != b[i])
            return "first difference at offset " + std::to_string(i) + " (page " + std::to_string(i / 4096) +
                   "): " + std::to_string(a[i]) + " vs " + std::to_string(b[i]);
    return "identical";
}

} // namespace

TEST_CASE("nvs vectors: manifest lists ok and error cases", "[nvs][vectors]") {
    auto cases = nvs_manifest();
    int ok = 0, errors = 0;
    for (const auto& c : cases)
        (c.at("expect") == "ok" ? ok : errors)++;
    // Guards against a manifest that silently lost its cases (the loops below would then prove nothing).
    CHECK(ok >= 5);
    CHECK(errors >= 2);
}

TEST_CASE("nvs vectors: every ok case builds byte-identical", "[nvs][vectors]") {
    for (const auto& c : nvs_manifest()) {
        if (c.at("expect") != "ok") continue;
        const std::string name = c.at("csv");
        INFO("vector " << name);
        const std::size_t size = nvs::parse_partition_size(c.at("size").get<std::string>(), "size");
        nvs::RenderInfo info;
        Bytes built = nvs::build_image(kVectors / name, size, version_of(c), &info);
        Bytes expected = read_file(kVectors / c.at("bin").get<std::string>());
        INFO(first_difference(built, expected));
        CHECK(built == expected);
        CHECK(info.values > 0);
    }
}

TEST_CASE("nvs vectors: every error case is refused naming file and line", "[nvs][vectors]") {
    const std::regex located(R"(nvs_[a-z_]+\.csv:[0-9]+: key '[^']+': .+)");
    for (const auto& c : nvs_manifest()) {
        if (c.at("expect") != "error") continue;
        const std::string name = c.at("csv");
        INFO("vector " << name);
        const std::size_t size = nvs::parse_partition_size(c.at("size").get<std::string>(), "size");
        try {
            nvs::build_image(kVectors / name, size, version_of(c));
            FAIL("accepted " << name);
        } catch (const Error& e) {
            CHECK(e.kind() == ErrorKind::input);
            std::string msg = e.what();
            CHECK(std::regex_search(msg, located));
            CHECK(msg.find('\n') == std::string::npos);
        }
    }
}

TEST_CASE("nvs vectors: the error cases say why", "[nvs][vectors]") {
    auto message = [](const std::string& name) {
        try {
            nvs::build_image(kVectors / name, 0x3000, nvs::Version::v2);
        } catch (const Error& e) {
            return std::string(e.what());
        }
        return std::string("accepted");
    };
    const std::string keylen = message("nvs_err_keylen.csv");
    CHECK_THAT(keylen, Catch::Contains("nvs_err_keylen.csv:4: key 'this_key_is_too_long': "));
    CHECK_THAT(keylen, Catch::Contains("at most 15"));
    const std::string range = message("nvs_err_range.csv");
    CHECK_THAT(range, Catch::Contains("nvs_err_range.csv:4: key 'tiny': "));
    CHECK_THAT(range, Catch::Contains("out of range for u8 (0 to 255)"));
}

TEST_CASE("nvs vectors: reference images read back without problems", "[nvs][vectors][reader]") {
    for (const auto& c : nvs_manifest()) {
        if (c.at("expect") != "ok") continue;
        INFO("vector " << c.at("bin").get<std::string>());
        auto dump = nvs::read_image(read_file(kVectors / c.at("bin").get<std::string>()));
        CHECK(dump.ok());
        CHECK_FALSE(dump.values.empty());
    }
}
