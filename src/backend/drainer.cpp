// The drain loop: due entries out of the ledger, requests through the pool, and each answer back into
// the ledger as it arrives (confirmed, retry later, dead), in short transactions of the drainer's own
// ledger connection.
#include "vesper/backend/drainer.hpp"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <chrono>
#include <random>
#include <thread>
#include <vector>

#include "http_pool.hpp"
#include "vesper/backend/backoff.hpp"
#include "vesper/backend/classify.hpp"
#include "vesper/backend/retry_after.hpp"
#include "vesper/core/json_text.hpp"
#include "vesper/core/text.hpp"
#include "vesper/ledger/ledger.hpp"

namespace vesper::backend {

namespace {

using Clock = std::chrono::system_clock;

constexpr std::size_t kPassRecords = 512; // the fewest records a pass looks for
using detail::HttpAnswer;
using detail::HttpRequest;
using nlohmann::json;

std::string at(Clock::time_point t) { return utc_iso8601_ms(t); }

// The error code and message of an error body, "" when it has none.
std::string error_code_of(const json& body) {
    if (body.is_object() && body.contains("error") && body["error"].is_object())
        return body["error"].value("code", std::string());
    return {};
}

std::string answer_text(long status, const std::string& body) {
    const json parsed = json::parse(body, nullptr, false);
    return json_text({{"status", status}, {"body", parsed.is_discarded() ? json(body) : parsed}});
}

// One line for an entry's last_error: "HTTP 429 server.throttled" or "connection: ...".
std::string failure_text(const HttpAnswer& a, const json& body) {
    if (a.transport != Transport::ok)
        return std::string(a.transport == Transport::timeout ? "timeout" : "connection") + ": " + a.transport_error;
    const std::string code = error_code_of(body);
    return "HTTP " + std::to_string(a.status) + (code.empty() ? "" : " " + code);
}

} // namespace

struct Drainer::Impl {
    std::filesystem::path ledger_path;
    BackendSettings settings;
    std::string actor;
    ledger::Ledger ledger;
    detail::HttpPool pool;
    std::mt19937_64 rng{std::random_device{}()};

    Impl(std::filesystem::path path, BackendSettings s, const std::string& token, std::string who)
        : ledger_path(std::move(path)), settings(std::move(s)), actor(std::move(who)),
          ledger(ledger::Ledger::open(ledger_path, actor, ledger::Access::existing)), pool(settings, token) {
        // A confirmation a power cut undoes only sends its record again, under the same idempotency
        // key: the backend answers the replay. So the drain's commits need not wait for the disk.
        ledger.sync_at_checkpoints();
    }

    // One job: the entries one request carries.
    struct Job {
        std::vector<ledger::OutboxEntry> entries;
        bool bulk = false;
    };

    struct Pass {
        DrainStats& stats;
        const std::function<void(const DrainEvent&)>& on_event;
        std::vector<Job> jobs;
        int dead_auth = 0;
        std::optional<Clock::time_point> next_due; // the earliest retry this pass scheduled
    };

    void emit(Pass& p, std::string kind, const std::string& serial, std::string detail) {
        if (p.on_event) p.on_event({std::move(kind), serial, std::move(detail)});
    }

    HttpRequest request_for(std::size_t tag, const Job& job) {
        HttpRequest r;
        r.tag = tag;
        if (!job.bulk) {
            const auto& e = job.entries.front();
            r.method = "PUT";
            r.path = "/v1/devices/" + detail::path_segment(e.serial);
            r.body = e.payload;
            r.content_type = "application/json";
            r.idempotency_key = e.idempotency_key();
            return r;
        }
        r.method = "POST";
        r.path = "/v1/devices:bulk";
        r.content_type = "application/x-ndjson";
        for (const auto& e : job.entries)
            r.body += "{\"idempotency_key\":" + json_text(e.idempotency_key()) + ",\"record\":" + e.payload + "}\n";
        return r;
    }

    void confirm(Pass& p, const ledger::OutboxEntry& e, const json& answer) {
        const bool stale = answer.is_object() && answer.value("applied", true) == false;
        const std::string sha = answer.is_object() ? answer.value("record_sha256", std::string()) : std::string();
        if (!ledger.outbox_confirmed({e.id, sha})) return; // another drainer's confirmation came first
        ++(stale ? p.stats.stale : p.stats.sent);
        emit(p, stale ? "stale" : "sent", e.serial, answer.is_object() ? answer.value("result", std::string()) : "");
    }

    void retry(Pass& p, const ledger::OutboxEntry& e, const std::string& why, std::optional<double> retry_after) {
        std::uniform_real_distribution<double> unit(0.0, 1.0);
        const double delay =
            retry_delay(e.attempts, settings.backoff_base_s, settings.backoff_max_s, retry_after, unit(rng));
        const auto due = Clock::now() + std::chrono::microseconds(static_cast<long long>(delay * 1e6));
        ledger.outbox_retry_later(e.id, why, at(due));
        if (!p.next_due || due < *p.next_due) p.next_due = due;
        ++p.stats.retries;
        emit(p, "retry", e.serial, why);
    }

    void dead(Pass& p, const ledger::OutboxEntry& e, const std::string& why, const std::string& response) {
        ledger.outbox_dead(e.id, why, response);
        ++p.stats.dead;
        emit(p, "dead", e.serial, why);
    }

    // One record's answer (a PUT's, or a bulk item's): status and body.
    void settle(Pass& p, const ledger::OutboxEntry& e, long status, const json& body, const std::string& raw,
                std::optional<double> retry_after) {
        const Action a = classify(Transport::ok, status, 1);
        const std::string code = error_code_of(body);
        const std::string why = "HTTP " + std::to_string(status) + (code.empty() ? "" : " " + code);
        switch (a) {
        case Action::done: confirm(p, e, body); break;
        case Action::retry: retry(p, e, why, retry_after); break;
        default: dead(p, e, why, answer_text(status, raw)); break;
        }
    }

    // Returns false when the drain must stop (auth, TLS).
    bool handle(Pass& p, const HttpRequest& req, const HttpAnswer& a, std::deque<HttpRequest>& queue) {
        const Job job = p.jobs[req.tag]; // a copy: splitting adds jobs
        const json body = a.body.empty() ? json() : json::parse(a.body, nullptr, false);
        const Action action = classify(a.transport, a.status, static_cast<int>(job.entries.size()));
        std::optional<double> retry_after;
        if (!a.retry_after.empty())
            retry_after = retry_after_seconds(a.retry_after, Clock::now(), settings.backoff_max_s);
        switch (action) {
        case Action::stop_tls: {
            const std::string why = "the backend at " + settings.url + " did not verify: " + a.transport_error;
            emit(p, "tls", "", why);
            if (!p.stats.stopped_by) p.stats.stopped_by = Error(ErrorCode::backend_tls, why);
            return false; // the records stay pending: fixing the config sends them
        }
        case Action::auth: {
            const std::string code = error_code_of(body);
            const std::string why =
                "backend refused the token (" + std::to_string(a.status) + (code.empty() ? "" : " " + code) + ")";
            for (const auto& e : job.entries) {
                dead(p, e, why, answer_text(a.status, a.body));
                ++p.dead_auth;
            }
            emit(p, "auth", "", why);
            if (!p.stats.stopped_by)
                p.stats.stopped_by = Error(ErrorCode::backend_auth, why + " at " + settings.url +
                                                                        "; fix the token, then "
                                                                        "register --retry-failed");
            return false;
        }
        case Action::split: {
            const std::size_t half = job.entries.size() / 2;
            for (auto [from, to] : {std::pair{std::size_t{0}, half}, std::pair{half, job.entries.size()}}) {
                Job part{std::vector<ledger::OutboxEntry>(job.entries.begin() + static_cast<std::ptrdiff_t>(from),
                                                          job.entries.begin() + static_cast<std::ptrdiff_t>(to)),
                         true};
                p.jobs.push_back(std::move(part));
                queue.push_back(request_for(p.jobs.size() - 1, p.jobs.back()));
            }
            emit(p, "split", "", "HTTP 413: bulk of " + std::to_string(job.entries.size()) + " split in halves");
            return true;
        }
        case Action::retry:
            for (const auto& e : job.entries)
                retry(p, e, failure_text(a, body), retry_after);
            return true;
        case Action::dead:
            for (const auto& e : job.entries)
                dead(p, e, failure_text(a, body), answer_text(a.status, a.body));
            return true;
        case Action::done: break;
        }
        if (!job.bulk) {
            if (body.is_discarded() || !body.is_object()) {
                retry(p, job.entries.front(), "HTTP " + std::to_string(a.status) + ": the answer is not JSON",
                      retry_after);
                return true;
            }
            confirm(p, job.entries.front(), body);
            return true;
        }
        // A bulk answer: one result per item, in the order sent.
        const json* results = body.is_object() && body.contains("results") ? &body["results"] : nullptr;
        if (!results || !results->is_array() || results->size() != job.entries.size()) {
            for (const auto& e : job.entries)
                retry(p, e,
                      "HTTP " + std::to_string(a.status) + ": the bulk answer does not hold one result per record",
                      retry_after);
            return true;
        }
        for (std::size_t i = 0; i < job.entries.size(); ++i) {
            const json& item = (*results)[i];
            const long status = item.is_object() ? item.value("status", 0L) : 0L;
            settle(p, job.entries[i], status, item, json_text(item), std::nullopt);
        }
        return true;
    }

    // Jobs for `due`, `per` records a request (bulk) or one each, and their requests on `queue`.
    void add_jobs(Pass& p, const std::vector<ledger::OutboxEntry>& due, std::size_t per,
                  std::deque<HttpRequest>& queue) {
        for (std::size_t i = 0; i < due.size(); i += per) {
            if (settings.bulk_size <= 1)
                p.jobs.push_back({{due[i]}, false});
            else
                p.jobs.push_back({std::vector<ledger::OutboxEntry>(
                                      due.begin() + static_cast<std::ptrdiff_t>(i),
                                      due.begin() + static_cast<std::ptrdiff_t>(std::min(due.size(), i + per))),
                                  true});
            queue.push_back(request_for(p.jobs.size() - 1, p.jobs.back()));
        }
    }

    // One pass over the entries due at `now`: it starts with a load of them and, whenever the pool has
    // no request waiting, takes the next due ones (newer than any it took: those still pending are in
    // flight or wait for a retry), so the backend is never idle while answers are written. It ends
    // when nothing more is due. Returns false when the drain must stop.
    bool pass(DrainStats& stats, const DrainOptions& options, const std::string& now, const std::atomic<bool>& stop,
              const std::function<void(const DrainEvent&)>& on_event, std::optional<Clock::time_point>& next_due,
              bool& found) {
        const std::size_t in_flight = static_cast<std::size_t>(std::max(settings.max_in_flight, 1));
        const std::size_t bulk = std::max<std::size_t>(settings.bulk_size, 1);
        Pass p{stats, on_event, {}, 0, std::nullopt};
        std::int64_t cursor = 0; // the newest entry this pass took
        // Takes up to `records` due entries after the cursor into jobs on `queue`; spread: over the
        // connections, so fewer records than a full load go out in smaller bulks.
        const auto take = [&](std::size_t records, bool spread, std::deque<HttpRequest>& queue) {
            const auto due = ledger.due_outbox(options.batch, now, records, cursor);
            if (due.empty()) return false;
            cursor = due.back().id;
            const std::size_t per = bulk == 1 ? 1
                                    : spread  ? std::min(bulk, (due.size() + in_flight - 1) / in_flight)
                                              : bulk;
            add_jobs(p, due, per, queue);
            return true;
        };
        // Looking for due entries reads the outbox, so one-by-one records are taken kPassRecords at a
        // time, not a handful.
        std::deque<HttpRequest> queue;
        found = take(std::max(in_flight * bulk, kPassRecords), true, queue);
        if (!found) return true;
        // What the answers that came in together mean is written in one transaction: one commit for a
        // bulk answer's hundreds of records, or for the several PUTs answered in one round, not one each.
        stats.requests += pool.run(
            std::move(queue),
            [&](const HttpRequest& req, const HttpAnswer& a, std::deque<HttpRequest>& more) {
                if (!handle(p, req, a, more)) return false;
                if (more.empty() && !stop.load()) take(bulk == 1 ? kPassRecords : bulk, false, more);
                return true;
            },
            &stop, [&](const std::function<void()>& report) { ledger.write_batch(report); });
        if (p.next_due && (!next_due || *p.next_due < *next_due)) next_due = p.next_due;
        return !stats.stopped_by;
    }

    DrainStats run(const DrainOptions& options, const std::atomic<bool>& stop,
                   const std::function<void(const DrainEvent&)>& on_event) {
        DrainStats stats;
        // `once` looks at what is due when it starts: a retry it schedules is later than that, so the
        // pass ends; records queued by a confirmation (a registered device's) are due at once and go too.
        const std::string start = at(Clock::now());
        std::optional<Clock::time_point> next_due; // the earliest retry this run scheduled and not yet reached
        while (!stop.load()) {
            bool found = false;
            const std::string now = options.mode == DrainMode::once ? start : at(Clock::now());
            if (!pass(stats, options, now, stop, on_event, next_due, found)) break;
            if (found) continue; // more may be due: a pass takes a bounded number of records
            if (options.mode == DrainMode::once) break;
            if (options.mode == DrainMode::until_empty &&
                ledger.outbox_depth(options.batch, at(Clock::now())).pending == 0)
                break;
            // Nothing due now: sleep until the next retry this run scheduled, at most poll_s, waking for stop.
            auto wake = Clock::now() + std::chrono::milliseconds(static_cast<long long>(options.poll_s * 1000));
            if (next_due && *next_due < wake) wake = *next_due;
            if (next_due && *next_due <= wake) next_due.reset();
            while (!stop.load() && Clock::now() < wake)
                std::this_thread::sleep_for(
                    std::min<Clock::duration>(wake - Clock::now(), std::chrono::milliseconds(20)));
        }
        const auto depth = ledger.outbox_depth(options.batch, at(Clock::now()));
        stats.pending = depth.pending;
        stats.waiting = depth.waiting;
        return stats;
    }
};

Drainer::Drainer(std::filesystem::path ledger_path, BackendSettings settings, std::string token, std::string actor)
    : impl_(std::make_unique<Impl>(std::move(ledger_path), std::move(settings), token, std::move(actor))) {
    std::fill(token.begin(), token.end(), '\0');
}

Drainer::~Drainer() = default;

DrainStats Drainer::run(const DrainOptions& options, const std::atomic<bool>& stop,
                        const std::function<void(const DrainEvent&)>& on_event) {
    return impl_->run(options, stop, on_event);
}

} // namespace vesper::backend
