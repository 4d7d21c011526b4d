// Synthetic ESP-IDF-format app images (see image_synth.hpp for what they are and are not).
//
// Layout, for a file of `size` bytes (size % 16 == 0):
//   0x00  header + extended header (24 bytes): DIO, 4MB, frequency code 0, hash appended
//   0x18  segment 0, DROM at DROM base + 0x20: esp_app_desc_t (256 bytes) then a quarter of the filler
//         segment 1, DRAM: 256 bytes
//         segment 2, IRAM: 64 bytes, a jump-to-self at the entry point
//         segment 3, IROM: the rest of the filler
//   size - 36: 3 zero bytes of padding, the checksum at size - 33, the SHA-256 in the last 32 bytes.
// Flash-mapped segments load at (window base + file offset of their data), so the data's offset inside a
// 64 KiB MMU page matches its address's, as in images esptool builds. The bases and the ISA are the
// chip row's (ChipInfo::synth, ChipInfo::isa).
#include <algorithm>
#include <cstring>

#include "vesper/core/checksum.hpp"
#include "vesper/core/error.hpp"
#include "vesper/core/text.hpp"
#include "vesper/image/image.hpp"
#include "vesper/image/image_patch.hpp"
#include "vesper/image/image_synth.hpp"

namespace vesper::esp {

namespace {

constexpr std::uint8_t kXtensaJumpToSelf[] = {0x06, 0xFF, 0xFF};      // j . (J, offset -4)
constexpr std::uint8_t kRiscvJumpToSelf[] = {0x6F, 0x00, 0x00, 0x00}; // j . (jal x0, 0)

constexpr std::size_t kDramLength = 256;
constexpr std::size_t kIramLength = 64;
constexpr std::size_t kPadding = 3; // what makes the checksum land on the 16-byte line's last byte
constexpr std::size_t kFixedBytes = kImageHeaderSize + kExtendedHeaderSize + 4 * kSegmentHeaderSize + kAppDescSize +
                                    kDramLength + kIramLength + kPadding + 1 + kSha256Size;

// Sixteen byte values standing in for code: 4 bits of entropy per byte.
constexpr std::uint8_t kFillerAlphabet[16] = {0x00, 0x01, 0x06, 0x0C, 0x13, 0x20, 0x37, 0x3C,
                                              0x40, 0x67, 0x6F, 0x80, 0x93, 0xB7, 0xE0, 0xFF};

class Filler {
public:
    explicit Filler(const std::array<std::uint8_t, 32>& seed) {
        std::memcpy(&state_, seed.data(), sizeof state_);
        if (state_ == 0) state_ = 0x9E3779B97F4A7C15ull;
    }
    void fill(std::uint8_t* out, std::size_t n) {
        while (n > 0) {
            std::uint64_t r = next();
            for (int i = 0; i < 16 && n > 0; ++i, --n, r >>= 4)
                *out++ = kFillerAlphabet[r & 0xF];
        }
    }

private:
    std::uint64_t next() { // xorshift64*
        state_ ^= state_ >> 12;
        state_ ^= state_ << 25;
        state_ ^= state_ >> 27;
        return state_ * 0x2545F4914F6CDD1Dull;
    }
    std::uint64_t state_ = 0;
};

// The row's load addresses (ChipInfo::synth), or Error(input) for a chip without the ESP-IDF app format.
const SynthLayout& layout_for(const ChipInfo& chip) {
    if (!chip.synth)
        fail(ErrorKind::input, "image synth: " + std::string(chip.display_name) +
                                   " has no ESP-IDF app image format to synthesize (ESP32-family chips only)");
    return *chip.synth;
}

void put_text(std::uint8_t* field, std::size_t field_size, std::string_view text) {
    std::memcpy(field, text.data(), std::min(text.size(), field_size - 1));
}

void check_text(std::string_view what, const std::string& text) {
    if (text.size() > 31)
        fail(ErrorKind::input, "image synth: " + std::string(what) + " " + quote_value(text) +
                                   " is longer than the 31 bytes esp_app_desc_t holds");
    if (text.find('\0') != std::string::npos)
        fail(ErrorKind::input, "image synth: " + std::string(what) + " contains a NUL byte");
}

// Appends a segment header and reserves `length` data bytes; returns the data's offset.
std::size_t add_segment(Bytes& out, std::uint32_t load, std::size_t length) {
    append_le32(out, load);
    append_le32(out, static_cast<std::uint32_t>(length));
    const std::size_t at = out.size();
    out.resize(out.size() + length, 0);
    return at;
}

} // namespace

Bytes synthesize_app_image(const ChipInfo& chip, const SynthOptions& opts) {
    const SynthLayout& lay = layout_for(chip);
    if (opts.size < kMinSynthSize || opts.size > kMaxSynthSize || opts.size % 16 != 0)
        fail(ErrorKind::input,
             "image synth: size " + std::to_string(opts.size) + " must be a multiple of 16 between 4 KiB and 128 MiB");
    check_text("project name", opts.project);
    check_text("version", opts.version);

    const std::size_t filler = opts.size - kFixedBytes; // a multiple of 4, see the layout above
    const std::size_t drom_filler = filler / 16 * 4;
    const std::size_t irom_filler = filler - drom_filler;
    const std::string seed_text =
        std::string(kSynthIdfVersion) + ":" + std::string(chip.name) + ":" + opts.project + ":" + opts.version;
    const auto seed = sha256(as_bytes(seed_text));
    Filler rng(seed);

    Bytes out;
    out.reserve(opts.size);
    out.resize(kImageHeaderSize + kExtendedHeaderSize, 0);
    out[0] = kImageMagic;
    out[1] = 4;
    out[2] = *flash_mode_code("dio");
    out[3] = static_cast<std::uint8_t>(*flash_size_code(chip, "4MB") << 4);
    out[8] = kWpPinDisabled;
    put_le16(&out[12], *chip.image_chip_id);
    put_le16(&out[17], kMaxChipRevUnset); // max_chip_rev_full: no upper bound
    out[23] = 1;                          // hash appended

    // Segment 0: DROM, starting with the app description.
    const std::size_t drom_at = out.size() + kSegmentHeaderSize;
    add_segment(out, lay.drom + static_cast<std::uint32_t>(drom_at), kAppDescSize + drom_filler);
    std::uint8_t* desc = &out[drom_at];
    put_le32(desc, kAppDescMagic);
    put_le32(desc + 4, opts.secure_version);
    put_text(desc + 16, 32, opts.version);
    put_text(desc + 48, 32, opts.project);
    put_text(desc + 80, 16, "00:00:00");
    put_text(desc + 96, 16, "synthetic");
    put_text(desc + 112, 32, kSynthIdfVersion);
    std::copy(seed.begin(), seed.end(), desc + 144); // stands in for the ELF SHA-256: there is no ELF
    put_le16(desc + 176, 0);                         // min_efuse_blk_rev_full
    put_le16(desc + 178, 0xFFFF);                    // max_efuse_blk_rev_full: no upper bound
    rng.fill(&out[drom_at + kAppDescSize], drom_filler);

    // Segment 1: DRAM. Segment 2: IRAM with the entry point. Segment 3: IROM.
    const std::size_t dram_at = add_segment(out, lay.dram, kDramLength);
    rng.fill(&out[dram_at], kDramLength);
    const std::size_t iram_at = add_segment(out, lay.iram, kIramLength);
    if (chip.isa == Isa::xtensa)
        std::copy(std::begin(kXtensaJumpToSelf), std::end(kXtensaJumpToSelf), out.begin() + iram_at);
    else
        std::copy(std::begin(kRiscvJumpToSelf), std::end(kRiscvJumpToSelf), out.begin() + iram_at);
    put_le32(&out[4], lay.iram);
    const std::size_t irom_at = out.size() + kSegmentHeaderSize;
    add_segment(out, lay.irom + static_cast<std::uint32_t>(irom_at), irom_filler);
    rng.fill(&out[irom_at], irom_filler);

    // Footer: the checksum of the segment data, then the SHA-256 of everything before it.
    std::uint8_t sum = kImageChecksumSeed;
    for (std::size_t at : {drom_at, dram_at, iram_at, irom_at})
        sum = image_checksum(ByteView(&out[at], get_le32(&out[at - 4])), sum);
    out.resize(out.size() + kPadding, 0);
    out.push_back(sum);
    const auto digest = sha256(out);
    out.insert(out.end(), digest.begin(), digest.end());
    if (out.size() != opts.size)
        fail(ErrorKind::internal,
             "image synth: built " + std::to_string(out.size()) + " bytes instead of " + std::to_string(opts.size));
    return out;
}

} // namespace vesper::esp
