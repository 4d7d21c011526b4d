#pragma once
// vesper-backend's settings as the command line gives them, and the parsers for the option values
// that need more than CLI11's checks (HOST:PORT, the outage window, the token file).
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace vesper::backend {

struct Listen {
    std::string host = "127.0.0.1";
    std::uint16_t port = 0; // 0: the OS picks a free port
};

// What requests meet on their way in (docs/backend.md, "Faults"). Rates are probabilities per request.
struct FaultSettings {
    double fail_rate = 0;             // 500 server.injected_failure
    double throttle_rate = 0;         // 429 with Retry-After
    double drop_rate = 0;             // connection closed before anything is decided or written
    double drop_after_write_rate = 0; // a write is stored, then the connection is closed unanswered
    int retry_after_s = 1;
    int latency_ms = 0;                              // before every request is handled
    int slow_ms = 0;                                 // the response body is spread over this long
    std::optional<std::pair<double, double>> outage; // start and duration in seconds after start-up
    std::uint64_t seed = 1;
};

struct Options {
    Listen listen;
    bool allow_remote = false;
    bool tls_self_signed = false; // --tls
    std::string cert_out;         // with --tls: where the generated certificate goes
    std::string cert_file, key_file;
    std::string client_ca_file; // mTLS
    std::string token_file;
    std::string db; // empty: a temporary file removed at exit
    FaultSettings faults;
    int max_bulk = 1000;
    std::string log_file;
    bool quiet = false;
};

// "HOST:PORT" or "[V6]:PORT". Throws Error(cli.usage).
Listen parse_listen(const std::string& text);
// True for 127.0.0.0/8, ::1 and "localhost".
bool is_loopback_host(const std::string& host);
// "START_S:DURATION_S", both non-negative seconds (decimals allowed). Throws Error(cli.usage).
std::pair<double, double> parse_outage(const std::string& text);

// The accepted bearer tokens: the token file's non-empty lines (several lets tests and demos give each
// client its own token, and so its own idempotency-key scope), else $VESPER_BACKEND_TOKEN. Each must be
// 16..512 characters of RFC 6750's token alphabet. Errors never quote a token. Throws Error(secret.missing)
// when there is none, Error(input) for a malformed one, Error(io) for an unreadable file.
std::vector<std::string> load_tokens(const std::string& token_file);

} // namespace vesper::backend
