// open_transport(): the one place that maps a --port value to a transport.
#include "vesper/port/port_url.hpp"
#include "vesper/port/transport.hpp"
#include "vesper/port/transport_rfc2217.hpp"
#include "vesper/port/transport_serial.hpp"
#include "vesper/port/transport_tcp.hpp"

namespace vesper::esp {

std::unique_ptr<Transport> open_transport(const std::string& url, std::uint32_t baud) {
    const PortUrl u = parse_port_url(url);
    switch (u.kind) {
    case PortKind::socket: return std::make_unique<TcpTransport>(u, baud);
    case PortKind::rfc2217: return std::make_unique<Rfc2217Transport>(u, baud);
    case PortKind::device: break;
    }
    return std::make_unique<SerialTransport>(u.path, baud);
}

} // namespace vesper::esp
