#pragma once
// What an answer from the backend (or its absence) means for the records it carried: the one table
// the drainer follows (docs/registration.md, "Classification").
#include <string_view>

namespace vesper::backend {

// How a request ended below HTTP (libcurl's result, sorted).
enum class Transport {
    ok,         // an HTTP answer arrived
    timeout,    // connect or request timeout
    connection, // refused, reset, dropped without an answer, TLS handshake broken off, name not resolved
    tls_verify, // the server's certificate or pinned key did not verify, or the CA/client files are unusable
    other,      // anything else libcurl reports
};

enum class Action {
    done,     // 2xx: confirmed (a stale answer too: the backend holds newer data)
    retry,    // 408, 425, 429, 5xx, timeouts, connection errors: later, with backoff, the same key
    auth,     // 401, 403: dead-letter what got it and stop the drain (an operator fixes the token)
    split,    // 413 on a bulk of more than one record: send each half again
    dead,     // any other 4xx (and 413 of a single record), 1xx/3xx: dead-letter with the answer
    stop_tls, // TLS verification failed: stop the drain, records stay pending
};

// `status` is the HTTP status when transport is ok (ignored otherwise); `records` how many records the
// request carried (413 splits only what can be split).
Action classify(Transport transport, long status, int records = 1);
std::string_view to_string(Action action);

} // namespace vesper::backend
