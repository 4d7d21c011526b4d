#pragma once
// What every subcommand file shares: the global options and output helpers. Each subcommand lives in
// its own cmd_*.cpp and only wires arguments to libvesper calls and formats the result.
#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include <filesystem>
#include <functional>
#include <iostream>
#include <optional>
#include <string>

#include "vesper/ledger/ledger.hpp"
#include "vesper/ledger/location.hpp"

namespace vesper::cli {

struct Context {
    bool json = false;       // --json: machine output on stdout
    std::string ledger_path; // --ledger; else the config's ledger: (station commands), else the default place
    bool stdout_is_tty = false;

    // Where the ledger is: --ledger, else `config_ledger` (a factory config's ledger:), else the default
    // place (ledger::locate_ledger: $VESPER_HOME, then the XDG data folder).
    ledger::LedgerLocation ledger_location(const std::optional<std::filesystem::path>& config_ledger = {}) const;
    // Opens the ledger for what the command does with it (a read never creates one), and says on
    // stderr when this made a new ledger.
    ledger::Ledger open_ledger(ledger::Access access) const;
    ledger::Ledger open_ledger(const ledger::LedgerLocation& where, ledger::Access access) const;
    // Who is acting, for the audit log: $VESPER_OPERATOR, else $USER, else "unknown".
    static std::string actor();

    // Prints one JSON document (pretty when on a TTY) followed by a newline.
    void print_json(const nlohmann::json& doc) const;
};

// Each subcommand file adds its commands to the app. The action runs after the whole command line is
// parsed, so global options given after the subcommand are seen.
void register_serial(CLI::App& app, Context& ctx);
void register_batch(CLI::App& app, Context& ctx);
void register_nvs(CLI::App& app, Context& ctx);
void register_part(CLI::App& app, Context& ctx);
void register_creds(CLI::App& app, Context& ctx);
void register_chip(CLI::App& app, Context& ctx);
void register_flash(CLI::App& app, Context& ctx);
void register_read_flash(CLI::App& app, Context& ctx);
void register_erase(CLI::App& app, Context& ctx);
void register_image(CLI::App& app, Context& ctx);
void register_ports(CLI::App& app, Context& ctx);
void register_provision(CLI::App& app, Context& ctx);
void register_test(CLI::App& app, Context& ctx);
void register_label(CLI::App& app, Context& ctx);
void register_register(CLI::App& app, Context& ctx);
// help, and the hidden completion and man (cmd_help.cpp): registered last, they read the whole tree.
void register_help(CLI::App& app, Context& ctx);

// Reads a secret (the MQTT master secret) from $VESPER_MQTT_SECRET or a --secret-file; never argv.
std::string read_mqtt_secret(const std::string& secret_file);
// The claim secret from $VESPER_CLAIM_SECRET or a --claim-secret-file (at least 16 bytes); never argv.
std::string read_claim_secret(const std::string& secret_file);

} // namespace vesper::cli
