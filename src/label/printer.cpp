// Printing is CUPS's job: lp is run directly (no shell) with the document on its standard input, so
// whatever lp is on PATH -- the real one, or a stand-in in tests -- gets exactly these bytes.
#include "vesper/label/printer.hpp"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <string_view>
#include <tuple>
#include <vector>

#include "vesper/core/error.hpp"
#include "vesper/core/text.hpp"

extern char** environ;

namespace vesper::label {

namespace {

// lp only queues the job; if it has not finished in this long, it is hung (a dead scheduler socket).
constexpr std::chrono::seconds kLpTimeout{120};
constexpr std::size_t kMessageMax = 300;

struct Fd {
    int fd = -1;
    Fd() = default;
    explicit Fd(int f) : fd(f) {}
    Fd(const Fd&) = delete;
    Fd& operator=(const Fd&) = delete;
    ~Fd() { reset(); }
    void reset() {
        if (fd >= 0) ::close(fd);
        fd = -1;
    }
};

void make_pipe(Fd& read_end, Fd& write_end) {
    int p[2];
    // Close-on-exec: an lp started concurrently from another station thread must not hold our ends open.
    if (::pipe2(p, O_CLOEXEC) != 0)
        fail(ErrorCode::label_print, std::string("cannot run lp: pipe failed: ") + std::strerror(errno));
    read_end.fd = p[0];
    write_end.fd = p[1];
}

// lp's output as one line: lines joined with "; ", cut at a readable length.
std::string one_line(std::string_view text) {
    std::string out;
    for (const std::string& line : split(text, '\n')) {
        const std::string_view t = trim(line);
        if (t.empty()) continue;
        if (!out.empty()) out += "; ";
        out += t;
    }
    if (out.size() > kMessageMax) out = out.substr(0, kMessageMax) + "...";
    return out;
}

bool valid_printer_name(std::string_view name) {
    if (name.empty() || name.size() > 127 || name.front() == '-') return false;
    for (char c : name) {
        const auto b = static_cast<unsigned char>(c);
        if (b <= 0x20 || b == 0x7F || c == '/' || c == '#' || c == '\\' || c == '\'' || c == '"') return false;
    }
    return true;
}

// Blocks SIGPIPE in this thread while it writes to lp, so an lp that exits early is an EPIPE from
// write() and not the end of vesperctl; a SIGPIPE raised meanwhile is taken back before unblocking.
class SigpipeBlock {
public:
    SigpipeBlock() {
        sigset_t pipe_set;
        sigemptyset(&pipe_set);
        sigaddset(&pipe_set, SIGPIPE);
        sigset_t pending;
        sigpending(&pending);
        was_pending_ = sigismember(&pending, SIGPIPE) == 1;
        pthread_sigmask(SIG_BLOCK, &pipe_set, &old_);
    }
    ~SigpipeBlock() {
        sigset_t pending;
        sigpending(&pending);
        if (!was_pending_ && sigismember(&pending, SIGPIPE) == 1) {
            sigset_t pipe_set;
            sigemptyset(&pipe_set);
            sigaddset(&pipe_set, SIGPIPE);
            const timespec zero{0, 0};
            sigtimedwait(&pipe_set, nullptr, &zero);
        }
        pthread_sigmask(SIG_SETMASK, &old_, nullptr);
    }
    SigpipeBlock(const SigpipeBlock&) = delete;
    SigpipeBlock& operator=(const SigpipeBlock&) = delete;

private:
    sigset_t old_{};
    bool was_pending_ = false;
};

} // namespace

std::string print(const Rendered& document, const PrintJob& job) {
    if (!valid_printer_name(job.printer))
        fail(ErrorKind::input, "printer name " + quote_value(job.printer) +
                                   " is not a CUPS queue name (no spaces, '/', '#' or leading '-'; see lpstat -p)");
    if (job.copies < 1 || job.copies > 100)
        fail(ErrorKind::input, "copies " + std::to_string(job.copies) + " is outside 1-100");
    if (document.bytes.empty()) fail(ErrorKind::input, "the document to print is empty");

    std::vector<std::string> args = {"lp", "-d", job.printer, "-n", std::to_string(job.copies)};
    if (!job.title.empty()) {
        args.push_back("-t");
        args.push_back(job.title);
    }
    // ZPL goes to the Zebra as it is: CUPS must not run it through a filter.
    if (document.format == Format::zpl) {
        args.push_back("-o");
        args.push_back("raw");
    }
    std::vector<char*> argv;
    for (std::string& a : args)
        argv.push_back(a.data());
    argv.push_back(nullptr);

    Fd in_r, in_w, out_r, out_w, err_r, err_w;
    make_pipe(in_r, in_w);
    make_pipe(out_r, out_w);
    make_pipe(err_r, err_w);

    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_adddup2(&actions, in_r.fd, 0);
    posix_spawn_file_actions_adddup2(&actions, out_w.fd, 1);
    posix_spawn_file_actions_adddup2(&actions, err_w.fd, 2);
    posix_spawnattr_t attr;
    posix_spawnattr_init(&attr);
    // lp starts with no signals blocked and SIGPIPE at its default, whatever this thread has.
    sigset_t none, defaults;
    sigemptyset(&none);
    sigemptyset(&defaults);
    sigaddset(&defaults, SIGPIPE);
    posix_spawnattr_setsigmask(&attr, &none);
    posix_spawnattr_setsigdefault(&attr, &defaults);
    posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);
    pid_t pid = -1;
    const int rc = posix_spawnp(&pid, "lp", &actions, &attr, argv.data(), environ);
    posix_spawn_file_actions_destroy(&actions);
    posix_spawnattr_destroy(&attr);
    if (rc != 0)
        fail(ErrorCode::label_print, "cannot run lp to print on " + job.printer + ": " + std::strerror(rc) +
                                         (rc == ENOENT ? " (install cups-client, or put lp on PATH)" : ""));
    in_r.reset();
    out_w.reset();
    err_w.reset();

    std::string out, err;
    bool timed_out = false;
    {
        SigpipeBlock no_sigpipe;
        std::size_t written = 0;
        const auto deadline = std::chrono::steady_clock::now() + kLpTimeout;
        char buf[4096];
        while (in_w.fd >= 0 || out_r.fd >= 0 || err_r.fd >= 0) {
            pollfd fds[3];
            nfds_t n = 0;
            const int slot_in = in_w.fd >= 0 ? static_cast<int>(n) : -1;
            if (in_w.fd >= 0) fds[n++] = {in_w.fd, POLLOUT, 0};
            const int slot_out = out_r.fd >= 0 ? static_cast<int>(n) : -1;
            if (out_r.fd >= 0) fds[n++] = {out_r.fd, POLLIN, 0};
            const int slot_err = err_r.fd >= 0 ? static_cast<int>(n) : -1;
            if (err_r.fd >= 0) fds[n++] = {err_r.fd, POLLIN, 0};
            const auto left =
                std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
            if (left.count() <= 0) {
                timed_out = true;
                break;
            }
            const int ready = ::poll(fds, n, static_cast<int>(left.count()));
            if (ready < 0 && errno == EINTR) continue;
            if (ready < 0) break;
            if (slot_in >= 0 && fds[slot_in].revents) {
                const ssize_t w = ::write(in_w.fd, document.bytes.data() + written, document.bytes.size() - written);
                if (w > 0) written += static_cast<std::size_t>(w);
                // Done, or lp stopped reading (it will say why on stderr): either way no more input.
                if (written == document.bytes.size() || (w < 0 && errno != EINTR && errno != EAGAIN)) in_w.reset();
            }
            for (auto [slot, fd, text] : {std::tuple{slot_out, &out_r, &out}, std::tuple{slot_err, &err_r, &err}}) {
                if (slot < 0 || !fds[slot].revents) continue;
                const ssize_t r = ::read(fd->fd, buf, sizeof buf);
                if (r > 0)
                    text->append(buf, static_cast<std::size_t>(r));
                else if (r == 0 || errno != EINTR)
                    fd->reset();
            }
        }
        in_w.reset();
    }
    if (timed_out) ::kill(pid, SIGKILL);
    int status = 0;
    while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
    }
    const std::string said = one_line(err);
    if (timed_out)
        fail(ErrorCode::label_print, "lp did not finish within " + std::to_string(kLpTimeout.count()) +
                                         " s printing on " + job.printer + " and was stopped" +
                                         (said.empty() ? "" : ": " + said));
    if (WIFSIGNALED(status))
        fail(ErrorCode::label_print, "lp was killed by signal " + std::to_string(WTERMSIG(status)) + " printing on " +
                                         job.printer + (said.empty() ? "" : ": " + said));
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
        fail(ErrorCode::label_print, "lp failed (exit " + std::to_string(WEXITSTATUS(status)) + ") printing on " +
                                         job.printer + ": " + (said.empty() ? "it gave no reason" : said));
    return one_line(out);
}

} // namespace vesper::label
