// Connection: how the extra replies a ROM sends are drained. Against a scripted transport: each write
// queues the replies the "board" sends to it, and a read finding nothing queued counts as a quiet wait
// (what a real line would spend kDrainQuietTime on).
#include <catch2/catch.hpp>

#include <deque>
#include <vector>

#include "vesper/port/transport.hpp"
#include "vesper/rom/command.hpp"
#include "vesper/rom/connection.hpp"
#include "vesper/rom/packet.hpp"
#include "vesper/rom/slip.hpp"

using namespace vesper;
using namespace vesper::esp;

namespace {

constexpr std::uint8_t kInvalidMessage = 0x05;

Bytes reply(Command op, std::uint32_t value, std::uint8_t status = 0, std::uint8_t error = 0) {
    return slip_encode(encode_response(static_cast<std::uint8_t>(op), value, {}, status, error, 4));
}

// Replies for the n-th write, as the chunks a read returns (several frames may share one chunk).
using Script = std::vector<std::vector<Bytes>>;

class ScriptedTransport : public Transport {
public:
    explicit ScriptedTransport(Script script) : script_(std::move(script)) {}

    const std::string& name() const override { return name_; }
    void write(ByteView) override {
        if (writes_ < script_.size())
            for (Bytes& chunk : script_[writes_])
                pending_.push_back(std::move(chunk));
        ++writes_;
    }
    std::size_t read(std::uint8_t* buf, std::size_t cap, std::chrono::milliseconds timeout) override {
        if (pending_.empty()) {
            if (timeout.count() > 0) ++quiet_waits;
            return 0;
        }
        Bytes chunk = std::move(pending_.front());
        pending_.pop_front();
        REQUIRE(chunk.size() <= cap);
        std::copy(chunk.begin(), chunk.end(), buf);
        return chunk.size();
    }
    void flush_input() override { pending_.clear(); }
    void set_baud(std::uint32_t b) override { baud_ = b; }
    std::uint32_t baud() const override { return baud_; }
    void set_lines(std::optional<bool>, std::optional<bool>) override {}
    bool has_control_lines() const override { return false; }

    int quiet_waits = 0;

private:
    std::string name_ = "scripted";
    Script script_;
    std::size_t writes_ = 0;
    std::deque<Bytes> pending_;
    std::uint32_t baud_ = 115200;
};

// n copies of a frame, split into chunks of `per_chunk` frames.
std::vector<Bytes> repeated(const Bytes& frame, int n, int per_chunk) {
    std::vector<Bytes> chunks;
    for (int i = 0; i < n; ++i) {
        if (i % per_chunk == 0) chunks.emplace_back();
        chunks.back().insert(chunks.back().end(), frame.begin(), frame.end());
    }
    return chunks;
}

} // namespace

TEST_CASE("connection: a ROM's 8 SYNC replies and 8 unsupported-command answers end without a quiet wait",
          "[esp][connection]") {
    const Bytes sync_ok = reply(Command::sync, 0x20120707);
    // The ESP32 ROM lacks GET_SECURITY_INFO: it repeats its previous (SYNC) header with error 0x05.
    const Bytes unsupported = reply(Command::sync, 0x20120707, 1, kInvalidMessage);
    ScriptedTransport t({repeated(sync_ok, 8, 3), repeated(unsupported, 8, 5), {reply(Command::read_reg, 0x00f01d83)}});
    Connection conn(t);
    conn.set_status_len(4);

    conn.send(sync_request());
    const auto first = conn.wait_reply(Command::sync, kSyncTimeout);
    REQUIRE(first.outcome == Connection::Outcome::reply);
    CHECK(conn.drain_sync_replies() == 7);

    const auto sec = conn.exchange(get_security_info_request(), kDefaultTimeout, 20);
    CHECK(sec.unsupported);
    CHECK(sec.repeats == 8);

    // Had any repeat been left over, this READ_REG would be taken as unsupported too.
    const auto magic = conn.exchange(read_reg_request(0x40001000), kDefaultTimeout);
    REQUIRE(magic.outcome == Connection::Outcome::reply);
    CHECK_FALSE(magic.unsupported);
    CHECK(magic.response.value == 0x00f01d83);
    CHECK(t.quiet_waits == 0);
}

TEST_CASE("connection: SYNC replies lost on the line make the unsupported answer's repeats unknown",
          "[esp][connection]") {
    // Fewer than 7 extra SYNC replies means some may have been lost, while the ROM repeats its next
    // unsupported answer as often as it *sent* the SYNC reply.
    const Bytes sync_ok = reply(Command::sync, 0x20120707);
    const Bytes unsupported = reply(Command::sync, 0x20120707, 1, kInvalidMessage);
    for (const int seen : {3, 7}) {
        DYNAMIC_SECTION(seen << " of 8 SYNC replies arrive") {
            // The ROM sent 8 of each; `seen` SYNC replies survive the line, all 8 errors do.
            ScriptedTransport t(
                {repeated(sync_ok, seen, 2), repeated(unsupported, 8, 3), {reply(Command::read_reg, 7)}});
            Connection conn(t);
            conn.set_status_len(4);
            conn.send(sync_request());
            REQUIRE(conn.wait_reply(Command::sync, kSyncTimeout).outcome == Connection::Outcome::reply);
            CHECK(conn.drain_sync_replies() == static_cast<std::size_t>(seen - 1));
            CHECK(t.quiet_waits == 1);

            const auto sec = conn.exchange(get_security_info_request(), kDefaultTimeout, 20);
            CHECK(sec.unsupported);
            CHECK(sec.repeats == 0); // not known: drained until quiet instead
            CHECK(t.quiet_waits == 2);
            // Counting 7 or 3 would have left error frames behind, and this READ_REG would be taken as
            // unsupported.
            const auto reg = conn.exchange(read_reg_request(0x40001000), kDefaultTimeout);
            REQUIRE(reg.outcome == Connection::Outcome::reply);
            CHECK_FALSE(reg.unsupported);
            CHECK(reg.response.value == 7);
        }
    }
}

TEST_CASE("connection: after a plain failure reply the line is drained until quiet", "[esp][connection]") {
    // A failure whose repeats are not known in advance: everything that follows it is dropped.
    const Bytes failed = reply(Command::read_reg, 0, 1, 0x07);
    ScriptedTransport t({repeated(failed, 2, 1), {reply(Command::read_reg, 9)}});
    Connection conn(t);
    conn.set_status_len(4);
    const auto ex = conn.exchange(read_reg_request(0x40001000), kDefaultTimeout);
    REQUIRE(ex.outcome == Connection::Outcome::reply);
    CHECK_FALSE(ex.response.ok());
    CHECK_FALSE(ex.unsupported);
    CHECK(t.quiet_waits == 1);
    const auto again = conn.exchange(read_reg_request(0x40001000), kDefaultTimeout);
    REQUIRE(again.outcome == Connection::Outcome::reply);
    CHECK(again.response.value == 9);
}

TEST_CASE("connection: a failure reply is esp.rom_error carrying the ROM's status byte", "[esp][connection]") {
    ScriptedTransport t({{reply(Command::read_reg, 0, 1, 0x07)}});
    Connection conn(t);
    conn.set_status_len(4);
    try {
        conn.command(read_reg_request(0x40001000), Millis(200), "READ_REG 0x40001000");
        FAIL("a failure reply was taken as success");
    } catch (const Error& e) {
        CHECK(e.code() == ErrorCode::esp_rom_error);
        CHECK(e.kind() == ErrorKind::device);
        CHECK(e.rom_status() == std::uint8_t{0x07});
        CHECK_THAT(e.what(), Catch::Contains("READ_REG 0x40001000") && Catch::Contains("0x07"));
    }
}

TEST_CASE("connection: no reply is esp.timeout, a broken one esp.bad_reply, neither with a ROM status",
          "[esp][connection]") {
    ScriptedTransport t(Script{});
    Connection conn(t);
    conn.set_status_len(4);
    const Error silent = [&] {
        try {
            conn.command(read_reg_request(0x40001000), Millis(50), "READ_REG 0x40001000");
        } catch (const Error& e) {
            return e;
        }
        FAIL("no reply was taken as success");
        return Error(ErrorKind::internal, "unreachable");
    }();
    CHECK(silent.code() == ErrorCode::esp_timeout);
    CHECK_FALSE(silent.rom_status());
    CHECK_THAT(silent.what(), Catch::Contains("no reply within"));

    Connection::Exchange broken;
    broken.outcome = Connection::Outcome::malformed;
    const Error bad = Connection::failure_error(broken, "scripted: READ_REG failed: broken reply");
    CHECK(bad.code() == ErrorCode::esp_bad_reply);
    CHECK(bad.kind() == ErrorKind::device);
    CHECK_FALSE(bad.rom_status());
}
