// The label step end to end: simulated boards flashed and tested by `vesperctl flash --station`, then
// labelled the moment they pass, a PDF per board in the output folder and a job to a (stand-in) printer;
// the failed board gets none. Every PDF is checked with pdftoppm + zbarimg against the ledger's devices
// and claim codes, and `vesperctl label` makes the batch sheet afterwards.
#include <catch2/catch.hpp>

#include "label_tools.hpp"
#include "station_test_support.hpp"
#include "vesper/creds/claim_code.hpp"
#include "vesper/label/fields.hpp"
#include "vesper/label/layout.hpp"

using namespace vesper;
using namespace vesper::station_test;

namespace {

constexpr const char* kClaimSecret = "station-test-claim-secret-0123456789";

const std::string kLabelProfile =
    tested_pipeline("flash, test, label") + "    label: {layout: roll-50x30, output: labels, printer: bench-zebra}\n";

// What the built-in layout's QR carries for the device, from the layout itself and the claim code.
std::string expected_payload(const label::Layout& layout, const ledger::Device& d) {
    const auto values = label::device_values(d, creds::claim_code(kClaimSecret, d.serial));
    return label::expand(layout.qr_field()->content, values);
}

} // namespace

TEST_CASE("label step: each passed board's label is verified, written and printed, the failed board gets none",
          "[integration][station][label]") {
    const std::vector<BoardSpec> boards = {
        {"bench", {}}, {"bench", {}}, {"bench", {"--fault", "stuck-output=1"}}, {"bench", {}}};
    FactoryLine line(boards, 4, "192KB", 120, kLabelProfile);
    test::StandInLp lp(line.dir() / "lp");
    line.set_env("PATH", lp.path_env());
    line.set_env("VESPER_CLAIM_SECRET", kClaimSecret);
    const auto r = line.flash_station("bench");
    INFO(r.out << r.err);
    CHECK(r.exit_code == 6); // one board failed its test

    const label::Layout layout = label::load_layout("roll-50x30");
    auto led = ledger::Ledger::open(line.ledger(), "test", ledger::Access::read_only);
    std::set<std::string> printed_payloads;
    for (const auto& job : lp.jobs()) {
        // lp -d PRINTER -n COPIES -t TITLE, the PDF on its stdin.
        REQUIRE(job.args.size() >= 6);
        CHECK(job.args[0] == "-d");
        CHECK(job.args[1] == "bench-zebra");
        CHECK(job.data.rfind("%PDF-", 0) == 0);
    }
    CHECK(lp.jobs().size() == 3);
    for (std::size_t i = 0; i < boards.size(); ++i) {
        INFO("board " << i);
        const auto d = *led.find_device_by_mac(mac_of(static_cast<int>(i)));
        const auto pdf = line.dir() / "labels" / (d.serial + ".pdf");
        if (i == 2) {
            CHECK(d.status == ledger::DeviceStatus::failed);
            CHECK_FALSE(fs::exists(pdf));
            CHECK(led.labels_of(d.serial).empty());
            continue;
        }
        CHECK(d.status == ledger::DeviceStatus::tested);
        REQUIRE(fs::exists(pdf));
        // The printer got the same document as the file.
        bool sent = false;
        for (const auto& job : lp.jobs())
            sent = sent || job.data == read_text_file(pdf);
        CHECK(sent);
        const std::string payload = expected_payload(layout, d);
        CHECK(test::decode_pdf_qr(pdf, 203) == std::vector<std::string>{payload});
        CHECK(test::decode_pdf_qr(pdf, 300) == std::vector<std::string>{payload});
        const auto [w, h] = test::pdf_page_mm(pdf);
        CHECK(w == Approx(layout.width_mm).margin(0.05));
        CHECK(h == Approx(layout.height_mm).margin(0.05));
        CHECK_THAT(test::pdf_text(pdf), Catch::Contains(d.serial));
        // Recorded: a file and a printer label, with the label attempt; the claim code's hash on the device.
        const auto labels = led.labels_of(d.serial);
        REQUIRE(labels.size() == 2);
        CHECK(labels[0].destination == pdf.string());
        CHECK(labels[1].destination == "printer:bench-zebra");
        CHECK(labels[0].layout == "roll-50x30");
        CHECK(led.passed_steps(d.serial).count("label") == 1);
        CHECK(d.claim_code_hash == creds::claim_code_hash(creds::claim_code(kClaimSecret, d.serial)));
    }

    // The batch sheet: every tested board is labelled already, so only as an explicit reprint.
    const auto sheet = line.dir() / "sheet.pdf";
    auto again = line.ctl(
        {"--json", "label", "--batch", std::to_string(line.batch()), "--layout", "a4-l7160", "-o", sheet.string()});
    CHECK(again.exit_code == 4);
    CHECK_THAT(again.err, Catch::Contains("\"label.already_printed\""));
    CHECK_FALSE(fs::exists(sheet));
    auto reprint = line.ctl({"--json", "label", "--batch", std::to_string(line.batch()), "--layout", "a4-l7160",
                             "--reprint", "-o", sheet.string()});
    INFO(reprint.err);
    REQUIRE(reprint.exit_code == 0);
    const json doc = json::parse(reprint.out);
    CHECK(doc.at("labels").size() == 3);
    CHECK(doc.at("left_out").at("untested").size() == 1);
    CHECK(doc.at("pages") == 1);
    const auto [sw, sh] = test::pdf_page_mm(sheet);
    CHECK(sw == Approx(210).margin(0.1));
    CHECK(sh == Approx(297).margin(0.1));
    std::vector<std::string> expected;
    const label::Layout a4 = label::load_layout("a4-l7160");
    for (std::size_t i : {0, 1, 3})
        expected.push_back(expected_payload(a4, *led.find_device_by_mac(mac_of(static_cast<int>(i)))));
    std::sort(expected.begin(), expected.end());
    CHECK(test::decode_pdf_qr(sheet, 300) == expected);

    // The failed board: no label without --include-untested, and nothing written.
    const auto failed = *led.find_device_by_mac(mac_of(2));
    const auto single = line.dir() / "single.pdf";
    auto refused = line.ctl({"--json", "label", failed.serial, "-o", single.string()});
    CHECK(refused.exit_code == 4);
    CHECK_THAT(refused.err, Catch::Contains("\"label.not_tested\""));
    CHECK_FALSE(fs::exists(single));
    auto forced = line.ctl({"label", failed.serial, "--include-untested", "-o", single.string()});
    INFO(forced.err);
    CHECK(forced.exit_code == 0);
    CHECK(test::decode_pdf_qr(single, 203) == std::vector<std::string>{expected_payload(layout, failed)});
    auto after = ledger::Ledger::open(line.ledger(), "test", ledger::Access::read_only);
    const auto untested = after.labels_of(failed.serial);
    REQUIRE(untested.size() == 1);
    CHECK(untested[0].untested);
    CHECK(after.labels_of_batch(line.batch()).size() == 3 * 2 + 3 + 1);
    // The line's own labels were first prints.
    for (std::size_t i : {0, 1, 3})
        for (const auto& l : after.labels_of(after.find_device_by_mac(mac_of(static_cast<int>(i)))->serial))
            CHECK(l.reprint == (l.destination == sheet.string()));

    // --reflash runs every step again, the label step too: a board labelled before gets a reprint.
    const auto rerun = line.flash_station("bench", {"--reflash"});
    INFO(rerun.out << rerun.err);
    CHECK(rerun.exit_code == 6);
    auto relabelled = ledger::Ledger::open(line.ledger(), "test", ledger::Access::read_only);
    const auto first = relabelled.labels_of(relabelled.find_device_by_mac(mac_of(0))->serial);
    REQUIRE(first.size() == 2 + 1 + 2); // the line's two, the sheet, the rerun's two
    CHECK_FALSE(first[0].reprint);
    CHECK(first[3].reprint);
    CHECK(first[4].reprint);
    CHECK(relabelled.labels_of(failed.serial).size() == 1); // still failing its test: no new label
}
