#include "backend/server.hpp"

#include <httplib.h>
#include <openssl/ssl.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <memory>
#include <thread>

#include "backend/auth.hpp"
#include "backend/faults.hpp"
#include "backend/registry.hpp"
#include "backend/request_log.hpp"
#include "backend/routes.hpp"
#include "backend/stats.hpp"
#include "backend/store.hpp"
#include "backend/tls.hpp"
#include "vesper/core/error.hpp"
#include "vesper/core/files.hpp"

namespace vesper::backend {

namespace {

// The default database: a file of its own in the temporary folder, removed (with SQLite's WAL files)
// when the server stops.
class TempDatabase {
public:
    TempDatabase() {
        const char* tmp = std::getenv("TMPDIR");
        std::string path = std::string(tmp && *tmp ? tmp : "/tmp") + "/vesper-backend-XXXXXX";
        const int fd = ::mkstemp(path.data());
        if (fd < 0) throw Error(ErrorCode::io_write, "temporary database in " + path + ": cannot be created");
        ::close(fd);
        path_ = path;
    }
    ~TempDatabase() {
        std::error_code ec;
        for (const char* suffix : {"", "-wal", "-shm", "-journal"})
            std::filesystem::remove(path_ + suffix, ec);
    }
    TempDatabase(const TempDatabase&) = delete;
    TempDatabase& operator=(const TempDatabase&) = delete;
    const std::string& path() const { return path_; }

private:
    std::string path_;
};

std::string url_host(const std::string& host) { return host.find(':') != std::string::npos ? "[" + host + "]" : host; }

} // namespace

int run_server(const Options& o, const std::vector<std::string>& tokens) {
    // SIGINT and SIGTERM are taken by one thread with sigwait; every other thread (the server's pool
    // included, which inherits this mask) never sees them.
    sigset_t stop_signals;
    sigemptyset(&stop_signals);
    sigaddset(&stop_signals, SIGINT);
    sigaddset(&stop_signals, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);
    ::signal(SIGPIPE, SIG_IGN);

    std::unique_ptr<TempDatabase> temp_db;
    if (o.db.empty()) temp_db = std::make_unique<TempDatabase>();
    Store store(temp_db ? temp_db->path() : o.db);
    Registry registry(store);
    Auth auth(tokens);
    Faults faults(o.faults);
    Stats stats;
    RequestLog log(o.log_file);

    std::unique_ptr<httplib::Server> server;
    std::string pin;
    const bool tls = o.tls_self_signed || !o.cert_file.empty();
    if (tls) {
        TlsIdentity id = o.tls_self_signed ? make_self_signed() : load_identity(o.cert_file, o.key_file);
        if (!o.cert_out.empty()) write_file_atomic(o.cert_out, certificate_pem(id.cert.get()));
        pin = spki_pin(id.cert.get());
        StorePtr ca;
        if (!o.client_ca_file.empty()) ca = load_ca_store(o.client_ca_file);
        // The server's context takes its own references to the certificate and key, and owns the store.
        auto ssl = std::make_unique<httplib::SSLServer>(id.cert.get(), id.key.get(), ca.release());
        if (!ssl->is_valid()) throw Error(ErrorCode::internal, "the TLS context could not be set up");
        // The contract says TLS 1.2 or later (docs/backend-api.md); cpp-httplib's own floor is lower.
        if (SSL_CTX_set_min_proto_version(ssl->ssl_context(), TLS1_2_VERSION) != 1)
            throw Error(ErrorCode::internal, "the TLS context refused TLS 1.2 as its lowest version");
        server = std::move(ssl);
    } else {
        server = std::make_unique<httplib::Server>();
    }
    // A bulk request of --max-bulk records of a few hundred bytes each stays far below this.
    server->set_payload_max_length(64u << 20);
    server->set_keep_alive_max_count(1000);
    // The status line and headers go out before the body, in two writes: without TCP_NODELAY, Nagle's
    // algorithm holds the body until the client's delayed ACK, 40 ms per request on Linux.
    server->set_tcp_nodelay(true);
    // A keep-alive connection holds a worker while it is open: enough workers for a few stations with
    // several connections each (cpp-httplib's default is the core count, at least 8).
    server->new_task_queue = [] { return new httplib::ThreadPool(32); };
    Context context{registry, auth, faults, stats, log, o.max_bulk};
    install_routes(*server, context);

    int port = o.listen.port;
    if (port == 0)
        port = server->bind_to_any_port(o.listen.host);
    else if (!server->bind_to_port(o.listen.host, port))
        port = -1;
    if (port <= 0)
        throw Error(ErrorCode::io_failed, "cannot listen on " + o.listen.host + ":" + std::to_string(o.listen.port) +
                                              " (address in use, or not an address of this machine)");
    faults.start();
    std::printf("vesper-backend listening on %s://%s:%d%s\n", tls ? "https" : "http", url_host(o.listen.host).c_str(),
                port, pin.empty() ? "" : (" pin " + pin).c_str());
    std::fflush(stdout);

    std::atomic<bool> done{false};
    std::atomic<int> stop_signal{0};
    std::thread stopper([&] {
        int sig = 0;
        sigwait(&stop_signals, &sig);
        stop_signal = sig;
        // stop() does nothing until the listening loop runs; repeat until it has ended.
        while (!done) {
            server->stop();
            std::this_thread::sleep_for(std::chrono::milliseconds(20));
        }
    });
    const bool listened = server->listen_after_bind();
    done = true;
    if (stop_signal == 0) pthread_kill(stopper.native_handle(), SIGTERM); // the loop ended by itself
    stopper.join();
    if (!o.quiet && stop_signal != 0)
        std::fprintf(stderr, "vesper-backend: stopping on %s\n", stop_signal == SIGINT ? "SIGINT" : "SIGTERM");
    if (!listened && stop_signal == 0) throw Error(ErrorCode::io_failed, "the server stopped listening unexpectedly");
    return 0;
}

} // namespace vesper::backend
