// Unit tests for core/interrupt and the temporary files of core/files: the signal handler runs in a
// forked child (it ends the process), the parent checks the exit code, the line and the files left.
#include <catch2/catch.hpp>

#include <fcntl.h>
#include <signal.h>
#include <sys/file.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <string>

#include "temp_dir.hpp"
#include "vesper/core/files.hpp"
#include "vesper/core/interrupt.hpp"

namespace fs = std::filesystem;
using vesper::test::TempDir;

namespace {

struct ChildResult {
    int exit_code = -1;
    std::string err;
};

// Runs `body` in a child with the handler installed and its stderr captured.
template <class Body> ChildResult in_child(Body body) {
    int err[2];
    REQUIRE(::pipe(err) == 0);
    const pid_t pid = ::fork();
    REQUIRE(pid >= 0);
    if (pid == 0) {
        ::dup2(err[1], 2);
        ::close(err[0]);
        static const bool json = false;
        vesper::interrupt::install("test", &json);
        body();
        ::_exit(0);
    }
    ::close(err[1]);
    ChildResult r;
    char buf[512];
    for (ssize_t n; (n = ::read(err[0], buf, sizeof buf)) > 0;)
        r.err.append(buf, static_cast<std::size_t>(n));
    ::close(err[0]);
    int status = 0;
    REQUIRE(::waitpid(pid, &status, 0) == pid);
    r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    return r;
}

std::size_t entries(const fs::path& dir) {
    std::size_t n = 0;
    for ([[maybe_unused]] const auto& e : fs::directory_iterator(dir))
        ++n;
    return n;
}

} // namespace

TEST_CASE("core interrupt: SIGTERM removes temporary files being written, prints one line, exits 143",
          "[core][interrupt]") {
    TempDir dir;
    const auto r = in_child([&] {
        vesper::interrupt::TempSlot slot;
        if (slot.create((dir / ".out.bin.tmp.XXXXXX").string()) < 0) ::_exit(99);
        if (!fs::exists(slot.path())) ::_exit(98);
        ::raise(SIGTERM);
        ::_exit(97); // not reached
    });
    CHECK(r.exit_code == 143);
    CHECK(r.err == "test: error: interrupted by SIGTERM\n");
    CHECK(entries(dir.path()) == 0);
}

TEST_CASE("core interrupt: under a Deferral the first signal sets the flag, the second exits 130",
          "[core][interrupt]") {
    TempDir dir;
    const auto r = in_child([&] {
        vesper::interrupt::Deferral defer;
        vesper::interrupt::TempSlot slot;
        if (slot.create((dir / ".out.bin.tmp.XXXXXX").string()) < 0) ::_exit(99);
        ::raise(SIGINT);
        if (!vesper::interrupt::stop_requested().load()) ::_exit(96);
        if (!fs::exists(slot.path())) ::_exit(95); // still the writer's
        ::raise(SIGINT);
        ::_exit(97);
    });
    CHECK(r.exit_code == 130);
    CHECK(r.err == "test: error: interrupted by SIGINT\n");
    CHECK(entries(dir.path()) == 0);
}

TEST_CASE("core files: stale temporary files of dead writers are removed, a live writer's are not", "[core][files]") {
    TempDir dir;
    vesper::write_file_atomic(dir / ".a.bin.tmp.Ab3dE9", std::string_view("dead"));
    vesper::write_file_atomic(dir / ".a.bin.tmp.LiveW1", std::string_view("alive"));
    vesper::write_file_atomic(dir / ".b.bin.tmp.Ab3dE9", std::string_view("other name"));
    vesper::write_file_atomic(dir / ".a.bin.tmp.short", std::string_view("not a temp name"));
    const int live = ::open((dir / ".a.bin.tmp.LiveW1").c_str(), O_RDONLY);
    REQUIRE(live >= 0);
    REQUIRE(::flock(live, LOCK_EX) == 0);
    // Writing a.bin sweeps its own name's leftovers first.
    vesper::write_file_atomic(dir / "a.bin", std::string_view("new"));
    ::close(live);
    CHECK_FALSE(fs::exists(dir / ".a.bin.tmp.Ab3dE9"));
    CHECK(fs::exists(dir / ".a.bin.tmp.LiveW1"));
    CHECK(fs::exists(dir / ".b.bin.tmp.Ab3dE9"));
    CHECK(fs::exists(dir / ".a.bin.tmp.short"));
    CHECK(vesper::read_text_file(dir / "a.bin") == "new");
}
