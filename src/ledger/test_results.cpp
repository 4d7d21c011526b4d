// Factory test results (schema 5): a test step's tests, kept with its attempt, and read back.
#include "test_results.hpp"

#include <nlohmann/json.hpp>

#include <cmath>

#include "sqlite.hpp"
#include "vesper/core/error.hpp"

namespace vesper::ledger {

namespace {

const char* const kVerdicts[] = {"pass", "fail", "skip", "error"};

// Rows of test_results joined with their attempt, in the order read_row() expects.
const char* const kRowSelect =
    "SELECT t.attempt_id, t.serial, a.step, COALESCE(a.finished_at,''), t.position, t.name, t.command, t.measured, "
    "t.limits, t.verdict, t.required, t.tries, t.seconds, t.message FROM test_results t "
    "JOIN attempts a ON a.id = t.attempt_id ";

TestResultRow read_row(const sql::Stmt& st) {
    TestResultRow r;
    r.attempt_id = st.integer(0);
    r.serial = st.text(1);
    r.step = st.text(2);
    r.finished_at = st.text(3);
    r.position = static_cast<int>(st.integer(4));
    r.test.name = st.text(5);
    r.test.command = st.text(6);
    r.test.measured = st.text(7);
    r.test.limits = st.text(8);
    r.test.verdict = st.text(9);
    r.test.required = st.integer(10) != 0;
    r.test.tries = static_cast<int>(st.integer(11));
    r.test.seconds = st.real(12);
    r.test.message = st.text(13);
    return r;
}

std::vector<TestResultRow> read_rows(sql::Stmt& st) {
    std::vector<TestResultRow> out;
    while (st.step())
        out.push_back(read_row(st));
    return out;
}

} // namespace

bool is_test_verdict(std::string_view verdict) {
    for (const char* v : kVerdicts)
        if (verdict == v) return true;
    return false;
}

namespace detail {

void validate_tests(const std::string& what, const AttemptOutcome& outcome) {
    for (std::size_t i = 0; i < outcome.tests.size(); ++i) {
        const TestRecord& t = outcome.tests[i];
        const std::string where = what + ": test " + std::to_string(i + 1) + " '" + t.name + "'";
        if (t.name.empty()) fail(ErrorKind::input, where + ": the name is empty");
        if (!is_test_verdict(t.verdict))
            fail(ErrorKind::input, where + ": verdict '" + t.verdict + "': must be pass, fail, skip or error");
        if (nlohmann::json::parse(t.measured, nullptr, false).is_discarded())
            fail(ErrorKind::input, where + ": measured '" + t.measured + "': must be JSON text (null when nothing)");
        if (t.tries < 0) fail(ErrorKind::input, where + ": tries " + std::to_string(t.tries) + ": must be >= 0");
        if (!std::isfinite(t.seconds) || t.seconds < 0)
            fail(ErrorKind::input, where + ": seconds " + std::to_string(t.seconds) + ": must be a finite number >= 0");
        // A device marked tested must have passed every required test: the ledger would contradict itself.
        if (outcome.passed && t.required && (t.verdict == "fail" || t.verdict == "error"))
            fail(ErrorKind::input, where + ": a required test with verdict " + t.verdict + " in a passed outcome");
    }
}

void write_tests(sqlite3* db, std::int64_t attempt_id, const std::string& serial,
                 const std::vector<TestRecord>& tests) {
    if (tests.empty()) return;
    sql::Stmt st(db, "INSERT INTO test_results(attempt_id, serial, position, name, command, measured, limits, "
                     "verdict, required, tries, seconds, message) VALUES (?,?,?,?,?,?,?,?,?,?,?,?)");
    for (std::size_t i = 0; i < tests.size(); ++i) {
        const TestRecord& t = tests[i];
        st.reset();
        st.bind(1, attempt_id).bind(2, serial).bind(3, static_cast<std::int64_t>(i)).bind(4, t.name);
        st.bind(5, t.command).bind(6, t.measured).bind(7, t.limits).bind(8, t.verdict);
        st.bind(9, t.required ? 1 : 0).bind(10, t.tries).bind_real(11, t.seconds).bind(12, t.message);
        st.run();
    }
}

} // namespace detail

std::vector<TestResultRow> Ledger::test_results_of(std::string_view serial) const {
    sql::Stmt st(db_, std::string(kRowSelect) + "WHERE t.serial = ? ORDER BY t.attempt_id, t.position");
    st.bind(1, serial);
    return read_rows(st);
}

std::vector<TestResultRow> Ledger::test_results_of_batch(std::int64_t batch_id) const {
    sql::Stmt st(db_, std::string(kRowSelect) + "WHERE a.batch_id = ? ORDER BY t.attempt_id, t.position");
    st.bind(1, batch_id);
    return read_rows(st);
}

} // namespace vesper::ledger
