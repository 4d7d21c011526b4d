// bench/register: drain 10,000 outbox records to vesper-backend over HTTPS on loopback, the way
// `vesperctl register --wait` does (backend::Drainer: libcurl multi, keep-alive, the ledger's answers
// written a round of answers at a time), one by one (PUT, 8 in flight) and in bulk (NDJSON, 500 a
// request, 4 in flight), then a fifth of that through a backend failing 30 % of requests (500, 429,
// dropped connections, connections dropped after the write). A tested device has one record queued;
// its confirmation makes it registered, which queues its second: RECORDS records are RECORDS / 2
// devices. Prints records/s and this process's CPU time per record (the drainer's side only: the
// backend is another process), the requests and retries the faults cost, and checks that the backend
// stores every device exactly once. Goals (registration issue): bulk >= 5,000
// records/s; <= 100 us of CPU per record. Exit 1 when a goal is missed or a record is lost or doubled.
// Run from a Release build: build/release/bench/vesper_bench_register [RECORDS].
#include <curl/curl.h>
#include <stdlib.h>

#include <nlohmann/json.hpp>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <random>
#include <string>

#include "cpu_time.hpp"
#include "tool_process.hpp"
#include "vesper/backend/drainer.hpp"
#include "vesper/core/error.hpp"
#include "vesper/ledger/ledger.hpp"

using Clock = std::chrono::steady_clock;
namespace fs = std::filesystem;
using namespace vesper;
using bench::cpu_seconds;
using bench::process_cpu_seconds;

namespace {

constexpr double kGoalBulkRecordsPerSecond = 5000;
constexpr double kGoalCpuMicrosPerRecord = 100;

double seconds_since(Clock::time_point t0) { return std::chrono::duration<double>(Clock::now() - t0).count(); }

std::string random_token() {
    std::random_device rd;
    std::string t;
    for (int i = 0; i < 32; ++i)
        t += "0123456789abcdef"[rd() % 16];
    return t;
}

// A batch of `count` tested devices: each has its tested record pending in the outbox.
std::int64_t tested_batch(const fs::path& ledger_path, int count) {
    auto l = ledger::Ledger::open(ledger_path, "bench");
    ledger::BatchSpec spec;
    spec.board_type = "BC";
    spec.revision = "02";
    spec.quantity = count;
    spec.subscription_plan = "standard";
    spec.available_outputs = 8;
    const auto batch = l.create_batch(spec).id;
    l.write_batch([&] { // one commit: the set-up is not what is measured
        for (const auto& d : l.devices_of_batch(batch)) {
            l.set_status(d.serial, ledger::DeviceStatus::flashed);
            l.set_status(d.serial, ledger::DeviceStatus::tested);
        }
    });
    return batch;
}

// vesper-backend over HTTPS on a free loopback port, its certificate written for the client to trust.
struct Backend {
    Backend(const fs::path& dir, const std::string& token, std::vector<std::string> faults) {
        cert = dir / ("cert-" + std::to_string(++started) + ".pem");
        std::vector<std::string> args{"--tls", "--cert-out", cert.string(), "--quiet"};
        args.insert(args.end(), faults.begin(), faults.end());
        process = std::make_unique<bench::ToolProcess>(
            VESPER_BACKEND_BIN, args, std::regex(R"(listening on (https://127\.0\.0\.1:\d+))"), 1,
            std::map<std::string, std::string>{{"VESPER_BACKEND_TOKEN", token}});
        url = process->ready_values().front();
    }
    // GET /v1/_stats (it meets no injected fault).
    nlohmann::json stats(const std::string& token) const {
        CURL* c = curl_easy_init();
        std::string body;
        curl_slist* headers = curl_slist_append(nullptr, ("Authorization: Bearer " + token).c_str());
        curl_easy_setopt(c, CURLOPT_URL, (url + "/v1/_stats").c_str());
        curl_easy_setopt(c, CURLOPT_CAINFO, cert.c_str());
        curl_easy_setopt(c, CURLOPT_HTTPHEADER, headers);
        curl_easy_setopt(
            c, CURLOPT_WRITEFUNCTION, +[](char* p, size_t s, size_t n, void* out) {
                static_cast<std::string*>(out)->append(p, s * n);
                return s * n;
            });
        curl_easy_setopt(c, CURLOPT_WRITEDATA, &body);
        const CURLcode rc = curl_easy_perform(c);
        curl_slist_free_all(headers);
        curl_easy_cleanup(c);
        if (rc != CURLE_OK) fail(ErrorKind::device, std::string("GET /v1/_stats: ") + curl_easy_strerror(rc));
        return nlohmann::json::parse(body);
    }
    static inline int started = 0;
    fs::path cert;
    std::string url;
    std::unique_ptr<bench::ToolProcess> process;
};

struct Run {
    const char* name = "";
    int devices = 0;
    int records = 0; // outbox records delivered: each device's tested record, then its registered one
    double seconds = 0, cpu_s = 0, backend_cpu_s = 0;
    backend::DrainStats stats;
    int stored = 0, created = 0, registered = 0;
};

Run drain(const char* name, const fs::path& ledger_path, std::int64_t batch, int devices, const Backend& b,
          const std::string& token, backend::BackendSettings s) {
    s.url = b.url;
    s.ca_file = b.cert;
    backend::Drainer drainer(ledger_path, s, token, "bench");
    std::atomic<bool> stop{false};
    Run r;
    r.name = name;
    r.devices = devices;
    const double cpu0 = cpu_seconds();
    const double backend_cpu0 = process_cpu_seconds(b.process->pid());
    const auto t0 = Clock::now();
    r.stats = drainer.run({batch, backend::DrainMode::until_empty, 0.05}, stop);
    r.seconds = seconds_since(t0);
    r.cpu_s = cpu_seconds() - cpu0;
    r.backend_cpu_s = process_cpu_seconds(b.process->pid()) - backend_cpu0;
    r.records = r.stats.sent + r.stats.stale;
    auto l = ledger::Ledger::open(ledger_path, "bench", ledger::Access::existing);
    r.registered = l.status_counts(batch)[ledger::DeviceStatus::registered];
    return r;
}

void print(const Run& r) {
    std::printf("%-34s %8d %8d %9.2f %11.0f %12.1f %12.1f %9d %8d\n", r.name, r.devices, r.records, r.seconds,
                r.records / r.seconds, r.cpu_s * 1e6 / r.records, r.backend_cpu_s * 1e6 / r.records, r.stats.requests,
                r.stats.retries);
}

} // namespace

int main(int argc, char** argv) {
    const int records = argc > 1 ? std::atoi(argv[1]) : 10000;
    if (records < 200 || argc > 2) {
        std::fprintf(stderr, "usage: vesper_bench_register [RECORDS >= 200]\n");
        return 2;
    }
    const int count = records / 2; // devices a batch
    char tmpl[] = "/tmp/vesper-bench-register.XXXXXX";
    if (!::mkdtemp(tmpl)) return 2;
    const fs::path dir = tmpl;
    const std::string token = random_token();
    int status = 0;
    try {
        const fs::path ledger_path = dir / "ledger.db";
        const int faulty = count / 5;
        auto t0 = Clock::now();
        const auto one_batch = tested_batch(ledger_path, count);
        const auto bulk_batch = tested_batch(ledger_path, count);
        const auto fault_batch = tested_batch(ledger_path, faulty);
        std::printf("register bench: %d + %d + %d tested devices (a record each queued, one more each when it "
                    "registers) in %.1f s\n",
                    count, count, faulty, seconds_since(t0));

        Backend clean(dir, token, {});
        Backend flaky(dir, token,
                      {"--fail-rate", "0.1", "--throttle-rate", "0.1", "--retry-after", "0", "--drop-rate", "0.05",
                       "--drop-after-write-rate", "0.05", "--seed", "7"});
        backend::BackendSettings one;
        one.bulk_size = 1;
        one.max_in_flight = 8;
        backend::BackendSettings bulk;
        bulk.bulk_size = 500;
        bulk.max_in_flight = 4;
        backend::BackendSettings faults = bulk;
        faults.bulk_size = 100;
        faults.backoff_base_s = 0.01;
        faults.backoff_max_s = 0.2;

        std::printf("%-34s %8s %8s %9s %11s %12s %12s %9s %8s\n", "drain", "devices", "records", "seconds", "records/s",
                    "CPU us/rec", "backend us", "requests", "retries");
        const Run runs[] = {
            drain("one by one (PUT, 8 in flight)", ledger_path, one_batch, count, clean, token, one),
            drain("bulk (500 a request, 4 in flight)", ledger_path, bulk_batch, count, clean, token, bulk),
            drain("bulk 100, 30 % faults", ledger_path, fault_batch, faulty, flaky, token, faults),
        };
        for (const auto& r : runs)
            print(r);

        // Exactly once: every record stored, none twice (a retry after a lost answer is a replay).
        const auto clean_stats = clean.stats(token);
        const auto flaky_stats = flaky.stats(token);
        const bool clean_once = clean_stats.at("records") == 2 * count && clean_stats.at("created") == 2 * count;
        const bool flaky_once = flaky_stats.at("records") == faulty && flaky_stats.at("created") == faulty;
        std::printf("backend: %d records stored (%d created), with faults %d stored (%d created, %d replays)\n",
                    clean_stats.at("records").get<int>(), clean_stats.at("created").get<int>(),
                    flaky_stats.at("records").get<int>(), flaky_stats.at("created").get<int>(),
                    flaky_stats.at("replays").get<int>());
        bool all_registered = true;
        for (const auto& r : runs)
            all_registered =
                all_registered && r.registered == r.devices && r.records == 2 * r.devices && r.stats.dead == 0;
        const double bulk_rate = runs[1].records / runs[1].seconds;
        // The CPU goal is the bulk drain's, the way a bench drains a batch: one by one, every record is an
        // HTTPS request of its own, whose cost alone (libcurl, TLS) is near the goal; it is printed above.
        const double bulk_cpu = runs[1].cpu_s * 1e6 / runs[1].records;
        const bool rate_ok = bulk_rate >= kGoalBulkRecordsPerSecond;
        const bool cpu_ok = bulk_cpu <= kGoalCpuMicrosPerRecord;
        std::printf("goal: bulk >= %.0f records/s: %s (%.0f)\n", kGoalBulkRecordsPerSecond, rate_ok ? "met" : "MISSED",
                    bulk_rate);
        std::printf("goal: <= %.0f us of CPU per record in bulk: %s (%.1f)\n", kGoalCpuMicrosPerRecord,
                    cpu_ok ? "met" : "MISSED", bulk_cpu);
        std::printf("every record stored exactly once and every device registered: %s\n",
                    clean_once && flaky_once && all_registered ? "yes" : "NO");
        if (!(rate_ok && cpu_ok && clean_once && flaky_once && all_registered)) status = 1;
    } catch (const std::exception& e) {
        std::fprintf(stderr, "bench: %s\n", e.what());
        status = 1;
    }
    std::error_code ec;
    fs::remove_all(dir, ec);
    return status;
}
