#include "vesper/port/rfc2217.hpp"

#include <array>
#include <utility>

namespace vesper::esp::rfc2217 {

// ---- ComPortMessage ----

std::optional<std::uint32_t> ComPortMessage::baud() const {
    if (command != ComCommand::set_baudrate) return std::nullopt;
    return parse_baud_value(value);
}

std::optional<std::uint8_t> ComPortMessage::byte() const {
    if (value.size() != 1) return std::nullopt;
    return value[0];
}

std::optional<Control> ComPortMessage::control() const {
    if (command != ComCommand::set_control || value.size() != 1) return std::nullopt;
    return static_cast<Control>(value[0]);
}

// ---- Parser ----

Parser::Parser(std::size_t max_subnegotiation) : max_sb_(max_subnegotiation == 0 ? 1024 : max_subnegotiation) {}

std::vector<Event> Parser::feed(ByteView chunk) {
    std::vector<Event> events;
    feed(chunk, events);
    return events;
}

void Parser::data_byte(std::uint8_t b, std::vector<Event>& events) {
    if (!events.empty()) {
        if (auto* d = std::get_if<Data>(&events.back())) {
            d->bytes.push_back(b);
            return;
        }
    }
    events.emplace_back(Data{Bytes{b}});
}

void Parser::sb_append(std::uint8_t b) {
    if (sb_.size() >= max_sb_) {
        fault("subnegotiation for option " + std::to_string(sb_option_) + " longer than " + std::to_string(max_sb_) +
              " bytes");
        sb_.clear();
        state_ = State::sb_discard;
        return;
    }
    sb_.push_back(b);
}

void Parser::fault(const std::string& why) {
    ++faults_;
    last_fault_ = "telnet stream byte " + std::to_string(offset_) + ": " + why;
}

void Parser::finish_subnegotiation(std::vector<Event>& events) {
    if (sb_option_ != kOptComPort) {
        events.emplace_back(Subnegotiation{sb_option_, std::move(sb_)});
        sb_.clear();
        return;
    }
    if (sb_.empty()) {
        fault("COM-PORT-OPTION subnegotiation without a subcommand");
        return;
    }
    ComPortMessage m;
    m.code = sb_[0];
    m.from = m.code >= kServerOffset ? Side::server : Side::client;
    m.command = static_cast<ComCommand>(m.from == Side::server ? m.code - kServerOffset : m.code);
    m.value.assign(sb_.begin() + 1, sb_.end());
    sb_.clear();
    events.emplace_back(std::move(m));
}

void Parser::feed(ByteView chunk, std::vector<Event>& events) {
    for (std::size_t i = 0; i < chunk.size(); ++i, ++offset_) {
        const std::uint8_t b = chunk[i];
        bool again = true;
        // A byte that ends a broken subnegotiation is re-read as the start of a normal IAC command.
        while (again) {
            again = false;
            switch (state_) {
            case State::data:
                if (b == kIac)
                    state_ = State::iac;
                else
                    data_byte(b, events);
                break;
            case State::iac:
                state_ = State::data;
                if (b == kIac) {
                    data_byte(kIac, events);
                } else if (b == kWill || b == kWont || b == kDo || b == kDont) {
                    verb_ = b;
                    state_ = State::verb;
                } else if (b == kSb) {
                    state_ = State::sb_option;
                } else if (b == kSe) {
                    fault("IAC SE without a subnegotiation");
                } else {
                    events.emplace_back(TelnetCommand{b});
                }
                break;
            case State::verb:
                events.emplace_back(Negotiation{verb_, b});
                state_ = State::data;
                break;
            case State::sb_option:
                if (b == kIac) {
                    fault("IAC SB without an option");
                    state_ = State::iac;
                } else {
                    sb_option_ = b;
                    sb_.clear();
                    state_ = State::sb;
                }
                break;
            case State::sb:
            case State::sb_discard:
                if (b == kIac) {
                    state_ = state_ == State::sb ? State::sb_iac : State::sb_discard_iac;
                } else if (state_ == State::sb) {
                    sb_append(b);
                }
                break;
            case State::sb_iac:
            case State::sb_discard_iac: {
                const bool keep = state_ == State::sb_iac;
                if (b == kIac) {
                    state_ = keep ? State::sb : State::sb_discard;
                    if (keep) sb_append(kIac);
                } else if (b == kSe) {
                    state_ = State::data;
                    if (keep) finish_subnegotiation(events);
                } else {
                    fault("IAC " + std::to_string(b) + " inside a subnegotiation for option " +
                          std::to_string(sb_option_) + " (expected IAC SE)");
                    sb_.clear();
                    state_ = State::iac;
                    again = true;
                }
                break;
            }
            }
        }
    }
}

// ---- encoding ----

void escape_append(ByteView data, Bytes& out) {
    out.reserve(out.size() + data.size() + 8);
    for (std::uint8_t b : data) {
        out.push_back(b);
        if (b == kIac) out.push_back(kIac);
    }
}

Bytes escape(ByteView data) {
    Bytes out;
    escape_append(data, out);
    return out;
}

Bytes unescape(ByteView data) {
    Bytes out;
    out.reserve(data.size());
    for (std::size_t i = 0; i < data.size(); ++i) {
        out.push_back(data[i]);
        if (data[i] == kIac && i + 1 < data.size() && data[i + 1] == kIac) ++i;
    }
    return out;
}

Bytes encode_negotiation(std::uint8_t verb, std::uint8_t option) { return Bytes{kIac, verb, option}; }

Bytes encode_subnegotiation(std::uint8_t option, ByteView payload) {
    Bytes out{kIac, kSb, option};
    escape_append(payload, out);
    out.push_back(kIac);
    out.push_back(kSe);
    return out;
}

Bytes encode_com_port(Side from, ComCommand command, ByteView value) {
    const auto code =
        static_cast<std::uint8_t>(static_cast<std::uint8_t>(command) + (from == Side::server ? kServerOffset : 0));
    Bytes payload{code};
    payload.insert(payload.end(), value.begin(), value.end());
    return encode_subnegotiation(kOptComPort, payload);
}

Bytes baud_value(std::uint32_t baud) {
    return Bytes{static_cast<std::uint8_t>(baud >> 24), static_cast<std::uint8_t>(baud >> 16),
                 static_cast<std::uint8_t>(baud >> 8), static_cast<std::uint8_t>(baud)};
}

std::optional<std::uint32_t> parse_baud_value(ByteView value) {
    if (value.size() != 4) return std::nullopt;
    return (static_cast<std::uint32_t>(value[0]) << 24) | (static_cast<std::uint32_t>(value[1]) << 16) |
           (static_cast<std::uint32_t>(value[2]) << 8) | static_cast<std::uint32_t>(value[3]);
}

namespace {
Bytes one_byte(Side from, ComCommand command, std::uint8_t v) {
    const std::uint8_t value[1] = {v};
    return encode_com_port(from, command, value);
}
} // namespace

Bytes encode_set_baudrate(Side from, std::uint32_t baud) {
    return encode_com_port(from, ComCommand::set_baudrate, baud_value(baud));
}
Bytes encode_set_datasize(Side from, std::uint8_t bits) { return one_byte(from, ComCommand::set_datasize, bits); }
Bytes encode_set_parity(Side from, Parity parity) {
    return one_byte(from, ComCommand::set_parity, static_cast<std::uint8_t>(parity));
}
Bytes encode_set_stopsize(Side from, StopSize stop) {
    return one_byte(from, ComCommand::set_stopsize, static_cast<std::uint8_t>(stop));
}
Bytes encode_set_control(Side from, Control control) {
    return one_byte(from, ComCommand::set_control, static_cast<std::uint8_t>(control));
}
Bytes encode_purge(Side from, Purge what) {
    return one_byte(from, ComCommand::purge_data, static_cast<std::uint8_t>(what));
}
Bytes encode_ack(const ComPortMessage& request) {
    return encode_com_port(Side::server, request.command, request.value);
}

// ---- names ----

std::string verb_name(std::uint8_t verb) {
    switch (verb) {
    case kWill: return "WILL";
    case kWont: return "WONT";
    case kDo: return "DO";
    case kDont: return "DONT";
    default: return "command " + std::to_string(verb);
    }
}

std::string option_name(std::uint8_t option) {
    switch (option) {
    case kOptBinary: return "BINARY";
    case kOptEcho: return "ECHO";
    case kOptSga: return "SGA";
    case kOptComPort: return "COM-PORT-OPTION";
    default: return "option " + std::to_string(option);
    }
}

std::string command_name(ComCommand command) {
    static constexpr std::array<const char*, 13> names = {
        "SIGNATURE",          "SET-BAUDRATE",        "SET-DATASIZE",      "SET-PARITY",          "SET-STOPSIZE",
        "SET-CONTROL",        "NOTIFY-LINESTATE",    "NOTIFY-MODEMSTATE", "FLOWCONTROL-SUSPEND", "FLOWCONTROL-RESUME",
        "SET-LINESTATE-MASK", "SET-MODEMSTATE-MASK", "PURGE-DATA"};
    const auto i = static_cast<std::size_t>(command);
    if (i < names.size()) return names[i];
    return "subcommand " + std::to_string(i);
}

// ---- Negotiator ----

Negotiator::Negotiator(std::vector<std::uint8_t> local, std::vector<std::uint8_t> remote)
    : local_ok_(256, false), remote_ok_(256, false), local_(256, OptionState::off), remote_(256, OptionState::off) {
    for (auto o : local)
        local_ok_[o] = true;
    for (auto o : remote)
        remote_ok_[o] = true;
}

Bytes Negotiator::request_local(std::uint8_t option) {
    auto& st = local_[option];
    if (st == OptionState::on || st == OptionState::requested) return {};
    st = OptionState::requested;
    return encode_negotiation(kWill, option);
}

Bytes Negotiator::request_remote(std::uint8_t option) {
    auto& st = remote_[option];
    if (st == OptionState::on || st == OptionState::requested) return {};
    st = OptionState::requested;
    return encode_negotiation(kDo, option);
}

Bytes Negotiator::answer(const Negotiation& n) {
    if (n.verb != kWill && n.verb != kWont && n.verb != kDo && n.verb != kDont) return {};
    const std::uint8_t o = n.option;
    // WILL/WONT speak about the peer performing the option, DO/DONT about us performing it.
    const bool about_peer = n.verb == kWill || n.verb == kWont;
    const bool yes = n.verb == kWill || n.verb == kDo;
    auto& st = about_peer ? remote_[o] : local_[o];
    const bool ok = about_peer ? remote_ok_[o] : local_ok_[o];
    const std::uint8_t say_yes = about_peer ? kDo : kWill;
    const std::uint8_t say_no = about_peer ? kDont : kWont;

    if (yes) {
        if (st == OptionState::on) return {};
        if (st == OptionState::requested) { // the answer to our own request
            st = OptionState::on;
            return {};
        }
        if (ok) {
            st = OptionState::on;
            return encode_negotiation(say_yes, o);
        }
        return encode_negotiation(say_no, o);
    }
    if (st == OptionState::on) {
        st = OptionState::off;
        return encode_negotiation(say_no, o);
    }
    if (st == OptionState::requested) st = OptionState::refused;
    return {};
}

Negotiator client_negotiator() {
    return Negotiator({kOptBinary, kOptSga, kOptComPort}, {kOptBinary, kOptSga, kOptComPort});
}

Negotiator server_negotiator() { return Negotiator({kOptBinary, kOptSga}, {kOptBinary, kOptSga, kOptComPort}); }

namespace {
void append(Bytes& out, const Bytes& more) { out.insert(out.end(), more.begin(), more.end()); }
} // namespace

Bytes client_hello(Negotiator& n) {
    Bytes out;
    append(out, n.request_local(kOptBinary));
    append(out, n.request_remote(kOptBinary));
    append(out, n.request_local(kOptSga));
    append(out, n.request_remote(kOptSga));
    append(out, n.request_local(kOptComPort));
    return out;
}

Bytes server_hello(Negotiator& n) {
    Bytes out;
    append(out, n.request_local(kOptBinary));
    append(out, n.request_remote(kOptBinary));
    append(out, n.request_local(kOptSga));
    append(out, n.request_remote(kOptSga));
    return out;
}

// ---- ServerSession ----

ServerSession::ServerSession(Options options)
    : options_(std::move(options)),
      negotiator_(options_.accept_com_port ? server_negotiator()
                                           : Negotiator({kOptBinary, kOptSga}, {kOptBinary, kOptSga})) {}

Bytes ServerSession::hello() { return server_hello(negotiator_); }

Bytes ServerSession::feed(ByteView in, std::vector<Event>& events) {
    const std::size_t first = events.size();
    parser_.feed(in, events);
    Bytes out;
    for (std::size_t i = first; i < events.size(); ++i) {
        Bytes reply;
        if (const auto* n = std::get_if<Negotiation>(&events[i]))
            reply = negotiator_.answer(*n);
        else if (const auto* m = std::get_if<ComPortMessage>(&events[i]))
            reply = apply(*m);
        out.insert(out.end(), reply.begin(), reply.end());
    }
    return out;
}

Bytes ServerSession::apply(const ComPortMessage& m) {
    if (m.from != Side::client || !com_port_active()) return {};
    const auto b = m.byte();
    Bytes value = m.value; // what the acknowledgement reports
    switch (m.command) {
    case ComCommand::signature:
        if (!m.value.empty()) return {}; // the client telling its own signature
        value.assign(options_.signature.begin(), options_.signature.end());
        break;
    case ComCommand::set_baudrate:
        if (const auto baud = m.baud(); baud && *baud != 0) state_.baud = *baud;
        value = baud_value(state_.baud);
        break;
    case ComCommand::set_datasize:
        if (b && *b >= 5 && *b <= 8) state_.datasize = *b;
        value = Bytes{state_.datasize};
        break;
    case ComCommand::set_parity:
        if (b && *b >= 1 && *b <= 5) state_.parity = static_cast<Parity>(*b);
        value = Bytes{static_cast<std::uint8_t>(state_.parity)};
        break;
    case ComCommand::set_stopsize:
        if (b && *b >= 1 && *b <= 3) state_.stopsize = static_cast<StopSize>(*b);
        value = Bytes{static_cast<std::uint8_t>(state_.stopsize)};
        break;
    case ComCommand::set_control: {
        const auto c = m.control();
        if (!c) return {};
        switch (*c) {
        case Control::dtr_on: state_.dtr = true; break;
        case Control::dtr_off: state_.dtr = false; break;
        case Control::rts_on: state_.rts = true; break;
        case Control::rts_off: state_.rts = false; break;
        case Control::flow_none:
        case Control::flow_xonxoff:
        case Control::flow_hardware: state_.flow = *c; break;
        case Control::request_dtr:
            value = Bytes{static_cast<std::uint8_t>(state_.dtr ? Control::dtr_on : Control::dtr_off)};
            break;
        case Control::request_rts:
            value = Bytes{static_cast<std::uint8_t>(state_.rts ? Control::rts_on : Control::rts_off)};
            break;
        case Control::request_flow: value = Bytes{static_cast<std::uint8_t>(state_.flow)}; break;
        default: break; // break and inbound flow settings: acknowledged as asked, not modelled
        }
        break;
    }
    case ComCommand::purge_data:
    case ComCommand::set_linestate_mask:
    case ComCommand::set_modemstate_mask: break;
    default: return {}; // NOTIFY-* and FLOWCONTROL-* from a client need no answer
    }
    if (!options_.acknowledge) return {};
    return encode_com_port(Side::server, m.command, value);
}

} // namespace vesper::esp::rfc2217
