// The real vesper-devsim binary on a free port, driven over TCP with our SLIP/packet code as a ROM
// client would: SYNC, registers, plain and compressed writes, MD5, READ_FLASH_SLOW, leaving the loader.
#include <catch2/catch.hpp>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>
#include <zlib.h>

#include <algorithm>
#include <chrono>
#include <string>
#include <thread>

#include "devsim_process.hpp"
#include "run_process.hpp"
#include "vesper/chip/chip.hpp"
#include "vesper/core/checksum.hpp"
#include "vesper/core/files.hpp"
#include "vesper/port/transport.hpp"
#include "vesper/rom/command.hpp"
#include "vesper/rom/loader.hpp"
#include "vesper/rom/packet.hpp"
#include "vesper/rom/slip.hpp"

using namespace vesper;
using namespace std::chrono_literals;

namespace {

using Clock = std::chrono::steady_clock;

// vesper-devsim running in the background; stopped (SIGTERM, then SIGKILL) when the object goes.
using Devsim = test::DevsimProcess;

// A ROM client over a plain TCP socket.
class RomClient {
public:
    RomClient(std::uint16_t port, std::size_t status_len) : status_len_(status_len) {
        fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
        REQUIRE(fd_ >= 0);
        sockaddr_in a{};
        a.sin_family = AF_INET;
        a.sin_port = htons(port);
        a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        REQUIRE(::connect(fd_, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0);
        const int one = 1;
        ::setsockopt(fd_, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    }
    ~RomClient() { ::close(fd_); }

    void send(const esp::Request& r) {
        const Bytes wire = esp::frame_request(r);
        REQUIRE(::send(fd_, wire.data(), wire.size(), MSG_NOSIGNAL) == static_cast<ssize_t>(wire.size()));
    }
    // Reads for up to `timeout`; returns false when nothing came.
    bool pump(std::chrono::milliseconds timeout) {
        pollfd p{fd_, POLLIN, 0};
        if (::poll(&p, 1, static_cast<int>(timeout.count())) <= 0) return false;
        std::uint8_t buf[8192];
        const ssize_t n = ::recv(fd_, buf, sizeof buf, 0);
        if (n <= 0) return false;
        raw_.insert(raw_.end(), buf, buf + n);
        dec_.feed(ByteView(buf, static_cast<std::size_t>(n)));
        return true;
    }
    // The reply to `op`, skipping other frames; fails the test after `timeout`.
    esp::Response reply(esp::Command op, std::chrono::milliseconds timeout = 3000ms) {
        const auto deadline = Clock::now() + timeout;
        for (;;) {
            while (auto f = dec_.pop_frame()) {
                std::string why;
                if (auto r = esp::match_frame(*f, op, status_len_, why)) return *r;
            }
            const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
            if (left <= 0ms) FAIL("no reply to " << esp::command_name(op));
            pump(left);
        }
    }
    esp::Response call(const esp::Request& r) {
        send(r);
        return reply(r.op);
    }
    esp::Response ok(const esp::Request& r) {
        const auto resp = call(r);
        INFO(esp::failure_message(resp, esp::command_name(r.op)));
        REQUIRE(resp.ok());
        return resp;
    }
    std::size_t frames_within(std::chrono::milliseconds window) {
        const auto deadline = Clock::now() + window;
        while (Clock::now() < deadline)
            pump(std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()));
        std::size_t n = 0;
        while (dec_.pop_frame())
            ++n;
        return n;
    }
    std::string text() const { return std::string(raw_.begin(), raw_.end()); }

private:
    int fd_ = -1;
    std::size_t status_len_;
    esp::SlipDecoder dec_;
    Bytes raw_;
};

Bytes pattern(std::size_t n, std::uint32_t seed) {
    Bytes b(n);
    for (auto& x : b) {
        seed = seed * 1664525u + 1013904223u;
        x = static_cast<std::uint8_t>(seed >> 24);
    }
    return b;
}

Bytes deflate(const Bytes& data) {
    uLongf len = compressBound(data.size());
    Bytes out(len);
    REQUIRE(compress2(out.data(), &len, data.data(), data.size(), 9) == Z_OK);
    out.resize(len);
    return out;
}

} // namespace

TEST_CASE("devsim speaks the ROM protocol over TCP", "[integration][devsim]") {
    for (const char* chip_name : {"esp32", "esp32s3", "esp32c3"}) {
        DYNAMIC_SECTION(chip_name) {
            const esp::ChipInfo& chip = esp::chip_by_name(chip_name);
            test::TempDir dir;
            const auto flash_file = dir / "flash.bin";
            Devsim sim({"--chip", chip_name, "--port", "0", "--mac", "24:0a:c4:12:34:56", "--flash",
                        flash_file.string(), "--flash-size", "4MB", "--quiet"});
            CHECK(sim.stdout_text().find(std::string("devsim: ") + chip_name + " MAC 24:0a:c4:12:34:56") !=
                  std::string::npos);
            RomClient rom(sim.port(), chip.rom_status_len);

            // SYNC: eight replies.
            rom.send(esp::sync_request());
            CHECK(rom.reply(esp::Command::sync).value != 0);
            CHECK(rom.frames_within(300ms) == 7);

            // Chip and MAC from registers.
            CHECK(rom.ok(esp::read_reg_request(esp::kChipDetectMagicAddr)).value == chip.magic_values.front());
            std::vector<std::uint32_t> words;
            for (std::uint32_t a : chip.mac.addresses())
                words.push_back(rom.ok(esp::read_reg_request(a)).value);
            CHECK(esp::format_mac(esp::extract_mac(chip, words)) == "24:0a:c4:12:34:56");

            rom.ok(esp::spi_attach_request(0, esp::LoaderKind::rom));
            const auto w5 = chip.flash_begin_encrypted_word ? esp::EncryptedWord::plain : esp::EncryptedWord::omit;

            // Plain write: 3 KiB + a bit in 1 KiB blocks, the last one padded.
            const Bytes plain = pattern(0xC80, 11);
            rom.ok(esp::flash_begin_request({0x1000, 4, 0x400, 0x10000}, w5));
            for (std::uint32_t seq = 0; seq < 4; ++seq) {
                const std::size_t at = seq * 0x400;
                rom.ok(esp::flash_data_request(
                    ByteView(plain).subspan(at, std::min<std::size_t>(0x400, plain.size() - at)), seq, 0x400));
            }

            // Compressed write: 100 KiB.
            const Bytes big = pattern(100 * 1024, 5);
            const Bytes z = deflate(big);
            const auto blocks = static_cast<std::uint32_t>((z.size() + 0x3FF) / 0x400);
            rom.ok(esp::flash_defl_begin_request(
                {esp::deflate_begin_size(static_cast<std::uint32_t>(big.size()), 0x400, false), blocks, 0x400, 0x20000},
                w5));
            for (std::uint32_t seq = 0; seq < blocks; ++seq) {
                const std::size_t at = seq * 0x400;
                rom.ok(esp::flash_defl_data_request(
                    ByteView(z).subspan(at, std::min<std::size_t>(0x400, z.size() - at)), seq));
            }

            // MD5 in the ROM's 32-hex-digit form, for both regions.
            const auto md5_plain =
                rom.ok(esp::spi_flash_md5_request(0x10000, static_cast<std::uint32_t>(plain.size())));
            CHECK(md5_plain.data.size() == 32);
            CHECK(esp::parse_md5_reply(md5_plain.data) == md5(plain));
            const auto md5_big = rom.ok(esp::spi_flash_md5_request(0x20000, static_cast<std::uint32_t>(big.size())));
            CHECK(std::string(md5_big.data.begin(), md5_big.data.end()) == to_hex(md5(big)));

            // READ_FLASH_SLOW: 64 bytes per command.
            Bytes back;
            for (std::uint32_t at = 0; at < 256; at += 64) {
                const Bytes part = rom.ok(esp::read_flash_slow_request(0x20000 + at, 64)).data;
                back.insert(back.end(), part.begin(), part.end());
            }
            CHECK(back == Bytes(big.begin(), big.begin() + 256));

            // The flash file holds the bytes.
            const Bytes file = read_file(flash_file);
            REQUIRE(file.size() == 4u * 1024 * 1024);
            CHECK(Bytes(file.begin() + 0x10000, file.begin() + 0x10000 + static_cast<std::ptrdiff_t>(plain.size())) ==
                  plain);
            CHECK(file[0x10000 + plain.size()] == 0xFF);
            CHECK(Bytes(file.begin() + 0x20000, file.begin() + 0x20000 + static_cast<std::ptrdiff_t>(big.size())) ==
                  big);

            // FLASH_END (run user code): the reply, then the 2nd stage bootloader's log, which finds no app
            // image in what was written (test data, not an app); the loader is gone.
            rom.ok(esp::flash_end_request(esp::FlashEndAction::run_user_code));
            rom.frames_within(300ms);
            CHECK(rom.text().find("boot: No bootable app partitions in the partition table") != std::string::npos);
            rom.send(esp::sync_request());
            CHECK(rom.frames_within(300ms) == 0);

            CHECK(sim.stop() == 0);
        }
    }
}

TEST_CASE("devsim ESP8266: 2 status bytes, no MD5, erase-size quirk", "[integration][devsim]") {
    const esp::ChipInfo& chip = esp::chip_info(esp::Chip::esp8266);
    test::TempDir dir;
    Devsim sim({"--chip", "esp8266", "--port", "0", "--mac", "18:fe:34:aa:bb:cc", "--flash", (dir / "f.bin").string(),
                "--flash-size", "1MB", "--quiet"});
    RomClient rom(sim.port(), 2);
    rom.send(esp::sync_request());
    rom.reply(esp::Command::sync);
    rom.frames_within(200ms);
    std::vector<std::uint32_t> words;
    for (std::uint32_t a : chip.mac.addresses())
        words.push_back(rom.ok(esp::read_reg_request(a)).value);
    CHECK(esp::format_mac(esp::extract_mac(chip, words)) == "18:fe:34:aa:bb:cc");

    // MD5 is not in this ROM: the error comes back under another opcode.
    rom.send(esp::spi_flash_md5_request(0, 0x1000));
    CHECK(rom.frames_within(300ms) == 1);

    const Bytes data = pattern(0x2000, 3);
    rom.ok(esp::flash_begin_request({esp::rom_erase_size(chip, 0x3000, 0x2000), 8, 0x400, 0x3000},
                                    esp::EncryptedWord::omit));
    for (std::uint32_t seq = 0; seq < 8; ++seq)
        rom.ok(esp::flash_data_request(ByteView(data).subspan(seq * 0x400, 0x400), seq, 0x400));
    CHECK(sim.stop() == 0);
    const Bytes file = read_file(dir / "f.bin");
    CHECK(Bytes(file.begin() + 0x3000, file.begin() + 0x5000) == data);
}

TEST_CASE("devsim keeps its state across clients and takes one at a time", "[integration][devsim]") {
    Devsim sim({"--chip", "esp32", "--port", "0", "--quiet"});
    {
        RomClient a(sim.port(), 4);
        a.send(esp::sync_request());
        a.reply(esp::Command::sync);
        a.ok(esp::spi_attach_request(0, esp::LoaderKind::rom));
        esp::SpiFlashParams p;
        p.total_size = 4 * 1024 * 1024;
        a.ok(esp::spi_set_params_request(p));
        RomClient b(sim.port(), 4); // refused: closed at once
        b.send(esp::read_reg_request(esp::kChipDetectMagicAddr));
        CHECK(b.frames_within(300ms) == 0);
    }
    std::this_thread::sleep_for(100ms);
    RomClient c(sim.port(), 4);
    // Still attached and told 4 MB: an MD5 above 2 MB works without a new SPI_SET_PARAMS.
    c.ok(esp::spi_flash_md5_request(0x300000, 0x1000));
}

TEST_CASE("our loader connects to devsim over RFC 2217 with a DTR/RTS reset", "[integration][devsim][rfc2217]") {
    for (const char* chip_name : {"esp32", "esp32s3"}) {
        DYNAMIC_SECTION(chip_name) {
            // Powered on running the app: only the reset lines can bring it into download mode.
            Devsim sim({"--chip", chip_name, "--listen", "rfc2217:0", "--boot", "app", "--mac", "24:0a:c4:00:00:2a",
                        "--quiet"});
            auto transport = esp::open_transport("rfc2217://127.0.0.1:" + std::to_string(sim.port()));
            esp::Loader loader(*transport);
            esp::ConnectOptions opts;
            opts.baud = 460800;
            const auto& info = loader.connect(opts);
            CHECK(info.chip == &esp::chip_by_name(chip_name));
            CHECK(esp::format_mac(info.mac) == "24:0a:c4:00:00:2a");
            REQUIRE(info.flash_size);
            CHECK(*info.flash_size == 4u * 1024 * 1024);
            CHECK(info.baud == 460800);
            const Bytes data = pattern(0x3000, 9);
            loader.begin_write(0x9000, 0x3000, 3, false);
            for (std::uint32_t seq = 0; seq < 3; ++seq)
                CHECK(loader.write_block(ByteView(data).subspan(seq * 0x400, 0x400), seq, false, 0x400).response.ok());
        }
    }
}

TEST_CASE("devsim faults, realistic timing and the command log", "[integration][devsim]") {
    test::TempDir dir;
    SECTION("a disconnect fault cuts the connection; the next client is served") {
        Devsim sim({"--chip", "esp32", "--port", "0", "--quiet", "--fault", "disconnect-after-bytes=20"});
        {
            RomClient a(sim.port(), 4);
            a.send(esp::sync_request());
            a.frames_within(300ms);
            CHECK(a.text().size() == 20);
        }
        RomClient b(sim.port(), 4);
        b.send(esp::sync_request());
        CHECK(b.reply(esp::Command::sync).ok());
    }
    SECTION("realistic timing paces replies at 115200 baud and logs modelled time") {
        const auto log = dir / "devsim.jsonl";
        Devsim sim({"--chip", "esp32", "--port", "0", "--quiet", "--timing", "realistic", "--log", log.string()});
        RomClient rom(sim.port(), 4);
        const auto t0 = Clock::now();
        rom.send(esp::sync_request());
        rom.reply(esp::Command::sync);
        CHECK(rom.frames_within(300ms) == 7);
        rom.ok(esp::spi_attach_request(0, esp::LoaderKind::rom));
        // Erasing 64 KiB takes a W25Q32 block erase (150 ms typical).
        const auto before_erase = Clock::now();
        rom.ok(esp::flash_begin_request({0x10000, 0, 0x400, 0x10000}, esp::EncryptedWord::omit));
        CHECK(Clock::now() - before_erase >= 150ms);
        CHECK(Clock::now() - t0 >= 14ms); // SYNC: 46 bytes in, 112 out at 10 bit times each
        CHECK(sim.stop() == 0);
        const std::string text = read_text_file(log);
        CHECK(text.find(R"("op":"SYNC")") != std::string::npos);
        CHECK(text.find(R"("op":"FLASH_BEGIN")") != std::string::npos);
        CHECK(text.find(R"("modelled_ms")") != std::string::npos);
        CHECK(std::count(text.begin(), text.end(), '\n') == 3);
    }
}
