#pragma once
// SLIP framing as the ESP serial bootloader uses it: every packet is wrapped in 0xC0 and, inside,
// 0xC0 becomes DB DC and 0xDB becomes DB DD. Pure code: bytes in, frames out, no I/O.
#include <cstddef>
#include <cstdint>
#include <deque>
#include <optional>
#include <string>
#include <vector>

#include "vesper/core/bytes.hpp"

namespace vesper::esp {

inline constexpr std::uint8_t kSlipEnd = 0xC0;
inline constexpr std::uint8_t kSlipEsc = 0xDB;
inline constexpr std::uint8_t kSlipEscEnd = 0xDC;
inline constexpr std::uint8_t kSlipEscEsc = 0xDD;

// Largest decoded frame the protocol can describe: 8-byte header + data whose size is a u16.
inline constexpr std::size_t kSlipDefaultMaxFrame = 8 + 0xFFFF;

// Wraps `packet` in delimiters and escapes it. Lengths and checksums must be computed before this.
Bytes slip_encode(ByteView packet);
// Same, appended to `out` (to batch several frames into one write).
void slip_encode_append(ByteView packet, Bytes& out);

// Something that went wrong while decoding; the frame it happened in is dropped.
struct SlipFault {
    enum class Kind {
        invalid_escape, // DB followed by a byte other than DC/DD
        oversized,      // frame grew past the size guard before its closing C0
    };
    Kind kind;
    std::uint64_t offset; // position in the whole input stream of the offending byte
    std::string message;  // says what, where and why
};

// Incremental decoder. Feed it bytes in whatever chunks the transport delivers; complete frames are
// queued in order. Bytes seen outside any frame (boot log text before the first C0, or the body of a
// frame dropped as oversized) are kept as "noise" so the caller can show or triage them. Every C0 both
// closes the current frame and opens the next, so back-to-back frames may share a delimiter; empty
// frames (C0 C0, e.g. the dummy bytes after a baud change) are ignored.
class SlipDecoder {
public:
    explicit SlipDecoder(std::size_t max_frame = kSlipDefaultMaxFrame);

    void feed(ByteView chunk);

    bool has_frame() const noexcept { return !frames_.empty(); }
    std::size_t frame_count() const noexcept { return frames_.size(); }
    // Oldest complete frame, removed from the queue; nullopt when none is complete yet.
    std::optional<Bytes> pop_frame();

    // Noise accumulated so far (never cleared implicitly; capped at kMaxNoise bytes, oldest dropped).
    const Bytes& noise() const noexcept { return noise_; }
    Bytes take_noise();

    const std::vector<SlipFault>& faults() const noexcept { return faults_; }
    std::vector<SlipFault> take_faults();

    // Bytes of a frame not closed yet are pending.
    bool has_partial_frame() const noexcept {
        return !current_.empty() || state_ == State::escape || state_ == State::discarding;
    }
    // A delimiter has been seen since construction or the last resync(): bytes now go into frames
    // rather than into noise.
    bool synced() const noexcept { return state_ != State::hunting; }
    std::uint64_t bytes_fed() const noexcept { return offset_; }

    // Forgets any partial frame and goes back to hunting for a C0, e.g. after a reset or baud change.
    // Queued frames, noise and faults are kept.
    void resync();

    static constexpr std::size_t kMaxNoise = 64 * 1024;

private:
    enum class State { hunting, in_frame, escape, discarding };

    void close_frame();
    void oversized();
    void add_noise(ByteView bytes);
    void fault(SlipFault::Kind kind, const std::string& why);

    std::size_t max_frame_;
    State state_ = State::hunting;
    Bytes current_;
    std::deque<Bytes> frames_;
    Bytes noise_;
    std::vector<SlipFault> faults_;
    std::uint64_t offset_ = 0;
};

} // namespace vesper::esp
