#pragma once
// rfc2217://HOST:PORT: a remote serial port (ser2net, esp_rfc2217_server, the device simulator) with
// baud rate and DTR/RTS controlled through telnet's COM-PORT-OPTION.
//
// Choices, where servers differ:
//  - On connect we ask for BINARY and SGA both ways and WILL COM-PORT-OPTION, then wait (bounded by
//    ?timeout=, 3 s by default, pyserial's figure) for the server's DO COM-PORT-OPTION. No answer or a
//    refusal is an error that suggests socket:// (the port is probably raw TCP). A server refusing
//    BINARY is an error too: non-binary telnet would alter CR bytes inside SLIP frames.
//  - Port settings (baud, 8N1, no flow control) and line changes wait for the server's acknowledgement
//    (code + 100), bounded by the same timeout. A server that never acknowledges a kind of request is
//    tolerated: we carry on after the first timeout and stop waiting for that kind (pyserial instead
//    fails for settings; ign_set_control skips line acknowledgements from the start). An
//    acknowledgement that reports a different baud than asked is an error: the board would be
//    talking at another speed.
//  - DTR/RTS go as two SET-CONTROL messages, DTR first then RTS (esptool's classic order). On
//    connect both are deasserted RTS first: the server's open() usually asserted both, and going
//    through DTR off/RTS on would hold the board in reset.
//  - NOTIFY-LINESTATE/MODEMSTATE, FLOWCONTROL-SUSPEND/RESUME and signature requests are ignored.
#include <array>
#include <chrono>
#include <cstdint>
#include <optional>
#include <string>

#include "vesper/port/port_url.hpp"
#include "vesper/port/rfc2217.hpp"
#include "vesper/port/transport.hpp"
#include "vesper/port/transport_tcp.hpp"

namespace vesper::esp {

class Rfc2217Transport final : public Transport {
public:
    Rfc2217Transport(const PortUrl& url, std::uint32_t baud,
                     std::chrono::milliseconds connect_timeout = kTcpConnectTimeout);

    const std::string& name() const override { return name_; }
    void write(ByteView data) override;
    std::size_t read(std::uint8_t* buf, std::size_t cap, std::chrono::milliseconds timeout) override;
    // Asks the server to purge what it received from the board (PURGE-DATA 1, not waited for) and
    // drops what already reached us.
    void flush_input() override;
    void set_baud(std::uint32_t baud) override;
    std::uint32_t baud() const override { return baud_; }
    void set_lines(std::optional<bool> dtr, std::optional<bool> rts) override;
    bool has_control_lines() const override { return true; }

    // Whether the server has acknowledged every request of this kind so far (false once one timed
    // out); for diagnostics and tests.
    bool server_acknowledges(rfc2217::ComCommand command) const noexcept {
        return !no_ack_[static_cast<std::size_t>(command)];
    }

private:
    void send(const Bytes& bytes) { stream_.write_all(bytes); }
    // Reads once (waiting up to `timeout`), answers negotiations, records acknowledgements and keeps
    // data bytes for read().
    std::size_t pump(std::chrono::milliseconds timeout);
    void handle(const rfc2217::ComPortMessage& m);
    void request(const Bytes& bytes, rfc2217::ComCommand command, bool wait);
    bool wait_ack(rfc2217::ComCommand command);
    void negotiate();
    void set_control(rfc2217::Control value);
    std::size_t buffered() const noexcept { return rx_.size() - rx_head_; }

    std::string name_;
    Rfc2217Options options_;
    TcpStream stream_;
    rfc2217::Parser parser_;
    rfc2217::Negotiator negotiator_;
    Bytes rx_;
    std::size_t rx_head_ = 0;
    std::uint32_t baud_ = 0;
    std::array<unsigned, 13> pending_{};
    std::array<bool, 13> no_ack_{};
    std::array<std::optional<Bytes>, 13> last_reply_{};
};

} // namespace vesper::esp
