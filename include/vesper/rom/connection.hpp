#pragma once
// One conversation with a bootloader over a Transport: send a request, wait for the reply that answers
// it. Replies are SLIP-decoded and matched by opcode; unrelated frames (the ROM's extra SYNC replies,
// duplicate error replies, junk) are skipped. After a failure reply the line is drained for a moment,
// because the ROM may answer an unsupported command more than once (docs/esp-rom-notes.md 2.3).
// Everything received is also kept raw (capped) so a failed connect can read the boot log.
#include <cstddef>
#include <string>
#include <string_view>

#include "vesper/core/bytes.hpp"
#include "vesper/core/error.hpp"
#include "vesper/rom/command.hpp"
#include "vesper/rom/packet.hpp"
#include "vesper/rom/slip.hpp"
#include "vesper/rom/timeouts.hpp"
#include "vesper/port/transport.hpp"

namespace vesper::esp {

// Status bytes of a reply whose size field is `size` when `expected_data` bytes of payload are
// expected: 2 or 4 when that fits (ROMs send 4, the ESP8266 ROM and stubs 2), else a bare status reply
// (a failure carries no payload) of 2 or 4; 0 when the size fits neither.
std::size_t infer_status_len(std::size_t size, std::size_t expected_data);

class Connection {
public:
    explicit Connection(Transport& transport);

    Transport& transport() noexcept { return transport_; }
    const std::string& port() const { return transport_.name(); }

    // Status length of the loader on the other end (2 or 4); 0 = not known yet, inferred per reply.
    void set_status_len(std::size_t n);
    std::size_t status_len() const noexcept { return status_len_; }

    enum class Outcome {
        reply,     // a reply to the command arrived (check response.ok())
        timeout,   // none arrived in time
        malformed, // a frame answering the command arrived broken (corrupted on the line)
    };
    struct Exchange {
        Outcome outcome = Outcome::timeout;
        Response response;
        std::string detail;         // why it timed out or what was malformed, for messages
        std::size_t status_len = 0; // status length the reply was decoded with
        // The ROM's answer to a command it does not implement: an error reply (0x05) that repeats the
        // previous reply's opcode. response then holds that failure.
        bool unsupported = false;
        // How many times the ROM sends that answer: as often as it sent its reply to the previous
        // command (8 right after SYNC). 0 = not known (see forget_reply_count). Set with `unsupported`.
        std::size_t repeats = 0;
    };

    // Link loss (the transport throwing) is rethrown with `context` (or the opcode's name) added, so the
    // message says which command the board vanished during.
    void send(const Request& request, std::string_view context = {});
    // Waits for the reply to `op`, or for the ROM's "unsupported command" answer (a failure reply with
    // error 0x05 under another opcode, as esptool reads it). Throws Error(device) only when the link
    // itself is gone.
    Exchange wait_reply(Command op, Millis timeout, std::size_t expected_data = 0, std::string_view context = {});
    // send + wait_reply; a failure reply is followed by a drain of kErrorDrainTime (for an unsupported
    // command whose repeats are known: until they have come).
    Exchange exchange(const Request& request, Millis timeout, std::size_t expected_data = 0,
                      std::string_view context = {});

    // exchange, and anything but a successful reply throws Error(device) naming the port, `context`
    // (e.g. "FLASH_DATA block 5 at 0x10400") and the ROM's error in words.
    Response command(const Request& request, Millis timeout, std::string_view context, std::size_t expected_data = 0);

    // Reads and drops input (frames included) until the line has been quiet for kDrainQuietTime, or `duration`
    // has passed: the extra replies a ROM sends come back to back, so waiting out the whole duration
    // on a quiet line only costs time.
    void drain(Millis duration);
    // Like drain(), but also done once `frames` whole frames have been dropped: for replies whose number
    // is known (the ROM's extra SYNC replies, the repeats of an unsupported-command answer), so a
    // well-behaved board costs no quiet period. Returns the frames dropped; they count as replies to
    // the last command sent.
    std::size_t drain_frames(std::size_t frames, Millis duration);
    // After the first reply to a SYNC: reads and drops the ROM's other kRomSyncReplies - 1 replies, and
    // returns how many came. An unsupported command's answer later repeats as often as the ROM sent
    // its SYNC reply; fewer than 8 seen may mean some were lost on the line, so then that count is not
    // trusted and the answer's repeats are drained until quiet instead.
    std::size_t drain_sync_replies();
    // Drops whatever is buffered, here and in the transport, and resyncs the SLIP decoder.
    void discard_input();
    // Like discard_input(), but what has already arrived (a boot log after a reset) is read into
    // received() first instead of being thrown away unseen.
    void take_pending();

    // Raw bytes received since the last clear_received(), newest kept when over kMaxReceived.
    const Bytes& received() const noexcept { return received_; }
    void clear_received() { received_.clear(); }
    static constexpr std::size_t kMaxReceived = 16 * 1024;
    // How long the line may stay quiet after damaged bytes before the reply is taken as lost in them.
    static constexpr Millis kDamageGrace{100};

    // Turns a non-reply exchange or a failure reply into the error message command() throws.
    std::string describe_failure(const Exchange& ex, std::string_view context, Millis timeout) const;
    // The error for a failed exchange, with `message` (usually describe_failure's): esp.timeout when no
    // reply came, esp.bad_reply when it came broken, esp.rom_error with the reply's error byte as its
    // ROM status when the loader answered with a failure.
    static Error failure_error(const Exchange& ex, const std::string& message);

private:
    std::size_t read_some(Millis timeout);

    Transport& transport_;
    SlipDecoder decoder_;
    std::size_t status_len_ = 0;
    Bytes received_;
    // Replies taken for the last command sent and for the one before it (see Exchange::repeats);
    // 0 = not known.
    std::size_t replies_to_last_ = 0;
    std::size_t replies_to_previous_ = 0;
};

} // namespace vesper::esp
