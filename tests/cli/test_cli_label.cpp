// CLI tests for `vesperctl label`: devices made tested through the ledger, then labelled by the real
// binary. PDFs are checked with pdftoppm + zbarimg and pdfinfo, ZPL by its ^FD payloads; printing goes to
// a stand-in lp on PATH; every bad input is one error line with its code and nothing written.
#include <catch2/catch.hpp>

#include <nlohmann/json.hpp>

#include <string>
#include <vector>

#include "json_error.hpp"
#include "label_tools.hpp"
#include "ledger_support.hpp"
#include "run_process.hpp"
#include "vesper/core/files.hpp"
#include "vesper/creds/claim_code.hpp"
#include "vesper/label/fields.hpp"
#include "vesper/label/layout.hpp"

using namespace vesper;
using test::json_error_object;
using test::ProcessOptions;
using test::TempDir;
using test::vesperctl;
namespace fs = std::filesystem;

namespace {

const std::string kClaimSecret = "claim-secret-for-label-tests-91c2";

// A ledger with a batch of `n` devices; the first `tested` flashed and tested, the rest only created.
struct LabelLedger {
    TempDir dir;
    fs::path path = dir.path() / "ledger.db";
    std::int64_t batch = 0;
    std::vector<std::string> serials;

    LabelLedger(int n, int tested) {
        auto l = ledger::Ledger::open(path, "tester");
        batch = l.create_batch(test::batch_spec(n)).id;
        for (int i = 0; i < tested; ++i) {
            const auto sn = l.bind_mac(batch, test::mac_of(i + 1)).device.serial;
            ledger::AttemptOutcome flash;
            flash.passed = true;
            flash.sets_status = ledger::DeviceStatus::flashed;
            l.finish_attempt(l.begin_attempt(sn, "flash", "A", "/dev/ttyUSB0"), flash);
            ledger::AttemptOutcome test;
            test.passed = true;
            test.sets_status = ledger::DeviceStatus::tested;
            l.finish_attempt(l.begin_attempt(sn, "test", "A", "/dev/ttyUSB0"), test);
        }
        for (const auto& d : l.devices_of_batch(batch))
            serials.push_back(d.serial);
    }
    ProcessOptions options() const {
        ProcessOptions o = test::isolated_in(dir.path());
        o.env["VESPER_CLAIM_SECRET"] = kClaimSecret;
        return o;
    }
    test::ProcessResult run(std::vector<std::string> args, ProcessOptions o) const {
        args.insert(args.begin(), {"--ledger", path.string()});
        return vesperctl(args, o);
    }
    test::ProcessResult run(std::vector<std::string> args) const { return run(std::move(args), options()); }
    ledger::Ledger open() const { return ledger::Ledger::open(path, "tester", ledger::Access::read_only); }
    std::string payload(const std::string& layout_name, const std::string& serial) const {
        const auto layout = label::load_layout(layout_name);
        const auto d = open().get_device(serial);
        return label::expand(layout.qr_field()->content,
                             label::device_values(d, creds::claim_code(kClaimSecret, serial)));
    }
};

std::vector<std::string> tested_serials(const LabelLedger& l) {
    std::vector<std::string> out;
    for (const auto& d : l.open().devices_of_batch(l.batch))
        if (d.status == ledger::DeviceStatus::tested) out.push_back(d.serial);
    return out;
}

} // namespace

TEST_CASE("cli label: a batch's tested devices on one PDF, every QR as the ledger says, recorded", "[cli][label]") {
    LabelLedger l(5, 3);
    const auto pdf = l.dir.path() / "batch.pdf";
    auto r = l.run({"--json", "label", "--batch", std::to_string(l.batch), "-o", pdf.string()});
    INFO(r.err);
    REQUIRE(r.exit_code == 0);
    const auto doc = nlohmann::json::parse(r.out);
    CHECK(doc.at("layout") == "roll-50x30");
    CHECK(doc.at("format") == "pdf");
    CHECK(doc.at("labels").size() == 3);
    CHECK(doc.at("pages") == 3); // a roll: one label a page
    CHECK(doc.at("left_out").at("untested").size() == 2);
    for (const auto& lab : doc.at("labels")) {
        CHECK(lab.at("verified") == true);
        CHECK(lab.at("quiet_modules").get<int>() >= 4);
    }
    std::vector<std::string> expected;
    for (const auto& sn : tested_serials(l))
        expected.push_back(l.payload("roll-50x30", sn));
    std::sort(expected.begin(), expected.end());
    CHECK(test::decode_pdf_qr(pdf, 203) == expected);
    CHECK(test::decode_pdf_qr(pdf, 300) == expected);
    // The claim secret is never in any output.
    CHECK(r.out.find(kClaimSecret) == std::string::npos);
    CHECK(r.err.find(kClaimSecret) == std::string::npos);

    auto led = l.open();
    for (const auto& sn : tested_serials(l)) {
        const auto labels = led.labels_of(sn);
        REQUIRE(labels.size() == 1);
        CHECK(labels[0].destination == fs::absolute(pdf).lexically_normal().string());
        CHECK_FALSE(labels[0].reprint);
        CHECK(led.get_device(sn).claim_code_hash == creds::claim_code_hash(creds::claim_code(kClaimSecret, sn)));
    }
    // Again: all labelled, so nothing to do without --reprint, and the file is left as it was.
    const std::string before = read_text_file(pdf);
    auto again = l.run({"--json", "label", "--batch", std::to_string(l.batch), "-o", pdf.string()});
    json_error_object(again, "label.already_printed");
    CHECK(read_text_file(pdf) == before);
    auto reprint = l.run({"label", "--batch", std::to_string(l.batch), "--reprint", "-o", pdf.string()});
    CHECK(reprint.exit_code == 0);
    CHECK(l.open().labels_of(tested_serials(l)[0]).back().reprint);
}

TEST_CASE("cli label: single devices, untested refused, ZPL and printing through lp", "[cli][label]") {
    LabelLedger l(3, 2);
    const std::string untested = [&] {
        for (const auto& d : l.open().devices_of_batch(l.batch))
            if (d.status != ledger::DeviceStatus::tested) return d.serial;
        return std::string();
    }();
    const auto tested = tested_serials(l);
    const auto out = l.dir.path() / "one.pdf";
    json_error_object(l.run({"--json", "label", untested, "-o", out.string()}), "label.not_tested");
    CHECK_FALSE(fs::exists(out));
    json_error_object(l.run({"--json", "label", "PV-26A18-BC02R-ZZZZZ", "-o", out.string()}),
                      "ledger.device_not_found");
    json_error_object(l.run({"--json", "label", tested[0]}), "cli.usage"); // neither -o nor --print
    CHECK_FALSE(fs::exists(out));

    // ZPL from the file's extension: one format per label, the QR's data as the ledger says.
    const auto zpl = l.dir.path() / "two.zpl";
    auto z = l.run({"label", tested[0], tested[1], "-o", zpl.string()});
    INFO(z.err);
    REQUIRE(z.exit_code == 0);
    const std::string text = read_text_file(zpl);
    std::size_t formats = 0;
    for (auto at = text.find("^XA"); at != std::string::npos; at = text.find("^XA", at + 1))
        ++formats;
    CHECK(formats == 2);
    for (const auto& sn : tested)
        CHECK_THAT(text, Catch::Contains(l.payload("roll-50x30", sn)));
    CHECK(l.open().labels_of(tested[0]).at(0).format == "zpl");

    // Printing: the document goes to lp on its stdin, recorded as printer:NAME.
    test::StandInLp lp(l.dir.path() / "lp");
    auto o = l.options();
    o.env["PATH"] = lp.path_env();
    auto p = l.run({"label", tested[0], "--reprint", "--print", "zebra-a", "--copies", "2"}, o);
    INFO(p.err);
    REQUIRE(p.exit_code == 0);
    const auto jobs = lp.jobs();
    REQUIRE(jobs.size() == 1);
    CHECK(std::find(jobs[0].args.begin(), jobs[0].args.end(), "zebra-a") != jobs[0].args.end());
    CHECK(jobs[0].data.rfind("%PDF-", 0) == 0);
    const auto recorded = l.open().labels_of(tested[0]).back();
    CHECK(recorded.destination == "printer:zebra-a");
    CHECK(recorded.copies == 2);
    CHECK(recorded.reprint);

    // A printer that refuses: label.print, and nothing recorded.
    test::StandInLp broken(l.dir.path() / "lp-broken", "The printer or class does not exist.");
    o.env["PATH"] = broken.path_env();
    const auto labels_before = l.open().labels_of(tested[1]).size();
    auto refused = l.run({"--json", "label", tested[1], "--reprint", "--print", "nope"}, o);
    const auto e = json_error_object(refused, "label.print");
    CHECK_THAT(e.at("message").get<std::string>(), Catch::Contains("does not exist"));
    CHECK(l.open().labels_of(tested[1]).size() == labels_before);
}

TEST_CASE("cli label: bad layouts and missing secrets are one line with their code, nothing written", "[cli][label]") {
    LabelLedger l(1, 1);
    const auto sn = l.serials[0];
    const auto out = l.dir.path() / "x.pdf";
    // A layout with an unknown placeholder, named by file and line.
    const auto bad = l.dir.path() / "bad.yaml";
    write_file_atomic(bad, std::string_view("label: {width: 50, height: 30}\nfields:\n"
                                            "  - {name: serial, text: \"{{serial}}\", x: 2, y: 2, width: 40, "
                                            "height: 5, font_size: 8}\n"));
    auto r = l.run({"--json", "label", sn, "--layout", bad.string(), "-o", out.string()});
    const auto e = json_error_object(r, "label.placeholder");
    CHECK_THAT(e.at("message").get<std::string>(), Catch::Contains(bad.string() + ":3"));
    CHECK_FALSE(fs::exists(out));
    json_error_object(l.run({"--json", "label", sn, "--layout", "no-such-layout", "-o", out.string()}), "label.layout");
    // The built-in layouts carry a claim URL: without the claim secret there is no label.
    auto o = test::isolated_in(l.dir.path());
    json_error_object(l.run({"--json", "label", sn, "-o", out.string()}, o), "secret.missing");
    CHECK_FALSE(fs::exists(out));
    // ZPL is for roll printers.
    json_error_object(l.run({"--json", "label", sn, "--layout", "a4-l7160", "--format", "zpl", "-o", out.string()}),
                      "label.layout");
    CHECK_FALSE(fs::exists(out));
}
