#pragma once
// Shared by the vesper-backend tests: a backend over HTTPS with a self-signed certificate the client
// trusts through --cert-out, and device records as vesperctl's ledger writes them.
#include <nlohmann/json.hpp>

#include <memory>
#include <string>
#include <vector>

#include "backend_process.hpp"
#include "http_client.hpp"
#include "temp_dir.hpp"

namespace vesper::test {

inline const std::string kBackendToken = "test-token-5f0c1a9e77d24b6b";

// A valid record (the ledger's backend_record_json fields) for `serial`, last updated at `updated_at`.
inline nlohmann::json device_record(const std::string& serial, const std::string& updated_at = "2026-12-04T10:00:00Z") {
    return {{"serial_number", serial},
            {"hw_type", "vesper-4"},
            {"hw_version", "1.2"},
            {"status", "tested"},
            {"subscription_plan", "basic"},
            {"available_outputs", 4},
            {"created_at", "2026-12-04T09:00:00Z"},
            {"owner", nullptr},
            {"users_list", nlohmann::json::array()},
            {"mac", "24:0a:c4:00:00:01"},
            {"batch_id", 7},
            {"updated_at", updated_at},
            {"flashed_at", "2026-12-04T09:30:00Z"},
            {"tested_at", "2026-12-04T09:45:00Z"},
            {"registered_at", nullptr},
            {"last_error", nullptr}};
}

// One backend (with --tls, --cert-out, --quiet and `args`) and a client that trusts it and sends the token.
struct TlsBackend {
    explicit TlsBackend(std::vector<std::string> args = {}, const std::string& token = kBackendToken) {
        args.insert(args.end(), {"--tls", "--cert-out", (dir / "cert.pem").string(), "--quiet"});
        process = std::make_unique<BackendProcess>(
            args, std::map<std::string, std::string>{{"VESPER_BACKEND_TOKEN", token}}, (dir / "stderr.txt").string());
        client.base_url = process->url();
        client.ca_file = (dir / "cert.pem").string();
        client.token = token;
    }
    nlohmann::json stats() const {
        const HttpResponse r = client.get("/v1/_stats");
        REQUIRE(r.status == 200);
        return nlohmann::json::parse(r.body);
    }

    TempDir dir;
    std::unique_ptr<BackendProcess> process;
    HttpClient client;
};

} // namespace vesper::test
