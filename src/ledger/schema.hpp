#pragma once
// Ledger schema migrations, applied in order; PRAGMA user_version records how many have run.
#include <sqlite3.h>

namespace vesper::ledger {

int schema_version_count();
// Applies the migrations the database lacks, in one transaction. Refuses a database whose version is
// newer than this build knows.
void migrate(sqlite3* db);

} // namespace vesper::ledger
