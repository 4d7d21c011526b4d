// The simulator takes every chip fact from the chip row: for each row, a simulated board prints the
// row's ROM boot text at the row's rate, answers the row's UART divider register for the row's crystal,
// and can hold its default MAC (the row's example OUI).
#include <catch2/catch.hpp>

#include <string>
#include <vector>

#include "devsim/device.hpp"
#include "devsim/mac.hpp"
#include "devsim/register_file.hpp"
#include "vesper/chip/chip.hpp"

using namespace vesper;
using namespace vesper::devsim;

TEST_CASE("devsim: every chip row boots with its own ROM text", "[devsim][chip][rows]") {
    for (const esp::ChipInfo& chip : esp::all_chips()) {
        INFO(chip.name);
        DeviceConfig config;
        config.chip = &chip;
        config.mac = {0x24, 0x0a, 0xc4, 0x00, 0x00, 0x07};
        Device d(config, FlashStore::in_memory(0x400000));
        const TimePoint t0{};
        d.attach_host(t0);
        d.power_on(t0);
        d.tick(t0);
        const Bytes out = d.take_output(t0).bytes;
        const std::string text(out.begin(), out.end());
        const esp::RomBootText& rom = chip.boot_text;
        const std::string expected =
            std::string(rom.banner) + std::string(rom.rst_poweron) + std::string(rom.boot_download) + "\r\n";
        CHECK(text.rfind(expected, 0) == 0);
        CHECK((text.find("waiting for download") != std::string::npos) == rom.waiting_for_download);
        CHECK(d.uart_baud() == 115200); // the loader autobauds at 115200 after printing at rom.baud
    }
}

TEST_CASE("devsim: the UART divider register is the row's and follows the row's crystal", "[devsim][chip][rows]") {
    for (const esp::ChipInfo& chip : esp::all_chips()) {
        INFO(chip.name);
        const RegisterFile regs(chip, {0x24, 0x0a, 0xc4, 0x00, 0x00, 0x07}, 0x400000);
        for (std::uint32_t baud : {115200u, 921600u}) {
            const std::uint32_t clkdiv = regs.read(chip.xtal.uart_clkdiv_reg, baud);
            // UART clock = crystal x divider; the register holds UART clock / baud.
            const double mhz = static_cast<double>(clkdiv) * baud / 1e6 / chip.xtal.divider;
            CHECK(mhz == Approx(chip.xtal.mhz).epsilon(0.01));
            if (chip.xtal.measured()) CHECK(esp::estimate_xtal_mhz(chip, clkdiv, baud) == chip.xtal.mhz);
        }
    }
}

TEST_CASE("devsim: every row's default MAC can be stored in its eFuse", "[devsim][chip][rows]") {
    for (const esp::ChipInfo& chip : esp::all_chips()) {
        INFO(chip.name);
        const Mac mac{static_cast<std::uint8_t>(chip.example_oui >> 16),
                      static_cast<std::uint8_t>(chip.example_oui >> 8),
                      static_cast<std::uint8_t>(chip.example_oui),
                      0,
                      0,
                      1};
        const auto words = mac_words(chip, mac);
        std::vector<std::uint32_t> values;
        for (const auto& [address, value] : words)
            values.push_back(value);
        CHECK(esp::extract_mac(chip, values) == mac);
    }
}
