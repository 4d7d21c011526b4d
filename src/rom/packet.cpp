#include "vesper/rom/packet.hpp"

#include "vesper/core/error.hpp"
#include "vesper/rom/rom_error.hpp"
#include "vesper/rom/slip.hpp"

namespace vesper::esp {

namespace {

std::string hex8(std::uint8_t v) { return hex_u(v, 2); }

void check_status_len(std::size_t status_len) {
    if (status_len != 2 && status_len != 4)
        fail(ErrorKind::internal, "response status length must be 2 or 4, got " + std::to_string(status_len));
}

} // namespace

Bytes encode_request(const Request& request) {
    if (request.data.size() > 0xFFFF)
        fail(ErrorKind::input, command_name(request.op) + " request: " + std::to_string(request.data.size()) +
                                   " data bytes exceed the packet limit of 65535");
    Bytes out(kPacketHeaderSize);
    out[0] = kDirectionRequest;
    out[1] = static_cast<std::uint8_t>(request.op);
    put_le16(out.data() + 2, static_cast<std::uint16_t>(request.data.size()));
    put_le32(out.data() + 4, request.checksum);
    out.insert(out.end(), request.data.begin(), request.data.end());
    return out;
}

Bytes frame_request(const Request& request) { return slip_encode(encode_request(request)); }

Request decode_request(ByteView packet) {
    if (packet.size() < kPacketHeaderSize)
        fail(ErrorKind::input,
             "request packet of " + std::to_string(packet.size()) + " bytes is shorter than the 8-byte header");
    if (packet[0] != kDirectionRequest)
        fail(ErrorKind::input, "request packet has direction " + hex8(packet[0]) + ", expected 0x00");
    std::size_t size = get_le16(packet.data() + 2);
    if (size != packet.size() - kPacketHeaderSize)
        fail(ErrorKind::input, command_name(packet[1]) + " request: size field says " + std::to_string(size) +
                                   " data bytes but the packet carries " +
                                   std::to_string(packet.size() - kPacketHeaderSize));
    Request r;
    r.op = static_cast<Command>(packet[1]);
    r.checksum = get_le32(packet.data() + 4);
    r.data.assign(packet.begin() + kPacketHeaderSize, packet.end());
    return r;
}

std::optional<Response> try_decode_response(ByteView frame, std::size_t status_len, std::string& problem) {
    check_status_len(status_len);
    if (frame.size() < kPacketHeaderSize) {
        problem = "frame of " + std::to_string(frame.size()) + " bytes is shorter than the 8-byte header";
        return std::nullopt;
    }
    if (frame[0] != kDirectionResponse) {
        problem = "direction byte is " + hex8(frame[0]) + ", not 0x01 (response)";
        return std::nullopt;
    }
    std::string what = "response to " + command_name(frame[1]);
    std::size_t size = get_le16(frame.data() + 2);
    std::size_t carried = frame.size() - kPacketHeaderSize;
    if (size != carried) {
        problem = what + ": size field says " + std::to_string(size) + " data bytes but the frame carries " +
                  std::to_string(carried);
        return std::nullopt;
    }
    if (size < status_len) {
        problem = what + ": " + std::to_string(size) + " data bytes cannot hold the " + std::to_string(status_len) +
                  " status bytes";
        return std::nullopt;
    }
    Response r;
    r.op = frame[1];
    r.value = get_le32(frame.data() + 4);
    const std::uint8_t* data = frame.data() + kPacketHeaderSize;
    std::size_t status_at = size - status_len;
    r.data.assign(data, data + status_at);
    r.status = data[status_at];
    r.error = data[status_at + 1];
    return r;
}

Response decode_response(ByteView frame, std::size_t status_len) {
    std::string problem;
    auto r = try_decode_response(frame, status_len, problem);
    if (!r) fail(ErrorCode::esp_bad_reply, "malformed bootloader response: " + problem);
    return *r;
}

Bytes encode_response(std::uint8_t op, std::uint32_t value, ByteView data, std::uint8_t status, std::uint8_t error,
                      std::size_t status_len) {
    check_status_len(status_len);
    std::size_t size = data.size() + status_len;
    if (size > 0xFFFF)
        fail(ErrorKind::input, "response to " + command_name(op) + ": " + std::to_string(size) +
                                   " data bytes exceed the packet limit of 65535");
    Bytes out(kPacketHeaderSize);
    out[0] = kDirectionResponse;
    out[1] = op;
    put_le16(out.data() + 2, static_cast<std::uint16_t>(size));
    put_le32(out.data() + 4, value);
    out.insert(out.end(), data.begin(), data.end());
    out.push_back(status);
    out.push_back(error);
    out.resize(out.size() + status_len - 2, 0);
    return out;
}

std::string failure_message(const Response& response, std::string_view context) {
    std::string msg(context);
    msg += " failed: ";
    // A non-zero status with a zero code still is a failure; say so rather than print "error 0x00".
    if (response.error == 0 && response.status != 0)
        msg += "status " + hex8(response.status) + " with no error code";
    else
        msg += describe_error_code(response.error);
    return msg;
}

void check_response(const Response& response, std::string_view context) {
    if (!response.ok())
        throw Error(ErrorCode::esp_rom_error, failure_message(response, context)).with_rom_status(response.error);
}

std::optional<Response> match_frame(ByteView frame, Command sent, std::size_t status_len, std::string& skip_reason) {
    check_status_len(status_len);
    const auto op = static_cast<std::uint8_t>(sent);
    if (frame.size() < 2) {
        skip_reason = "frame of " + std::to_string(frame.size()) + " byte(s) is too short to be a response";
        return std::nullopt;
    }
    if (frame[0] != kDirectionResponse) {
        skip_reason = frame[0] == kDirectionRequest ? "a request (" + command_name(frame[1]) + "), not a response"
                                                    : "direction byte " + hex8(frame[0]) + " is not a response";
        return std::nullopt;
    }
    if (frame[1] != op) {
        skip_reason = "response to " + command_name(frame[1]) + ", not to " + command_name(sent);
        return std::nullopt;
    }
    std::string problem;
    auto r = try_decode_response(frame, status_len, problem);
    if (!r) fail(ErrorCode::esp_bad_reply, "malformed reply to " + command_name(sent) + ": " + problem);
    return r;
}

ResponseMatch match_response(std::span<const Bytes> frames, Command sent, std::size_t status_len) {
    ResponseMatch m;
    for (std::size_t i = 0; i < frames.size(); ++i) {
        std::string reason;
        auto r = match_frame(frames[i], sent, status_len, reason);
        if (r) {
            m.response = std::move(r);
            m.index = i;
            return m;
        }
        m.skipped.push_back({i, std::move(reason)});
    }
    return m;
}

} // namespace vesper::esp
