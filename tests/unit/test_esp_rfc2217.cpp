#include <catch2/catch.hpp>

#include <algorithm>

#include "vesper/port/rfc2217.hpp"

using namespace vesper;
using namespace vesper::esp::rfc2217;

namespace {

// Feeds `wire` in pieces of `step` bytes and returns all events.
std::vector<Event> feed_in_steps(Parser& p, const Bytes& wire, std::size_t step) {
    std::vector<Event> events;
    for (std::size_t i = 0; i < wire.size(); i += step)
        p.feed(ByteView(wire).subspan(i, std::min(step, wire.size() - i)), events);
    return events;
}

Bytes data_of(const std::vector<Event>& events) {
    Bytes out;
    for (const auto& e : events)
        if (auto* d = std::get_if<Data>(&e)) out.insert(out.end(), d->bytes.begin(), d->bytes.end());
    return out;
}

std::vector<ComPortMessage> com_of(const std::vector<Event>& events) {
    std::vector<ComPortMessage> out;
    for (const auto& e : events)
        if (auto* m = std::get_if<ComPortMessage>(&e)) out.push_back(*m);
    return out;
}

Bytes concat(std::initializer_list<Bytes> parts) {
    Bytes out;
    for (const auto& p : parts)
        out.insert(out.end(), p.begin(), p.end());
    return out;
}

// Runs two negotiators against each other until neither has anything to say; returns the rounds.
int converse(Negotiator& a, Bytes a_first, Negotiator& b, Bytes b_first) {
    Bytes to_b = std::move(a_first);
    Bytes to_a = std::move(b_first);
    int rounds = 0;
    while ((!to_a.empty() || !to_b.empty()) && rounds < 20) {
        ++rounds;
        Parser pa;
        Parser pb;
        Bytes next_to_a;
        Bytes next_to_b;
        for (auto& e : pb.feed(to_b))
            if (auto* n = std::get_if<Negotiation>(&e)) {
                auto r = b.answer(*n);
                next_to_a.insert(next_to_a.end(), r.begin(), r.end());
            }
        for (auto& e : pa.feed(to_a))
            if (auto* n = std::get_if<Negotiation>(&e)) {
                auto r = a.answer(*n);
                next_to_b.insert(next_to_b.end(), r.begin(), r.end());
            }
        to_a = next_to_a;
        to_b = next_to_b;
    }
    return rounds;
}

} // namespace

TEST_CASE("rfc2217: 0xFF is doubled on the way out and undoubled on the way in", "[esp][rfc2217]") {
    CHECK(escape(Bytes{0x01, 0xFF, 0x02}) == Bytes{0x01, 0xFF, 0xFF, 0x02});
    CHECK(escape(Bytes{0xFF, 0xFF}) == Bytes{0xFF, 0xFF, 0xFF, 0xFF});
    CHECK(escape(Bytes{}) == Bytes{});
    CHECK(unescape(Bytes{0xFF, 0xFF, 0x00, 0xFF, 0xFF, 0xFF, 0xFF}) == Bytes{0xFF, 0x00, 0xFF, 0xFF});

    Bytes all;
    for (int i = 0; i < 256; ++i)
        all.push_back(static_cast<std::uint8_t>(i));
    all.insert(all.end(), {0xFF, 0xFF, 0xFF, 0x00, 0xFF});
    const Bytes wire = escape(all);
    // Every chunk size puts some FF FF pair across a chunk edge.
    for (std::size_t step : {1u, 2u, 3u, 5u, 7u, 64u, 1000u}) {
        INFO("step " << step);
        Parser p;
        const auto events = feed_in_steps(p, wire, step);
        CHECK(data_of(events) == all);
        CHECK(p.idle());
        CHECK(p.faults() == 0);
        for (const auto& e : events)
            CHECK(std::holds_alternative<Data>(e));
    }
}

TEST_CASE("rfc2217: an IAC split from its second byte waits for the next chunk", "[esp][rfc2217]") {
    Parser p;
    auto e1 = p.feed(Bytes{0x41, 0xFF});
    CHECK(data_of(e1) == Bytes{0x41});
    CHECK_FALSE(p.idle());
    auto e2 = p.feed(Bytes{0xFF, 0x42});
    CHECK(data_of(e2) == Bytes{0xFF, 0x42});
    CHECK(p.idle());
}

TEST_CASE("rfc2217: SET-* requests encode as the RFC says, big-endian, escaped", "[esp][rfc2217]") {
    // IAC SB 44 <code> <value> IAC SE
    CHECK(encode_set_baudrate(Side::client, 115200) == Bytes{0xFF, 0xFA, 44, 1, 0x00, 0x01, 0xC2, 0x00, 0xFF, 0xF0});
    CHECK(encode_set_baudrate(Side::server, 921600) == Bytes{0xFF, 0xFA, 44, 101, 0x00, 0x0E, 0x10, 0x00, 0xFF, 0xF0});
    // 131071 = 00 01 FF FF: both FF bytes of the value are doubled.
    CHECK(encode_set_baudrate(Side::client, 131071) ==
          Bytes{0xFF, 0xFA, 44, 1, 0x00, 0x01, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xF0});
    CHECK(encode_set_datasize(Side::client, 8) == Bytes{0xFF, 0xFA, 44, 2, 8, 0xFF, 0xF0});
    CHECK(encode_set_parity(Side::client, Parity::none) == Bytes{0xFF, 0xFA, 44, 3, 1, 0xFF, 0xF0});
    CHECK(encode_set_parity(Side::server, Parity::even) == Bytes{0xFF, 0xFA, 44, 103, 3, 0xFF, 0xF0});
    CHECK(encode_set_stopsize(Side::client, StopSize::one) == Bytes{0xFF, 0xFA, 44, 4, 1, 0xFF, 0xF0});
    CHECK(encode_set_stopsize(Side::client, StopSize::one_and_half) == Bytes{0xFF, 0xFA, 44, 4, 3, 0xFF, 0xF0});
    CHECK(encode_set_control(Side::client, Control::dtr_on) == Bytes{0xFF, 0xFA, 44, 5, 8, 0xFF, 0xF0});
    CHECK(encode_set_control(Side::client, Control::dtr_off) == Bytes{0xFF, 0xFA, 44, 5, 9, 0xFF, 0xF0});
    CHECK(encode_set_control(Side::client, Control::rts_on) == Bytes{0xFF, 0xFA, 44, 5, 11, 0xFF, 0xF0});
    CHECK(encode_set_control(Side::client, Control::rts_off) == Bytes{0xFF, 0xFA, 44, 5, 12, 0xFF, 0xF0});
    CHECK(encode_set_control(Side::client, Control::flow_none) == Bytes{0xFF, 0xFA, 44, 5, 1, 0xFF, 0xF0});
    CHECK(encode_set_control(Side::server, Control::rts_off) == Bytes{0xFF, 0xFA, 44, 105, 12, 0xFF, 0xF0});
    CHECK(encode_purge(Side::client, Purge::receive) == Bytes{0xFF, 0xFA, 44, 12, 1, 0xFF, 0xF0});
    CHECK(encode_purge(Side::client, Purge::both) == Bytes{0xFF, 0xFA, 44, 12, 3, 0xFF, 0xF0});
    CHECK(encode_negotiation(kWill, kOptComPort) == Bytes{0xFF, 0xFB, 44});
    CHECK(encode_negotiation(kDont, kOptEcho) == Bytes{0xFF, 0xFE, 1});
    CHECK(baud_value(0x01020304) == Bytes{1, 2, 3, 4});
    CHECK(parse_baud_value(Bytes{0, 0x0E, 0x10, 0}) == 921600u);
    CHECK_FALSE(parse_baud_value(Bytes{0, 1, 2}));
}

TEST_CASE("rfc2217: each SET-* decodes back, also fed one byte at a time", "[esp][rfc2217]") {
    const Bytes wire =
        concat({encode_set_baudrate(Side::client, 131071), encode_set_datasize(Side::client, 7),
                encode_set_parity(Side::client, Parity::odd), encode_set_stopsize(Side::client, StopSize::two),
                encode_set_control(Side::client, Control::rts_on), encode_purge(Side::client, Purge::transmit),
                encode_set_baudrate(Side::server, 1500000)});
    for (std::size_t step : {1u, 2u, 4u, 1000u}) {
        INFO("step " << step);
        Parser p;
        const auto m = com_of(feed_in_steps(p, wire, step));
        REQUIRE(m.size() == 7);
        CHECK(p.idle());
        CHECK(m[0].from == Side::client);
        CHECK(m[0].command == ComCommand::set_baudrate);
        CHECK(m[0].baud() == 131071u);
        CHECK(m[1].command == ComCommand::set_datasize);
        CHECK(m[1].byte() == 7);
        CHECK(m[2].command == ComCommand::set_parity);
        CHECK(m[2].byte() == static_cast<std::uint8_t>(Parity::odd));
        CHECK(m[3].command == ComCommand::set_stopsize);
        CHECK(m[3].byte() == static_cast<std::uint8_t>(StopSize::two));
        CHECK(m[4].command == ComCommand::set_control);
        CHECK(m[4].control() == Control::rts_on);
        CHECK(m[5].command == ComCommand::purge_data);
        CHECK(m[5].byte() == static_cast<std::uint8_t>(Purge::transmit));
        CHECK(m[6].from == Side::server);
        CHECK(m[6].code == 101);
        CHECK(m[6].command == ComCommand::set_baudrate);
        CHECK(m[6].baud() == 1500000u);
        CHECK_FALSE(m[4].baud());
    }
}

TEST_CASE("rfc2217: the server's ack echoes the request under code + 100", "[esp][rfc2217]") {
    Parser p;
    const auto m = com_of(p.feed(encode_set_control(Side::client, Control::dtr_off)));
    REQUIRE(m.size() == 1);
    CHECK(encode_ack(m[0]) == encode_set_control(Side::server, Control::dtr_off));
    const auto b = com_of(p.feed(encode_set_baudrate(Side::client, 460800)));
    REQUIRE(b.size() == 1);
    CHECK(encode_ack(b[0]) == encode_set_baudrate(Side::server, 460800));
}

TEST_CASE("rfc2217: data, negotiations and subnegotiations keep their order", "[esp][rfc2217]") {
    // As ser2net 4.3 answers a client's hello, with data bytes mixed in.
    const Bytes wire = concat({Bytes{'a', 0xFF, 0xFF}, encode_negotiation(kWill, kOptSga), Bytes{'b'},
                               encode_negotiation(kWill, kOptEcho),
                               Bytes{0xFF, 0xFA, 44, 107, 0x00, 0xFF, 0xF0}, // NOTIFY-MODEMSTATE 0
                               Bytes{0xFF, 0xF1},                            // NOP
                               Bytes{0xFF, 0xFA, 24, 1, 0xFF, 0xF0},         // TERMINAL-TYPE SEND
                               Bytes{'c'}});
    for (std::size_t step : {1u, 3u, 1000u}) {
        Parser p;
        const auto ev = feed_in_steps(p, wire, step);
        std::vector<std::string> kinds;
        for (const auto& e : ev) {
            if (auto* d = std::get_if<Data>(&e))
                kinds.push_back("data:" + std::string(d->bytes.begin(), d->bytes.end()));
            else if (auto* n = std::get_if<Negotiation>(&e))
                kinds.push_back(verb_name(n->verb) + " " + option_name(n->option));
            else if (auto* m = std::get_if<ComPortMessage>(&e))
                kinds.push_back("com " + std::to_string(m->code));
            else if (auto* s = std::get_if<Subnegotiation>(&e))
                kinds.push_back("sb " + std::to_string(s->option));
            else if (auto* c = std::get_if<TelnetCommand>(&e))
                kinds.push_back("cmd " + std::to_string(c->command));
        }
        const std::vector<std::string> want = {"data:a\xFF", "WILL SGA", "data:b", "WILL ECHO",
                                               "com 107",    "cmd 241",  "sb 24",  "data:c"};
        CHECK(kinds == want);
    }
}

TEST_CASE("rfc2217: malformed input is counted and the stream carries on", "[esp][rfc2217]") {
    SECTION("stray IAC SE") {
        Parser p;
        CHECK(data_of(p.feed(Bytes{'x', 0xFF, 0xF0, 'y'})) == Bytes{'x', 'y'});
        CHECK(p.faults() == 1);
    }
    SECTION("IAC <byte> inside a subnegotiation drops it and is read as a command") {
        Parser p;
        const auto ev = p.feed(Bytes{0xFF, 0xFA, 44, 1, 0, 0xFF, 0xFB, 3, 'z'});
        CHECK(p.faults() == 1);
        CHECK(com_of(ev).empty());
        REQUIRE(ev.size() == 2);
        CHECK(std::get<Negotiation>(ev[0]) == Negotiation{kWill, kOptSga});
        CHECK(std::get<Data>(ev[1]).bytes == Bytes{'z'});
    }
    SECTION("oversized subnegotiation") {
        Parser p(16);
        Bytes wire{0xFF, 0xFA, 44, 0};
        wire.insert(wire.end(), 40, 'S');
        wire.insert(wire.end(), {0xFF, 0xF0, 'o', 'k'});
        const auto ev = p.feed(wire);
        CHECK(p.faults() == 1);
        CHECK(com_of(ev).empty());
        CHECK(data_of(ev) == Bytes{'o', 'k'});
        CHECK(p.idle());
    }
    SECTION("COM-PORT subnegotiation without a subcommand") {
        Parser p;
        CHECK(p.feed(Bytes{0xFF, 0xFA, 44, 0xFF, 0xF0}).empty());
        CHECK(p.faults() == 1);
    }
}

TEST_CASE("rfc2217: client and server negotiators agree and stop talking", "[esp][rfc2217]") {
    Negotiator client = client_negotiator();
    Negotiator server = server_negotiator();
    Bytes c_hello = client_hello(client);
    Bytes s_hello = server_hello(server);
    CHECK(c_hello == concat({encode_negotiation(kWill, kOptBinary), encode_negotiation(kDo, kOptBinary),
                             encode_negotiation(kWill, kOptSga), encode_negotiation(kDo, kOptSga),
                             encode_negotiation(kWill, kOptComPort)}));
    const int rounds = converse(client, c_hello, server, s_hello);
    CHECK(rounds < 5);
    for (auto o : {kOptBinary, kOptSga}) {
        CHECK(client.local(o) == OptionState::on);
        CHECK(client.remote(o) == OptionState::on);
        CHECK(server.local(o) == OptionState::on);
        CHECK(server.remote(o) == OptionState::on);
    }
    CHECK(client.local(kOptComPort) == OptionState::on);
    CHECK(server.remote(kOptComPort) == OptionState::on);
}

TEST_CASE("rfc2217: unwanted options are refused, answers only on state changes", "[esp][rfc2217]") {
    Negotiator n = client_negotiator();
    CHECK(n.answer({kWill, kOptEcho}) == encode_negotiation(kDont, kOptEcho));
    CHECK(n.remote(kOptEcho) == OptionState::off);
    CHECK(n.answer({kDo, kOptEcho}) == encode_negotiation(kWont, kOptEcho));
    CHECK(n.answer({kDont, kOptEcho}).empty()); // already off: no answer
    CHECK(n.answer({kWont, kOptEcho}).empty());

    // Unrequested but acceptable: agree once, then stay quiet on repeats.
    CHECK(n.answer({kWill, kOptBinary}) == encode_negotiation(kDo, kOptBinary));
    CHECK(n.answer({kWill, kOptBinary}).empty());
    CHECK(n.answer({kWont, kOptBinary}) == encode_negotiation(kDont, kOptBinary));
    CHECK(n.remote(kOptBinary) == OptionState::off);

    // Our request refused by the peer: no answer, state says refused.
    CHECK(n.request_local(kOptComPort) == encode_negotiation(kWill, kOptComPort));
    CHECK(n.request_local(kOptComPort).empty()); // already asked
    CHECK(n.local(kOptComPort) == OptionState::requested);
    CHECK(n.answer({kDont, kOptComPort}).empty());
    CHECK(n.local(kOptComPort) == OptionState::refused);
}

TEST_CASE("rfc2217: names for logs", "[esp][rfc2217]") {
    CHECK(verb_name(kWill) == "WILL");
    CHECK(option_name(kOptComPort) == "COM-PORT-OPTION");
    CHECK(command_name(ComCommand::set_control) == "SET-CONTROL");
    CHECK(command_name(ComCommand::purge_data) == "PURGE-DATA");
    CHECK(command_name(static_cast<ComCommand>(50)) == "subcommand 50");
}

namespace {

// A session that has agreed COM-PORT-OPTION with a client negotiator; returns the session's
// answers to the client's hello.
Bytes open_session(ServerSession& s) {
    Negotiator client = client_negotiator();
    std::vector<Event> ev;
    s.hello();
    const Bytes answers = s.feed(client_hello(client), ev);
    REQUIRE(s.com_port_active());
    return answers;
}

std::vector<ComPortMessage> acks(const Bytes& reply) {
    Parser p;
    return com_of(p.feed(reply));
}

} // namespace

TEST_CASE("rfc2217 server session: applies requests and acknowledges what is in effect", "[esp][rfc2217]") {
    ServerSession s;
    std::vector<Event> ev;
    // Before COM-PORT-OPTION is agreed, requests are not applied or answered.
    CHECK(s.feed(encode_set_baudrate(Side::client, 9600), ev).empty());
    CHECK(s.state().baud == 115200);

    const Bytes answers = open_session(s);
    const Bytes do_com_port = encode_negotiation(kDo, kOptComPort);
    CHECK(std::search(answers.begin(), answers.end(), do_com_port.begin(), do_com_port.end()) != answers.end());

    auto a = acks(s.feed(encode_set_baudrate(Side::client, 921600), ev));
    REQUIRE(a.size() == 1);
    CHECK(a[0].from == Side::server);
    CHECK(a[0].code == 101);
    CHECK(a[0].baud() == 921600u);
    CHECK(s.state().baud == 921600);

    // Value 0 asks for the current setting without changing it.
    a = acks(s.feed(encode_set_baudrate(Side::client, 0), ev));
    REQUIRE(a.size() == 1);
    CHECK(a[0].baud() == 921600u);
    a = acks(s.feed(encode_set_datasize(Side::client, 0), ev));
    REQUIRE(a.size() == 1);
    CHECK(a[0].byte() == 8);
    a = acks(s.feed(encode_set_parity(Side::client, Parity::even), ev));
    CHECK(a.at(0).byte() == static_cast<std::uint8_t>(Parity::even));
    CHECK(s.state().parity == Parity::even);
    a = acks(s.feed(encode_set_stopsize(Side::client, StopSize::two), ev));
    CHECK(a.at(0).byte() == static_cast<std::uint8_t>(StopSize::two));

    CHECK_FALSE(s.state().dtr);
    a = acks(s.feed(encode_set_control(Side::client, Control::dtr_on), ev));
    CHECK(a.at(0).code == 105);
    CHECK(a.at(0).control() == Control::dtr_on);
    CHECK(s.state().dtr);
    a = acks(s.feed(encode_set_control(Side::client, Control::request_dtr), ev));
    CHECK(a.at(0).control() == Control::dtr_on);
    a = acks(s.feed(encode_set_control(Side::client, Control::rts_on), ev));
    CHECK(s.state().rts);
    a = acks(s.feed(encode_set_control(Side::client, Control::rts_off), ev));
    CHECK(a.at(0).control() == Control::rts_off);
    CHECK_FALSE(s.state().rts);
    a = acks(s.feed(encode_set_control(Side::client, Control::request_rts), ev));
    CHECK(a.at(0).control() == Control::rts_off);

    a = acks(s.feed(encode_purge(Side::client, Purge::receive), ev));
    CHECK(a.at(0).code == 112);
    CHECK(a.at(0).byte() == 1);

    a = acks(s.feed(encode_com_port(Side::client, ComCommand::signature, Bytes{}), ev));
    CHECK(a.at(0).code == 100);
    CHECK(std::string(a.at(0).value.begin(), a.at(0).value.end()) == "vesper");

    CHECK(s.feed(encode_com_port(Side::client, ComCommand::flowcontrol_suspend, Bytes{}), ev).empty());
}

TEST_CASE("rfc2217 server session: events keep line changes between the data around them", "[esp][rfc2217]") {
    ServerSession s;
    open_session(s);
    const Bytes wire = concat({escape(Bytes{'a', 0xFF}), encode_set_control(Side::client, Control::dtr_off),
                               encode_set_control(Side::client, Control::rts_on), escape(Bytes{'b'})});
    std::vector<Event> ev;
    for (std::size_t i = 0; i < wire.size(); ++i)
        s.feed(ByteView(wire).subspan(i, 1), ev);
    REQUIRE(ev.size() == 4);
    CHECK(std::get<Data>(ev[0]).bytes == Bytes{'a', 0xFF});
    CHECK(std::get<ComPortMessage>(ev[1]).control() == Control::dtr_off);
    CHECK(std::get<ComPortMessage>(ev[2]).control() == Control::rts_on);
    CHECK(std::get<Data>(ev[3]).bytes == Bytes{'b'});
    CHECK(s.state().rts);
    CHECK(ServerSession::data(Bytes{0xFF}) == Bytes{0xFF, 0xFF});
}

TEST_CASE("rfc2217 server session: fault modes for testing clients", "[esp][rfc2217]") {
    SECTION("no acknowledgements, state still follows") {
        ServerSession::Options o;
        o.acknowledge = false;
        ServerSession s(o);
        open_session(s);
        std::vector<Event> ev;
        CHECK(s.feed(encode_set_baudrate(Side::client, 460800), ev).empty());
        CHECK(s.state().baud == 460800);
    }
    SECTION("refuses COM-PORT-OPTION") {
        ServerSession::Options o;
        o.accept_com_port = false;
        ServerSession s(o);
        Negotiator client = client_negotiator();
        std::vector<Event> ev;
        const Bytes answers = s.feed(client_hello(client), ev);
        CHECK_FALSE(s.com_port_active());
        const Bytes dont = encode_negotiation(kDont, kOptComPort);
        CHECK(std::search(answers.begin(), answers.end(), dont.begin(), dont.end()) != answers.end());
    }
}
