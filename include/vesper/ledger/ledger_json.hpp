#pragma once
// The JSON shapes of the ledger's records and reports, as `batch create/show/export/report` print
// them (docs/cli.md): kept beside the records, as the station's event JSON is beside its events.
#include <nlohmann/json.hpp>

#include <map>
#include <vector>

#include "vesper/ledger/ledger.hpp"
#include "vesper/ledger/report.hpp"

namespace vesper::ledger {

nlohmann::json batch_json(const Batch& batch);
// Every status with its count: {"manufactured":3,"flashed":5,...}.
nlohmann::json counts_json(const std::map<DeviceStatus, int>& counts);
// A device as `batch show` and `export` give it: the backend record, then where and with what it was
// last flashed (not backend fields; null until flashed).
nlohmann::json device_json(const Device& device);
// The backend's import format: an array of device records (the one JSON output that is not an object).
nlohmann::json export_json(const std::vector<Device>& devices);
// A row of the batch report, and the whole report.
nlohmann::json report_device_json(const DeviceReportRow& row);
nlohmann::json report_json(const BatchReport& report);

} // namespace vesper::ledger
