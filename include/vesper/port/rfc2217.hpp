#pragma once
// Telnet (RFC 854/855) with the COM-PORT-OPTION (RFC 2217) as a pure codec: bytes in, data and events
// out; events in, bytes out. No I/O, so the same code serves our client transport (rfc2217://) and
// the device simulator's RFC 2217 listener.
//
// Wire facts it encodes:
//  - 0xFF (IAC) starts every command; a 0xFF data byte travels doubled (FF FF) in both directions and
//    inside subnegotiations too.
//  - Options are switched with IAC WILL/WONT/DO/DONT <option>. Both sides want BINARY (0) and SGA (3)
//    both ways; the client sends WILL COM-PORT-OPTION (44) and the server answers DO.
//  - Port settings are subnegotiations IAC SB 44 <code> <value> IAC SE. The client's codes are 0..12;
//    the server answers with code + 100 carrying the value it actually applied. Multi-byte values
//    (the baud rate) are big-endian.
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "vesper/core/bytes.hpp"

namespace vesper::esp::rfc2217 {

// Telnet command bytes (RFC 854).
inline constexpr std::uint8_t kIac = 255;
inline constexpr std::uint8_t kDont = 254;
inline constexpr std::uint8_t kDo = 253;
inline constexpr std::uint8_t kWont = 252;
inline constexpr std::uint8_t kWill = 251;
inline constexpr std::uint8_t kSb = 250;
inline constexpr std::uint8_t kSe = 240;
inline constexpr std::uint8_t kNop = 241;

// Telnet options this codec knows by name.
inline constexpr std::uint8_t kOptBinary = 0;
inline constexpr std::uint8_t kOptEcho = 1;
inline constexpr std::uint8_t kOptSga = 3; // suppress go-ahead
inline constexpr std::uint8_t kOptComPort = 44;

// COM-PORT-OPTION subcommands, numbered as the client sends them.
enum class ComCommand : std::uint8_t {
    signature = 0,
    set_baudrate = 1,
    set_datasize = 2,
    set_parity = 3,
    set_stopsize = 4,
    set_control = 5,
    notify_linestate = 6,
    notify_modemstate = 7,
    flowcontrol_suspend = 8,
    flowcontrol_resume = 9,
    set_linestate_mask = 10,
    set_modemstate_mask = 11,
    purge_data = 12,
};
inline constexpr std::uint8_t kServerOffset = 100; // server code = client code + 100

// Who sends a COM-PORT-OPTION message; decides the code (client: n, server: n + 100).
enum class Side { client, server };

// Value 0 of SET-DATASIZE/PARITY/STOPSIZE asks for the current setting without changing it.
enum class Parity : std::uint8_t { request = 0, none = 1, odd = 2, even = 3, mark = 4, space = 5 };
enum class StopSize : std::uint8_t { request = 0, one = 1, two = 2, one_and_half = 3 };

// SET-CONTROL values.
enum class Control : std::uint8_t {
    request_flow = 0,
    flow_none = 1,
    flow_xonxoff = 2,
    flow_hardware = 3,
    request_break = 4,
    break_on = 5,
    break_off = 6,
    request_dtr = 7,
    dtr_on = 8,
    dtr_off = 9,
    request_rts = 10,
    rts_on = 11,
    rts_off = 12,
    request_inbound_flow = 13,
    inbound_flow_none = 14,
    inbound_flow_xonxoff = 15,
    inbound_flow_hardware = 16,
    flow_dcd = 17,
    flow_dtr = 18,
    flow_dsr = 19,
};

// PURGE-DATA values, seen from the server: receive = data the server got from the serial line.
enum class Purge : std::uint8_t { receive = 1, transmit = 2, both = 3 };

// ---- events the parser yields, in stream order ----

// Data bytes, already unescaped (consecutive bytes of one feed() are merged).
struct Data {
    Bytes bytes;
};

// IAC WILL/WONT/DO/DONT <option>.
struct Negotiation {
    std::uint8_t verb = 0; // kWill, kWont, kDo or kDont
    std::uint8_t option = 0;
    bool operator==(const Negotiation&) const = default;
};

// IAC SB 44 <code> <value> IAC SE.
struct ComPortMessage {
    Side from = Side::client;
    ComCommand command = ComCommand::signature; // code with the server offset removed
    std::uint8_t code = 0;                      // as on the wire
    Bytes value;                                // unescaped

    bool known() const noexcept { return static_cast<std::uint8_t>(command) <= 12; }
    // SET-BAUDRATE's 4-byte big-endian value; nullopt for any other command or a wrong length.
    std::optional<std::uint32_t> baud() const;
    // The one-byte value of SET-DATASIZE/PARITY/STOPSIZE/CONTROL, PURGE-DATA, NOTIFY-*.
    std::optional<std::uint8_t> byte() const;
    std::optional<Control> control() const;
};

// A subnegotiation for another option (ignored by our client, reported for completeness).
struct Subnegotiation {
    std::uint8_t option = 0;
    Bytes payload;
};

// A two-byte telnet command other than negotiation: NOP, break, AYT... (IAC <command>).
struct TelnetCommand {
    std::uint8_t command = 0;
};

using Event = std::variant<Data, Negotiation, ComPortMessage, Subnegotiation, TelnetCommand>;

// Incremental decoder: feed it whatever chunks the socket delivers; an IAC sequence or a subnegotiation
// may be split anywhere across chunks. Malformed input (IAC <byte> inside a subnegotiation other than
// IAC IAC/IAC SE, an oversized subnegotiation) drops that subnegotiation and counts a fault; decoding
// then carries on, so one bad peer message never loses the data stream.
class Parser {
public:
    explicit Parser(std::size_t max_subnegotiation = 1024);

    // Appends the events found in `chunk`, in order, to `events`.
    void feed(ByteView chunk, std::vector<Event>& events);
    std::vector<Event> feed(ByteView chunk);

    // Nothing half-decoded is pending (no IAC or subnegotiation waiting for its end).
    bool idle() const noexcept { return state_ == State::data; }
    std::uint64_t faults() const noexcept { return faults_; }
    const std::string& last_fault() const noexcept { return last_fault_; }

private:
    enum class State { data, iac, verb, sb_option, sb, sb_iac, sb_discard, sb_discard_iac };

    void data_byte(std::uint8_t b, std::vector<Event>& events);
    void finish_subnegotiation(std::vector<Event>& events);
    // Adds a byte to the subnegotiation being read (state sb); one too many discards it as a fault.
    void sb_append(std::uint8_t b);
    void fault(const std::string& why);

    std::size_t max_sb_;
    State state_ = State::data;
    std::uint8_t verb_ = 0;
    std::uint8_t sb_option_ = 0;
    Bytes sb_;
    std::uint64_t offset_ = 0;
    std::uint64_t faults_ = 0;
    std::string last_fault_;
};

// ---- encoding ----

// Doubles every 0xFF so `data` passes through telnet unchanged.
void escape_append(ByteView data, Bytes& out);
Bytes escape(ByteView data);
// The reverse for a buffer known to hold only data (tests, logs); a lone trailing FF is kept.
Bytes unescape(ByteView data);

Bytes encode_negotiation(std::uint8_t verb, std::uint8_t option);
// IAC SB <option> <payload, escaped> IAC SE.
Bytes encode_subnegotiation(std::uint8_t option, ByteView payload);
// IAC SB 44 <code for `from`> <value, escaped> IAC SE.
Bytes encode_com_port(Side from, ComCommand command, ByteView value);

Bytes encode_set_baudrate(Side from, std::uint32_t baud); // baud 0 asks for the current rate
Bytes encode_set_datasize(Side from, std::uint8_t bits);  // 5..8, 0 asks
Bytes encode_set_parity(Side from, Parity parity);
Bytes encode_set_stopsize(Side from, StopSize stop);
Bytes encode_set_control(Side from, Control control);
Bytes encode_purge(Side from, Purge what);
// Server side: acknowledges a client request by echoing its value under code + 100. A server that
// applied something else (another baud, a line it cannot drive) should encode that value instead.
Bytes encode_ack(const ComPortMessage& request);

// The 4 big-endian bytes of a baud rate, and back (nullopt unless exactly 4 bytes).
Bytes baud_value(std::uint32_t baud);
std::optional<std::uint32_t> parse_baud_value(ByteView value);

// "WILL BINARY", "SB COM-PORT SET-CONTROL(8) ..." style names for messages and logs.
std::string verb_name(std::uint8_t verb);
std::string option_name(std::uint8_t option);
std::string command_name(ComCommand command);

// ---- option negotiation ----

// Per-option state of one direction ("local" = this side performs it, "remote" = the peer does).
enum class OptionState {
    off,       // not enabled, not asked
    requested, // we asked (WILL/DO sent), no answer yet
    on,        // agreed
    refused,   // we asked and the peer said no
};

// Keeps both sides' option states and answers the peer's WILL/WONT/DO/DONT following RFC 854/1143's
// rule that a side only answers when the state actually changes, so two negotiators never loop.
// Options not in the accepted lists are refused (WILL x -> DONT x, DO x -> WONT x).
class Negotiator {
public:
    // local: options this side agrees to perform when asked (DO x -> WILL x);
    // remote: options this side lets the peer perform (WILL x -> DO x).
    Negotiator(std::vector<std::uint8_t> local, std::vector<std::uint8_t> remote);

    // Bytes to send to ask for an option; empty when already on or requested.
    Bytes request_local(std::uint8_t option);  // WILL option
    Bytes request_remote(std::uint8_t option); // DO option

    // Reply (possibly empty) to a negotiation received from the peer.
    Bytes answer(const Negotiation& n);

    OptionState local(std::uint8_t option) const noexcept { return local_[option]; }
    OptionState remote(std::uint8_t option) const noexcept { return remote_[option]; }

private:
    std::vector<bool> local_ok_;
    std::vector<bool> remote_ok_;
    std::vector<OptionState> local_;
    std::vector<OptionState> remote_;
};

// The negotiator each end of an RFC 2217 session uses: both sides do BINARY and SGA both ways; the
// client performs COM-PORT-OPTION (and tolerates a server that also offers it), the server lets the
// client perform it. Neither side accepts ECHO.
Negotiator client_negotiator();
Negotiator server_negotiator();
// What a client sends first: WILL/DO BINARY, WILL/DO SGA, WILL COM-PORT-OPTION (also marks them
// requested in `n`).
Bytes client_hello(Negotiator& n);
// What a server may send on accept: WILL/DO BINARY, WILL/DO SGA (the client starts COM-PORT-OPTION).
Bytes server_hello(Negotiator& n);

// ---- server side in one piece ----

// The serial port settings an RFC 2217 server holds for its client.
struct PortState {
    std::uint32_t baud = 115200;
    std::uint8_t datasize = 8;
    Parity parity = Parity::none;
    StopSize stopsize = StopSize::one;
    Control flow = Control::flow_none;
    // Lines as the client last set them (true = asserted). They start deasserted; a simulator that
    // models something else sets state() after construction.
    bool dtr = false;
    bool rts = false;
};

// One client connection of an RFC 2217 server (the device simulator's listener): negotiates,
// applies COM-PORT requests to a PortState, acknowledges them with the value now in effect (a
// "request current value" gets the current value), and hands the caller every event in stream order
// so line changes can be replayed exactly between the data bytes around them.
class ServerSession {
public:
    struct Options {
        bool acknowledge = true;          // false: never answer COM-PORT requests (to test clients)
        bool accept_com_port = true;      // false: refuse COM-PORT-OPTION (behave like plain telnet)
        std::string signature = "vesper"; // answer to a SIGNATURE query
    };

    ServerSession() : ServerSession(Options{}) {}
    explicit ServerSession(Options options);

    // Bytes to send right after accepting the connection.
    Bytes hello();
    // Consumes bytes from the client. Appends all events (Data, Negotiation, ComPortMessage from the
    // client, ...) in order to `events`, updates state(), and returns what must be sent back:
    // negotiation answers and acknowledgements. State changes are applied in order, so after the
    // call state() reflects the last request; replay `events` to see each step.
    Bytes feed(ByteView in, std::vector<Event>& events);
    // Data for the client, escaped.
    static Bytes data(ByteView bytes) { return escape(bytes); }

    const PortState& state() const noexcept { return state_; }
    PortState& state() noexcept { return state_; }
    // The client has switched COM-PORT-OPTION on (it sent WILL and we agreed).
    bool com_port_active() const noexcept { return negotiator_.remote(kOptComPort) == OptionState::on; }
    const Parser& parser() const noexcept { return parser_; }
    const Negotiator& negotiator() const noexcept { return negotiator_; }

private:
    // Applies one client request; returns its acknowledgement (possibly empty).
    Bytes apply(const ComPortMessage& m);

    Options options_;
    Parser parser_;
    Negotiator negotiator_;
    PortState state_;
};

} // namespace vesper::esp::rfc2217
