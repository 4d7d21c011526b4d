#include "statement_cache.hpp"

#include <mutex>
#include <string>
#include <unordered_map>
#include <vector>

namespace vesper::ledger::sql::statement_cache {

namespace {

// Bounds what a connection keeps: the ledger's texts number a few dozen, so reaching this means texts
// built with varying content, which are not worth keeping.
constexpr std::size_t kMaxKept = 256;

struct TextHash {
    using is_transparent = void;
    std::size_t operator()(std::string_view s) const noexcept { return std::hash<std::string_view>{}(s); }
};

struct Kept {
    // Idle statements by their SQL text; more than one when the same text ran nested.
    std::unordered_map<std::string, std::vector<sqlite3_stmt*>, TextHash, std::equal_to<>> idle;
    std::size_t count = 0;
};

// Connections may be shared between threads (they are opened SQLITE_OPEN_FULLMUTEX), so the registry
// has a lock; it is held only to look up and move a pointer.
std::mutex registry_lock;
std::unordered_map<sqlite3*, Kept>& registry() {
    static std::unordered_map<sqlite3*, Kept> r;
    return r;
}

} // namespace

void keep(sqlite3* db) {
    const std::lock_guard lock(registry_lock);
    registry().try_emplace(db);
}

void release(sqlite3* db) {
    Kept kept;
    {
        const std::lock_guard lock(registry_lock);
        const auto it = registry().find(db);
        if (it == registry().end()) return;
        kept = std::move(it->second);
        registry().erase(it);
    }
    for (auto& [text, statements] : kept.idle)
        for (sqlite3_stmt* st : statements)
            sqlite3_finalize(st);
}

sqlite3_stmt* take(sqlite3* db, std::string_view sql) {
    const std::lock_guard lock(registry_lock);
    const auto it = registry().find(db);
    if (it == registry().end()) return nullptr;
    const auto found = it->second.idle.find(sql);
    if (found == it->second.idle.end() || found->second.empty()) return nullptr;
    sqlite3_stmt* st = found->second.back();
    found->second.pop_back();
    --it->second.count;
    return st;
}

void give_back(sqlite3* db, sqlite3_stmt* st) {
    if (!st) return;
    // Reset outside the lock: it ends the statement's read of the file, as finalizing would.
    sqlite3_reset(st);
    sqlite3_clear_bindings(st);
    {
        const std::lock_guard lock(registry_lock);
        const auto it = registry().find(db);
        if (it != registry().end() && it->second.count < kMaxKept) {
            const char* text = sqlite3_sql(st);
            const std::string_view key = text ? text : "";
            auto found = it->second.idle.find(key);
            if (found == it->second.idle.end()) found = it->second.idle.try_emplace(std::string(key)).first;
            found->second.push_back(st);
            ++it->second.count;
            return;
        }
    }
    sqlite3_finalize(st);
}

} // namespace vesper::ledger::sql::statement_cache
