#pragma once
// Requests to the backend over libcurl's multi interface: up to max_in_flight at once on reused easy
// handles (so connections stay alive), HTTP/2 where the server offers it, the TLS settings of the
// config. The token goes only into the Authorization header; nothing here logs or prints.
#include <atomic>
#include <deque>
#include <functional>
#include <memory>
#include <string>

#include "vesper/backend/classify.hpp"
#include "vesper/backend/settings.hpp"

namespace vesper::backend::detail {

struct HttpRequest {
    std::string method; // GET, PUT, POST
    std::string path;   // after the base URL, e.g. /v1/devices/SN
    std::string body;
    std::string content_type;
    std::string idempotency_key; // empty: none
    std::size_t tag = 0;         // the caller's
};

struct HttpAnswer {
    Transport transport = Transport::ok;
    long status = 0;
    std::string transport_error; // libcurl's words when transport is not ok (never holds the token)
    std::string body;
    std::string retry_after; // the header's value, empty without one
};

// Sorts a libcurl result code.
Transport transport_of(int curl_code);

// Percent-encodes a path segment (a serial) for a URL.
std::string path_segment(const std::string& s);

class HttpPool {
public:
    HttpPool(const BackendSettings& settings, const std::string& token);
    ~HttpPool();
    HttpPool(const HttpPool&) = delete;
    HttpPool& operator=(const HttpPool&) = delete;

    // Sends the queued requests, at most max_in_flight at once, calling `on_done` on this thread as
    // each ends; it may queue more. When it returns false, or `stop` is set, no further request starts
    // (those in flight finish and are reported; after `stop`, for at most two seconds, then they are
    // abandoned unreported). Returns how many requests were sent.
    // The answers that come in together (one wait on the sockets) are reported together, inside
    // `around_round` when given: it gets a function that reports them and must call it once (the drainer
    // writes them in one ledger transaction).
    using OnDone = std::function<bool(const HttpRequest&, const HttpAnswer&, std::deque<HttpRequest>& queue)>;
    using AroundRound = std::function<void(const std::function<void()>& report)>;
    int run(std::deque<HttpRequest> queue, const OnDone& on_done, const std::atomic<bool>* stop = nullptr,
            const AroundRound& around_round = {});

private:
    struct Impl;
    std::unique_ptr<Impl> impl_;
};

} // namespace vesper::backend::detail
