// vesperctl entry point: global options, subcommand registration, error to exit-code mapping.
#include <unistd.h>

#include <cstdlib>
#include <iostream>

#include "cli.hpp"
#include "json_output.hpp"
#include "usage_errors.hpp"
#include "vesper/core/error.hpp"
#include "vesper/core/files.hpp"
#include "vesper/core/interrupt.hpp"

namespace vesper::cli {

ledger::LedgerLocation Context::ledger_location(const std::optional<std::filesystem::path>& config_ledger) const {
    return ledger::locate_ledger(ledger_path.empty() ? std::nullopt : std::optional<std::filesystem::path>(ledger_path),
                                 config_ledger);
}

ledger::Ledger Context::open_ledger(ledger::Access access) const { return open_ledger(ledger_location(), access); }

ledger::Ledger Context::open_ledger(const ledger::LedgerLocation& where, ledger::Access access) const {
    auto l = ledger::Ledger::open(where.path, actor(), access);
    // A new ledger in a place nobody expected would split "unique against the ledger" in two: say so.
    if (l.created()) std::cerr << "vesperctl: created a new ledger at " << where.path.string() << "\n";
    return l;
}

std::string Context::actor() {
    for (const char* var : {"VESPER_OPERATOR", "USER", "LOGNAME"}) {
        const char* v = std::getenv(var);
        if (v && *v) return v;
    }
    return "unknown";
}

} // namespace vesper::cli

int main(int argc, char** argv) {
    using namespace vesper;
    cli::Context ctx;
    ctx.stdout_is_tty = ::isatty(STDOUT_FILENO) == 1;
    // Ctrl-C/SIGTERM anywhere: temporary files removed, one "interrupted" line, exit 130/143.
    interrupt::install("vesperctl", &ctx.json);

    // Named, so usage lines and generated files say "vesperctl" whatever path it was started by.
    CLI::App app{"vesperctl: factory provisioning for ESP32-family boards", "vesperctl"};
    app.set_version_flag("--version", std::string("vesperctl ") + VESPER_VERSION);
    app.require_subcommand(1);
    app.fallthrough(); // global options may follow the subcommand
    app.add_flag("--json", ctx.json, "Machine output on stdout (see docs/cli.md for each command's shape)");
    app.add_option("--ledger", ctx.ledger_path,
                   "Ledger database (default $VESPER_HOME/ledger.db, else $XDG_DATA_HOME/vesper/ledger.db, else "
                   "~/.local/share/vesper/ledger.db)");

    cli::register_serial(app, ctx);
    cli::register_batch(app, ctx);
    cli::register_nvs(app, ctx);
    cli::register_part(app, ctx);
    cli::register_creds(app, ctx);
    cli::register_chip(app, ctx);
    cli::register_flash(app, ctx);
    cli::register_read_flash(app, ctx);
    cli::register_erase(app, ctx);
    cli::register_image(app, ctx);
    cli::register_ports(app, ctx);
    cli::register_provision(app, ctx);
    cli::register_test(app, ctx);
    cli::register_label(app, ctx);
    cli::register_register(app, ctx);
    cli::register_help(app, ctx);

    try {
        app.parse(argc, argv);
    } catch (const CLI::CallForHelp& e) {
        return app.exit(e);
    } catch (const CLI::CallForAllHelp& e) {
        return app.exit(e);
    } catch (const CLI::CallForVersion& e) {
        return app.exit(e);
    } catch (const CLI::ParseError& e) {
        // CLI11's own errors (missing option, bad value, unknown subcommand) are input errors like ours;
        // a mistyped command gets the nearest name. CLI11 may fail before it has seen --json, so argv is
        // asked too. One line, as every error.
        const bool json = ctx.json || cli::json_requested(argc, argv);
        return cli::print_error(json, Error(ErrorCode::cli_usage, cli::usage_error_message(app, e)));
    } catch (const Error& e) {
        if (e.kind() == ErrorKind::interrupted) return interrupt::report(); // a deferred stop, unwound
        // stdout carries only results; the error is one line on stderr (a JSON object with --json).
        return cli::print_error(ctx.json, e);
    } catch (const std::exception& e) {
        return cli::print_error(ctx.json, Error(ErrorCode::internal, e.what()));
    }
    return 0;
}
