// MAC binding: one board, one serial, kept across retries and reruns.
#include "records.hpp"
#include "sqlite.hpp"
#include "vesper/core/error.hpp"
#include "vesper/core/text.hpp"
#include "vesper/ledger/ledger.hpp"

namespace vesper::ledger {

namespace {

// "AA:BB:CC:DD:EE:FF" or lower case -> "aa:bb:cc:dd:ee:ff"; Error(input) for anything else, so one
// board never ends up under two spellings of its MAC.
std::string normalize_mac(std::string_view mac) {
    std::string out(mac);
    bool ok = out.size() == 17;
    for (std::size_t i = 0; ok && i < out.size(); ++i) {
        char& c = out[i];
        if (i % 3 == 2) {
            ok = c == ':';
        } else if (c >= 'A' && c <= 'F') {
            c = static_cast<char>(c - 'A' + 'a');
        } else {
            ok = (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
        }
    }
    if (!ok) fail(ErrorKind::input, "MAC '" + std::string(mac) + "': expected six hex bytes as aa:bb:cc:dd:ee:ff");
    return out;
}

std::optional<Device> device_by_mac(sqlite3* db, const std::string& mac) {
    sql::Stmt st(db, std::string("SELECT ") + detail::kDeviceColumns + " FROM devices WHERE mac = ?");
    st.bind(1, mac);
    if (!st.step()) return std::nullopt;
    return detail::read_device(st);
}

} // namespace

std::optional<Device> Ledger::find_device_by_mac(std::string_view mac) const {
    return device_by_mac(db_, normalize_mac(mac));
}

BindResult Ledger::bind_mac(std::int64_t batch_id, std::string_view mac_text) {
    const std::string mac = normalize_mac(mac_text);
    // The write lock is taken first: the look-up and the binding cannot interleave with another process's.
    sql::Transaction tx(db_);
    const std::string batch = std::to_string(get_batch(batch_id).id);
    if (auto bound = device_by_mac(db_, mac)) {
        if (bound->batch_id != batch_id)
            fail(ErrorCode::ledger_mac_bound, "MAC " + mac + " is bound to " + bound->serial + " of batch " +
                                                  std::to_string(bound->batch_id) + ", not batch " + batch);
        return {*bound, false};
    }
    std::optional<Device> free;
    {
        sql::Stmt st(db_, std::string("SELECT ") + detail::kDeviceColumns +
                              " FROM devices WHERE batch_id = ? AND mac = '' ORDER BY serial LIMIT 1");
        st.bind(1, batch_id);
        if (st.step()) free = detail::read_device(st);
    }
    if (!free) {
        sql::Stmt st(db_, "SELECT COUNT(*) FROM devices WHERE batch_id = ?");
        st.bind(1, batch_id);
        st.step();
        fail(ErrorCode::ledger_batch_full, "batch " + batch + " has no unbound device left (all " +
                                               std::to_string(st.integer(0)) + " bound); MAC " + mac +
                                               " cannot be bound");
    }
    const std::string now = now_utc_iso8601();
    {
        sql::Stmt st(db_, "UPDATE devices SET mac = ?, updated_at = ? WHERE serial = ?");
        st.bind(1, mac).bind(2, now).bind(3, free->serial);
        st.run();
    }
    detail::audit(db_, actor_, "device.bind", free->serial, {{"mac", mac}, {"batch_id", batch_id}});
    free->mac = mac;
    free->updated_at = now;
    tx.commit();
    return {*free, true};
}

} // namespace vesper::ledger
