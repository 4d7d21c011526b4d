#include "backend/routes.hpp"

#include <algorithm>
#include <chrono>
#include <functional>
#include <thread>

#include "backend/connection.hpp"
#include "vesper/core/json_text.hpp"
#include "vesper/core/text.hpp"

namespace vesper::backend {

namespace {

using nlohmann::json;
using Clock = std::chrono::steady_clock;
using Handler =
    std::function<void(const httplib::Request&, httplib::Response&, const std::string& scope, LogEntry& log)>;

constexpr const char* kJson = "application/json";

void send_error(httplib::Response& res, const ApiError& e) {
    res.status = e.status;
    res.set_content(error_body(e), kJson);
}

void send_json(httplib::Response& res, int status, const std::string& body) {
    res.status = status;
    res.set_content(body, kJson);
}

json record_view(const StoredRecord& r) {
    return {{"serial_number", r.serial_number},
            {"record", json::parse(r.record)},
            {"record_sha256", r.record_sha256},
            {"updated_at", r.updated_at},
            {"stored_at", r.stored_at}};
}

// The body handed out over `slow_ms`: eight pieces, each after an eighth of the time.
void make_slow(httplib::Response& res, int slow_ms) {
    auto body = std::make_shared<std::string>(std::move(res.body));
    res.body.clear();
    const std::size_t piece = std::max<std::size_t>(1, (body->size() + 7) / 8);
    const auto pause = std::chrono::milliseconds(std::max(1, slow_ms / 8));
    const std::string type = res.get_header_value("Content-Type");
    res.set_content_provider(body->size(), type.empty() ? kJson : type.c_str(),
                             [body, piece, pause](std::size_t offset, std::size_t length, httplib::DataSink& sink) {
                                 std::this_thread::sleep_for(pause);
                                 return sink.write(body->data() + offset, std::min(piece, length));
                             });
}

// Every data route: the gate, the handler, and what comes after it.
void serve(Context& c, const httplib::Request& req, httplib::Response& res, bool is_write, const Handler& handle) {
    const auto t0 = Clock::now();
    LogEntry log{req.method, req.path, 0, req.get_header_value("Idempotency-Key"), "none", 0, false};
    c.stats.request();
    const auto finish = [&](int status) {
        log.status = status;
        log.ms = std::chrono::duration<double, std::milli>(Clock::now() - t0).count();
        c.log.write(log);
        if (status != 0) c.stats.answered(status);
    };
    const FaultSettings& f = c.faults.settings();
    if (f.latency_ms > 0) {
        c.stats.fault("latency");
        std::this_thread::sleep_for(std::chrono::milliseconds(f.latency_ms));
    }
    if (const auto left = c.faults.outage_left()) {
        c.stats.fault("outage");
        log.fault = "outage";
        res.set_header("Retry-After", std::to_string(*left));
        send_error(res, {503, "server.outage",
                         "the backend is in an (injected) outage; retry after " + std::to_string(*left) + " s"});
        return finish(res.status);
    }
    const AuthResult auth = c.auth.check(req.get_header_value("Authorization"));
    if (!auth.scope) {
        res.set_header("WWW-Authenticate", auth.challenge);
        send_error(res, *auth.error);
        return finish(res.status);
    }
    if (const Fault fault = c.faults.draw(); fault != Fault::none) {
        c.stats.fault(to_string(fault));
        log.fault = to_string(fault);
        if (fault == Fault::drop) {
            drop_connection(req);
            res.status = 500; // never reaches the client: its connection is gone
            return finish(0);
        }
        if (fault == Fault::fail) {
            send_error(res, {500, "server.injected_failure",
                             "an injected server failure (--fail-rate); nothing was stored, retry"});
        } else {
            res.set_header("Retry-After", std::to_string(f.retry_after_s));
            send_error(res, {429, "server.throttled",
                             "too many requests (--throttle-rate); nothing was stored, retry after " +
                                 std::to_string(f.retry_after_s) + " s"});
        }
        return finish(res.status);
    }
    try {
        handle(req, res, *auth.scope, log);
    } catch (const std::exception& e) {
        // The store failed (disk full, a broken database file); the registry rolled its transaction
        // back, so nothing of the request is kept.
        send_error(res, {500, "server.error", std::string("the request failed inside the server: ") + e.what()});
        return finish(res.status);
    }
    if (is_write && res.status < 300 && c.faults.draw_drop_after_write()) {
        c.stats.fault("drop_after_write");
        log.fault = "drop_after_write";
        drop_connection(req);
        return finish(0);
    }
    if (f.slow_ms > 0) {
        c.stats.fault("slow");
        make_slow(res, f.slow_ms);
    }
    finish(res.status);
}

void put_device(Context& c, const httplib::Request& req, httplib::Response& res, const std::string& scope,
                LogEntry& log) {
    const bool has_key = req.has_header("Idempotency-Key");
    const std::string key = req.get_header_value("Idempotency-Key");
    const WriteResult r = c.registry.put(scope, has_key ? &key : nullptr, req.matches[1], req.body);
    if (r.replayed) res.set_header("Idempotent-Replayed", "true");
    log.replayed = r.replayed;
    send_json(res, r.status, r.body);
}

void post_bulk(Context& c, const httplib::Request& req, httplib::Response& res, const std::string& scope, LogEntry&) {
    const BulkParse parsed = parse_bulk(req.get_header_value("Content-Type"), req.body, c.max_bulk);
    if (parsed.error) return send_error(res, *parsed.error);
    send_json(res, 200, json_text(json{{"results", c.registry.bulk(scope, parsed.items)}}));
}

void get_device(Context& c, const httplib::Request& req, httplib::Response& res, const std::string&, LogEntry&) {
    const std::string serial = req.matches[1];
    const auto r = c.registry.get(serial);
    if (!r) return send_error(res, {404, "device.not_found", "no device " + serial + " is stored"});
    send_json(res, 200, json_text(record_view(*r)));
}

void list_devices(Context& c, const httplib::Request& req, httplib::Response& res, const std::string&, LogEntry&) {
    int limit = 100;
    if (req.has_param("limit")) {
        const auto v = parse_uint(req.get_param_value("limit"));
        if (!v || *v < 1 || *v > 1000) return send_error(res, {400, "request.invalid_query", "limit must be 1..1000"});
        limit = static_cast<int>(*v);
    }
    const std::string after = req.get_param_value("after");
    const auto rows = c.registry.list(after, limit);
    json devices = json::array();
    for (const StoredRecord& r : rows)
        devices.push_back(record_view(r));
    // A full page may have a next one; the client asks with after=<the last serial>.
    const json next = rows.size() == static_cast<std::size_t>(limit) ? json(rows.back().serial_number) : json(nullptr);
    send_json(res, 200, json_text(json{{"devices", devices}, {"next_after", next}}));
}

} // namespace

void install_routes(httplib::Server& server, Context& c) {
    const auto route = [&c](bool is_write, auto fn) {
        return [&c, is_write, fn](const httplib::Request& req, httplib::Response& res) {
            serve(c, req, res, is_write,
                  [&](const httplib::Request& q, httplib::Response& s, const std::string& scope, LogEntry& log) {
                      fn(c, q, s, scope, log);
                  });
        };
    };
    server.Put(R"(/v1/devices/([^/:]+))", route(true, put_device));
    server.Post("/v1/devices:bulk", route(true, post_bulk));
    server.Get(R"(/v1/devices/([^/:]+))", route(false, get_device));
    server.Get("/v1/devices", route(false, list_devices));
    // Counters for tests and benches: behind the token, but outside the faults and the counts, so that
    // reading them changes nothing and works during an outage.
    server.Get("/v1/_stats", [&c](const httplib::Request& req, httplib::Response& res) {
        const AuthResult auth = c.auth.check(req.get_header_value("Authorization"));
        if (!auth.scope) {
            res.set_header("WWW-Authenticate", auth.challenge);
            return send_error(res, *auth.error);
        }
        json j = c.stats.to_json();
        const RegistryCounters& n = c.registry.counters();
        j["records"] = c.registry.count();
        j["created"] = n.created.load();
        j["updated"] = n.updated.load();
        j["unchanged"] = n.unchanged.load();
        j["stale"] = n.stale.load();
        j["replays"] = n.replays.load();
        j["mismatches"] = n.mismatches.load();
        send_json(res, 200, json_text(j));
    });
    // Anything else that throws on cpp-httplib's side of a handler is a 500 with the reason too.
    server.set_exception_handler([](const httplib::Request&, httplib::Response& res, std::exception_ptr failure) {
        std::string why = "unknown";
        try {
            std::rethrow_exception(failure);
        } catch (const std::exception& e) {
            why = e.what();
        } catch (...) {
        }
        send_error(res, {500, "server.error", "the request failed inside the server: " + why});
    });
    // What cpp-httplib answers itself (no route: 404; body over the limit: 413; a malformed request: 400)
    // gets the API's error body too.
    server.set_error_handler([](const httplib::Request&, httplib::Response& res) {
        if (!res.body.empty() || res.content_provider_) return;
        if (res.status == 404)
            send_error(res, {404, "request.not_found", "no such route (see docs/backend-api.md)"});
        else if (res.status == 413)
            send_error(res, {413, "request.too_large", "the request body is larger than this server takes"});
        else
            send_error(res, {res.status, "request.invalid", "the request was not understood"});
    });
}

} // namespace vesper::backend
