#include "vesper/station/runner.hpp"

#include <algorithm>
#include <mutex>
#include <thread>

#include "port_worker.hpp"
#include "vesper/core/error.hpp"

namespace vesper::station {

std::size_t RunSummary::count(BoardResult result) const {
    return static_cast<std::size_t>(
        std::count_if(boards.begin(), boards.end(), [&](const BoardOutcome& b) { return b.result == result; }));
}

std::vector<std::string> RunSummary::failed_ports() const {
    std::vector<std::string> out;
    for (const auto& b : boards)
        if (b.result == BoardResult::failed && std::find(out.begin(), out.end(), b.port) == out.end())
            out.push_back(b.port);
    return out;
}

void check_station(const RunOptions& options, const FirmwareSet& firmware, const Pipeline& pipeline) {
    const ledger::Ledger ledger = ledger::Ledger::open(options.ledger_path, options.actor);
    const auto devices = ledger.devices_of_batch(options.batch_id);
    if (devices.empty()) return;
    ledger::Device sample = devices.front();
    // Steps see a device once its board is bound, so with a MAC.
    if (sample.mac.empty()) sample.mac = "00:00:00:00:00:00";
    for (const auto& step : pipeline)
        step->check(firmware, sample);
}

std::function<Pipeline()> pipeline_maker(std::vector<std::string> names, StepSettings settings, StepShared& shared) {
    build_pipeline(names, settings, shared); // an unknown name fails now, not in every worker
    return [names = std::move(names), settings = std::move(settings), &shared] {
        return build_pipeline(names, settings, shared);
    };
}

RunSummary run_station(const RunOptions& options, const FirmwareSet& firmware,
                       const std::function<Pipeline()>& make_pipeline, const EventSink& sink,
                       const std::atomic<bool>& stop) {
    if (options.ports.empty()) fail(ErrorKind::input, "station " + options.station + ": no ports to run");
    check_station(options, firmware, make_pipeline());
    RunSummary summary;
    std::mutex mutex; // one event at a time to the sink; guards summary.boards
    detail::Emitter emitter;
    emitter.event = [&](const Event& e) {
        std::lock_guard lock(mutex);
        sink(e);
    };
    emitter.outcome = [&](const BoardOutcome& o) {
        Event e;
        e.kind = EventKind::result;
        e.station = options.station;
        e.port = o.port;
        e.serial = o.serial;
        e.mac = o.mac;
        e.step = o.step;
        e.phase = phase::done;
        e.attempt = o.attempts;
        e.result = o.result;
        e.cause = o.cause;
        e.code = o.code;
        e.seconds = o.seconds;
        e.message = o.error;
        std::lock_guard lock(mutex);
        summary.boards.push_back(o);
        sink(e);
    };

    std::vector<std::thread> threads;
    threads.reserve(options.ports.size());
    for (const std::string& port : options.ports) {
        threads.emplace_back([&, port] {
            // Nothing may escape a worker thread: whatever goes wrong is this port's failure.
            try {
                detail::PortWorker worker(options, firmware, make_pipeline(), port, emitter, stop);
                worker.run();
            } catch (const std::exception& e) {
                BoardOutcome o;
                o.port = port;
                o.result = BoardResult::failed;
                o.cause = "internal";
                o.code = std::string(to_string(ErrorCode::internal));
                o.error = port + ": " + e.what();
                emitter.outcome(o);
            }
        });
    }
    for (auto& t : threads)
        t.join();

    summary.stopped = stop.load();
    try {
        const ledger::Ledger ledger =
            ledger::Ledger::open(options.ledger_path, options.actor, ledger::Access::read_only);
        summary.batch_complete = detail::batch_complete(ledger, options.batch_id, make_pipeline());
    } catch (const Error&) {
        summary.batch_complete = false;
    }
    return summary;
}

} // namespace vesper::station
