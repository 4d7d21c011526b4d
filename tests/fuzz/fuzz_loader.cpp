// Bytes from a device, as the CLI's device commands take them: the ROM loader's whole connect (SYNC,
// chip detection, MAC, baud change, flash attach and JEDEC probe), then MD5, read-back, erase, a write
// and the exit, over a transport whose replies are the fuzz input. When the input runs out the
// transport reports the link as gone (Error(device)), so no step waits out a real timeout.
// Input: chunk byte + stream (fuzz_support.hpp).
#include <optional>

#include "fuzz_support.hpp"
#include "vesper/port/reset.hpp"
#include "vesper/rom/loader.hpp"
#include "vesper/rom/packet.hpp"
#include "vesper/rom/slip.hpp"

using namespace vesper;

namespace {

class FuzzTransport : public esp::Transport {
public:
    FuzzTransport(const std::uint8_t* data, std::size_t size) : chunks_(data, size) {}
    const std::string& name() const override { return name_; }
    void write(ByteView) override {}
    std::size_t read(std::uint8_t* buf, std::size_t cap, std::chrono::milliseconds) override {
        if (chunks_.done()) fail(ErrorKind::device, name_ + ": end of fuzz input");
        const ByteView c = chunks_.next();
        const std::size_t n = std::min(cap, c.size());
        std::copy_n(c.data(), n, buf);
        return n;
    }
    void flush_input() override {}
    void set_baud(std::uint32_t baud) override { baud_ = baud; }
    std::uint32_t baud() const override { return baud_; }
    void set_lines(std::optional<bool>, std::optional<bool>) override {}
    bool has_control_lines() const override { return false; }

private:
    fuzz::Chunks chunks_;
    std::string name_ = "fuzz://board";
    std::uint32_t baud_ = esp::kRomBaud;
};

// A start for the fuzzer: an ESP32 ROM answering SYNC eight times, refusing GET_SECURITY_INFO and
// reading its magic word.
void write_seeds() {
    Bytes stream{0x3F}; // chunk byte: 64-byte reads
    auto reply = [&](esp::Command op, std::uint32_t value, std::uint8_t status, std::uint8_t error) {
        esp::slip_encode_append(esp::encode_response(static_cast<std::uint8_t>(op), value, {}, status, error, 4),
                                stream);
    };
    for (int i = 0; i < esp::kRomSyncReplies; ++i)
        reply(esp::Command::sync, 0, 0, 0);
    reply(esp::Command::sync, 0, 1, 0x05); // the ROM's "unsupported" answer to GET_SECURITY_INFO
    for (int i = 0; i < 2; ++i)
        reply(esp::Command::read_reg, 0x00F01D83, 0, 0); // ESP32 magic, read twice
    fuzz::write_seed("esp32-connect.bin", stream);
}

} // namespace

VESPER_FUZZ_INIT(int*, char***) {
    if (fuzz::seed_dir().empty()) return 0;
    write_seeds();
    std::exit(0);
}

VESPER_FUZZ_TARGET(fuzz_loader)(const std::uint8_t* data, std::size_t size) {
    // The chunk byte's top bits pick how the work ends (fuzz_support.hpp uses its low 6 bits). Not
    // watchdog-reset: it waits 500 ms for the chip to reset, which would only slow the fuzzer down.
    constexpr esp::AfterFlash kAfter[] = {esp::AfterFlash::hard_reset, esp::AfterFlash::soft_reset,
                                          esp::AfterFlash::stay, esp::AfterFlash::hard_reset};
    const esp::AfterFlash after = kAfter[size ? data[0] >> 6 : 0];
    FuzzTransport transport(data, size);
    esp::Loader loader(transport);
    fuzz::expect_errors([&] {
        esp::ConnectOptions options;
        options.before = esp::BeforeConnect::no_reset;
        options.after = after;
        options.attempts = 1;
        options.syncs_per_attempt = 2;
        options.baud = 460800;
        loader.connect(options);
        fuzz::expect_errors([&] { (void)loader.flash_md5(0x10000, 0x1000); });
        fuzz::expect_errors([&] { (void)loader.read_flash(0x1000, 128); });
        fuzz::expect_errors([&] { loader.erase(0x9000, 0x1000); });
        fuzz::expect_errors([&] {
            loader.begin_write(0x10000, 16, 1, false);
            const Bytes block(16, 0xAB);
            (void)loader.write_block(block, 0, false, 16);
        });
        loader.leave(after);
    });
    return 0;
}
