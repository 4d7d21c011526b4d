#include "vesper/port/port_url.hpp"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <string_view>

#include "vesper/core/error.hpp"
#include "vesper/core/text.hpp"

namespace vesper::esp {
namespace {

[[noreturn]] void bad_url(const std::string& url, const std::string& why) {
    fail(ErrorCode::port_url_invalid, "port URL " + quote_value(url) + " is malformed: " + why);
}

std::string lower(std::string_view s) {
    std::string out(s);
    std::transform(out.begin(), out.end(), out.begin(), [](unsigned char c) { return std::tolower(c); });
    return out;
}

// "host:port" or "[v6addr]:port".
void parse_host_port(std::string_view hp, const std::string& url, const char* form, PortUrl& out) {
    std::string_view host;
    std::string_view port;
    if (!hp.empty() && hp.front() == '[') {
        const auto close = hp.find(']');
        if (close == std::string_view::npos)
            bad_url(url, "'[' without ']' around the IPv6 address; expected " + std::string(form));
        host = hp.substr(1, close - 1);
        const auto rest = hp.substr(close + 1);
        if (rest.empty() || rest.front() != ':') bad_url(url, "missing ':PORT'; expected " + std::string(form));
        port = rest.substr(1);
    } else {
        const auto colon = hp.rfind(':');
        if (colon == std::string_view::npos) bad_url(url, "missing ':PORT'; expected " + std::string(form));
        host = hp.substr(0, colon);
        port = hp.substr(colon + 1);
        if (host.find(':') != std::string_view::npos)
            bad_url(url, "an IPv6 address must be written in brackets, e.g. [::1]:4000");
    }
    if (host.empty()) bad_url(url, "missing HOST; expected " + std::string(form));
    for (char c : host) {
        if (std::isspace(static_cast<unsigned char>(c)) || c == '/' || c == '?' || c == '@')
            bad_url(url, "host " + quote_value(host) + " contains '" + std::string(1, c) + "'");
    }
    unsigned value = 0;
    const auto [end, ec] = std::from_chars(port.data(), port.data() + port.size(), value);
    if (port.empty() || ec != std::errc() || end != port.data() + port.size() || value == 0 || value > 65535)
        bad_url(url, "port " + quote_value(port) + " is not a number from 1 to 65535");
    out.host = std::string(host);
    out.port = static_cast<std::uint16_t>(value);
}

void parse_rfc2217_options(std::string_view query, const std::string& url, Rfc2217Options& opts) {
    for (const auto& item : split(query, '&')) {
        if (item.empty()) continue;
        const auto eq = item.find('=');
        const std::string name = item.substr(0, eq);
        const std::string value = eq == std::string::npos ? std::string() : item.substr(eq + 1);
        if (name == "ign_set_control") {
            if (eq != std::string::npos) bad_url(url, "option 'ign_set_control' takes no value");
            opts.ignore_set_control_ack = true;
        } else if (name == "timeout") {
            double seconds = 0;
            const auto [end, ec] = std::from_chars(value.data(), value.data() + value.size(), seconds);
            if (value.empty() || ec != std::errc() || end != value.data() + value.size() || !(seconds > 0) ||
                seconds > 600)
                bad_url(url, "option 'timeout' needs seconds between 0 and 600, got " + quote_value(value));
            opts.timeout = std::chrono::milliseconds(static_cast<long long>(seconds * 1000 + 0.5));
            if (opts.timeout.count() == 0) opts.timeout = std::chrono::milliseconds(1);
        } else {
            bad_url(url, "unknown option " + quote_value(name) + " (known: timeout=SECONDS, ign_set_control)");
        }
    }
}

} // namespace

PortUrl parse_port_url(const std::string& url) {
    PortUrl out;
    out.url = url;
    if (trim(url).empty())
        fail(ErrorCode::port_url_invalid,
             "port is empty: give a device path, socket://HOST:PORT or rfc2217://HOST:PORT");
    const auto sep = url.find("://");
    if (sep == std::string::npos) {
        out.kind = PortKind::device;
        out.path = url;
        return out;
    }
    const std::string scheme = lower(std::string_view(url).substr(0, sep));
    std::string_view rest = std::string_view(url).substr(sep + 3);
    if (scheme == "socket") {
        out.kind = PortKind::socket;
        if (rest.find_first_of("?/") != std::string_view::npos)
            bad_url(url, "socket:// takes no path or options; expected socket://HOST:PORT");
        parse_host_port(rest, url, "socket://HOST:PORT", out);
    } else if (scheme == "rfc2217") {
        out.kind = PortKind::rfc2217;
        const auto q = rest.find('?');
        std::string_view hp = rest.substr(0, q);
        if (hp.find('/') != std::string_view::npos)
            bad_url(url, "options go after '?', e.g. rfc2217://HOST:PORT?timeout=5&ign_set_control");
        parse_host_port(hp, url, "rfc2217://HOST:PORT[?options]", out);
        if (q != std::string_view::npos) parse_rfc2217_options(rest.substr(q + 1), url, out.rfc2217);
    } else {
        bad_url(url, "unsupported scheme " + quote_value(scheme + "://") +
                         "; use a device path, socket://HOST:PORT or rfc2217://HOST:PORT");
    }
    return out;
}

} // namespace vesper::esp
