// vesperctl register: sends the ledger's outbox to the company backend (docs/registration.md), lists
// and requeues dead letters, and reconciles what the backend holds. The token comes from
// $VESPER_BACKEND_TOKEN or --token-file, never argv, and is never printed.
#include <iostream>

#include "cli.hpp"
#include "station_cli.hpp"
#include "vesper/backend/drainer.hpp"
#include "vesper/backend/verify.hpp"
#include "vesper/core/error.hpp"
#include "vesper/core/interrupt.hpp"
#include "vesper/core/json_text.hpp"
#include "vesper/station/config.hpp"

namespace vesper::cli {

namespace {

struct RegisterArgs {
    std::optional<std::int64_t> batch;
    bool wait = false;
    bool failed = false;
    bool retry_failed = false;
    bool verify = false;
    bool verbose = false;
    std::string config;
    std::string token_file;
};

std::string plural(int n, const char* word) { return std::to_string(n) + " " + word + (n == 1 ? "" : "s"); }

void list_failed(const Context& ctx, ledger::Ledger& ledger, const RegisterArgs& a) {
    const auto dead = ledger.dead_outbox(a.batch);
    nlohmann::json items = nlohmann::json::array();
    for (const auto& e : dead) {
        const auto response = nlohmann::json::parse(e.response, nullptr, false);
        const bool structured = response.is_object() && response.contains("status");
        items.push_back({{"serial", e.serial},
                         {"batch", e.batch_id},
                         {"status", structured ? response["status"] : nlohmann::json(nullptr)},
                         {"error", e.last_error},
                         {"answer", structured ? response["body"] : nlohmann::json(e.response)},
                         {"attempts", e.attempts}});
    }
    if (ctx.json) {
        ctx.print_json({{"failed", items}});
        return;
    }
    for (const auto& i : items)
        std::cout << i["serial"].get<std::string>() << "  " << i["error"].get<std::string>() << "  "
                  << json_text(i["answer"]) << "\n";
    std::cout << plural(static_cast<int>(items.size()), "dead letter")
              << (items.empty() ? "" : " (register --retry-failed sends them again)") << "\n";
}

void run_verify(const Context& ctx, ledger::Ledger& ledger, const backend::BackendSettings& settings,
                const std::string& token, const RegisterArgs& a) {
    const auto report = backend::verify_registered(ledger, a.batch, settings, token);
    if (ctx.json) {
        nlohmann::json devices = nlohmann::json::array();
        for (const auto& c : report.devices)
            devices.push_back({{"serial", c.serial},
                               {"state", c.state},
                               {"sent_sha256", c.sent_sha256},
                               {"confirmed_sha256", c.confirmed_sha256},
                               {"backend_sha256", c.backend_sha256},
                               {"detail", c.detail}});
        ctx.print_json({{"devices", devices},
                        {"matched", report.matched},
                        {"missing", report.missing},
                        {"differs", report.differs},
                        {"unknown", report.unknown},
                        {"requests", report.requests}});
    } else {
        for (const auto& c : report.devices)
            if (c.state != "match" || a.verbose)
                std::cout << c.serial << "  " << c.state << (c.detail.empty() ? "" : "  " + c.detail) << "\n";
        std::cout << "verify: " << report.matched << " match, " << report.missing << " missing on the backend, "
                  << report.differs << " differ, " << report.unknown << " unknown\n";
    }
    const int drift = report.missing + report.differs;
    if (drift > 0)
        fail(ErrorCode::backend_drift, std::to_string(drift) + " of " + std::to_string(report.devices.size()) +
                                           " registered devices drifted on " + settings.url + " (" +
                                           std::to_string(report.missing) + " missing, " +
                                           std::to_string(report.differs) + " differ)");
    if (report.unknown > 0)
        fail(ErrorCode::io_failed, std::to_string(report.unknown) + " devices could not be checked on " + settings.url +
                                       ": run register --verify again");
}

void print_summary(const Context& ctx, const backend::DrainStats& s, const std::vector<std::string>& errors) {
    if (ctx.json) {
        ctx.print_json({{"sent", s.sent},
                        {"stale", s.stale},
                        {"retries", s.retries},
                        {"dead", s.dead},
                        {"pending", s.pending},
                        {"waiting", s.waiting},
                        {"requests", s.requests},
                        {"errors", errors}});
        return;
    }
    std::cout << "register: " << s.sent << " sent, " << s.stale << " stale, " << s.retries
              << (s.retries == 1 ? " retry, " : " retries, ") << s.dead << " dead; " << s.pending << " pending ("
              << s.waiting << " waiting to retry); " << plural(s.requests, "request") << "\n";
}

void run_register(const Context& ctx, const RegisterArgs& a) {
    const std::optional<station::Config> config = find_optional_config(a.config);
    const auto where = ctx.ledger_location(config ? config->ledger : std::nullopt);
    auto ledger = ctx.open_ledger(where, a.failed ? ledger::Access::read_only : ledger::Access::existing);
    if (a.failed) {
        list_failed(ctx, ledger, a);
        return;
    }
    if (!config)
        fail(ErrorCode::config_not_found, "register needs a factory config with a backend: section (--config)");
    if (!config->backend)
        fail(ErrorCode::config_invalid, config->file.string() + ": no backend: section (the URL, TLS and bulk "
                                                                "settings register needs; docs/config.md)");
    const backend::BackendSettings& settings = *config->backend;
    const std::string token = backend::load_token(settings, a.token_file);
    if (a.batch) ledger.get_batch(*a.batch); // an unknown batch is an error, not an empty drain
    if (a.verify) {
        run_verify(ctx, ledger, settings, token, a);
        return;
    }
    if (a.retry_failed) {
        const int n = ledger.requeue_dead(a.batch);
        if (!ctx.json && a.verbose) std::cout << "requeued " << plural(n, "dead letter") << "\n";
    }
    backend::DrainOptions options;
    options.batch = a.batch;
    options.mode = a.wait ? backend::DrainMode::until_empty : backend::DrainMode::once;
    std::vector<std::string> errors;
    backend::DrainStats stats;
    {
        // Ctrl-C ends the drain at a clean point: answers in flight are recorded first.
        interrupt::Deferral deferral;
        backend::Drainer drainer(where.path, settings, token, Context::actor());
        stats = drainer.run(options, interrupt::stop_requested(), [&](const backend::DrainEvent& e) {
            if (e.kind == "dead" || e.kind == "auth" || e.kind == "tls")
                errors.push_back((e.serial.empty() ? "" : e.serial + ": ") + e.detail);
            if (a.verbose && !ctx.json)
                std::cout << e.kind << (e.serial.empty() ? "" : " " + e.serial)
                          << (e.detail.empty() ? "" : "  " + e.detail) << "\n";
        });
    }
    print_summary(ctx, stats, errors);
    if (interrupt::stop_requested().load()) fail(ErrorCode::interrupted, interrupt::message());
    if (stats.stopped_by) throw *stats.stopped_by;
    if (stats.dead > 0)
        fail(ErrorCode::backend_refused,
             "the backend refused " + plural(stats.dead, "record") + " for good: register --failed lists them");
}

} // namespace

void register_register(CLI::App& app, Context& ctx) {
    auto a = std::make_shared<RegisterArgs>();
    auto* cmd = app.add_subcommand("register", "Send the ledger's device records to the company backend (the outbox): "
                                               "one pass, or --wait until every record is confirmed");
    cmd->add_option("--batch", a->batch, "Only this batch's records (default: every batch)");
    cmd->add_flag("--wait", a->wait, "Keep going until no record is pending (retries included), or Ctrl-C");
    cmd->add_flag("--failed", a->failed, "List the dead letters (records the backend refused) and send nothing");
    cmd->add_flag("--retry-failed", a->retry_failed, "Queue the dead letters again, then send");
    cmd->add_flag("--verify", a->verify,
                  "Reconcile: GET every registered device and compare its record's SHA-256 with the one sent");
    cmd->add_option("--config", a->config,
                    "Factory config with the backend: section (default: $VESPER_CONFIG, ./vesper.yaml)");
    cmd->add_option("--token-file", a->token_file,
                    "File holding the bearer token (default: $VESPER_BACKEND_TOKEN, else backend.token_file)");
    cmd->add_flag("-v,--verbose", a->verbose, "A line per record sent, retried or refused");
    cmd->callback([&ctx, a] { run_register(ctx, *a); });
}

} // namespace vesper::cli
