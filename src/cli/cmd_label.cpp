// vesperctl label: labels for tested devices (docs/labels.md): one PDF or ZPL document with a label per
// device, every QR decoded back and checked before the document is written or printed, and every label
// recorded in the ledger with its audit entry.
#include <iostream>

#include "cli.hpp"
#include "output_file.hpp"
#include "station_cli.hpp"
#include "vesper/core/error.hpp"
#include "vesper/creds/claim_code.hpp"
#include "vesper/label/label_job.hpp"
#include "vesper/label/label_select.hpp"

namespace vesper::cli {

namespace {

struct LabelArgs {
    std::vector<std::string> serials;
    std::optional<std::int64_t> batch;
    std::string layout;
    std::string format;
    std::optional<int> dpi;
    std::string output;
    std::string printer;
    int copies = 1;
    int first_position = 1;
    bool include_untested = false;
    bool reprint = false;
    std::string config;
    std::string claim_secret_file;
};

// The profile's label settings for the devices' board, when a config has one.
const station::LabelSettings* profile_label(const std::optional<station::Config>& config, const ledger::Device& d) {
    if (!config) return nullptr;
    const station::BoardProfile* p = config->find_profile(d.hw_type, d.hw_version);
    return p && p->label.layout ? &p->label : nullptr;
}

// --layout, else the profile's (at --dpi when given), else the 50x30 mm roll.
label::Layout layout_for(const LabelArgs& a, const station::LabelSettings* from_profile) {
    if (!a.layout.empty()) return label::load_layout(a.layout, a.dpi);
    if (!from_profile) return label::load_layout("roll-50x30", a.dpi);
    return a.dpi ? label::load_layout(from_profile->layout_source, a.dpi) : *from_profile->layout;
}

label::Format format_of(const LabelArgs& a, const station::LabelSettings* from_profile) {
    if (!a.format.empty()) return a.format == "zpl" ? label::Format::zpl : label::Format::pdf;
    if (a.output.ends_with(".zpl")) return label::Format::zpl;
    if (a.output.ends_with(".pdf")) return label::Format::pdf;
    return from_profile ? from_profile->format : label::Format::pdf;
}

void run_label(const Context& ctx, const LabelArgs& a) {
    if (a.output.empty() && a.printer.empty())
        fail(ErrorCode::cli_usage, "give -o FILE to write the labels, --print PRINTER to print them, or both");
    check_output_option(ctx, a.output);
    const std::optional<station::Config> config = find_optional_config(a.config);
    auto ledger =
        ctx.open_ledger(ctx.ledger_location(config ? config->ledger : std::nullopt), ledger::Access::existing);

    label::SelectRequest req{a.serials, a.batch, a.include_untested, a.reprint};
    const label::Selection selection = label::select_devices(ledger, req);
    const station::LabelSettings* from_profile = profile_label(config, selection.devices.front().device);
    const label::Layout layout = layout_for(a, from_profile);
    const label::Format format = format_of(a, from_profile);
    if (format == label::Format::zpl && layout.sheet)
        fail(ErrorCode::label_layout, "layout '" + layout.name + "' is a sheet: ZPL is for roll printers");

    const bool claim = label::uses_placeholder(layout, creds::kClaimCodeField);
    const std::string secret = claim ? read_claim_secret(a.claim_secret_file) : std::string();
    std::vector<label::LabelItem> items;
    std::vector<std::string> hashes;
    for (const auto& s : selection.devices) {
        const std::string code = claim ? creds::claim_code(secret, s.device.serial) : std::string();
        items.push_back({s.device.serial, label::device_values(s.device, code)});
        hashes.push_back(claim ? creds::claim_code_hash(code) : std::string());
    }

    label::Delivery delivery{a.output, a.printer, a.copies, "vesperctl labels " + std::to_string(items.size())};
    const label::JobResult job = label::produce(layout, format, items, {a.printer, a.first_position - 1}, delivery);

    // Recorded once delivered: a label is in the ledger when it exists.
    std::vector<ledger::LabelRecord> records;
    for (std::size_t i = 0; i < selection.devices.size(); ++i) {
        const auto& s = selection.devices[i];
        if (!hashes[i].empty()) ledger.set_claim_code_hash(s.device.serial, hashes[i]);
        ledger::LabelRecord r;
        r.serial = s.device.serial;
        r.layout = layout.name;
        r.format = label::to_string(format);
        r.copies = a.copies;
        r.reprint = s.reprint;
        r.untested = s.untested;
        if (!a.output.empty()) {
            r.destination =
                a.output == "-" ? "stdout" : std::filesystem::absolute(a.output).lexically_normal().string();
            records.push_back(r);
        }
        if (!a.printer.empty()) {
            r.destination = "printer:" + a.printer;
            records.push_back(r);
        }
    }
    ledger.record_labels(records);

    if (ctx.json) {
        nlohmann::json labels = nlohmann::json::array();
        for (std::size_t i = 0; i < selection.devices.size(); ++i) {
            const auto& placed = job.rendered.labels[i];
            const auto& check = job.report.labels[i];
            labels.push_back({{"serial", placed.serial},
                              {"page", placed.page + 1},
                              {"row", placed.row + 1},
                              {"column", placed.column + 1},
                              {"reprint", selection.devices[i].reprint},
                              {"untested", selection.devices[i].untested},
                              {"verified", check.passed},
                              {"module_dots", check.module_px},
                              {"quiet_modules", check.quiet_modules}});
        }
        ctx.print_json(
            {{"layout", layout.name},
             {"layout_file", layout.file},
             {"format", label::to_string(format)},
             {"dpi", layout.dpi},
             {"pages", job.rendered.pages},
             {"output", a.output.empty() ? nlohmann::json(nullptr) : nlohmann::json(a.output)},
             {"printer", a.printer.empty() ? nlohmann::json(nullptr) : nlohmann::json(a.printer)},
             {"print_job", job.print_reply.empty() ? nlohmann::json(nullptr) : nlohmann::json(job.print_reply)},
             {"copies", a.copies},
             {"labels", labels},
             {"left_out", {{"untested", selection.left_untested}, {"labelled", selection.left_labelled}}}});
        return;
    }
    std::ostream& out = summary_stream(a.output);
    out << items.size() << " label" << (items.size() == 1 ? "" : "s") << " (" << layout.name << ", "
        << label::to_string(format) << ", " << job.rendered.pages << " page" << (job.rendered.pages == 1 ? "" : "s")
        << "), every QR decoded and checked at " << layout.dpi << " dpi";
    if (!a.output.empty()) out << "; written to " << (a.output == "-" ? "stdout" : a.output);
    if (!a.printer.empty())
        out << "; printed on " << a.printer << (job.print_reply.empty() ? "" : " (" + job.print_reply + ")");
    out << "\n";
    if (!selection.left_untested.empty())
        out << "left out " << selection.left_untested.size()
            << " device(s) not tested (--include-untested to label them)\n";
    if (!selection.left_labelled.empty())
        out << "left out " << selection.left_labelled.size()
            << " device(s) labelled before (--reprint to label them again)\n";
}

} // namespace

void register_label(CLI::App& app, Context& ctx) {
    auto a = std::make_shared<LabelArgs>();
    auto* cmd = app.add_subcommand("label", "Make QR labels for tested devices: PDF or ZPL, each QR checked before "
                                            "it is written or printed");
    cmd->add_option("serials", a->serials, "Serial numbers to label (or --batch)");
    cmd->add_option("--batch", a->batch, "Label the batch's tested devices");
    cmd->add_option("--layout", a->layout,
                    "A built-in layout (roll-50x30, ql-62x29, a4-l7160) or a layout file (default: the profile's, "
                    "else roll-50x30)");
    cmd->add_option("--format", a->format, "pdf or zpl (default: from -o's extension, else the profile's, else pdf)")
        ->check(CLI::IsMember({"pdf", "zpl"}));
    cmd->add_option("--dpi", a->dpi, "The printer's resolution (default: the layout's)")->check(CLI::Range(100, 1200));
    cmd->add_option("-o,--output", a->output, "Write the labels to FILE ('-' for stdout)");
    cmd->add_option("--print", a->printer, "Print on this CUPS printer (lp -d PRINTER)");
    cmd->add_option("--copies", a->copies, "Copies of each label when printing (1-100)")->check(CLI::Range(1, 100));
    cmd->add_option("--first-position", a->first_position,
                    "Sheets: start at this label position of the first sheet, to use up a part-used sheet")
        ->check(CLI::Range(1, 1000));
    cmd->add_flag("--include-untested", a->include_untested,
                  "Also label devices that have not passed their test (recorded in the audit log)");
    cmd->add_flag("--reprint", a->reprint, "Also label devices labelled before (recorded as reprints)");
    cmd->add_option("--config", a->config,
                    "Factory config with the board profiles (default: $VESPER_CONFIG, ./vesper.yaml)");
    cmd->add_option("--claim-secret-file", a->claim_secret_file,
                    "File holding the claim secret, for layouts that use {{claim_code}} ($VESPER_CLAIM_SECRET)");
    cmd->callback([&ctx, a] { run_label(ctx, *a); });
}

} // namespace vesper::cli
