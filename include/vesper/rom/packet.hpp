#pragma once
// Packet layer of the bootloader protocol: a request is direction 0x00, opcode, u16 data size,
// u32 checksum, data; a response is direction 0x01, opcode, u16 size, u32 value, data ending in the
// status bytes. Pure code over unescaped frames (see slip.hpp for the framing).
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "vesper/core/bytes.hpp"
#include "vesper/rom/command.hpp"

namespace vesper::esp {

inline constexpr std::uint8_t kDirectionRequest = 0x00;
inline constexpr std::uint8_t kDirectionResponse = 0x01;
inline constexpr std::size_t kPacketHeaderSize = 8;

// Status bytes at the end of a response: 2 from the stub and the ESP8266 ROM, 4 from the other ROMs
// (of which only the first two mean anything).
inline constexpr std::size_t kStubStatusLen = 2;

// Header + data, not yet SLIP-framed. Throws Error(input) if the data exceeds the u16 size field.
Bytes encode_request(const Request& request);
// encode_request wrapped in SLIP, ready to write to the port.
Bytes frame_request(const Request& request);
// Inverse of encode_request, for the device simulator. Throws Error(input) naming what is wrong.
Request decode_request(ByteView packet);

struct Response {
    std::uint8_t op = 0;
    std::uint32_t value = 0; // READ_REG result; 0 for most commands
    Bytes data;              // payload before the status bytes
    std::uint8_t status = 0; // 0 success, non-zero failure
    std::uint8_t error = 0;  // error code when status is non-zero (see rom_error.hpp)

    bool ok() const noexcept { return status == 0; }
};

// Decodes an unescaped response frame. The status is read at `size - status_len`, where size is the
// header's size field, never guessed from the total length, so a short ROM failure reply cannot be
// mistaken for success. Throws Error(device) if the frame is not a well-formed response (wrong
// direction, shorter than the header, size field not matching the frame, size < status_len) and
// Error(internal) if status_len is not 2 or 4.
Response decode_response(ByteView frame, std::size_t status_len);
// Same without throwing for malformed frames: nullopt, and `problem` says why.
std::optional<Response> try_decode_response(ByteView frame, std::size_t status_len, std::string& problem);

// Builds a response frame (unescaped), for the device simulator and tests. With status_len 4 the two
// reserved bytes are sent as zero.
Bytes encode_response(std::uint8_t op, std::uint32_t value, ByteView data, std::uint8_t status, std::uint8_t error,
                      std::size_t status_len);

// "<context> failed: ROM error 0x07 (invalid checksum in message)"; context says what and where,
// e.g. "FLASH_DATA at 0x10400".
std::string failure_message(const Response& response, std::string_view context);
// Throws Error(device) with failure_message when the response reports a failure.
void check_response(const Response& response, std::string_view context);

// --- Matching a reply to the command that was sent. The loader may see other frames first: extra
// SYNC replies (the ROM answers one SYNC up to 8 times), duplicate error replies to an unsupported
// command, echoes, or junk. Those are skipped, with the reason kept for diagnostics.
struct SkippedFrame {
    std::size_t index;
    std::string reason;
};

struct ResponseMatch {
    std::optional<Response> response;  // the reply to the command, if one was among the frames
    std::size_t index = 0;             // its position in the frame list
    std::vector<SkippedFrame> skipped; // frames before it (or all frames if none matched)

    bool found() const noexcept { return response.has_value(); }
};

// One frame: the decoded reply if it answers `sent`, else nullopt and `skip_reason`. A frame with the
// response direction and the right opcode that cannot be decoded throws Error(device): that is the
// reply, and it is broken.
std::optional<Response> match_frame(ByteView frame, Command sent, std::size_t status_len, std::string& skip_reason);
// First frame in `frames` that answers `sent`; see match_frame.
ResponseMatch match_response(std::span<const Bytes> frames, Command sent, std::size_t status_len);

} // namespace vesper::esp
