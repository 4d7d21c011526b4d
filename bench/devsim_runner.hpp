#pragma once
// Benchmark support: vesper-devsim in the background on free loopback ports (tool_process.hpp), the
// way tests/support/devsim_process.hpp runs it for the tests.
#include <memory>
#include <string>
#include <vector>

#include "tool_process.hpp"

namespace vesper::bench {

class DevsimRunner {
public:
    // Starts `binary` with `args` (plus --port 0) and waits at most 10 s for the ready lines of its
    // `count` devices (give --count too when more than one).
    DevsimRunner(const std::string& binary, std::vector<std::string> args, std::size_t count = 1) {
        args.push_back("--port");
        args.push_back("0");
        process_ = std::make_unique<ToolProcess>(binary, std::move(args),
                                                 std::regex(R"(listening on tcp:127\.0\.0\.1:(\d+))"), count);
        for (const auto& port : process_->ready_values())
            urls_.push_back("socket://127.0.0.1:" + port);
    }

    // socket://127.0.0.1:PORT of the first device, and of every device in order.
    const std::string& url() const { return urls_.front(); }
    const std::vector<std::string>& urls() const { return urls_; }

    // SIGTERM and wait (bounded), then SIGKILL: the simulator has then flushed its logs and flash file.
    void stop() { process_->stop(); }

private:
    std::unique_ptr<ToolProcess> process_;
    std::vector<std::string> urls_;
};

} // namespace vesper::bench
