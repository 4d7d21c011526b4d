// register --verify: one GET per registered device through the same pool as the drain.
#include "vesper/backend/verify.hpp"

#include <nlohmann/json.hpp>

#include <map>

#include "http_pool.hpp"
#include "vesper/backend/classify.hpp"
#include "vesper/core/bytes.hpp"
#include "vesper/core/checksum.hpp"
#include "vesper/core/error.hpp"
#include "vesper/core/json_text.hpp"

namespace vesper::backend {

using nlohmann::json;

std::string record_sha256(const std::string& record_json) {
    const json parsed = json::parse(record_json, nullptr, false);
    const std::string canonical = parsed.is_discarded() ? record_json : json_text(parsed);
    const auto digest = sha256(as_bytes(canonical));
    return to_hex(ByteView(digest.data(), digest.size()));
}

VerifyReport verify_registered(const ledger::Ledger& ledger, std::optional<std::int64_t> batch,
                               const BackendSettings& settings, const std::string& token) {
    std::map<std::string, ledger::OutboxEntry> sent;
    for (auto& e : ledger.sent_outbox(batch))
        sent.emplace(e.serial, std::move(e));
    std::vector<ledger::Device> devices;
    if (batch) {
        devices = ledger.devices_of_batch(*batch);
    } else {
        for (const auto& b : ledger.list_batches())
            for (auto& d : ledger.devices_of_batch(b.id))
                devices.push_back(std::move(d));
    }
    VerifyReport report;
    std::deque<detail::HttpRequest> queue;
    for (const auto& d : devices) {
        if (d.status != ledger::DeviceStatus::registered) continue;
        DeviceCheck c;
        c.serial = d.serial;
        if (const auto it = sent.find(d.serial); it != sent.end()) {
            c.sent_sha256 = record_sha256(it->second.payload);
            c.confirmed_sha256 = it->second.record_sha256;
        }
        report.devices.push_back(c);
        detail::HttpRequest r;
        r.method = "GET";
        r.path = "/v1/devices/" + detail::path_segment(d.serial);
        r.tag = report.devices.size() - 1;
        queue.push_back(std::move(r));
    }
    if (queue.empty()) return report;
    detail::HttpPool pool(settings, token);
    std::optional<Error> stopped;
    report.requests = pool.run(std::move(queue), [&](const detail::HttpRequest& req, const detail::HttpAnswer& a,
                                                     std::deque<detail::HttpRequest>&) {
        DeviceCheck& c = report.devices[req.tag];
        const Action action = classify(a.transport, a.status);
        if (action == Action::stop_tls) {
            stopped = Error(ErrorCode::backend_tls,
                            "the backend at " + settings.url + " did not verify: " + a.transport_error);
            return false;
        }
        if (action == Action::auth) {
            stopped = Error(ErrorCode::backend_auth,
                            "backend refused the token (" + std::to_string(a.status) + ") at " + settings.url);
            return false;
        }
        if (a.transport == Transport::ok && a.status == 404) {
            c.state = "missing";
            return true;
        }
        const json body = json::parse(a.body, nullptr, false);
        if (a.transport != Transport::ok || a.status != 200 || !body.is_object() || !body.contains("record_sha256") ||
            !body["record_sha256"].is_string()) {
            c.state = "unknown";
            c.detail = a.transport != Transport::ok ? a.transport_error : "HTTP " + std::to_string(a.status);
            return true;
        }
        c.backend_sha256 = body["record_sha256"].get<std::string>();
        c.state = c.backend_sha256 == c.sent_sha256 ? "match" : "differs";
        return true;
    });
    if (stopped) throw *stopped;
    for (const auto& c : report.devices) {
        if (c.state == "match")
            ++report.matched;
        else if (c.state == "missing")
            ++report.missing;
        else if (c.state == "differs")
            ++report.differs;
        else
            ++report.unknown;
    }
    return report;
}

} // namespace vesper::backend
