// Bytes from an RFC 2217 server (rfc2217:// ports), as Rfc2217Transport::pump handles them: the telnet
// parser fed in socket-sized chunks, the client negotiator answering every WILL/WONT/DO/DONT, COM-PORT
// replies decoded (baud, one-byte values, control). Then the same bytes into the server session the
// device simulator runs for its clients. Input: chunk byte + stream (fuzz_support.hpp).
#include <variant>
#include <vector>

#include "fuzz_support.hpp"
#include "vesper/port/rfc2217.hpp"

using namespace vesper;
namespace r = vesper::esp::rfc2217;

VESPER_FUZZ_TARGET(fuzz_rfc2217)(const std::uint8_t* data, std::size_t size) {
    r::Parser parser;
    r::Negotiator client = r::client_negotiator();
    (void)r::client_hello(client);
    r::ServerSession server;
    (void)server.hello();
    std::size_t data_bytes = 0;

    fuzz::Chunks chunks(data, size);
    while (!chunks.done()) {
        const ByteView chunk = chunks.next();
        std::vector<r::Event> events;
        parser.feed(chunk, events);
        for (const auto& e : events) {
            if (const auto* d = std::get_if<r::Data>(&e)) {
                data_bytes += d->bytes.size();
            } else if (const auto* n = std::get_if<r::Negotiation>(&e)) {
                (void)client.answer(*n);
                (void)r::verb_name(n->verb);
                (void)r::option_name(n->option);
            } else if (const auto* m = std::get_if<r::ComPortMessage>(&e)) {
                (void)m->known();
                (void)m->baud();
                (void)m->byte();
                (void)m->control();
                (void)r::parse_baud_value(m->value);
                (void)r::command_name(m->command);
            }
        }
        std::vector<r::Event> server_events;
        fuzz::expect_errors([&] { (void)server.feed(chunk, server_events); });
    }
    (void)parser.last_fault();
    // Data the parser handed on never exceeds what came in.
    if (data_bytes > size) __builtin_trap();
    (void)r::unescape(chunks.stream());
    return 0;
}
