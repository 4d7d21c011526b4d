#pragma once
// What the user typed after --port, taken apart: a local device path, socket://HOST:PORT (raw TCP, as
// ser2net's "raw" mode and the device simulator expose) or rfc2217://HOST:PORT[?options].
#include <chrono>
#include <cstdint>
#include <string>

namespace vesper::esp {

enum class PortKind { device, socket, rfc2217 };

// Options of an rfc2217:// URL, given as ?name[=value]&name... (the names pyserial uses where they
// mean the same thing).
struct Rfc2217Options {
    // timeout=SECONDS: how long to wait for the server's negotiation answers and acknowledgements.
    std::chrono::milliseconds timeout{3000};
    // ign_set_control: do not wait for SET-CONTROL (DTR/RTS) acknowledgements; some servers never send
    // them.
    bool ignore_set_control_ack = false;
};

struct PortUrl {
    PortKind kind = PortKind::device;
    std::string url;  // as given, for messages
    std::string path; // device: the path as given
    std::string host; // socket/rfc2217: host name or address, IPv6 without brackets
    std::uint16_t port = 0;
    Rfc2217Options rfc2217;
};

// Throws Error(input) naming the URL and what is wrong with it. Anything without "://" is a device
// path; its existence is checked when it is opened, not here.
PortUrl parse_port_url(const std::string& url);

} // namespace vesper::esp
