// vesperctl batch: create batches of devices, list them, show one, export its device records.
#include <sstream>

#include "cli.hpp"
#include "table.hpp"
#include "vesper/core/error.hpp"
#include "vesper/core/files.hpp"
#include "vesper/serial/serial_number.hpp"

namespace vesper::cli {

namespace {

nlohmann::json batch_json(const ledger::Batch& b) {
    return {{"id", b.id},
            {"board_type", b.board_type},
            {"revision", b.revision},
            {"quantity", b.quantity},
            {"subscription_plan", b.subscription_plan},
            {"available_outputs", b.available_outputs},
            {"created_at", b.created_at},
            {"operator", b.operator_name}};
}

nlohmann::json counts_json(const std::map<ledger::DeviceStatus, int>& counts) {
    nlohmann::json j = nlohmann::json::object();
    for (const auto& [status, n] : counts) j[ledger::to_string(status)] = n;
    return j;
}

// The export's CSV columns: the backend record's scalar fields, in a stable order.
const std::vector<std::string> kExportColumns = {
    "serial_number", "hw_type",    "hw_version", "status",     "subscription_plan", "available_outputs",
    "created_at",    "mac",        "batch_id",   "updated_at", "flashed_at",        "tested_at",
    "registered_at", "last_error",
};

std::string export_csv(const std::vector<ledger::Device>& devices) {
    std::ostringstream out;
    for (std::size_t i = 0; i < kExportColumns.size(); ++i) out << (i ? "," : "") << kExportColumns[i];
    out << "\n";
    for (const auto& d : devices) {
        auto rec = nlohmann::json::parse(ledger::backend_record_json(d));
        for (std::size_t i = 0; i < kExportColumns.size(); ++i) {
            const auto& v = rec[kExportColumns[i]];
            std::string cell = v.is_null() ? "" : v.is_string() ? v.get<std::string>() : v.dump();
            out << (i ? "," : "") << csv_field(cell);
        }
        out << "\n";
    }
    return out.str();
}

std::string export_json(const std::vector<ledger::Device>& devices) {
    nlohmann::json arr = nlohmann::json::array();
    for (const auto& d : devices) arr.push_back(nlohmann::json::parse(ledger::backend_record_json(d)));
    return arr.dump(2) + "\n";
}

} // namespace

void register_batch(CLI::App& app, Context& ctx) {
    auto* batch = app.add_subcommand("batch", "Batches of devices in the ledger");
    batch->require_subcommand(1);

    // batch create
    struct CreateArgs {
        std::string type, rev, plan = "standard", date;
        int qty = 0, outputs = 8;
    };
    auto c = std::make_shared<CreateArgs>();
    auto* create = batch->add_subcommand("create", "Create a batch of N devices with fresh serials (status manufactured)");
    create->add_option("--type", c->type, "Board type code, two letters (e.g. BC)")->required();
    create->add_option("--rev", c->rev, "Board revision, two digits (e.g. 02)")->required();
    create->add_option("--qty", c->qty, "Number of devices (1-100000)")->required();
    create->add_option("--plan", c->plan, "Subscription plan")->capture_default_str();
    create->add_option("--outputs", c->outputs, "Available outputs (0-255)")->capture_default_str();
    create->add_option("--date", c->date, "Date in the serials, YYYY-MM-DD (default: today)");
    create->callback([&ctx, c] {
        ledger::BatchSpec spec;
        spec.board_type = normalize_board_type(c->type);
        spec.revision = normalize_revision(c->rev);
        spec.quantity = c->qty;
        spec.subscription_plan = c->plan;
        spec.available_outputs = c->outputs;
        if (!c->date.empty()) spec.date = serial::parse_iso_date(c->date);
        auto ledger = ctx.open_ledger();
        auto b = ledger.create_batch(spec);
        auto devices = ledger.devices_of_batch(b.id);
        if (ctx.json) {
            nlohmann::json serials = nlohmann::json::array();
            for (const auto& d : devices) serials.push_back(d.serial);
            ctx.print_json({{"batch", batch_json(b)}, {"serials", serials}});
            return;
        }
        std::cout << "batch " << b.id << ": " << b.quantity << " x " << b.board_type << " rev " << b.revision
                  << ", plan " << b.subscription_plan << ", " << b.available_outputs << " outputs\n";
        for (const auto& d : devices) std::cout << d.serial << "\n";
    });

    // batch list
    auto* list = batch->add_subcommand("list", "List batches with their device status counts");
    list->callback([&ctx] {
        auto ledger = ctx.open_ledger();
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
        print_table(std::cout,
                    {"ID", "TYPE", "REV", "QTY", "PLAN", "OUTPUTS", "CREATED", "MANUF", "FLASHED", "TESTED", "REG",
                     "FAILED"},
                    rows);
    });

    // batch show
    auto show_id = std::make_shared<std::int64_t>(0);
    auto* show = batch->add_subcommand("show", "Show a batch: its settings, status counts and devices");
    show->add_option("id", *show_id, "Batch id")->required();
    show->callback([&ctx, show_id] {
        auto ledger = ctx.open_ledger();
        auto b = ledger.get_batch(*show_id);
        auto counts = ledger.status_counts(b.id);
        auto devices = ledger.devices_of_batch(b.id);
        if (ctx.json) {
            nlohmann::json devs = nlohmann::json::array();
            for (const auto& d : devices) devs.push_back(nlohmann::json::parse(ledger::backend_record_json(d)));
            ctx.print_json({{"batch", batch_json(b)}, {"status_counts", counts_json(counts)}, {"devices", devs}});
            return;
        }
        std::cout << "batch " << b.id << ": " << b.quantity << " x " << b.board_type << " rev " << b.revision
                  << ", plan " << b.subscription_plan << ", " << b.available_outputs << " outputs\n"
                  << "created " << b.created_at << " by " << b.operator_name << "\n";
        std::cout << "status:";
        for (const auto& [status, n] : counts) std::cout << " " << ledger::to_string(status) << "=" << n;
        std::cout << "\n\n";
        std::vector<std::vector<std::string>> rows;
        for (const auto& d : devices)
            rows.push_back({d.serial, ledger::to_string(d.status), d.mac.empty() ? "-" : d.mac, d.updated_at,
                            d.last_error});
        print_table(std::cout, {"SERIAL", "STATUS", "MAC", "UPDATED", "LAST ERROR"}, rows);
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
    exp->add_option("--format", e->format, "csv or json")
        ->check(CLI::IsMember({"csv", "json"}))
        ->capture_default_str();
    exp->add_option("-o,--output", e->output, "Write to FILE (atomically) instead of stdout");
    exp->callback([&ctx, e] {
        auto ledger = ctx.open_ledger();
        auto b = ledger.get_batch(e->id);
        auto devices = ledger.devices_of_batch(b.id);
        std::string text = e->format == "csv" ? export_csv(devices) : export_json(devices);
        if (e->output.empty()) {
            std::cout << text;
            return;
        }
        write_file_atomic(e->output, text);
        if (ctx.json)
            ctx.print_json({{"batch_id", b.id}, {"format", e->format}, {"path", e->output},
                            {"devices", devices.size()}});
        else
            std::cout << "wrote " << devices.size() << " device records of batch " << b.id << " to " << e->output
                      << "\n";
    });
}

} // namespace vesper::cli
