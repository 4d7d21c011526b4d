// libcurl multi: easy handles are kept and reused between requests, and the multi handle keeps their
// connections, so a drain of many records opens a few TLS connections, not one per record.
#include "http_pool.hpp"

#include <curl/curl.h>

#include <algorithm>
#include <atomic>
#include <cctype>
#include <chrono>
#include <cmath>
#include <mutex>
#include <optional>
#include <vector>

#include "vesper/core/error.hpp"

namespace vesper::backend::detail {

namespace {

constexpr std::size_t kMaxBody = 64u << 20; // an answer larger than this is not a backend's
constexpr std::chrono::seconds kStopGrace{2};

void global_init() {
    static std::once_flag once;
    std::call_once(once, [] {
        if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) fail(ErrorCode::internal, "libcurl did not initialise");
    });
}

long ms(double seconds) { return static_cast<long>(std::llround(seconds * 1000)); }

struct Transfer {
    CURL* easy = nullptr;
    curl_slist* headers = nullptr;
    HttpRequest request;
    HttpAnswer answer;
    bool too_large = false;
    char error[CURL_ERROR_SIZE] = {};
};

size_t on_body(char* data, size_t size, size_t n, void* user) {
    auto* t = static_cast<Transfer*>(user);
    if (t->answer.body.size() + size * n > kMaxBody) {
        t->too_large = true;
        return 0; // aborts the transfer
    }
    t->answer.body.append(data, size * n);
    return size * n;
}

size_t on_header(char* data, size_t size, size_t n, void* user) {
    auto* t = static_cast<Transfer*>(user);
    const std::string_view line(data, size * n);
    constexpr std::string_view name = "retry-after:";
    if (line.size() > name.size()) {
        bool match = true;
        for (std::size_t i = 0; i < name.size() && match; ++i)
            match = std::tolower(static_cast<unsigned char>(line[i])) == name[i];
        if (match) t->answer.retry_after = std::string(line.substr(name.size()));
    }
    return size * n;
}

} // namespace

Transport transport_of(int code) {
    switch (static_cast<CURLcode>(code)) {
    case CURLE_OK: return Transport::ok;
    case CURLE_OPERATION_TIMEDOUT: return Transport::timeout;
    case CURLE_COULDNT_CONNECT:
    case CURLE_COULDNT_RESOLVE_HOST:
    case CURLE_COULDNT_RESOLVE_PROXY:
    case CURLE_SEND_ERROR:
    case CURLE_RECV_ERROR:
    case CURLE_GOT_NOTHING:
    case CURLE_PARTIAL_FILE:
    case CURLE_HTTP2:
    case CURLE_HTTP2_STREAM:
    case CURLE_SSL_CONNECT_ERROR: // the handshake broke off: a dropped connection, not a bad certificate
        return Transport::connection;
    case CURLE_PEER_FAILED_VERIFICATION:
    case CURLE_SSL_PINNEDPUBKEYNOTMATCH:
    case CURLE_SSL_CACERT_BADFILE:
    case CURLE_SSL_CERTPROBLEM:
    case CURLE_SSL_ISSUER_ERROR:
    case CURLE_SSL_CRL_BADFILE:
    case CURLE_SSL_CIPHER:
    case CURLE_SSL_ENGINE_NOTFOUND:
    case CURLE_UNSUPPORTED_PROTOCOL: return Transport::tls_verify;
    default: return Transport::other;
    }
}

std::string path_segment(const std::string& s) {
    static const char* hex = "0123456789ABCDEF";
    std::string out;
    for (unsigned char c : s) {
        if (std::isalnum(c) || c == '-' || c == '.' || c == '_' || c == '~') {
            out += static_cast<char>(c);
        } else {
            out += '%';
            out += hex[c >> 4];
            out += hex[c & 15];
        }
    }
    return out;
}

struct HttpPool::Impl {
    BackendSettings settings;
    std::string auth_header;
    CURLM* multi = nullptr;
    std::vector<CURL*> idle;
    std::vector<CURL*> all;

    ~Impl() {
        for (CURL* e : all)
            curl_easy_cleanup(e);
        if (multi) curl_multi_cleanup(multi);
        // The header held the token: overwrite it before the memory goes back.
        std::fill(auth_header.begin(), auth_header.end(), '\0');
    }

    CURL* handle() {
        if (!idle.empty()) {
            CURL* e = idle.back();
            idle.pop_back();
            curl_easy_reset(e); // options go, the connection cache (the multi's) stays
            return e;
        }
        CURL* e = curl_easy_init();
        if (!e) fail(ErrorCode::internal, "libcurl could not make a transfer handle");
        all.push_back(e);
        return e;
    }

    void configure(Transfer& t) {
        CURL* e = t.easy;
        const std::string url = settings.url + t.request.path;
        curl_easy_setopt(e, CURLOPT_URL, url.c_str());
        curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR, settings.allow_plain_http ? "http,https" : "https");
        curl_easy_setopt(e, CURLOPT_HTTP_VERSION, static_cast<long>(CURL_HTTP_VERSION_2TLS));
        curl_easy_setopt(e, CURLOPT_PIPEWAIT, 1L); // wait for an HTTP/2 connection to multiplex on
        curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
        curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT_MS, ms(settings.connect_timeout_s));
        curl_easy_setopt(e, CURLOPT_TIMEOUT_MS, ms(settings.request_timeout_s));
        curl_easy_setopt(e, CURLOPT_SSLVERSION, static_cast<long>(CURL_SSLVERSION_TLSv1_2));
        if (!settings.ca_file.empty()) curl_easy_setopt(e, CURLOPT_CAINFO, settings.ca_file.c_str());
        if (!settings.pinned_public_key.empty())
            curl_easy_setopt(e, CURLOPT_PINNEDPUBLICKEY, settings.pinned_public_key.c_str());
        if (!settings.client_cert.empty()) {
            curl_easy_setopt(e, CURLOPT_SSLCERT, settings.client_cert.c_str());
            curl_easy_setopt(e, CURLOPT_SSLKEY, settings.client_key.c_str());
        }
        if (settings.insecure_skip_verify) {
            curl_easy_setopt(e, CURLOPT_SSL_VERIFYPEER, 0L);
            curl_easy_setopt(e, CURLOPT_SSL_VERIFYHOST, 0L);
        }
        t.headers = curl_slist_append(t.headers, auth_header.c_str());
        t.headers = curl_slist_append(t.headers, "Accept: application/json");
        t.headers = curl_slist_append(t.headers, "Expect:"); // no 100-continue round trip for large bodies
        if (!t.request.content_type.empty())
            t.headers = curl_slist_append(t.headers, ("Content-Type: " + t.request.content_type).c_str());
        if (!t.request.idempotency_key.empty())
            t.headers = curl_slist_append(t.headers, ("Idempotency-Key: " + t.request.idempotency_key).c_str());
        curl_easy_setopt(e, CURLOPT_HTTPHEADER, t.headers);
        if (t.request.method == "GET") {
            curl_easy_setopt(e, CURLOPT_HTTPGET, 1L);
        } else {
            curl_easy_setopt(e, CURLOPT_CUSTOMREQUEST, t.request.method.c_str());
            curl_easy_setopt(e, CURLOPT_POSTFIELDS, t.request.body.data());
            curl_easy_setopt(e, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(t.request.body.size()));
        }
        curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, &on_body);
        curl_easy_setopt(e, CURLOPT_WRITEDATA, &t);
        curl_easy_setopt(e, CURLOPT_HEADERFUNCTION, &on_header);
        curl_easy_setopt(e, CURLOPT_HEADERDATA, &t);
        curl_easy_setopt(e, CURLOPT_ERRORBUFFER, t.error);
        curl_easy_setopt(e, CURLOPT_PRIVATE, &t);
    }
};

HttpPool::HttpPool(const BackendSettings& settings, const std::string& token) : impl_(std::make_unique<Impl>()) {
    global_init();
    impl_->settings = settings;
    impl_->auth_header = "Authorization: Bearer " + token;
    impl_->multi = curl_multi_init();
    if (!impl_->multi) fail(ErrorCode::internal, "libcurl could not make a multi handle");
    curl_multi_setopt(impl_->multi, CURLMOPT_PIPELINING, static_cast<long>(CURLPIPE_MULTIPLEX));
    curl_multi_setopt(impl_->multi, CURLMOPT_MAX_HOST_CONNECTIONS, static_cast<long>(settings.max_in_flight));
}

HttpPool::~HttpPool() = default;

int HttpPool::run(std::deque<HttpRequest> queue, const OnDone& on_done, const std::atomic<bool>* stop,
                  const AroundRound& around_round) {
    Impl& p = *impl_;
    std::vector<std::unique_ptr<Transfer>> active;
    int sent = 0;
    bool halted = false;
    std::optional<std::chrono::steady_clock::time_point> stopped_at;
    while (true) {
        if (stop && stop->load()) {
            halted = true;
            if (!stopped_at) stopped_at = std::chrono::steady_clock::now();
            // A stop waits a little for the answers in flight, not a whole request timeout: what is
            // abandoned stays pending in the ledger and goes again with the same key.
            if (std::chrono::steady_clock::now() - *stopped_at > kStopGrace) {
                for (auto& t : active) {
                    curl_multi_remove_handle(p.multi, t->easy);
                    curl_slist_free_all(t->headers);
                    p.idle.push_back(t->easy);
                }
                active.clear();
                break;
            }
        }
        while (!halted && !queue.empty() && static_cast<int>(active.size()) < p.settings.max_in_flight) {
            auto t = std::make_unique<Transfer>();
            t->request = std::move(queue.front());
            queue.pop_front();
            t->easy = p.handle();
            p.configure(*t);
            curl_multi_add_handle(p.multi, t->easy);
            active.push_back(std::move(t));
            ++sent;
        }
        if (active.empty()) break;
        int running = 0;
        curl_multi_perform(p.multi, &running);
        int left = 0;
        std::vector<Transfer*> ended;
        while (CURLMsg* msg = curl_multi_info_read(p.multi, &left)) {
            if (msg->msg != CURLMSG_DONE) continue;
            Transfer* t = nullptr;
            curl_easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE, reinterpret_cast<char**>(&t));
            const CURLcode code = msg->data.result;
            curl_multi_remove_handle(p.multi, msg->easy_handle);
            t->answer.transport = t->too_large ? Transport::other : transport_of(code);
            if (code == CURLE_OK) {
                curl_easy_getinfo(msg->easy_handle, CURLINFO_RESPONSE_CODE, &t->answer.status);
            } else {
                t->answer.transport_error = t->too_large  ? "the answer was larger than 64 MiB"
                                            : t->error[0] ? std::string(t->error)
                                                          : std::string(curl_easy_strerror(code));
            }
            curl_slist_free_all(t->headers);
            t->headers = nullptr;
            p.idle.push_back(t->easy);
            ended.push_back(t);
        }
        if (!ended.empty()) {
            const auto report = [&] {
                for (Transfer* t : ended)
                    if (!on_done(t->request, t->answer, queue)) halted = true; // on_done may queue more
            };
            if (around_round)
                around_round(report);
            else
                report();
            // The transfers leave `active` after they have been reported.
            std::erase_if(active, [&](const std::unique_ptr<Transfer>& t) {
                return std::find(ended.begin(), ended.end(), t.get()) != ended.end();
            });
        }
        if (!active.empty()) curl_multi_poll(p.multi, nullptr, 0, 100, nullptr);
    }
    return sent;
}

} // namespace vesper::backend::detail
