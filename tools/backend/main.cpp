// vesper-backend: the reference device registration backend (docs/backend.md, docs/backend-api.md).
#include <CLI/CLI.hpp>

#include <cstdio>
#include <string>

#include "backend/options.hpp"
#include "backend/server.hpp"
#include "vesper/core/error.hpp"

using namespace vesper;
using namespace vesper::backend;

namespace {

constexpr const char* kFooter = R"(
The bearer token comes from --token-file FILE (one token per line; each its own idempotency-key scope)
or $VESPER_BACKEND_TOKEN, never from the command line; it is never printed or logged.

Ready line on stdout, once listening (with TLS, the certificate's pin for CURLOPT_PINNEDPUBLICKEY):
  vesper-backend listening on https://127.0.0.1:PORT pin sha256//BASE64

Faults (decided before anything is stored; --seed makes the draws repeatable):
  --fail-rate R              500 server.injected_failure
  --throttle-rate R          429 server.throttled with Retry-After: --retry-after S
  --drop-rate R              the connection is closed without an answer
  --drop-after-write-rate R  a write is stored, then the connection is closed without an answer
  --latency-ms N             every request waits N ms first
  --slow-ms N                every response body takes N ms to send
  --outage START:DURATION    503 server.outage (Retry-After) for everything in that window, in seconds
                             after start-up
GET /v1/_stats (with the token) gives the counters; it meets no fault.

Exit: SIGINT or SIGTERM stops the server cleanly (exit code 0). An error is one line on stderr,
"vesper-backend: error: ...", and exits with 2 (bad arguments), 5 (files, sockets) or 1 (internal).
)";

int error_exit(const std::string& message, int code) {
    std::fprintf(stderr, "vesper-backend: error: %s\n", message.c_str());
    return code;
}

} // namespace

int main(int argc, char** argv) {
    CLI::App cli{"vesper-backend: the reference device registration backend (HTTP/HTTPS, SQLite)"};
    cli.footer(kFooter);
    Options o;
    std::string listen = "127.0.0.1:0", outage;
    cli.add_option("--listen", listen, "HOST:PORT to listen on (port 0: any free port)")->capture_default_str();
    cli.add_flag("--allow-remote", o.allow_remote, "allow a HOST that is not loopback");
    cli.add_flag("--tls", o.tls_self_signed, "HTTPS with a self-signed certificate made at start (EC P-256, 1 day)");
    cli.add_option("--cert-out", o.cert_out, "with --tls: write the certificate (PEM) here for clients to trust");
    cli.add_option("--cert", o.cert_file, "HTTPS with this PEM certificate (with --key)");
    cli.add_option("--key", o.key_file, "the PEM private key of --cert");
    cli.add_option("--client-ca", o.client_ca_file,
                   "mTLS: require a client certificate signed by a CA in this PEM file");
    cli.add_option("--token-file", o.token_file, "bearer tokens, one per line (else $VESPER_BACKEND_TOKEN)");
    cli.add_option("--db", o.db, "SQLite database file, or :memory: (default: a temporary file removed at exit)");
    cli.add_option("--fail-rate", o.faults.fail_rate, "share of requests answered 500")->check(CLI::Range(0.0, 1.0));
    cli.add_option("--throttle-rate", o.faults.throttle_rate, "share of requests answered 429")
        ->check(CLI::Range(0.0, 1.0));
    cli.add_option("--retry-after", o.faults.retry_after_s, "Retry-After seconds of a 429")
        ->capture_default_str()
        ->check(CLI::Range(0, 3600));
    cli.add_option("--drop-rate", o.faults.drop_rate, "share of requests whose connection is dropped unanswered")
        ->check(CLI::Range(0.0, 1.0));
    cli.add_option("--drop-after-write-rate", o.faults.drop_after_write_rate,
                   "share of successful writes whose connection is dropped after the store")
        ->check(CLI::Range(0.0, 1.0));
    cli.add_option("--latency-ms", o.faults.latency_ms, "delay before every request")->check(CLI::Range(0, 600000));
    cli.add_option("--slow-ms", o.faults.slow_ms, "time every response body takes")->check(CLI::Range(0, 600000));
    cli.add_option("--outage", outage, "START_S:DURATION_S: 503 for everything in that window");
    cli.add_option("--seed", o.faults.seed, "seed of the fault draws")->capture_default_str();
    cli.add_option("--max-bulk", o.max_bulk, "most records in one bulk request (413 above)")
        ->capture_default_str()
        ->check(CLI::Range(1, 100000));
    cli.add_option("--log", o.log_file, "append one JSON line per request to FILE");
    cli.add_flag("--quiet", o.quiet, "nothing on stderr but errors");
    try {
        cli.parse(argc, argv);
    } catch (const CLI::CallForHelp& e) {
        return cli.exit(e);
    } catch (const CLI::ParseError& e) {
        return error_exit(e.what(), exit_code_for(ErrorKind::input));
    }

    try {
        o.listen = parse_listen(listen);
        if (!o.allow_remote && !is_loopback_host(o.listen.host))
            throw Error(ErrorCode::cli_usage,
                        "--listen " + listen + " is not a loopback address; give --allow-remote to listen there");
        if (!outage.empty()) o.faults.outage = parse_outage(outage);
        if (o.tls_self_signed && !o.cert_file.empty())
            throw Error(ErrorCode::cli_usage, "give either --tls (self-signed) or --cert/--key, not both");
        if (o.cert_file.empty() != o.key_file.empty())
            throw Error(ErrorCode::cli_usage, "--cert and --key go together");
        if (!o.cert_out.empty() && !o.tls_self_signed)
            throw Error(ErrorCode::cli_usage, "--cert-out writes the certificate --tls makes; it needs --tls");
        if (!o.client_ca_file.empty() && !o.tls_self_signed && o.cert_file.empty())
            throw Error(ErrorCode::cli_usage, "--client-ca (mTLS) needs HTTPS: --tls or --cert/--key");
        const auto tokens = load_tokens(o.token_file);
        return run_server(o, tokens);
    } catch (const Error& e) {
        return error_exit(e.what(), exit_code_for(e.kind()));
    } catch (const std::exception& e) {
        return error_exit(std::string("internal: ") + e.what(), exit_code_for(ErrorKind::internal));
    }
}
