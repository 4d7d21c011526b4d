#pragma once
// Ledger schema migrations, applied in order; PRAGMA user_version records how many have run, PRAGMA
// application_id marks the file as a vesperctl ledger.
#include <sqlite3.h>

#include <cstdint>
#include <string>

namespace vesper::ledger {

int schema_version_count();

// What a SQLite file is, from reads only; call it inside a transaction, so that its reads agree.
struct FileIdentity {
    enum Kind {
        empty,    // no tables, no version, no application_id: a new ledger may be made in it
        ours,     // carries the ledger's application_id
        unmarked, // a ledger of schema 1 or 2, made before ledgers carried the application_id
        foreign,  // anything else: not ours to touch
    } kind = empty;
    int version = 0;
    std::uint32_t application_id = 0;
    std::string why; // for foreign: what it is instead, in words
};
FileIdentity identify(sqlite3* db);
// Error(input) for a foreign file, Error(conflict) for a ledger of a newer schema than this build's.
void refuse_unless_ledger(const FileIdentity& id, const std::string& path);
// True when migrate() would change the file.
bool needs_migration(const FileIdentity& id);
// Applies the migrations the ledger lacks and sets its application_id, in one transaction, after
// identifying the file again under the write lock (refused as refuse_unless_ledger() says). Returns
// true when it made a new ledger in an empty database.
bool migrate(sqlite3* db);

} // namespace vesper::ledger
