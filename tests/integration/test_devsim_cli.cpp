// vesper-devsim's own command line: every error is one line with the program's name and one of the
// documented exit codes (docs/devsim.md), CLI11's checks included (they used to exit 105, 106, ...
// with CLI11's unprefixed text).
#include <catch2/catch.hpp>

#include <algorithm>

#include "run_process.hpp"

TEST_CASE("devsim: bad arguments are one prefixed line and exit 2", "[integration][devsim]") {
    for (const std::vector<std::string>& args : {std::vector<std::string>{"--count", "300"},
                                                 {"--count", "x"},
                                                 {"--no-such-option"},
                                                 {"--port", "70000"},
                                                 {"--chip", "esp99"},
                                                 {"--port", "0", "--listen", "tcp:0"}}) {
        std::vector<std::string> argv{VESPER_DEVSIM_BIN};
        argv.insert(argv.end(), args.begin(), args.end());
        const auto r = vesper::test::run_process(argv);
        INFO(args.front() << ": exit " << r.exit_code << ", stderr: " << r.err);
        CHECK(r.exit_code == 2);
        CHECK(r.out.empty());
        CHECK_THAT(r.err, Catch::StartsWith("vesper-devsim: error: "));
        CHECK(std::count(r.err.begin(), r.err.end(), '\n') == 1);
    }
    const auto help = vesper::test::run_process({VESPER_DEVSIM_BIN, "--help"});
    CHECK(help.exit_code == 0);
    CHECK_THAT(help.out, Catch::Contains("--count"));
}
