// vesperctl creds: per-device credentials derived from the master secret.
#include "cli.hpp"
#include "vesper/core/error.hpp"
#include "vesper/core/text.hpp"
#include "vesper/creds/claim_code.hpp"
#include "vesper/creds/mqtt.hpp"
#include "vesper/serial/serial_number.hpp"

namespace vesper::cli {

std::string read_mqtt_secret(const std::string& secret_file) {
    return creds::load_secret(secret_file, "VESPER_MQTT_SECRET");
}

std::string read_claim_secret(const std::string& secret_file) { return creds::load_claim_secret(secret_file); }

namespace {

void check_serial(const std::string& s) {
    std::string why;
    if (!serial::parse(s, &why)) fail(ErrorCode::serial_invalid, "serial " + quote_value(s) + ": " + why);
}

void register_claim_code(CLI::App* creds_cmd, Context& ctx) {
    auto* cmd = creds_cmd->add_subcommand(
        "claim-code", "Print a device's claim code: HMAC-SHA256(claim secret, serial), 100 bits in Crockford "
                      "base32 with a check character. The secret comes from $VESPER_CLAIM_SECRET or "
                      "--claim-secret-file, never from the command line.");
    struct Args {
        std::vector<std::string> serials;
        std::string secret_file;
    };
    auto args = std::make_shared<Args>();
    cmd->add_option("serial", args->serials, "Serial number(s)")->required();
    cmd->add_option("--claim-secret-file", args->secret_file, "File holding the claim secret");
    cmd->callback([&ctx, args] {
        for (const auto& s : args->serials)
            check_serial(s);
        const std::string secret = read_claim_secret(args->secret_file);
        nlohmann::json out = nlohmann::json::array();
        for (const auto& s : args->serials) {
            const std::string code = creds::claim_code(secret, s);
            if (ctx.json)
                out.push_back({{"serial", s}, {"claim_code", code}});
            else if (args->serials.size() == 1)
                std::cout << code << "\n";
            else
                std::cout << s << " " << code << "\n";
        }
        if (ctx.json) ctx.print_json({{"claim_codes", out}});
    });
}

void register_check_claim(CLI::App* creds_cmd, Context& ctx) {
    auto* cmd = creds_cmd->add_subcommand(
        "check-claim", "Check a typed claim code against a device: exit 0 valid, 2 a typo (check character) or "
                       "not a claim code, 7 a well-formed code of another device");
    struct Args {
        std::string code, serial, secret_file;
    };
    auto args = std::make_shared<Args>();
    cmd->add_option("code", args->code, "The code as typed (case, hyphens and spaces do not matter)")->required();
    cmd->add_option("--serial", args->serial, "The device the code should belong to")->required();
    cmd->add_option("--claim-secret-file", args->secret_file, "File holding the claim secret");
    cmd->callback([&ctx, args] {
        check_serial(args->serial);
        // The code's form is judged before the secret is needed: a typo is caught without it.
        std::string why;
        const std::string code = creds::normalise_claim_code(args->code, &why);
        if (code.empty()) fail(ErrorCode::claim_malformed, "claim code " + quote_value(args->code) + ": " + why);
        const std::string secret = read_claim_secret(args->secret_file);
        switch (creds::check_claim_code(secret, args->serial, code, &why)) {
        case creds::ClaimCheck::valid: break;
        case creds::ClaimCheck::malformed:
            fail(ErrorCode::claim_malformed, "claim code " + quote_value(args->code) + ": " + why);
        case creds::ClaimCheck::wrong_check_character:
            fail(ErrorCode::claim_typo, "claim code " + quote_value(args->code) + ": " + why);
        case creds::ClaimCheck::not_this_device:
            fail(ErrorCode::claim_mismatch, "claim code " + code + " is not the claim code of " + args->serial);
        }
        if (ctx.json)
            ctx.print_json({{"serial", args->serial}, {"claim_code", code}, {"valid", true}});
        else
            std::cout << "valid: " << code << " is the claim code of " << args->serial << "\n";
    });
}

} // namespace

void register_creds(CLI::App& app, Context& ctx) {
    auto* creds_cmd = app.add_subcommand("creds", "Per-device credentials");
    creds_cmd->require_subcommand(1);

    auto* pw = creds_cmd->add_subcommand(
        "mqtt-password", "Print a device's MQTT password: HMAC-SHA256(master secret, serial), first 32 hex characters. "
                         "The secret comes from $VESPER_MQTT_SECRET or --secret-file, never from the command line.");
    struct Args {
        std::vector<std::string> serials;
        std::string secret_file;
    };
    auto args = std::make_shared<Args>();
    pw->add_option("serial", args->serials, "Serial number(s)")->required();
    pw->add_option("--secret-file", args->secret_file, "File holding the MQTT master secret");
    pw->callback([&ctx, args] {
        for (const auto& s : args->serials) {
            std::string why;
            if (!serial::parse(s, &why)) fail(ErrorCode::serial_invalid, "serial " + quote_value(s) + ": " + why);
        }
        std::string secret = read_mqtt_secret(args->secret_file);
        nlohmann::json out = nlohmann::json::array();
        for (const auto& s : args->serials) {
            std::string password = creds::mqtt_password(secret, s);
            if (ctx.json)
                out.push_back({{"serial", s}, {"mqtt_password", password}});
            else if (args->serials.size() == 1)
                std::cout << password << "\n";
            else
                std::cout << s << " " << password << "\n";
        }
        if (ctx.json) ctx.print_json({{"credentials", out}});
    });

    register_claim_code(creds_cmd, ctx);
    register_check_claim(creds_cmd, ctx);
}

} // namespace vesper::cli
