#pragma once
// Prepared statements kept per ledger connection and used again: the ledger runs a fixed set of SQL
// texts, and preparing one (parsing and planning it) costs more than running it; confirming one
// outbox record alone runs about ten. A connection keeps statements from keep() until release().
#include <sqlite3.h>

#include <string_view>

namespace vesper::ledger::sql::statement_cache {

// The connection's statements are kept from now on (sql::Stmt takes and gives back through here).
void keep(sqlite3* db);
// Finalizes the statements kept for the connection and stops keeping them: sqlite3_close refuses a
// connection that still has statements. Call it before closing.
void release(sqlite3* db);

// A kept statement for exactly this text, reset with no bindings, or nullptr (none idle, or the
// connection keeps none): the caller prepares one.
sqlite3_stmt* take(sqlite3* db, std::string_view sql);
// Hands a statement back, kept under its text (sqlite3_sql) when the connection keeps statements and
// there is room, reset with its bindings cleared; otherwise finalizes it.
void give_back(sqlite3* db, sqlite3_stmt* st);

} // namespace vesper::ledger::sql::statement_cache
