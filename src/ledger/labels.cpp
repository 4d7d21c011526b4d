#include "labels.hpp"

#include "records.hpp"
#include "sqlite.hpp"
#include "vesper/core/error.hpp"
#include "vesper/core/text.hpp"

namespace vesper::ledger {

namespace detail {

void validate_labels(const std::string& what, const std::vector<LabelRecord>& labels) {
    for (const auto& l : labels) {
        const std::string where = what + ": label of " + (l.serial.empty() ? std::string("(no serial)") : l.serial);
        if (l.layout.empty()) fail(ErrorKind::input, where + " has no layout");
        if (l.destination.empty()) fail(ErrorKind::input, where + " has no destination");
        if (l.format != "pdf" && l.format != "zpl")
            fail(ErrorKind::input, where + ": format '" + l.format + "' is not pdf or zpl");
        if (l.copies < 1 || l.copies > 100)
            fail(ErrorKind::input, where + ": copies " + std::to_string(l.copies) + " is not 1-100");
    }
}

void write_labels(sqlite3* db, const std::string& actor, std::optional<std::int64_t> attempt_id,
                  const std::vector<LabelRecord>& labels) {
    const std::string now = now_utc_iso8601();
    for (const auto& l : labels) {
        if (!device_by_serial(db, l.serial))
            fail(ErrorCode::ledger_device_not_found, "device " + l.serial + " not found in the ledger");
        sql::Stmt st(db, "INSERT INTO labels(serial, attempt_id, layout, format, destination, copies, reprint, "
                         "untested, printed_at, actor) VALUES (?,?,?,?,?,?,?,?,?,?)");
        st.bind(1, l.serial);
        if (attempt_id)
            st.bind(2, *attempt_id);
        else
            st.bind_null(2);
        st.bind(3, l.layout).bind(4, l.format).bind(5, l.destination).bind(6, l.copies);
        st.bind(7, l.reprint ? 1 : 0).bind(8, l.untested ? 1 : 0).bind(9, now).bind(10, actor);
        st.run();
        nlohmann::json details{{"layout", l.layout},
                               {"format", l.format},
                               {"destination", l.destination},
                               {"copies", l.copies},
                               {"untested", l.untested}};
        if (attempt_id) details["attempt"] = *attempt_id;
        audit(db, actor, l.reprint ? "label.reprint" : "label.print", l.serial, details);
    }
}

void validate_claim_code_hash(std::string_view serial, std::string_view hash) {
    bool hex = hash.size() == 64;
    for (char c : hash)
        hex = hex && ((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'));
    if (!hex) fail(ErrorKind::input, "claim code hash for " + std::string(serial) + " is not 64 lower-case hex digits");
}

void store_claim_code_hash(sqlite3* db, const std::string& actor, std::string_view serial, std::string_view hash,
                           bool queue) {
    const auto d = device_by_serial(db, serial);
    if (!d) fail(ErrorCode::ledger_device_not_found, "device " + std::string(serial) + " not found in the ledger");
    if (d->claim_code_hash == hash) return;
    {
        sql::Stmt st(db, "UPDATE devices SET claim_code_hash = ?, updated_at = ? WHERE serial = ?");
        st.bind(1, hash).bind(2, now_utc_iso8601()).bind(3, serial);
        st.run();
    }
    audit(db, actor, "device.claim_code", d->serial,
          {{"replaced", !d->claim_code_hash.empty()}, {"claim_code_hash", std::string(hash)}});
    if (queue) queue_outbox(db, *device_by_serial(db, serial), "device.upsert");
}

} // namespace detail

namespace {

constexpr const char* kLabelSelect =
    "SELECT l.id, l.serial, l.layout, l.format, l.destination, l.copies, l.reprint, l.untested, l.printed_at, "
    "l.actor FROM labels l ";

std::vector<LabelRecord> read_labels(sql::Stmt& st) {
    std::vector<LabelRecord> out;
    while (st.step()) {
        LabelRecord l;
        l.id = st.integer(0);
        l.serial = st.text(1);
        l.layout = st.text(2);
        l.format = st.text(3);
        l.destination = st.text(4);
        l.copies = static_cast<int>(st.integer(5));
        l.reprint = st.integer(6) != 0;
        l.untested = st.integer(7) != 0;
        l.printed_at = st.text(8);
        l.actor = st.text(9);
        out.push_back(std::move(l));
    }
    return out;
}

} // namespace

void Ledger::record_labels(const std::vector<LabelRecord>& labels) {
    detail::validate_labels("labels", labels);
    sql::Transaction tx(db_);
    detail::write_labels(db_, actor_, std::nullopt, labels);
    tx.commit();
}

std::vector<LabelRecord> Ledger::labels_of(std::string_view serial) const {
    sql::Stmt st(db_, std::string(kLabelSelect) + "WHERE l.serial = ? ORDER BY l.id");
    st.bind(1, serial);
    return read_labels(st);
}

std::vector<LabelRecord> Ledger::labels_of_batch(std::int64_t batch_id) const {
    sql::Stmt st(db_, std::string(kLabelSelect) + "JOIN devices d ON d.serial = l.serial WHERE d.batch_id = ? "
                                                  "ORDER BY l.id");
    st.bind(1, batch_id);
    return read_labels(st);
}

void Ledger::set_claim_code_hash(std::string_view serial, std::string_view hash) {
    detail::validate_claim_code_hash(serial, hash);
    sql::Transaction tx(db_);
    detail::store_claim_code_hash(db_, actor_, serial, hash);
    tx.commit();
}

} // namespace vesper::ledger
