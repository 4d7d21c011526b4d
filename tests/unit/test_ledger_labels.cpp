// The ledger side of labels (schema 6): label records with their audit entries, written whole or not at
// all, with a label step's attempt or alone; the claim code's hash on the device and in its records; and
// the migration of schema-5 ledgers.
#include <catch2/catch.hpp>

#include "unit_support.hpp"

#include <nlohmann/json.hpp>

#include <string>
#include <vector>

#include "vesper/core/error.hpp"
#include "vesper/ledger/ledger.hpp"

#include "ledger_support.hpp"

using namespace vesper;
using ledger::DeviceStatus;
using ledger::LabelRecord;
using test::count_rows;
using test::exec_sql;
using test::TempLedger;

namespace {

LabelRecord label_record(std::string serial, std::string destination = "labels/x.pdf") {
    LabelRecord l;
    l.serial = std::move(serial);
    l.layout = "roll-50x30";
    l.format = "pdf";
    l.destination = std::move(destination);
    return l;
}

std::size_t audits(const ledger::Ledger& l, const std::string& serial, const std::string& action) {
    std::size_t n = 0;
    for (const auto& e : l.audit_log(serial))
        n += e.action == action ? 1 : 0;
    return n;
}

} // namespace

TEST_CASE("ledger labels: labels are recorded with an audit entry each, reprints and untested marked",
          "[ledger][labels]") {
    TempLedger t;
    auto l = t.open();
    auto b = l.create_batch(test::batch_spec(3));
    auto devices = l.devices_of_batch(b.id);
    auto first = label_record(devices[0].serial, "printer:zebra-a");
    first.copies = 2;
    auto second = label_record(devices[1].serial);
    second.untested = true;
    l.record_labels({first, second});
    auto again = label_record(devices[0].serial, "printer:zebra-a");
    again.reprint = true;
    l.record_labels({again});

    const auto mine = l.labels_of(devices[0].serial);
    REQUIRE(mine.size() == 2);
    CHECK(mine[0].destination == "printer:zebra-a");
    CHECK(mine[0].copies == 2);
    CHECK_FALSE(mine[0].reprint);
    CHECK(mine[1].reprint);
    CHECK(mine[0].actor == "tester");
    CHECK_FALSE(mine[0].printed_at.empty());
    CHECK(l.labels_of_batch(b.id).size() == 3);
    CHECK(l.labels_of(devices[2].serial).empty());
    CHECK(l.labels_of_batch(b.id + 1).empty());
    CHECK(audits(l, devices[0].serial, "label.print") == 1);
    CHECK(audits(l, devices[0].serial, "label.reprint") == 1);
    const auto entries = l.audit_log(devices[1].serial);
    REQUIRE_FALSE(entries.empty());
    auto details = nlohmann::json::parse(entries.back().details);
    CHECK(details.at("untested") == true);
    CHECK(details.at("layout") == "roll-50x30");
}

TEST_CASE("ledger labels: a bad label or an unknown device records none of the batch", "[ledger][labels]") {
    TempLedger t;
    auto l = t.open();
    auto b = l.create_batch(test::batch_spec(2));
    auto devices = l.devices_of_batch(b.id);
    auto bad_copies = label_record(devices[1].serial);
    bad_copies.copies = 0;
    CHECK_THROWS_AS(l.record_labels({label_record(devices[0].serial), bad_copies}), Error);
    auto bad_format = label_record(devices[1].serial);
    bad_format.format = "png";
    CHECK_THROWS_AS(l.record_labels({label_record(devices[0].serial), bad_format}), Error);
    try {
        l.record_labels({label_record(devices[0].serial), label_record("PV-26A18-BC02R-ZZZZZ")});
        FAIL("recorded a label of an unknown device");
    } catch (const Error& e) {
        CHECK(e.code() == ErrorCode::ledger_device_not_found);
    }
    CHECK(l.labels_of_batch(b.id).empty());
    CHECK(audits(l, devices[0].serial, "label.print") == 0);
}

TEST_CASE("ledger labels: a label step's labels are written with its attempt, and never on an unbound failure",
          "[ledger][labels]") {
    TempLedger t;
    auto l = t.open();
    auto b = l.create_batch(test::batch_spec(1));
    auto sn = l.bind_mac(b.id, test::mac_of(1)).device.serial;
    ledger::AttemptOutcome o;
    o.passed = true;
    o.seconds = 0.2;
    o.labels = {label_record("", "out/" + sn + ".pdf")}; // the attempt's serial is used
    o.claim_code_hash = std::string(64, 'c');
    auto id = l.begin_attempt(sn, "label", "A", "/dev/ttyUSB0");
    l.finish_attempt(id, o);
    const auto labels = l.labels_of(sn);
    REQUIRE(labels.size() == 1);
    CHECK(labels[0].destination == "out/" + sn + ".pdf");
    CHECK(count_rows(t.path, ("SELECT attempt_id FROM labels WHERE serial = '" + sn + "'").c_str()) == id);
    CHECK(l.get_device(sn).status == DeviceStatus::manufactured); // a label sets no status
    CHECK(l.passed_steps(sn).count("label") == 1);
    CHECK(l.get_device(sn).claim_code_hash == std::string(64, 'c'));

    // A bad label fails the whole finish: the attempt stays running.
    auto id2 = l.begin_attempt(sn, "label", "A", "/dev/ttyUSB0");
    auto bad = o;
    bad.labels[0].layout.clear();
    CHECK_THROWS_AS(l.finish_attempt(id2, bad), Error);
    auto bad_hash = o;
    bad_hash.claim_code_hash = "not-a-hash";
    CHECK_THROWS_AS(l.finish_attempt(id2, bad_hash), Error);
    CHECK(l.labels_of(sn).size() == 1);
    ledger::AttemptOutcome unbound;
    unbound.cause = "connect";
    unbound.labels = {label_record(sn)};
    CHECK_THROWS_AS(l.record_unbound_failure(b.id, "label", "A", "/dev/ttyUSB1", "", unbound), Error);
}

TEST_CASE("ledger labels: the claim code hash is kept, exported and queued, and replaced only with an audit",
          "[ledger][labels]") {
    TempLedger t;
    auto l = t.open();
    auto b = l.create_batch(test::batch_spec(1));
    const auto sn = l.devices_of_batch(b.id)[0].serial;
    CHECK(nlohmann::json::parse(ledger::backend_record_json(l.get_device(sn))).at("claim_code_hash").is_null());
    const auto outbox_before = l.outbox_entries().size();
    const std::string h1(64, 'a'), h2(64, 'b');
    l.set_claim_code_hash(sn, h1);
    CHECK(l.get_device(sn).claim_code_hash == h1);
    auto record = nlohmann::json::parse(ledger::backend_record_json(l.get_device(sn)));
    CHECK(record.at("claim_code_hash") == h1);
    CHECK(record.count("claim_code") == 0);
    CHECK(l.outbox_entries().size() == outbox_before + 1);
    CHECK(nlohmann::json::parse(l.outbox_entries().back().payload).at("claim_code_hash") == h1);
    l.set_claim_code_hash(sn, h1); // the same: nothing written
    CHECK(l.outbox_entries().size() == outbox_before + 1);
    CHECK(audits(l, sn, "device.claim_code") == 1);
    l.set_claim_code_hash(sn, h2);
    CHECK(l.get_device(sn).claim_code_hash == h2);
    CHECK(audits(l, sn, "device.claim_code") == 2);
    CHECK_THROWS_AS(l.set_claim_code_hash(sn, "ABC"), Error);
    CHECK_THROWS_AS(l.set_claim_code_hash(sn, std::string(64, 'A')), Error);
    CHECK_THROWS_AS(l.set_claim_code_hash("PV-26A18-BC02R-ZZZZZ", h1), Error);
}

TEST_CASE("ledger labels: a schema-5 ledger migrates to the current schema and takes labels", "[ledger][labels]") {
    TempLedger t;
    exec_sql(t.path, std::string(test::kSchema1Sql) + test::kSchema2Sql + test::kSchema3Sql + test::kSchema4Sql +
                         test::kSchema5Sql + R"sql(
INSERT INTO batches VALUES (1,'BC','02',1,'standard',8,'2026-01-18T08:00:00Z','old');
INSERT INTO serials VALUES ('PV-26A18-BC02R-AAAAA','PV-26A18-BC02R','2026-01-18T08:00:00Z',1);
INSERT INTO devices(serial,batch_id,hw_type,hw_version,status,mac,subscription_plan,available_outputs,created_at,
                    updated_at,flashed_at,tested_at,station,port)
  VALUES ('PV-26A18-BC02R-AAAAA',1,'BC','02','tested','24:0a:c4:00:00:01','standard',8,'2026-01-18T08:00:00Z',
          '2026-01-18T09:00:00Z','2026-01-18T09:00:00Z','2026-01-18T09:01:00Z','A','/dev/ttyUSB0');
)sql" + test::kSchema5Marks);
    REQUIRE(count_rows(t.path, "SELECT COUNT(*) FROM sqlite_master WHERE name = 'labels'") == 0);
    {
        auto l = t.open();
        CHECK(l.schema_version() == 9);
        const auto d = l.get_device("PV-26A18-BC02R-AAAAA");
        CHECK(d.status == DeviceStatus::tested);
        CHECK(d.claim_code_hash.empty());
        l.record_labels({label_record(d.serial)});
        CHECK(l.labels_of(d.serial).size() == 1);
    }
    CHECK(count_rows(t.path, "PRAGMA user_version") == 9);
}
