#include "vesper/rom/connection.hpp"

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <limits>

#include "vesper/core/error.hpp"

namespace vesper::esp {

namespace {

using Clock = std::chrono::steady_clock;

// ROM error "received message is invalid": also what an unsupported command gets.
constexpr std::uint8_t kRomErrorInvalidMessage = 0x05;

std::string seconds_text(Millis ms) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.1f s", static_cast<double>(ms.count()) / 1000.0);
    return buf;
}

} // namespace

std::size_t infer_status_len(std::size_t size, std::size_t expected_data) {
    if (size >= expected_data) {
        const std::size_t rest = size - expected_data;
        if (rest == 2 || rest == 4) return rest;
    }
    if (size == 2 || size == 4) return size;
    return 0;
}

Connection::Connection(Transport& transport) : transport_(transport) {}

void Connection::set_status_len(std::size_t n) {
    if (n != 0 && n != 2 && n != 4) fail(ErrorKind::internal, "status length must be 2 or 4, got " + std::to_string(n));
    status_len_ = n;
}

namespace {

[[noreturn]] void link_lost(const Error& e, Command op, std::string_view context, const char* doing) {
    const std::string what = context.empty() ? command_name(op) : std::string(context);
    fail(e, std::string(e.what()) + " (" + doing + " " + what + ")");
}

} // namespace

void Connection::send(const Request& request, std::string_view context) {
    replies_to_previous_ = replies_to_last_;
    replies_to_last_ = 0;
    try {
        transport_.write(frame_request(request));
    } catch (const Error& e) {
        link_lost(e, request.op, context, "sending");
    }
}

std::size_t Connection::read_some(Millis timeout) {
    std::uint8_t buf[4096];
    const std::size_t n = transport_.read(buf, sizeof buf, timeout);
    if (n == 0) return 0;
    received_.insert(received_.end(), buf, buf + n);
    if (received_.size() > kMaxReceived)
        received_.erase(received_.begin(),
                        received_.begin() + static_cast<std::ptrdiff_t>(received_.size() - kMaxReceived));
    decoder_.feed(ByteView(buf, n));
    return n;
}

Connection::Exchange Connection::wait_reply(Command op, Millis timeout, std::size_t expected_data,
                                            std::string_view context) {
    Exchange ex;
    const auto deadline = Clock::now() + timeout;
    auto last_byte = Clock::now();
    std::string last_skip;
    // Evidence that bytes were damaged on the line: a SLIP escape error, a frame that no loader sends
    // (wrong direction byte, size field not matching the frame), or a frame left open. If the reply
    // does not follow shortly after such evidence, it was most likely the damaged frame: say so at
    // once rather than wait out the full timeout (the caller resends; a late real reply is skipped).
    std::string damage;
    decoder_.take_faults();
    for (;;) {
        while (auto frame = decoder_.pop_frame()) {
            const Bytes& f = *frame;
            // Our own checks first, so the status length can be inferred before decoding.
            if (f.size() >= kPacketHeaderSize + 2 && f[0] == kDirectionResponse &&
                f[1] != static_cast<std::uint8_t>(op) && f[kPacketHeaderSize] != 0 &&
                f[kPacketHeaderSize + 1] == kRomErrorInvalidMessage) {
                // The ROM answers an opcode it lacks with an error under the previous reply's opcode,
                // as often as that reply was sent: take the first, drop the rest.
                ex.outcome = Outcome::reply;
                ex.unsupported = true;
                ex.response.op = f[1];
                ex.response.value = get_le32(f.data() + 4);
                ex.response.status = f[kPacketHeaderSize];
                ex.response.error = f[kPacketHeaderSize + 1];
                ex.detail = command_name(op) + " is not supported by this loader";
                ex.repeats = replies_to_previous_;
                ++replies_to_last_;
                return ex;
            }
            if (f.size() < kPacketHeaderSize || f[0] != kDirectionResponse || f[1] != static_cast<std::uint8_t>(op)) {
                std::string reason;
                if (f.size() >= 2 && status_len_ != 0) match_frame(f, op, status_len_, reason);
                last_skip = reason.empty() ? "a frame that does not answer " + command_name(op) : reason;
                const bool well_formed = f.size() >= kPacketHeaderSize && f[0] == kDirectionResponse &&
                                         get_le16(f.data() + 2) == f.size() - kPacketHeaderSize;
                if (!well_formed) damage = "a damaged frame: " + last_skip;
                continue;
            }
            const std::size_t size = get_le16(f.data() + 2);
            const std::size_t sl = status_len_ != 0 ? status_len_ : infer_status_len(size, expected_data);
            std::string problem;
            std::optional<Response> r;
            if (sl == 0)
                problem = "reply of " + std::to_string(size) + " data bytes fits no known status length";
            else
                r = try_decode_response(f, sl, problem);
            if (!r) {
                ex.outcome = Outcome::malformed;
                ex.detail = problem;
                return ex;
            }
            ex.outcome = Outcome::reply;
            ex.response = std::move(*r);
            ex.status_len = sl;
            ++replies_to_last_;
            return ex;
        }
        if (auto faults = decoder_.take_faults(); !faults.empty()) damage = "SLIP: " + faults.back().message;
        const auto now = Clock::now();
        if (now >= deadline) break;
        const bool stalled_frame = decoder_.synced() && decoder_.has_partial_frame();
        if ((!damage.empty() || stalled_frame) && now - last_byte >= kDamageGrace) {
            ex.outcome = Outcome::malformed;
            ex.detail = damage.empty() ? "a reply frame was left unfinished (its end was damaged or lost)"
                                       : "reply damaged on the line (" + damage + ")";
            decoder_.resync();
            return ex;
        }
        auto wait = std::chrono::duration_cast<Millis>(deadline - now) + Millis(1);
        if (!damage.empty() || stalled_frame) wait = std::min(wait, kDamageGrace);
        try {
            if (read_some(wait) > 0) last_byte = Clock::now();
        } catch (const Error& e) {
            link_lost(e, op, context, "waiting for the reply to");
        }
    }
    ex.outcome = Outcome::timeout;
    ex.detail = last_skip.empty() ? "" : "last frame seen: " + last_skip;
    return ex;
}

Connection::Exchange Connection::exchange(const Request& request, Millis timeout, std::size_t expected_data,
                                          std::string_view context) {
    send(request, context);
    Exchange ex = wait_reply(request.op, timeout, expected_data, context);
    if (ex.unsupported && ex.repeats > 0)
        drain_frames(ex.repeats - 1, kErrorDrainTime);
    else if ((ex.outcome == Outcome::reply && !ex.response.ok()) || ex.outcome == Outcome::malformed)
        drain(kErrorDrainTime);
    return ex;
}

std::string Connection::describe_failure(const Exchange& ex, std::string_view context, Millis timeout) const {
    switch (ex.outcome) {
    case Outcome::reply:
        if (ex.unsupported)
            return port() + ": " + std::string(context) + " failed: the loader does not support this command (" +
                   failure_message(ex.response, "reply").substr(std::string("reply failed: ").size()) + ")";
        return port() + ": " + failure_message(ex.response, context);
    case Outcome::malformed: return port() + ": " + std::string(context) + " failed: broken reply (" + ex.detail + ")";
    case Outcome::timeout:
        return port() + ": " + std::string(context) + " failed: no reply within " + seconds_text(timeout) +
               (ex.detail.empty() ? "" : " (" + ex.detail + ")");
    }
    return port() + ": " + std::string(context) + " failed";
}

Error Connection::failure_error(const Exchange& ex, const std::string& message) {
    switch (ex.outcome) {
    case Outcome::timeout: return Error(ErrorCode::esp_timeout, message);
    case Outcome::malformed: return Error(ErrorCode::esp_bad_reply, message);
    case Outcome::reply: break;
    }
    Error e(ErrorCode::esp_rom_error, message);
    e.with_rom_status(ex.response.error);
    return e;
}

Response Connection::command(const Request& request, Millis timeout, std::string_view context,
                             std::size_t expected_data) {
    Exchange ex = exchange(request, timeout, expected_data, context);
    if (ex.outcome != Outcome::reply || !ex.response.ok())
        throw failure_error(ex, describe_failure(ex, context, timeout));
    return std::move(ex.response);
}

void Connection::drain(Millis duration) { drain_frames(std::numeric_limits<std::size_t>::max(), duration); }

std::size_t Connection::drain_frames(std::size_t frames, Millis duration) {
    std::size_t dropped = 0;
    const auto pop_all = [&] {
        while (dropped < frames && decoder_.pop_frame())
            ++dropped;
    };
    const auto deadline = Clock::now() + duration;
    for (pop_all(); dropped < frames; pop_all()) {
        const auto now = Clock::now();
        if (now >= deadline) break;
        const Millis left = std::chrono::duration_cast<Millis>(deadline - now) + Millis(1);
        if (read_some(std::min(left, kDrainQuietTime)) == 0) break;
    }
    replies_to_last_ += dropped;
    return dropped;
}

std::size_t Connection::drain_sync_replies() {
    constexpr auto extra = static_cast<std::size_t>(kRomSyncReplies - 1);
    const std::size_t got = drain_frames(extra, Millis(50));
    if (got < extra) replies_to_last_ = 0; // not known
    return got;
}

void Connection::take_pending() {
    // Bounded: a board streaming output must not keep us here.
    for (int i = 0; i < 64 && read_some(Millis(0)) > 0; ++i) {
    }
    while (decoder_.pop_frame()) {
    }
    decoder_.resync();
}

void Connection::discard_input() {
    transport_.flush_input();
    while (decoder_.pop_frame()) {
    }
    decoder_.resync();
}

} // namespace vesper::esp
