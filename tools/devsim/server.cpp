#include "devsim/server.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <pty.h>
#include <signal.h>
#include <sys/socket.h>
#include <termios.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>

#include "vesper/core/error.hpp"
#include "vesper/core/text.hpp"
#include "vesper/port/rfc2217.hpp"

namespace vesper::devsim {

namespace rfc = esp::rfc2217;

namespace {

constexpr std::uint64_t kMinFlashSize = 256 * 1024;
// How long before a due event the loop stops sleeping and polls (see run()).
constexpr Duration kSpinWindow = std::chrono::microseconds(300);

int g_signal_pipe[2] = {-1, -1};

void on_signal(int sig) {
    const std::uint8_t b = static_cast<std::uint8_t>(sig);
    [[maybe_unused]] ssize_t n = ::write(g_signal_pipe[1], &b, 1);
}

std::string errno_text() { return std::strerror(errno); }

void set_nonblocking(int fd) { ::fcntl(fd, F_SETFL, ::fcntl(fd, F_GETFL) | O_NONBLOCK); }

const char* kind_name(ListenKind k) { return k == ListenKind::tcp ? "tcp" : "rfc2217"; }

std::string peer_name(const sockaddr_in& a) {
    char ip[INET_ADDRSTRLEN] = "?";
    ::inet_ntop(AF_INET, &a.sin_addr, ip, sizeof ip);
    return std::string(ip) + ":" + std::to_string(ntohs(a.sin_port));
}

} // namespace

ListenSpec parse_listen(std::string_view text) {
    const auto colon = text.find(':');
    auto bad = [&](const std::string& why) {
        fail(ErrorCode::cli_usage,
             "--listen '" + std::string(text) + "': " + why + " (expected tcp:PORT or rfc2217:PORT)");
    };
    if (colon == std::string_view::npos) bad("missing ':'");
    ListenSpec spec;
    const std::string_view kind = text.substr(0, colon);
    if (kind == "tcp")
        spec.kind = ListenKind::tcp;
    else if (kind == "rfc2217")
        spec.kind = ListenKind::rfc2217;
    else
        bad("unknown transport '" + std::string(kind) + "'");
    auto port = parse_uint(text.substr(colon + 1));
    if (!port || *port > 65535) bad("port must be 0..65535");
    spec.port = static_cast<std::uint16_t>(*port);
    return spec;
}

std::uint32_t parse_flash_size(std::string_view text) {
    std::string t(trim(text));
    std::uint64_t unit = 1;
    auto ends_with = [&](std::string_view suffix) {
        if (t.size() > suffix.size() && t.compare(t.size() - suffix.size(), suffix.size(), suffix) == 0) {
            t.resize(t.size() - suffix.size());
            return true;
        }
        return false;
    };
    if (ends_with("MB") || ends_with("M"))
        unit = 1024 * 1024;
    else if (ends_with("KB") || ends_with("K"))
        unit = 1024;
    auto v = parse_uint(t);
    const std::uint64_t size = v ? *v * unit : 0;
    // 256 KiB is the smallest SPI flash ESP boards carry; below it the bootloader and partition table
    // offsets would not even exist.
    if (!v || size < kMinFlashSize || size % 4096 != 0 || size > 0x80000000ull)
        fail(ErrorCode::cli_usage,
             "flash size '" + std::string(text) +
                 "': expected a size like 4MB, 512KB or 0x400000 (a multiple of 4 KiB, 256KB to 2GB)");
    return static_cast<std::uint32_t>(size);
}

std::filesystem::path indexed_path(const std::filesystem::path& file, int index, int count) {
    if (count <= 1) return file;
    std::filesystem::path out = file;
    out.replace_filename(file.stem().string() + "-" + std::to_string(index) + file.extension().string());
    return out;
}

struct Server::Slot {
    std::unique_ptr<Device> device;
    ListenKind kind = ListenKind::tcp;
    int listen_fd = -1;
    std::uint16_t port = 0;
    int client_fd = -1;
    std::string peer;
    Bytes out;
    bool closing = false;
    std::optional<rfc::Parser> parser;
    std::optional<rfc::Negotiator> negotiator;
    std::uint32_t host_baud = 115200;
    int pty_master = -1, pty_slave = -1;
    std::string pty_path;
    std::string flash_text;
};

Server::Server(ServerConfig config, std::vector<DeviceSetup> devices)
    : config_(std::move(config)), setups_(std::move(devices)) {}

Server::~Server() {
    for (auto& s : slots_) {
        for (int fd : {s->client_fd, s->listen_fd, s->pty_master, s->pty_slave})
            if (fd >= 0) ::close(fd);
    }
}

void Server::note(const std::string& text) const {
    if (!config_.quiet) std::fprintf(stderr, "%s\n", text.c_str());
}

std::vector<std::uint16_t> Server::ports() const {
    std::vector<std::uint16_t> out;
    for (const auto& s : slots_)
        out.push_back(s->port);
    return out;
}

void Server::start() {
    if (!config_.listen && !config_.pty)
        fail(ErrorCode::cli_usage,
             "nothing to serve: give --listen tcp:PORT, --listen rfc2217:PORT, --port PORT or --pty");
    if (config_.log) log_ = std::make_unique<CommandLog>(*config_.log);
    const auto now = Clock::now();
    const int count = static_cast<int>(setups_.size());
    for (int i = 0; i < count; ++i) {
        DeviceSetup& setup = setups_[static_cast<std::size_t>(i)];
        auto slot = std::make_unique<Slot>();
        FlashStore flash = setup.flash_file ? FlashStore::open_file(*setup.flash_file, setup.flash_size)
                                            : FlashStore::in_memory(setup.flash_size);
        slot->flash_text = setup.flash_file ? "flash " + setup.flash_file->string()
                                            : "flash in memory, " + std::to_string(setup.flash_size >> 10) + " KiB";
        auto note_fn = [this](const std::string& s) { note(s); };
        slot->device = std::make_unique<Device>(setup.config, std::move(flash), log_.get(), note_fn);

        if (config_.listen) {
            slot->kind = config_.listen->kind;
            const std::uint16_t want =
                config_.listen->port == 0 ? 0 : static_cast<std::uint16_t>(config_.listen->port + i);
            const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
            if (fd < 0) fail(ErrorKind::io, "cannot create a socket: " + errno_text());
            const int one = 1;
            ::setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
            sockaddr_in addr{};
            addr.sin_family = AF_INET;
            addr.sin_port = htons(want);
            if (::inet_pton(AF_INET, config_.bind.c_str(), &addr.sin_addr) != 1) {
                ::close(fd);
                fail(ErrorCode::cli_usage, "--bind '" + config_.bind + "' is not an IPv4 address");
            }
            if (::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 || ::listen(fd, 4) != 0) {
                const std::string why = errno_text();
                ::close(fd);
                fail(ErrorKind::io, "cannot listen on " + config_.bind + ":" + std::to_string(want) + ": " + why);
            }
            socklen_t len = sizeof addr;
            ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
            slot->listen_fd = fd;
            slot->port = ntohs(addr.sin_port);
        }
        if (config_.pty) {
            char name[256];
            if (::openpty(&slot->pty_master, &slot->pty_slave, name, nullptr, nullptr) != 0)
                fail(ErrorKind::io, "cannot open a pseudo-terminal: " + errno_text());
            // Raw bytes both ways; the slave stays open here so the master never sees a hang-up
            // while no program has the port open.
            termios tio{};
            ::tcgetattr(slot->pty_slave, &tio);
            ::cfmakeraw(&tio);
            ::tcsetattr(slot->pty_slave, TCSANOW, &tio);
            ::fcntl(slot->pty_master, F_SETFD, FD_CLOEXEC);
            ::fcntl(slot->pty_slave, F_SETFD, FD_CLOEXEC);
            set_nonblocking(slot->pty_master);
            slot->pty_path = name;
            slot->device->attach_host(now);
        }
        slot->device->power_on(now);
        slots_.push_back(std::move(slot));
    }
    for (const auto& s : slots_) {
        const DeviceConfig& c = s->device->config();
        std::string where;
        if (s->listen_fd >= 0)
            where = std::string(kind_name(s->kind)) + ":" + config_.bind + ":" + std::to_string(s->port);
        if (!s->pty_path.empty()) where += (where.empty() ? "" : " and ") + std::string("pty:") + s->pty_path;
        std::printf("devsim: %s MAC %s listening on %s (%s)\n", std::string(c.chip->name).c_str(),
                    esp::format_mac(c.mac).c_str(), where.c_str(), s->flash_text.c_str());
    }
    std::fflush(stdout);
}

void Server::accept_client(Slot& slot) {
    sockaddr_in addr{};
    socklen_t len = sizeof addr;
    const int fd = ::accept4(slot.listen_fd, reinterpret_cast<sockaddr*>(&addr), &len, SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (fd < 0) return;
    const int idx = slot.device->config().index;
    // A host that reconnects at once (a retry) may have hung up an instant before: take in what the old
    // connection still holds and notice its end before deciding that the port is busy. Bounded, so a
    // client that keeps sending cannot hold the loop here.
    for (int i = 0; i < 16 && slot.client_fd >= 0; ++i) {
        pollfd p{slot.client_fd, POLLIN, 0};
        if (::poll(&p, 1, 0) <= 0) break;
        read_client(slot);
    }
    if (slot.client_fd >= 0) {
        // One UART, one host: a second connection is closed at once.
        note("devsim[" + std::to_string(idx) + "]: refusing " + peer_name(addr) + ": " + slot.peer + " is connected");
        ::close(fd);
        return;
    }
    const int one = 1;
    ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    slot.client_fd = fd;
    slot.peer = peer_name(addr);
    slot.out.clear();
    slot.closing = false;
    if (slot.kind == ListenKind::rfc2217) {
        slot.parser.emplace();
        slot.negotiator.emplace(rfc::server_negotiator());
        const Bytes hello = rfc::server_hello(*slot.negotiator);
        slot.out.insert(slot.out.end(), hello.begin(), hello.end());
        slot.host_baud = 115200;
    }
    slot.device->attach_host(Clock::now());
    note("devsim[" + std::to_string(idx) + "]: client " + slot.peer + " connected");
    send_pending(slot);
}

void Server::drop_client(Slot& slot, const std::string& why) {
    if (slot.client_fd < 0) return;
    ::close(slot.client_fd);
    slot.client_fd = -1;
    slot.out.clear();
    slot.closing = false;
    if (slot.pty_master < 0) slot.device->detach_host();
    // Closing the port drops DTR and RTS; through either reset circuit that releases EN.
    if (slot.kind == ListenKind::rfc2217) slot.device->set_lines(false, false, Clock::now());
    note("devsim[" + std::to_string(slot.device->config().index) + "]: client " + slot.peer + " gone (" + why +
         "); the device keeps its state");
}

void Server::read_client(Slot& slot) {
    std::uint8_t buf[65536];
    const ssize_t n = ::recv(slot.client_fd, buf, sizeof buf, 0);
    if (n == 0) return drop_client(slot, "closed by the client");
    if (n < 0) {
        if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR) return;
        return drop_client(slot, errno_text());
    }
    const ByteView bytes(buf, static_cast<std::size_t>(n));
    if (slot.kind == ListenKind::rfc2217)
        handle_rfc2217(slot, bytes);
    else
        slot.device->receive(bytes, Clock::now());
}

void Server::read_pty(Slot& slot) {
    std::uint8_t buf[65536];
    const ssize_t n = ::read(slot.pty_master, buf, sizeof buf);
    if (n > 0) slot.device->receive(ByteView(buf, static_cast<std::size_t>(n)), Clock::now());
}

void Server::handle_rfc2217(Slot& slot, ByteView bytes) {
    const auto now = Clock::now();
    Device& dev = *slot.device;
    auto reply = [&](const Bytes& b) { slot.out.insert(slot.out.end(), b.begin(), b.end()); };
    for (const rfc::Event& ev : slot.parser->feed(bytes)) {
        if (const auto* d = std::get_if<rfc::Data>(&ev)) {
            dev.receive(d->bytes, now);
        } else if (const auto* n = std::get_if<rfc::Negotiation>(&ev)) {
            reply(slot.negotiator->answer(*n));
        } else if (const auto* m = std::get_if<rfc::ComPortMessage>(&ev)) {
            if (m->from != rfc::Side::client) continue;
            switch (m->command) {
            case rfc::ComCommand::set_baudrate: {
                const auto b = m->baud();
                if (b && *b != 0) {
                    slot.host_baud = *b;
                    dev.set_host_baud(*b);
                }
                reply(rfc::encode_set_baudrate(rfc::Side::server, slot.host_baud));
                break;
            }
            case rfc::ComCommand::set_datasize:
                reply(rfc::encode_set_datasize(rfc::Side::server, m->byte().value_or(0) == 0 ? 8 : *m->byte()));
                break;
            case rfc::ComCommand::set_parity:
                reply(rfc::encode_set_parity(rfc::Side::server, m->byte().value_or(0) == 0
                                                                    ? rfc::Parity::none
                                                                    : static_cast<rfc::Parity>(*m->byte())));
                break;
            case rfc::ComCommand::set_stopsize:
                reply(rfc::encode_set_stopsize(rfc::Side::server, m->byte().value_or(0) == 0
                                                                      ? rfc::StopSize::one
                                                                      : static_cast<rfc::StopSize>(*m->byte())));
                break;
            case rfc::ComCommand::set_control: {
                const auto c = m->control();
                rfc::Control answer = c.value_or(rfc::Control::request_flow);
                if (c == rfc::Control::dtr_on || c == rfc::Control::dtr_off)
                    dev.set_lines(c == rfc::Control::dtr_on, std::nullopt, now);
                else if (c == rfc::Control::rts_on || c == rfc::Control::rts_off)
                    dev.set_lines(std::nullopt, c == rfc::Control::rts_on, now);
                else if (c == rfc::Control::request_dtr)
                    answer = dev.line_dtr() ? rfc::Control::dtr_on : rfc::Control::dtr_off;
                else if (c == rfc::Control::request_rts)
                    answer = dev.line_rts() ? rfc::Control::rts_on : rfc::Control::rts_off;
                else if (c == rfc::Control::request_flow)
                    answer = rfc::Control::flow_none;
                reply(rfc::encode_set_control(rfc::Side::server, answer));
                break;
            }
            case rfc::ComCommand::purge_data:
                // Receive buffer = what the board sent that the client has not got yet: here, the bytes
                // waiting in our send buffer. Bytes still on the simulated UART are not there yet.
                if (m->byte() == static_cast<std::uint8_t>(rfc::Purge::receive) ||
                    m->byte() == static_cast<std::uint8_t>(rfc::Purge::both))
                    slot.out.clear();
                reply(rfc::encode_ack(*m));
                break;
            case rfc::ComCommand::signature:
                reply(rfc::encode_com_port(rfc::Side::server, rfc::ComCommand::signature, as_bytes("vesper-devsim")));
                break;
            default: reply(rfc::encode_ack(*m)); break;
            }
        }
    }
    send_pending(slot);
}

void Server::send_pending(Slot& slot) {
    while (slot.client_fd >= 0 && !slot.out.empty()) {
        const ssize_t n = ::send(slot.client_fd, slot.out.data(), slot.out.size(), MSG_NOSIGNAL);
        if (n > 0) {
            slot.out.erase(slot.out.begin(), slot.out.begin() + n);
            continue;
        }
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)) return;
        return drop_client(slot, errno_text());
    }
    if (slot.client_fd >= 0 && slot.closing && slot.out.empty()) drop_client(slot, "disconnect fault injected");
}

void Server::flush(Slot& slot) {
    Device::Output o = slot.device->take_output(Clock::now());
    if (o.bytes.empty() && !o.hang_up) return;
    if (slot.pty_master >= 0 && !o.bytes.empty()) {
        ssize_t n = ::write(slot.pty_master, o.bytes.data(), o.bytes.size());
        if (n < 0 && errno == EAGAIN) {
            // Nobody reads the port: drop what it buffered rather than stall the device.
            ::tcflush(slot.pty_slave, TCIFLUSH);
            n = ::write(slot.pty_master, o.bytes.data(), o.bytes.size());
        }
    }
    if (slot.client_fd >= 0) {
        if (slot.kind == ListenKind::rfc2217)
            rfc::escape_append(o.bytes, slot.out);
        else
            slot.out.insert(slot.out.end(), o.bytes.begin(), o.bytes.end());
        if (o.hang_up) slot.closing = true;
        send_pending(slot);
    }
}

int Server::run() {
    if (::pipe2(g_signal_pipe, O_CLOEXEC | O_NONBLOCK) != 0)
        fail(ErrorKind::io, "cannot create a pipe: " + errno_text());
    struct sigaction sa {};
    sa.sa_handler = on_signal;
    ::sigemptyset(&sa.sa_mask);
    ::sigaction(SIGINT, &sa, nullptr);
    ::sigaction(SIGTERM, &sa, nullptr);
    ::signal(SIGPIPE, SIG_IGN);

    int stop_signal = 0;
    std::vector<pollfd> fds;
    while (stop_signal == 0) {
        auto now = Clock::now();
        std::optional<TimePoint> wake;
        for (auto& s : slots_) {
            s->device->tick(now);
            flush(*s);
            if (auto t = s->device->next_event(); t && (!wake || *t < *wake)) wake = t;
        }

        fds.clear();
        fds.push_back({g_signal_pipe[0], POLLIN, 0});
        for (auto& s : slots_) {
            if (s->listen_fd >= 0) fds.push_back({s->listen_fd, POLLIN, 0});
            if (s->client_fd >= 0)
                fds.push_back({s->client_fd, static_cast<short>(POLLIN | (s->out.empty() ? 0 : POLLOUT)), 0});
            if (s->pty_master >= 0) fds.push_back({s->pty_master, POLLIN, 0});
        }
        timespec timeout{0, 500'000'000};
        if (wake) {
            // Sleep until shortly before the next due byte, then poll without blocking until it is due:
            // a timed wake-up comes 100-150 us late on a VM, and a simulated UART that answers late on
            // every command would charge its own error to the client being measured.
            auto wait = std::max(Duration::zero(), std::chrono::duration_cast<Duration>(*wake - Clock::now()));
            wait = wait > kSpinWindow ? wait - kSpinWindow : Duration::zero();
            if (wait < std::chrono::milliseconds(500)) {
                timeout.tv_sec = 0;
                timeout.tv_nsec = static_cast<long>(wait.count());
            }
        }
        if (::ppoll(fds.data(), fds.size(), &timeout, nullptr) < 0 && errno != EINTR)
            fail(ErrorKind::io, "poll failed: " + errno_text());

        if (fds[0].revents & POLLIN) {
            std::uint8_t sig = 0;
            if (::read(g_signal_pipe[0], &sig, 1) == 1) stop_signal = sig;
        }
        std::size_t i = 1;
        for (auto& s : slots_) {
            if (s->listen_fd >= 0 && (fds[i++].revents & POLLIN)) accept_client(*s);
            if (s->client_fd >= 0 && i < fds.size() && fds[i].fd == s->client_fd) {
                const short ev = fds[i++].revents;
                if (ev & (POLLIN | POLLHUP | POLLERR)) read_client(*s);
                if (s->client_fd >= 0 && (ev & POLLOUT)) send_pending(*s);
            }
            if (s->pty_master >= 0 && i < fds.size() && fds[i].fd == s->pty_master) {
                if (fds[i++].revents & POLLIN) read_pty(*s);
            }
        }
    }
    note(std::string("devsim: stopping on ") + (stop_signal == SIGINT ? "SIGINT" : "SIGTERM"));
    for (auto& s : slots_) {
        drop_client(*s, "simulator stopping");
        s->device->flash().sync();
    }
    ::close(g_signal_pipe[0]);
    ::close(g_signal_pipe[1]);
    return 0;
}

} // namespace vesper::devsim
