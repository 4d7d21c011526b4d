// vesperctl batch: create batches of devices, list them, show one, export its device records, report
// on its stations' work.
#include <cstdio>
#include <sstream>

#include "cli.hpp"
#include "vesper/core/error.hpp"
#include "vesper/core/files.hpp"
#include "vesper/core/json_text.hpp"
#include "vesper/core/text_table.hpp"
#include "vesper/ledger/ledger_json.hpp"
#include "vesper/ledger/report.hpp"
#include "vesper/ledger/report_text.hpp"
#include "vesper/serial/serial_number.hpp"

namespace vesper::cli {

using ledger::batch_json;
using ledger::counts_json;
using ledger::device_json;
using ledger::report_json;

void register_batch(CLI::App& app, Context& ctx) {
    auto* batch = app.add_subcommand("batch", "Batches of devices in the ledger");
    batch->require_subcommand(1);

    // batch create
    struct CreateArgs {
        std::string type, rev, plan = "standard", date;
        int qty = 0, outputs = 8;
    };
    auto c = std::make_shared<CreateArgs>();
    auto* create =
        batch->add_subcommand("create", "Create a batch of N devices with fresh serials (status manufactured)");
    create->add_option("--type", c->type, "Board type code, two letters (e.g. BC)")->required();
    create->add_option("--rev", c->rev, "Board revision, two digits (e.g. 02)")->required();
    create->add_option("--qty", c->qty, "Number of devices (1-100000)")->required();
    create->add_option("--plan", c->plan, "Subscription plan")->capture_default_str();
    create->add_option("--outputs", c->outputs, "Available outputs (0-255)")->capture_default_str();
    create->add_option("--date", c->date, "Date in the serials, YYYY-MM-DD (default: today)");
    create->callback([&ctx, c] {
        ledger::BatchSpec spec;
        spec.board_type = serial::normalize_board_type(c->type);
        spec.revision = serial::normalize_revision(c->rev);
        spec.quantity = c->qty;
        spec.subscription_plan = c->plan;
        spec.available_outputs = c->outputs;
        if (!c->date.empty()) spec.date = serial::parse_iso_date(c->date);
        auto ledger = ctx.open_ledger(ledger::Access::create);
        auto b = ledger.create_batch(spec);
        auto devices = ledger.devices_of_batch(b.id);
        if (ctx.json) {
            nlohmann::json serials = nlohmann::json::array();
            for (const auto& d : devices)
                serials.push_back(d.serial);
            ctx.print_json({{"batch", batch_json(b)}, {"serials", serials}});
            return;
        }
        std::cout << ledger::batch_line(b) << "\n";
        for (const auto& d : devices)
            std::cout << d.serial << "\n";
    });

    // batch list
    auto* list = batch->add_subcommand("list", "List batches with their device status counts");
    list->callback([&ctx] {
        auto ledger = ctx.open_ledger(ledger::Access::read_only);
        auto batches = ledger.list_batches();
        if (ctx.json) {
            nlohmann::json arr = nlohmann::json::array();
            for (const auto& b : batches) {
                auto j = batch_json(b);
                j["status_counts"] = counts_json(ledger.status_counts(b.id));
                arr.push_back(j);
            }
            ctx.print_json({{"batches", arr}});
            return;
        }
        if (batches.empty()) {
            std::cout << "no batches in " << ledger.path().string() << "\n";
            return;
        }
        std::vector<std::vector<std::string>> rows;
        for (const auto& b : batches) {
            auto n = ledger.status_counts(b.id);
            using S = ledger::DeviceStatus;
            rows.push_back({std::to_string(b.id), b.board_type, b.revision, std::to_string(b.quantity),
                            b.subscription_plan, std::to_string(b.available_outputs), b.created_at,
                            std::to_string(n[S::manufactured]), std::to_string(n[S::flashed]),
                            std::to_string(n[S::tested]), std::to_string(n[S::registered]),
                            std::to_string(n[S::failed])});
        }
        print_table(
            std::cout,
            {"ID", "TYPE", "REV", "QTY", "PLAN", "OUTPUTS", "CREATED", "MANUF", "FLASHED", "TESTED", "REG", "FAILED"},
            rows);
    });

    // batch show
    auto show_id = std::make_shared<std::int64_t>(0);
    auto* show = batch->add_subcommand("show", "Show a batch: its settings, status counts and devices");
    show->add_option("id", *show_id, "Batch id")->required();
    show->callback([&ctx, show_id] {
        auto ledger = ctx.open_ledger(ledger::Access::read_only);
        ledger::Batch b;
        std::map<ledger::DeviceStatus, int> counts;
        std::vector<ledger::Device> devices;
        ledger.read_snapshot([&] { // counts that agree with the device list while stations write
            b = ledger.get_batch(*show_id);
            counts = ledger.status_counts(b.id);
            devices = ledger.devices_of_batch(b.id);
        });
        if (ctx.json) {
            nlohmann::json devs = nlohmann::json::array();
            for (const auto& d : devices)
                devs.push_back(device_json(d));
            ctx.print_json({{"batch", batch_json(b)}, {"status_counts", counts_json(counts)}, {"devices", devs}});
            return;
        }
        std::cout << ledger::batch_line(b) << "\n"
                  << "created " << b.created_at << " by " << b.operator_name << "\n"
                  << ledger::status_line(counts) << "\n\n";
        std::vector<std::vector<std::string>> rows;
        for (const auto& d : devices)
            rows.push_back({d.serial, ledger::to_string(d.status), or_dash(d.mac), or_dash(d.station), or_dash(d.port),
                            or_dash(d.firmware_version), d.updated_at, d.last_error});
        print_table(std::cout, {"SERIAL", "STATUS", "MAC", "STATION", "PORT", "FIRMWARE", "UPDATED", "LAST ERROR"},
                    rows);
    });

    // batch export
    struct ExportArgs {
        std::int64_t id = 0;
        std::string format = "json";
        std::string output;
    };
    auto e = std::make_shared<ExportArgs>();
    auto* exp = batch->add_subcommand("export", "Export the batch's device records (backend field names)");
    exp->add_option("id", e->id, "Batch id")->required();
    exp->add_option("--format", e->format, "csv or json")->check(CLI::IsMember({"csv", "json"}))->capture_default_str();
    exp->add_option("-o,--output", e->output, "Write to FILE (atomically) instead of stdout (- is stdout)");
    exp->callback([&ctx, e] {
        auto ledger = ctx.open_ledger(ledger::Access::read_only);
        auto b = ledger.get_batch(e->id);
        auto devices = ledger.devices_of_batch(b.id);
        if (e->output.empty() || is_stdout(e->output)) {
            if (e->format == "csv")
                std::cout << ledger::export_csv(devices);
            else
                ctx.print_json(ledger::export_json(devices));
            return;
        }
        // In a file JSON is one line, as on a pipe.
        write_file_atomic(e->output, e->format == "csv" ? ledger::export_csv(devices)
                                                        : json_text(ledger::export_json(devices)) + "\n");
        if (ctx.json)
            ctx.print_json(
                {{"batch_id", b.id}, {"format", e->format}, {"output", e->output}, {"count", devices.size()}});
        else
            std::cout << "wrote " << devices.size() << " device records of batch " << b.id << " to " << e->output
                      << "\n";
    });

    // batch report
    struct ReportArgs {
        std::int64_t id = 0;
        std::string format; // empty: text, or json with --json
        std::string output;
    };
    auto r = std::make_shared<ReportArgs>();
    auto* rep = batch->add_subcommand("report", "Report on a batch: per device, per station, board times, failures");
    rep->add_option("id", r->id, "Batch id")->required();
    rep->add_option("--format", r->format, "text, csv or json (default text; json with --json)")
        ->check(CLI::IsMember({"text", "csv", "json"}));
    rep->add_option("-o,--output", r->output, "Write to FILE (atomically) instead of stdout (- is stdout)");
    rep->callback([&ctx, r] {
        const std::string format = !r->format.empty() ? r->format : ctx.json ? "json" : "text";
        // With --json stdout carries JSON only; a text or CSV report can still go to a file.
        if (ctx.json && (r->output.empty() || is_stdout(r->output)) && format != "json")
            fail(ErrorCode::cli_usage, "--format " + format +
                                           " with --json: stdout takes JSON only; use -o FILE for a " + format +
                                           " report");
        auto ledger = ctx.open_ledger(ledger::Access::read_only);
        auto report = ledger::batch_report(ledger, r->id);
        const bool to_stdout = r->output.empty() || is_stdout(r->output);
        if (to_stdout && format == "json") {
            ctx.print_json(report_json(report));
            return;
        }
        std::string text = format == "json"  ? json_text(report_json(report)) + "\n"
                           : format == "csv" ? ledger::report_csv(report)
                                             : ledger::report_text(report);
        if (to_stdout) {
            std::cout << text;
            return;
        }
        write_file_atomic(r->output, text);
        if (ctx.json)
            ctx.print_json({{"batch_id", report.batch.id},
                            {"format", format},
                            {"output", r->output},
                            {"count", report.devices.size()}});
        else
            std::cout << "wrote the " << format << " report of batch " << report.batch.id << " ("
                      << report.devices.size() << " devices) to " << r->output << "\n";
    });
}

} // namespace vesper::cli
