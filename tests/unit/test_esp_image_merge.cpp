// Merging regions into one factory image: layout and 0xFF gaps, order independence, overlaps, padding,
// bootloader patching.
#include <catch2/catch.hpp>

#include "esp_image_builder.hpp"
#include "vesper/core/error.hpp"
#include "vesper/image/image.hpp"
#include "vesper/image/image_merge.hpp"

using namespace vesper;
using namespace vesper::esp;

namespace {

const ChipInfo& esp32() { return chip_info(Chip::esp32); }

std::string merge_error_of(std::vector<MergeRegion> regions, const MergeOptions& opts = {}) {
    try {
        merge_images(esp32(), std::move(regions), opts);
    } catch (const Error& e) {
        CHECK(e.kind() == ErrorKind::input);
        return e.what();
    }
    return "";
}

} // namespace

TEST_CASE("merge: regions land at their addresses with 0xFF between them", "[esp][image][merge]") {
    const auto r = merge_images(esp32(), {{0x1000, {1, 2, 3}, "a.bin"}, {0x3000, {4, 5}, "b.bin"}});
    Bytes expected(0x3002, 0xFF);
    expected[0x1000] = 1;
    expected[0x1001] = 2;
    expected[0x1002] = 3;
    expected[0x3000] = 4;
    expected[0x3001] = 5;
    CHECK(r.image == expected);
    CHECK_FALSE(r.bootloader_patched);
    CHECK(r.notes.empty());

    // Adjacent regions are fine.
    const auto adj = merge_images(esp32(), {{0, Bytes(0x1000, 1), "a"}, {0x1000, {2}, "b"}});
    CHECK(adj.image.size() == 0x1001);
}

TEST_CASE("merge: the rules of a flash: sectors, no empty files, the chip's largest flash", "[esp][image][merge]") {
    CHECK_THAT(merge_error_of({{0x10, {1}, "odd.bin"}}),
               Catch::StartsWith("odd.bin: address 0x10 is not on a 4 KiB sector"));
    CHECK_THAT(merge_error_of({{0x1000, {}, "empty.bin"}}), Catch::Contains("empty.bin (at 0x1000) is empty"));
    // 0x7FFFF000 would have made a 2 GiB output.
    CHECK_THAT(merge_error_of({{0x7FFFF000, Bytes(0x200, 1), "far.bin"}}),
               Catch::Contains("far.bin (0x7FFFF000..0x7FFFF200) reaches beyond the largest ESP32 flash (128MB)"));
    MergeOptions top;
    top.target_offset = 0x7FFF000; // the last sector of 128MB, without a 128MB output
    CHECK(merge_images(esp32(), {{0x7FFF000, Bytes(0x1000, 1), "last.bin"}}, top).image.size() == 0x1000);
    // ESP8266 flash tops out at 16MB.
    try {
        merge_images(chip_info(Chip::esp8266), {{0x1000000, {1}, "high.bin"}});
        FAIL("no error");
    } catch (const Error& e) {
        CHECK_THAT(std::string(e.what()), Catch::Contains("the largest ESP8266 flash (16MB)"));
    }
    MergeOptions fill;
    fill.fill_to = 0x10000000;
    CHECK_THAT(merge_error_of({{0x1000, {1}, "a"}}, fill), Catch::Contains("fill size: 0x10000000 bytes is more than"));
    MergeOptions odd_target;
    odd_target.target_offset = 0x800;
    CHECK_THAT(merge_error_of({{0x1000, {1}, "a"}}, odd_target), Catch::Contains("is not on a 4 KiB sector boundary"));
}

TEST_CASE("merge: the order of the regions does not matter", "[esp][image][merge]") {
    const Bytes boot = vesper::test::esp32_bootloader().build();
    const Bytes app = vesper::test::esp32_app().build();
    const Bytes table(0xC00, 0xAA);
    std::vector<MergeRegion> in = {{0x1000, boot, "boot"}, {0x8000, table, "table"}, {0x10000, app, "app"}};
    const auto forward = merge_images(esp32(), in);
    std::vector<MergeRegion> reversed(in.rbegin(), in.rend());
    CHECK(merge_images(esp32(), reversed).image == forward.image);
    std::swap(in[0], in[1]);
    CHECK(merge_images(esp32(), in).image == forward.image);
    CHECK(forward.image.size() == 0x10000 + app.size());
}

TEST_CASE("merge: overlaps name both files and their ranges", "[esp][image][merge]") {
    CHECK(merge_error_of({{0x1000, Bytes(0x1100, 0), "first.bin"}, {0x2000, Bytes(0x20, 0), "second.bin"}}) ==
          "second.bin (0x2000..0x2020) overlaps first.bin (0x1000..0x2100)");
    // Same start address, given in the other order.
    CHECK_THAT(merge_error_of({{0x2000, Bytes(4, 0), "y.bin"}, {0x2000, Bytes(4, 0), "x.bin"}}),
               Catch::Contains("x.bin (0x2000..0x2004)") && Catch::Contains("y.bin (0x2000..0x2004)"));
    CHECK(merge_error_of({}) == "merge: no regions given");
}

TEST_CASE("merge: padding to a flash size, target offset, size limits", "[esp][image][merge]") {
    MergeOptions fill;
    fill.fill_to = 0x2000;
    const auto padded = merge_images(esp32(), {{0x1000, {7}, "a"}}, fill);
    REQUIRE(padded.image.size() == 0x2000);
    CHECK(padded.image[0x1000] == 7);
    CHECK(std::count(padded.image.begin(), padded.image.end(), 0xFF) == 0x1FFF);

    fill.fill_to = 0x1000;
    CHECK_THAT(merge_error_of({{0x1000, {7}, "a"}}, fill), Catch::Contains("does not fit in the 0x1000 bytes to fill"));

    MergeOptions offset;
    offset.target_offset = 0x1000;
    const auto from_boot = merge_images(esp32(), {{0x1000, {1}, "a"}, {0x2000, {2}, "b"}}, offset);
    CHECK(from_boot.image.size() == 0x1001);
    CHECK(from_boot.image.front() == 1);
    CHECK(from_boot.image.back() == 2);
    CHECK_THAT(merge_error_of({{0x0, {1}, "low.bin"}}, offset),
               Catch::Contains("low.bin at 0x0 is below the output's start 0x1000"));

    MergeOptions sized;
    sized.flash.size = "1MB";
    CHECK_THAT(merge_error_of({{0xFF000, Bytes(0x1001, 1), "big.bin"}}, sized),
               Catch::Contains("big.bin at 0xFF000-0x100001 does not fit in 1MB"));
}

TEST_CASE("merge: the bootloader region is patched, the others are not", "[esp][image][merge]") {
    const Bytes boot = vesper::test::esp32_bootloader().build();
    const Bytes app = vesper::test::esp32_app().build();
    MergeOptions opts;
    opts.flash = {"qio", "4MB", "80m"};
    const auto r = merge_images(esp32(), {{0x1000, boot, "boot"}, {0x10000, app, "app"}}, opts);
    CHECK(r.bootloader_patched);
    const Bytes merged_boot(r.image.begin() + 0x1000,
                            r.image.begin() + 0x1000 + static_cast<std::ptrdiff_t>(boot.size()));
    CHECK(merged_boot[2] == 0);
    CHECK(merged_boot[3] == 0x2F);
    CHECK(parse_image(merged_boot, "boot").valid());
    CHECK(Bytes(r.image.begin() + 0x10000, r.image.end()) == app);

    // Flash parameters with no file at the bootloader offset: nothing to patch, and a note says so.
    const auto none = merge_images(esp32(), {{0x10000, app, "app"}}, opts);
    CHECK_FALSE(none.bootloader_patched);
    REQUIRE(none.notes.size() == 1);
    CHECK_THAT(none.notes[0], Catch::Contains("no file at the ESP32 bootloader offset 0x1000"));

    // A file at the bootloader offset that is not a valid image is refused, not silently changed.
    CHECK_THAT(merge_error_of({{0x1000, Bytes(64, 0), "notboot.bin"}}, opts),
               Catch::Contains("notboot.bin: offset 0x0"));
}
