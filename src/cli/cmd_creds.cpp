// vesperctl creds: per-device credentials derived from the master secret.
#include "cli.hpp"
#include "vesper/core/error.hpp"
#include "vesper/core/text.hpp"
#include "vesper/creds/mqtt.hpp"
#include "vesper/serial/serial_number.hpp"

namespace vesper::cli {

std::string read_mqtt_secret(const std::string& secret_file) {
    return creds::load_secret(secret_file, "VESPER_MQTT_SECRET");
}

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
}

} // namespace vesper::cli
