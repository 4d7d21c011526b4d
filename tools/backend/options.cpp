#include "backend/options.hpp"

#include <arpa/inet.h>

#include <cctype>
#include <cstdlib>
#include <string_view>

#include "vesper/core/error.hpp"
#include "vesper/core/files.hpp"
#include "vesper/core/text.hpp"

namespace vesper::backend {

namespace {

double parse_seconds(const std::string& text, const std::string& what) {
    std::size_t used = 0;
    double v = -1;
    try {
        v = std::stod(text, &used);
    } catch (const std::exception&) {
        used = 0;
    }
    if (used != text.size() || !(v >= 0) || v > 1e7)
        throw Error(ErrorCode::cli_usage, "--outage: " + what + " '" + text + "' is not a number of seconds >= 0");
    return v;
}

// RFC 6750's b64token: letters, digits and -._~+/ with '=' padding at the end.
bool is_token_char(char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '.' || c == '_' || c == '~' || c == '+' ||
           c == '/' || c == '=';
}

void check_token(const std::string& token, const std::string& where) {
    if (token.size() < 16 || token.size() > 512)
        throw Error(ErrorCode::input_invalid, where + ": a token must be 16..512 characters long (this one has " +
                                                  std::to_string(token.size()) + ")");
    for (char c : token)
        if (!is_token_char(c))
            throw Error(ErrorCode::input_invalid,
                        where + ": a token may hold only letters, digits and -._~+/= (RFC 6750), so it fits an "
                                "Authorization header as it is");
}

} // namespace

Listen parse_listen(const std::string& text) {
    const auto colon = text.rfind(':');
    if (colon == std::string::npos || colon == 0)
        throw Error(ErrorCode::cli_usage, "--listen '" + text + "' is not HOST:PORT (e.g. 127.0.0.1:0)");
    Listen l;
    l.host = text.substr(0, colon);
    if (l.host.size() >= 2 && l.host.front() == '[' && l.host.back() == ']')
        l.host = l.host.substr(1, l.host.size() - 2);
    const auto port = parse_uint(text.substr(colon + 1));
    if (!port || *port > 65535)
        throw Error(ErrorCode::cli_usage, "--listen '" + text + "': the port must be 0..65535 (0: any free port)");
    l.port = static_cast<std::uint16_t>(*port);
    return l;
}

bool is_loopback_host(const std::string& host) {
    if (host == "localhost") return true;
    in_addr v4{};
    if (::inet_pton(AF_INET, host.c_str(), &v4) == 1) return (ntohl(v4.s_addr) >> 24) == 127;
    in6_addr v6{};
    if (::inet_pton(AF_INET6, host.c_str(), &v6) == 1) return IN6_IS_ADDR_LOOPBACK(&v6);
    return false;
}

std::pair<double, double> parse_outage(const std::string& text) {
    const auto colon = text.find(':');
    if (colon == std::string::npos)
        throw Error(ErrorCode::cli_usage, "--outage '" + text + "' is not START_S:DURATION_S (e.g. 2:5)");
    return {parse_seconds(text.substr(0, colon), "start"), parse_seconds(text.substr(colon + 1), "duration")};
}

std::vector<std::string> load_tokens(const std::string& token_file) {
    std::vector<std::string> tokens;
    if (!token_file.empty()) {
        const std::string text = read_text_file(token_file);
        int line_no = 0;
        for (const std::string& line : split(text, '\n')) {
            ++line_no;
            const std::string token{trim(line)};
            if (token.empty()) continue;
            check_token(token, "token file " + token_file + " line " + std::to_string(line_no));
            tokens.push_back(token);
        }
        if (tokens.empty()) throw Error(ErrorCode::secret_missing, "token file " + token_file + " holds no token");
        return tokens;
    }
    const char* env = std::getenv("VESPER_BACKEND_TOKEN");
    if (env == nullptr || *env == '\0')
        throw Error(ErrorCode::secret_missing,
                    "no bearer token: give --token-file FILE or set VESPER_BACKEND_TOKEN (never on the command line)");
    const std::string token{trim(env)};
    check_token(token, "VESPER_BACKEND_TOKEN");
    tokens.push_back(token);
    return tokens;
}

} // namespace vesper::backend
