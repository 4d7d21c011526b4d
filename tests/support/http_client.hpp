#pragma once
// Test support: HTTP(S) requests with libcurl, the client library vesperctl's register uses, so the
// backend is tested through a real TLS stack: the server's certificate verified against --cert-out
// (or its pin), optionally a client certificate. Every request is bounded (10 s). Header-only.
#include <catch2/catch.hpp>
#include <curl/curl.h>

#include <algorithm>
#include <cctype>
#include <map>
#include <string>
#include <utility>
#include <vector>

namespace vesper::test {

struct HttpResponse {
    CURLcode error = CURLE_OK; // not CURLE_OK: no HTTP answer (refused, dropped, TLS failure)
    long status = 0;
    std::map<std::string, std::string> headers; // names in lower case
    std::string body;
    std::string header(const std::string& name) const {
        const auto it = headers.find(name);
        return it == headers.end() ? "" : it->second;
    }
};

struct HttpClient {
    explicit HttpClient(std::string base = "", std::string ca = "")
        : base_url(std::move(base)), ca_file(std::move(ca)) {}

    std::string base_url;
    std::string ca_file;     // trust this certificate (PEM); empty: no verification settings
    std::string pin;         // sha256//BASE64, checked when set
    std::string client_cert; // mTLS (PEM), with client_key
    std::string client_key;
    std::string token; // Authorization: Bearer TOKEN when set
    long timeout_ms = 10000;

    HttpResponse request(const std::string& method, const std::string& path, const std::string& body = "",
                         std::vector<std::string> headers = {}) const {
        HttpResponse r;
        CURL* curl = curl_easy_init();
        REQUIRE(curl != nullptr);
        const std::string url = base_url + path;
        curl_easy_setopt(curl, CURLOPT_URL, url.c_str());
        curl_easy_setopt(curl, CURLOPT_CUSTOMREQUEST, method.c_str());
        curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS, timeout_ms);
        curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
        if (!ca_file.empty()) curl_easy_setopt(curl, CURLOPT_CAINFO, ca_file.c_str());
        if (!pin.empty()) curl_easy_setopt(curl, CURLOPT_PINNEDPUBLICKEY, pin.c_str());
        if (!client_cert.empty()) {
            curl_easy_setopt(curl, CURLOPT_SSLCERT, client_cert.c_str());
            curl_easy_setopt(curl, CURLOPT_SSLKEY, client_key.c_str());
        }
        if (method != "GET") {
            curl_easy_setopt(curl, CURLOPT_POSTFIELDS, body.data());
            curl_easy_setopt(curl, CURLOPT_POSTFIELDSIZE, static_cast<long>(body.size()));
        }
        if (!token.empty()) headers.push_back("Authorization: Bearer " + token);
        curl_slist* list = nullptr;
        for (const std::string& h : headers)
            list = curl_slist_append(list, h.c_str());
        curl_easy_setopt(curl, CURLOPT_HTTPHEADER, list);
        curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, &HttpClient::on_body);
        curl_easy_setopt(curl, CURLOPT_WRITEDATA, &r.body);
        curl_easy_setopt(curl, CURLOPT_HEADERFUNCTION, &HttpClient::on_header);
        curl_easy_setopt(curl, CURLOPT_HEADERDATA, &r.headers);
        r.error = curl_easy_perform(curl);
        curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &r.status);
        curl_slist_free_all(list);
        curl_easy_cleanup(curl);
        return r;
    }

    HttpResponse put(const std::string& path, const std::string& body, const std::string& key) const {
        std::vector<std::string> h{"Content-Type: application/json"};
        if (!key.empty()) h.push_back("Idempotency-Key: " + key);
        return request("PUT", path, body, h);
    }
    HttpResponse get(const std::string& path) const { return request("GET", path); }

private:
    static size_t on_body(char* data, size_t size, size_t n, void* out) {
        static_cast<std::string*>(out)->append(data, size * n);
        return size * n;
    }
    static size_t on_header(char* data, size_t size, size_t n, void* out) {
        const std::string line(data, size * n);
        const auto colon = line.find(':');
        if (colon != std::string::npos) {
            std::string name = line.substr(0, colon);
            std::transform(name.begin(), name.end(), name.begin(),
                           [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
            std::string value = line.substr(colon + 1);
            const auto first = value.find_first_not_of(" \t");
            const auto last = value.find_last_not_of(" \t\r\n");
            value = first == std::string::npos ? "" : value.substr(first, last - first + 1);
            (*static_cast<std::map<std::string, std::string>*>(out))[name] = value;
        }
        return size * n;
    }
};

} // namespace vesper::test
