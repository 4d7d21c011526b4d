// The backend queue beside a station run (station/outbox_drain): the monitor reports the batch's queue as
// it changes, finish() gives the drain its grace and stops it, and a drain that stops early says why.
// The drain here confirms entries through the ledger as a backend's answers would; the real drainer's
// HTTPS side is tested against vesper-backend (tests/integration).
#include <catch2/catch.hpp>

#include <atomic>
#include <chrono>
#include <mutex>
#include <thread>
#include <vector>

#include "vesper/core/error.hpp"
#include "vesper/core/text.hpp"
#include "vesper/ledger/ledger.hpp"
#include "vesper/station/outbox_drain.hpp"

#include "ledger_support.hpp"

using namespace vesper;
using ledger::DeviceStatus;
using station::OutboxDrain;
using station::OutboxStatus;
using namespace std::chrono_literals;

namespace {

ledger::AttemptOutcome pass(DeviceStatus s) {
    ledger::AttemptOutcome o;
    o.passed = true;
    o.sets_status = s;
    return o;
}

// A batch of `n` devices, all tested: each has a tested record pending.
std::int64_t tested_batch(const test::TempLedger& t, int n) {
    auto l = t.open();
    const auto b = l.create_batch(test::batch_spec(n));
    for (int i = 1; i <= n; ++i) {
        const auto sn = l.bind_mac(b.id, test::mac_of(i)).device.serial;
        l.finish_attempt(l.begin_attempt(sn, "flash", "A", "p"), pass(DeviceStatus::flashed));
        l.finish_attempt(l.begin_attempt(sn, "test", "A", "p"), pass(DeviceStatus::tested));
    }
    return b.id;
}

// A drain that confirms every due entry, a few at a time, until stopped.
OutboxDrain::DrainBody confirming_drain(const std::filesystem::path& path) {
    return [path](const std::atomic<bool>& stop) {
        auto l = ledger::Ledger::open(path, "drainer", ledger::Access::existing);
        while (!stop) {
            for (const auto& e : l.due_outbox(std::nullopt, utc_iso8601_ms(std::chrono::system_clock::now()), 2))
                l.outbox_confirmed({e.id, std::string(64, 'f')});
            std::this_thread::sleep_for(20ms);
        }
        return std::string();
    };
}

// A drain whose first try fails: every due entry is put off by `delay`; with `confirm`, the entries are
// then confirmed as they come due, until stopped.
OutboxDrain::DrainBody failing_drain(const std::filesystem::path& path, std::chrono::milliseconds delay, bool confirm) {
    return [path, delay, confirm](const std::atomic<bool>& stop) {
        auto l = ledger::Ledger::open(path, "drainer", ledger::Access::existing);
        const auto now = [] { return utc_iso8601_ms(std::chrono::system_clock::now()); };
        const auto later = utc_iso8601_ms(std::chrono::system_clock::now() + delay);
        for (const auto& e : l.due_outbox(std::nullopt, now(), 10))
            l.outbox_retry_later(e.id, "connection reset", later);
        while (!stop) {
            if (confirm)
                for (const auto& e : l.due_outbox(std::nullopt, now(), 10))
                    l.outbox_confirmed({e.id, std::string(64, 'f')});
            std::this_thread::sleep_for(20ms);
        }
        return std::string();
    };
}

} // namespace

TEST_CASE("outbox drain: the queue drains beside the run and finish reports it empty", "[station][outbox]") {
    test::TempLedger t;
    const auto batch = tested_batch(t, 5);
    std::mutex m;
    std::vector<OutboxStatus> seen;
    OutboxDrain drain(
        t.path, batch, confirming_drain(t.path),
        [&](const OutboxStatus& s) {
            std::lock_guard lock(m);
            seen.push_back(s);
        },
        20ms);
    CHECK(drain.status().queued == 5);
    CHECK(drain.status().draining);
    const OutboxStatus end = drain.finish(10s);
    CHECK(end.queued == 0);
    CHECK(end.registered == 5);
    CHECK(end.dead == 0);
    CHECK(end.stopped.empty());
    CHECK_FALSE(end.draining);
    // The monitor saw the queue go down.
    std::lock_guard lock(m);
    REQUIRE_FALSE(seen.empty());
    for (std::size_t i = 1; i < seen.size(); ++i)
        CHECK(seen[i].registered >= seen[i - 1].registered);
    const auto json = station::to_json(end);
    CHECK(json.at("registered") == 5);
    CHECK(json.at("stopped").is_null());
}

TEST_CASE("outbox drain: without a drain the queue is only watched, and finish does not wait", "[station][outbox]") {
    test::TempLedger t;
    const auto batch = tested_batch(t, 3);
    OutboxDrain drain(t.path, batch, {}, {}, 20ms);
    const auto t0 = std::chrono::steady_clock::now();
    const OutboxStatus end = drain.finish(10s);
    CHECK(std::chrono::steady_clock::now() - t0 < 5s);
    CHECK(end.queued == 3);
    CHECK(end.registered == 0);
    CHECK_FALSE(end.draining);
}

TEST_CASE("outbox drain: a drain that stops early says why, and the records stay queued", "[station][outbox]") {
    test::TempLedger t;
    const auto batch = tested_batch(t, 2);
    OutboxDrain drain(
        t.path, batch,
        [](const std::atomic<bool>&) -> std::string {
            throw Error(ErrorCode::secret_missing, "backend: the token is refused");
        },
        {}, 20ms);
    const OutboxStatus end = drain.finish(10s);
    CHECK(end.stopped == "backend: the token is refused");
    CHECK(end.queued == 2);
    CHECK_FALSE(end.draining);
}

TEST_CASE("outbox drain: records that wait for a retry end the grace early", "[station][outbox]") {
    test::TempLedger t;
    const auto batch = tested_batch(t, 2);
    // A backend that is down: every entry is put off for an hour.
    OutboxDrain drain(t.path, batch, failing_drain(t.path, std::chrono::hours(1), false), {}, 20ms);
    const auto t0 = std::chrono::steady_clock::now();
    const OutboxStatus end = drain.finish(30s);
    CHECK(std::chrono::steady_clock::now() - t0 < 10s);
    CHECK(end.queued == 2);
    CHECK(end.waiting == 2);
}

TEST_CASE("outbox drain: a retry due within the grace is waited for", "[station][outbox]") {
    test::TempLedger t;
    const auto batch = tested_batch(t, 2);
    // A connection that fails once: every entry is put off for 300 ms, then confirmed when due.
    OutboxDrain drain(t.path, batch, failing_drain(t.path, 300ms, true), {}, 20ms);
    const OutboxStatus end = drain.finish(30s);
    CHECK(end.queued == 0);
    CHECK(end.waiting == 0);
    CHECK(end.registered == 2);
}
