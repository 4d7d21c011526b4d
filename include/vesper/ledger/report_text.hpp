#pragma once
// The ledger's records and reports as people and spreadsheets read them: the one-line batch summary,
// the status counts, the export and report CSVs (columns only ever added at the end), and the batch
// report's text (docs/cli.md). The JSON shapes are in ledger_json.hpp.
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "vesper/ledger/ledger.hpp"
#include "vesper/ledger/report.hpp"

namespace vesper::ledger {

// "batch 3: 40 x BC rev 02, plan standard, 8 outputs"
std::string batch_line(const Batch& batch);
// "status: manufactured=3 flashed=5 ..."
std::string status_line(const std::map<DeviceStatus, int>& counts);

// "backend: 3 queued (1 waiting to retry), 4 registered, 1 refused": the outbox in one line, for the
// batch report and the station's view; the waiting count shows when there are any, a count given as
// nullopt not at all.
std::string backend_queue_line(int queued, int waiting, std::optional<int> registered, std::optional<int> refused);

std::string export_csv(const std::vector<Device>& devices);
std::string report_csv(const BatchReport& report);
std::string report_text(const BatchReport& report);

} // namespace vesper::ledger
