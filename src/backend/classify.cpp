// The classification table (docs/registration.md): which answers finish a record, which are retried,
// which stop the drain.
#include "vesper/backend/classify.hpp"

namespace vesper::backend {

Action classify(Transport transport, long status, int records) {
    switch (transport) {
    case Transport::ok: break;
    case Transport::tls_verify: return Action::stop_tls;
    case Transport::timeout:
    case Transport::connection:
    case Transport::other: return Action::retry;
    }
    if (status >= 200 && status < 300) return Action::done;
    if (status == 401 || status == 403) return Action::auth;
    if (status == 408 || status == 425 || status == 429 || (status >= 500 && status < 600)) return Action::retry;
    if (status == 413 && records > 1) return Action::split;
    return Action::dead; // other 4xx; 1xx/3xx (vesperctl follows no redirect) and nonsense
}

std::string_view to_string(Action action) {
    switch (action) {
    case Action::done: return "done";
    case Action::retry: return "retry";
    case Action::auth: return "auth";
    case Action::split: return "split";
    case Action::dead: return "dead";
    case Action::stop_tls: return "stop_tls";
    }
    return "?";
}

} // namespace vesper::backend
