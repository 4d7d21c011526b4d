#include "vesper/port/transport_rfc2217.hpp"

#include <algorithm>
#include <vector>

#include "vesper/core/error.hpp"

namespace vesper::esp {

using namespace rfc2217;
using Clock = std::chrono::steady_clock;

namespace {
std::size_t index(ComCommand c) { return static_cast<std::size_t>(c); }

std::chrono::milliseconds left(Clock::time_point deadline) {
    const auto d = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
    return d.count() > 0 ? d : std::chrono::milliseconds(0);
}
} // namespace

Rfc2217Transport::Rfc2217Transport(const PortUrl& url, std::uint32_t baud, std::chrono::milliseconds connect_timeout)
    : name_(url.url), options_(url.rfc2217), stream_(url.host, url.port, connect_timeout, url.url),
      negotiator_(client_negotiator()) {
    negotiate();
    // Settings go out together and are acknowledged together: one round trip instead of four.
    Bytes settings = encode_set_baudrate(Side::client, baud);
    for (const Bytes& b : {encode_set_datasize(Side::client, 8), encode_set_parity(Side::client, Parity::none),
                           encode_set_stopsize(Side::client, StopSize::one)})
        settings.insert(settings.end(), b.begin(), b.end());
    for (auto c :
         {ComCommand::set_baudrate, ComCommand::set_datasize, ComCommand::set_parity, ComCommand::set_stopsize})
        ++pending_[index(c)];
    send(settings);
    for (auto c :
         {ComCommand::set_baudrate, ComCommand::set_datasize, ComCommand::set_parity, ComCommand::set_stopsize})
        wait_ack(c);
    baud_ = baud;
    if (const auto& r = last_reply_[index(ComCommand::set_baudrate)]; r && parse_baud_value(*r) != baud)
        fail(ErrorCode::port_io, name_ + ": the RFC 2217 server runs the port at " +
                                     std::to_string(parse_baud_value(*r).value_or(0)) + " baud instead of " +
                                     std::to_string(baud));
    set_control(Control::flow_none);
    // RTS first: see the header on why this order never holds the board in reset.
    set_lines(std::nullopt, false);
    set_lines(false, std::nullopt);
}

void Rfc2217Transport::negotiate() {
    send(client_hello(negotiator_));
    const auto deadline = Clock::now() + options_.timeout;
    while (negotiator_.local(kOptComPort) == OptionState::requested && Clock::now() < deadline)
        pump(left(deadline));
    switch (negotiator_.local(kOptComPort)) {
    case OptionState::on: break;
    case OptionState::refused:
        fail(ErrorCode::port_open, name_ +
                                       ": the server refuses the RFC 2217 COM-PORT-OPTION; if it is a raw TCP port, "
                                       "use socket:// instead");
    default:
        fail(ErrorCode::port_open, name_ + ": no RFC 2217 negotiation answer within " +
                                       std::to_string(options_.timeout.count()) +
                                       " ms; if it is a raw TCP port, use socket:// instead (or raise ?timeout=)");
    }
    // Answers come in request order, so by now BINARY has been answered by any server that answers.
    if (negotiator_.local(kOptBinary) == OptionState::refused || negotiator_.remote(kOptBinary) == OptionState::refused)
        fail(ErrorCode::port_open, name_ + ": the server refuses telnet BINARY mode, which would alter CR bytes in "
                                           "the data stream");
}

std::size_t Rfc2217Transport::pump(std::chrono::milliseconds timeout) {
    std::uint8_t buf[4096];
    const std::size_t n = stream_.read_some(buf, sizeof buf, timeout);
    if (n == 0) return 0;
    std::vector<Event> events;
    parser_.feed(ByteView(buf, n), events);
    Bytes replies;
    for (auto& e : events) {
        if (auto* d = std::get_if<Data>(&e)) {
            if (rx_head_ == rx_.size()) {
                rx_.clear();
                rx_head_ = 0;
            }
            rx_.insert(rx_.end(), d->bytes.begin(), d->bytes.end());
        } else if (auto* neg = std::get_if<Negotiation>(&e)) {
            const Bytes r = negotiator_.answer(*neg);
            replies.insert(replies.end(), r.begin(), r.end());
        } else if (auto* m = std::get_if<ComPortMessage>(&e)) {
            handle(*m);
        }
        // Other subnegotiations and bare telnet commands (NOP, AYT, ...) mean nothing to a serial link.
    }
    if (!replies.empty()) send(replies);
    return n;
}

void Rfc2217Transport::handle(const ComPortMessage& m) {
    if (m.from != Side::server || !m.known()) return;
    const auto i = index(m.command);
    last_reply_[i] = m.value;
    if (pending_[i] > 0) --pending_[i];
}

bool Rfc2217Transport::wait_ack(ComCommand command) {
    const auto i = index(command);
    const auto deadline = Clock::now() + options_.timeout;
    while (pending_[i] > 0 && Clock::now() < deadline)
        pump(left(deadline));
    if (pending_[i] == 0) return true;
    // A server that skips one acknowledgement of a kind will skip the next ones too: stop waiting.
    pending_[i] = 0;
    no_ack_[i] = true;
    return false;
}

void Rfc2217Transport::request(const Bytes& bytes, ComCommand command, bool wait) {
    wait = wait && !no_ack_[index(command)];
    if (wait) ++pending_[index(command)];
    send(bytes);
    if (wait) wait_ack(command);
}

void Rfc2217Transport::set_control(Control value) {
    request(encode_set_control(Side::client, value), ComCommand::set_control, !options_.ignore_set_control_ack);
}

void Rfc2217Transport::write(ByteView data) {
    Bytes out;
    escape_append(data, out);
    send(out);
}

std::size_t Rfc2217Transport::read(std::uint8_t* buf, std::size_t cap, std::chrono::milliseconds timeout) {
    const auto deadline = Clock::now() + timeout;
    // Always look at the socket once, even with a zero timeout, so negotiation answers go out.
    do {
        if (buffered() > 0) break;
        pump(left(deadline));
    } while (Clock::now() < deadline);
    const std::size_t n = std::min(cap, buffered());
    std::copy_n(rx_.begin() + static_cast<std::ptrdiff_t>(rx_head_), n, buf);
    rx_head_ += n;
    return n;
}

void Rfc2217Transport::flush_input() {
    request(encode_purge(Side::client, Purge::receive), ComCommand::purge_data, false);
    // Whatever is already here was sent before the purge took effect. Bounded, in case the board
    // keeps talking.
    for (int i = 0; i < 64 && pump(std::chrono::milliseconds(0)) > 0; ++i) {
    }
    rx_.clear();
    rx_head_ = 0;
}

void Rfc2217Transport::set_baud(std::uint32_t baud) {
    const bool waited = !no_ack_[index(ComCommand::set_baudrate)];
    request(encode_set_baudrate(Side::client, baud), ComCommand::set_baudrate, true);
    const auto& r = last_reply_[index(ComCommand::set_baudrate)];
    if (waited && !no_ack_[index(ComCommand::set_baudrate)] && r && parse_baud_value(*r) != baud)
        fail(ErrorCode::port_io, name_ + ": the RFC 2217 server runs the port at " +
                                     std::to_string(parse_baud_value(*r).value_or(0)) + " baud instead of " +
                                     std::to_string(baud));
    baud_ = baud;
}

void Rfc2217Transport::set_lines(std::optional<bool> dtr, std::optional<bool> rts) {
    if (dtr) set_control(*dtr ? Control::dtr_on : Control::dtr_off);
    if (rts) set_control(*rts ? Control::rts_on : Control::rts_off);
}

} // namespace vesper::esp
