#pragma once
// How a station run looks: on a terminal, one live line per port (serial, phase, progress bar, speed,
// ETA) and a summary table at the end; otherwise (or with --json) one JSON line per event and a final
// summary line, for scripts and CI.
#include <memory>
#include <optional>
#include <ostream>
#include <string>
#include <vector>

#include "terminal.hpp"
#include "vesper/station/outbox_drain.hpp"
#include "vesper/station/runner.hpp"

namespace vesper::cli {

struct StationRunInfo {
    std::string station;
    std::int64_t batch_id = 0;
    std::string command; // the subcommand to retry failed ports with ("flash" or "provision")
    // The run's options as given, as words, for the retry command: global ones (--ledger) and the
    // subcommand's (--station, --config, --reflash, --baud, ...), without --port (the retry names the
    // failed ports) and output-only ones (--json); --batch N added when the batch came from the config.
    std::vector<std::string> global_options;
    std::vector<std::string> options;
    // The run's pipeline registers boards: the views show the backend queue (an OutboxDrain's status).
    bool backend_queue = false;
};

class StationView {
public:
    virtual ~StationView() = default;
    virtual void on_event(const station::Event& event) = 0;
    // The backend queue changed (only when StationRunInfo::backend_queue).
    virtual void on_outbox(const station::OutboxStatus& status) = 0;
    // `outbox`: the queue at the end, when the run registers boards.
    virtual void finish(const station::RunSummary& summary, const std::optional<station::OutboxStatus>& outbox) = 0;
};

// `term`: what the terminal allows (terminal.hpp): without cursor movement (TERM=dumb) the view prints
// plain lines, one per phase change and result; colour only where allowed (NO_COLOR).
std::unique_ptr<StationView> make_tty_view(std::ostream& out, const std::vector<std::string>& ports,
                                           StationRunInfo info, Terminal term = terminal_for(1));
std::unique_ptr<StationView> make_json_view(std::ostream& out, StationRunInfo info);

// "vesperctl --ledger L flash --station A --reflash --batch 3 --port P1 --port P2": what to run again for
// the failed ports, every word quoted for a POSIX shell where it needs it.
std::string retry_command(const StationRunInfo& info, const std::vector<std::string>& ports);

// "backend: 3 queued (1 waiting to retry), 4 registered, 1 refused": the queue in one line; `live` adds
// "(not sending)" while no drainer runs.
std::string outbox_text(const station::OutboxStatus& status, bool live = true);

} // namespace vesper::cli
