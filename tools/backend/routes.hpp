#pragma once
// The API's routes (docs/backend-api.md) on a cpp-httplib server, each behind the same gate: latency,
// the outage window, the bearer token, the random faults; then the handler; then drop-after-write and
// the slow body, the log line and the counters.
#include <httplib.h>

#include "backend/auth.hpp"
#include "backend/faults.hpp"
#include "backend/registry.hpp"
#include "backend/request_log.hpp"
#include "backend/stats.hpp"

namespace vesper::backend {

struct Context {
    Registry& registry;
    Auth& auth;
    Faults& faults;
    Stats& stats;
    RequestLog& log;
    int max_bulk = 1000;
};

void install_routes(httplib::Server& server, Context& context);

} // namespace vesper::backend
