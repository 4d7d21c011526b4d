#include "vesper/core/interrupt.hpp"

#include "vesper/core/error_codes.hpp"
#include "vesper/core/json_text.hpp"

#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <thread>

#include <nlohmann/json.hpp>

namespace vesper::interrupt {

namespace {

// Everything the handler touches is static, lock-free and written before any signal can need it.
static_assert(std::atomic<int>::is_always_lock_free && std::atomic<bool>::is_always_lock_free);

constexpr int kSlots = 256; // one per writing thread at a time; more threads wait for a free slot
enum SlotState : int { kFree = 0, kCreating = 1, kActive = 2 };
std::atomic<int> g_slot_state[kSlots];
char g_slot_path[kSlots][PATH_MAX];

std::atomic<int> g_signal{0};
std::atomic<int> g_deferrals{0};
std::atomic<bool> g_stop{false};
std::atomic<bool> g_exiting{false};
const bool* g_json = nullptr;

// The four possible lines, formatted once at install.
std::string g_text_int, g_text_term, g_json_int, g_json_term;
bool g_clear_line = false; // stderr is a terminal: clear a progress line first

const char* signal_name(int sig) { return sig == SIGTERM ? "SIGTERM" : "SIGINT"; }
int code_for(int sig) { return 128 + (sig == SIGTERM ? SIGTERM : SIGINT); }

std::string json_line(int sig) {
    // The error object every --json error is (docs/cli.md), formatted here once, before any signal.
    nlohmann::json err{{"error",
                        {{"code", std::string(to_string(ErrorCode::interrupted))},
                         {"kind", "interrupted"},
                         {"message", std::string("interrupted by ") + signal_name(sig)},
                         {"exit_code", code_for(sig)},
                         {"hint", std::string(info(ErrorCode::interrupted).help)}}}};
    return json_text(err) + "\n";
}

void write_stderr(const char* data, std::size_t size) {
    while (size > 0) {
        const ssize_t n = ::write(STDERR_FILENO, data, size);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) return;
        data += n;
        size -= static_cast<std::size_t>(n);
    }
}

// Async-signal-safe: write(2) only.
void write_line(int sig) {
    const bool json = g_json && *g_json;
    if (g_clear_line && !json) write_stderr("\r\033[K", 4);
    const std::string& line =
        json ? (sig == SIGTERM ? g_json_term : g_json_int) : (sig == SIGTERM ? g_text_term : g_text_int);
    write_stderr(line.data(), line.size());
}

// Async-signal-safe: atomics, nanosleep and unlink only. A slot still being created is waited for
// briefly (its mkstemp may be on another thread); after that its buffer holds the final name if the
// file exists at all.
void remove_temp_files() {
    for (int i = 0; i < kSlots; ++i) {
        for (int k = 0; k < 1000 && g_slot_state[i].load() == kCreating; ++k) {
            const timespec pause{0, 100000};
            ::nanosleep(&pause, nullptr);
        }
        if (g_slot_state[i].load() != kFree && g_slot_path[i][0] != '\0') ::unlink(g_slot_path[i]);
    }
}

[[noreturn]] void exit_now(int sig) {
    // A second thread taking a signal at the same moment leaves it to the first.
    if (g_exiting.exchange(true))
        for (;;)
            ::pause();
    remove_temp_files();
    write_line(sig);
    ::_exit(code_for(sig));
}

void on_signal(int sig) {
    const int saved_errno = errno;
    int none = 0;
    g_signal.compare_exchange_strong(none, sig);
    if (g_deferrals.load() > 0 && !g_stop.exchange(true)) {
        errno = saved_errno;
        return; // the deferring work stops at its next clean point
    }
    exit_now(sig);
}

void format_lines(const char* program) {
    g_text_int = std::string(program) + ": error: interrupted by SIGINT\n";
    g_text_term = std::string(program) + ": error: interrupted by SIGTERM\n";
    g_json_int = json_line(SIGINT);
    g_json_term = json_line(SIGTERM);
    const char* term = std::getenv("TERM");
    g_clear_line = ::isatty(STDERR_FILENO) == 1 && !(term && std::strcmp(term, "dumb") == 0);
}

} // namespace

void install(const char* program, const bool* json_errors) {
    g_json = json_errors;
    format_lines(program);

    struct sigaction sa {};
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    sigaddset(&sa.sa_mask, SIGINT);
    sigaddset(&sa.sa_mask, SIGTERM);
    sa.sa_flags = SA_RESTART; // deferring work polls a flag; nothing relies on EINTR
    ::sigaction(SIGINT, &sa, nullptr);
    ::sigaction(SIGTERM, &sa, nullptr);
}

Deferral::Deferral() {
    if (g_deferrals.fetch_add(1) == 0) g_stop = false;
}

Deferral::~Deferral() { g_deferrals.fetch_sub(1); }

const std::atomic<bool>& stop_requested() { return g_stop; }

int signal_number() {
    const int sig = g_signal.load();
    return sig == SIGTERM ? SIGTERM : SIGINT;
}

int exit_code() { return code_for(signal_number()); }

std::string message() { return std::string("interrupted by ") + signal_name(signal_number()); }

int report() {
    remove_temp_files();
    if (g_text_int.empty()) format_lines("vesperctl"); // install() was not called (a library caller)
    write_line(signal_number());
    return exit_code();
}

int TempSlot::create(const std::string& path_template) {
    release();
    if (path_template.size() >= PATH_MAX) {
        errno = ENAMETOOLONG;
        return -1;
    }
    int slot = -1;
    while (slot < 0) {
        for (int i = 0; i < kSlots && slot < 0; ++i) {
            int expected = kFree;
            if (g_slot_state[i].compare_exchange_strong(expected, kCreating)) slot = i;
        }
        if (slot < 0) std::this_thread::yield();
    }
    if (g_exiting.load()) { // the process is on its way out: create nothing it would leave behind
        g_slot_state[slot] = kFree;
        errno = EINTR;
        return -1;
    }
    // The first byte last: the handler never sees a half-copied name as a path.
    char* buf = g_slot_path[slot];
    std::memcpy(buf + 1, path_template.c_str() + 1, path_template.size());
    std::atomic_signal_fence(std::memory_order_seq_cst);
    buf[0] = path_template[0];
    const int fd = ::mkostemp(buf, O_CLOEXEC);
    if (fd < 0) {
        const int err = errno;
        buf[0] = '\0';
        g_slot_state[slot] = kFree;
        errno = err;
        return -1;
    }
    g_slot_state[slot] = kActive;
    slot_ = slot;
    return fd;
}

const char* TempSlot::path() const { return slot_ >= 0 ? g_slot_path[slot_] : ""; }

void TempSlot::release() {
    if (slot_ < 0) return;
    g_slot_path[slot_][0] = '\0';
    g_slot_state[slot_] = kFree;
    slot_ = -1;
}

} // namespace vesper::interrupt
