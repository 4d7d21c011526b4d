#pragma once
// Labels (schema 6): checking and writing label records, for labels.cpp and attempts.cpp (a label step's
// labels are written with its attempt). The caller holds the transaction.
#include <sqlite3.h>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "vesper/ledger/ledger.hpp"

namespace vesper::ledger::detail {

// Error(input) naming `what` and the label for the first one the ledger would not keep.
void validate_labels(const std::string& what, const std::vector<LabelRecord>& labels);

// Inserts the labels (attempt_id none: made by `vesperctl label`), each with its audit entry.
// Error(ledger.device_not_found) for an unknown serial.
void write_labels(sqlite3* db, const std::string& actor, std::optional<std::int64_t> attempt_id,
                  const std::vector<LabelRecord>& labels);

// Error(input) unless `hash` is 64 lower-case hex digits.
void validate_claim_code_hash(std::string_view serial, std::string_view hash);

// Sets the device's claim code hash when it differs, with an audit entry and (unless !queue: the caller
// queues the record itself, in the same transaction) an outbox record.
// Error(ledger.device_not_found) for an unknown serial.
void store_claim_code_hash(sqlite3* db, const std::string& actor, std::string_view serial, std::string_view hash,
                           bool queue = true);

} // namespace vesper::ledger::detail
