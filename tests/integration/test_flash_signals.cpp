// Ctrl-C and SIGTERM during the device commands (read-flash, erase, flash) against the real
// vesper-devsim: one "interrupted" line, exit 130/143, no output or temporary file left.
#include <signal.h>
#include <sys/wait.h>

#include <fstream>
#include <sstream>

#include "flash_test_support.hpp"

using namespace vesper;
using namespace vesper::flash_test;

using vesper::test::text_of;

TEST_CASE("read-flash: Ctrl-C mid-read prints one line, exits 130 and leaves no file", "[integration][signal]") {
    test::TempDir dir;
    const fs::path out = dir / "read.bin", err = dir / "stderr.txt";
    for (const auto& [sig, code, name] : {std::tuple{SIGINT, 130, "SIGINT"}, std::tuple{SIGTERM, 143, "SIGTERM"}}) {
        INFO(name);
        // Realistic timing: 1 MB over 115200 baud takes well over a minute, so the signal lands mid-read.
        Devsim sim(
            {"--chip", "esp32", "--port", "0", "--flash", (dir / "flash.bin").string(), "--timing", "realistic"});
        test::BackgroundProcess run({VESPERCTL_BIN, "read-flash", "--port", sim.url(), "--after", "no-reset", "0x0",
                                     "0x100000", "-o", out.string()},
                                    {}, err.string());
        std::this_thread::sleep_for(3s); // connected and reading (the read alone takes > 60 s)
        REQUIRE(::kill(run.pid(), 0) == 0);
        const int status = run.kill(sig);
        REQUIRE(WIFEXITED(status));
        CHECK(WEXITSTATUS(status) == code);
        CHECK(text_of(err) == std::string("vesperctl: error: interrupted by ") + name + "\n");
        CHECK_FALSE(fs::exists(out));
        for (const auto& e : fs::directory_iterator(dir.path()))
            CHECK(e.path().filename().string().find(".tmp.") == std::string::npos);
    }
}
