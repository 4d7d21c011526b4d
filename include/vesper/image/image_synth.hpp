#pragma once
// Synthetic app images for demos, tests and benchmarks. THEY DO NOT RUN ON HARDWARE: the format is valid
// (header, extended header, segments at the chip's DROM/DRAM/IRAM/IROM addresses, an esp_app_desc_t,
// checksum, SHA-256), so `image info`, the flasher and verification treat them as real apps, but the code
// segments hold filler. The IRAM word at the entry point is a jump-to-self (Xtensa `j .` or RISC-V `j .`)
// so a board given one by mistake should spin rather than run filler; that is untested on hardware.
//
// Output is deterministic: the same chip and options give the same bytes. The app description says
// idf_ver "vesper-synth", date "synthetic", time "00:00:00", and app_elf_sha256 = SHA-256 of
// "vesper-synth:<chip>:<project>:<version>" (there is no ELF). Filler draws 4 bits of entropy per byte, so it
// deflates to about half its size, roughly like real firmware.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "vesper/core/bytes.hpp"
#include "vesper/chip/chip.hpp"

namespace vesper::esp {

inline constexpr std::string_view kSynthIdfVersion = "vesper-synth";
inline constexpr std::size_t kMinSynthSize = 4096;
inline constexpr std::size_t kMaxSynthSize = 128u * 1024 * 1024;

struct SynthOptions {
    std::size_t size = 1024 * 1024; // whole file, SHA-256 included; a multiple of 16 in [4 KiB, 128 MiB]
    std::string project = "vesper-factory";
    std::string version = "1.0.0";
    std::uint32_t secure_version = 0;
};

// A synthetic app image for `chip` of exactly opts.size bytes. Throws Error(input) for ESP8266 (no ESP-IDF
// app format), a size out of range or not a multiple of 16, or a project/version longer than 31 bytes.
Bytes synthesize_app_image(const ChipInfo& chip, const SynthOptions& opts = {});

} // namespace vesper::esp
