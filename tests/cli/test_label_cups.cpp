// Printing to a real CUPS scheduler: the test starts its own cupsd (cups-daemon, as root) on a free
// loopback port with every folder in a temporary directory, adds a raw queue whose backend is a small
// script writing each job's data and arguments to files, and prints through the real lp
// (cups-client) with label::print. No network beyond 127.0.0.1; cupsd is stopped at the end.
#include <catch2/catch.hpp>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <fstream>
#include <regex>
#include <thread>

#include "background_process.hpp"
#include "run_process.hpp"
#include "temp_dir.hpp"
#include "vesper/core/error.hpp"
#include "vesper/label/printer.hpp"

using namespace vesper;
using namespace vesper::test;
namespace fs = std::filesystem;

namespace {

int free_loopback_port() {
    const int s = ::socket(AF_INET, SOCK_STREAM, 0);
    REQUIRE(s >= 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    REQUIRE(::bind(s, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0);
    socklen_t len = sizeof a;
    REQUIRE(::getsockname(s, reinterpret_cast<sockaddr*>(&a), &len) == 0);
    ::close(s);
    return ntohs(a.sin_port);
}

bool accepts(int port) {
    const int s = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    a.sin_port = htons(static_cast<std::uint16_t>(port));
    const bool ok = ::connect(s, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0;
    ::close(s);
    return ok;
}

void write_file(const fs::path& file, const std::string& text, mode_t mode = 0644) {
    {
        std::ofstream out(file, std::ios::binary);
        out << text;
    }
    ::chmod(file.c_str(), mode);
}

// Waits (bounded) until `file` exists; the backend renames it into place when it is complete.
bool appears(const fs::path& file) {
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(15);
    while (std::chrono::steady_clock::now() < deadline) {
        if (fs::exists(file)) return true;
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    return false;
}

class Scheduler {
public:
    Scheduler() : port_(free_loopback_port()) {
        const fs::path root = dir_.path();
        for (const char* sub : {"spool", "tmp", "state", "cache", "log", "out", "bin/backend", "bin/daemon"})
            fs::create_directories(root / sub);
        // cupsd runs filters and backends through its cups-exec helper, found under ServerBin.
        fs::create_symlink("/usr/lib/cups/daemon/cups-exec", root / "bin/daemon/cups-exec");
        // The backend: argv[6] is the spooled job; the data lands in out/JOB.data, argv in out/JOB.argv.
        // Mode 0700 makes cupsd run it as root, so it can write into this root-only folder.
        write_file(root / "bin/backend/capture",
                   "#!/bin/sh\n"
                   "[ $# -eq 0 ] && { echo 'direct capture \"Unknown\" \"vesper test capture\"'; exit 0; }\n"
                   "out=${DEVICE_URI#capture:}\n"
                   "printf '%s\\n' \"$2\" \"$4\" \"$3\" > \"$out/$1.argv\"\n"
                   "cat \"$6\" > \"$out/$1.tmp\" && mv \"$out/$1.tmp\" \"$out/$1.data\"\n",
                   0700);
        const std::string p = std::to_string(port_);
        write_file(root / "cupsd.conf", "Listen 127.0.0.1:" + p +
                                            "\nLogLevel warn\nBrowsing No\nDefaultAuthType None\n"
                                            "<Location />\n  Order allow,deny\n  Allow 127.0.0.1\n</Location>\n"
                                            "<Location /admin>\n  Order allow,deny\n  Allow 127.0.0.1\n</Location>\n"
                                            "<Policy default>\n  <Limit All>\n    Order allow,deny\n"
                                            "    Allow 127.0.0.1\n  </Limit>\n</Policy>\n");
        const std::string r = root.string();
        write_file(root / "cups-files.conf", "ServerRoot " + r + "\nServerBin " + r + "/bin\nRequestRoot " + r +
                                                 "/spool\nTempDir " + r + "/tmp\nStateDir " + r + "/state\nCacheDir " +
                                                 r + "/cache\nAccessLog " + r + "/log/access_log\nErrorLog " + r +
                                                 "/log/error_log\nPageLog " + r +
                                                 "/log/page_log\nUser lp\nGroup lp\nSystemGroup root\n");
        cupsd_ = std::make_unique<BackgroundProcess>(
            std::vector<std::string>{"/usr/sbin/cupsd", "-f", "-c", (root / "cupsd.conf").string(), "-s",
                                     (root / "cups-files.conf").string()},
            std::map<std::string, std::string>{}, (root / "cupsd.stderr").string());
        const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
        while (!accepts(port_) && std::chrono::steady_clock::now() < deadline)
            std::this_thread::sleep_for(std::chrono::milliseconds(50));
        REQUIRE(accepts(port_));
        old_server_ = ::getenv("CUPS_SERVER") ? ::getenv("CUPS_SERVER") : "";
        ::setenv("CUPS_SERVER", server().c_str(), 1);
    }
    ~Scheduler() {
        if (old_server_.empty())
            ::unsetenv("CUPS_SERVER");
        else
            ::setenv("CUPS_SERVER", old_server_.c_str(), 1);
        cupsd_->kill(SIGTERM);
    }
    Scheduler(const Scheduler&) = delete;
    Scheduler& operator=(const Scheduler&) = delete;

    std::string server() const { return "127.0.0.1:" + std::to_string(port_); }
    fs::path out() const { return dir_.path() / "out"; }
    std::string log() const { return text_of(dir_.path() / "log/error_log") + text_of(dir_.path() / "cupsd.stderr"); }

    void add_raw_queue(const std::string& name) {
        ProcessOptions o;
        o.env["CUPS_SERVER"] = server();
        o.timeout_ms = 15000;
        const auto r =
            run_process({"/usr/sbin/lpadmin", "-p", name, "-E", "-v", "capture:" + out().string(), "-m", "raw"}, o);
        INFO(r.err << log());
        REQUIRE(r.exit_code == 0);
    }

private:
    TempDir dir_;
    int port_;
    std::unique_ptr<BackgroundProcess> cupsd_;
    std::string old_server_;
};

int job_id(const std::string& request_line, const std::string& queue) {
    std::smatch m;
    const std::regex re("request id is " + queue + "-([0-9]+) \\([0-9]+ file\\(s\\)\\)");
    REQUIRE(std::regex_match(request_line, m, re));
    return std::stoi(m[1]);
}

} // namespace

TEST_CASE("print hands ZPL and PDF to a real CUPS scheduler that delivers them byte for byte", "[label][cups]") {
    REQUIRE(fs::exists("/usr/sbin/cupsd")); // cups-daemon, scripts/install-deps
    REQUIRE(::geteuid() == 0);              // cupsd drops to the lp user only when started as root
    Scheduler cups;
    cups.add_raw_queue("vesper_zebra");

    label::Rendered zpl;
    zpl.format = label::Format::zpl;
    zpl.dpi = 203;
    zpl.bytes = "^XA\n^CI28\n^PW406\n^LL240\n^LH0,0\n^FO10,10^BQN,2,4^FH^FDMM,APV-26DEC-BC02K-7Q4ZD^FS\n^XZ\n";
    const int zpl_job = job_id(label::print(zpl, {"vesper_zebra", "PV-26DEC batch 12", 2}), "vesper_zebra");
    INFO(cups.log());
    REQUIRE(appears(cups.out() / (std::to_string(zpl_job) + ".data")));
    CHECK(text_of(cups.out() / (std::to_string(zpl_job) + ".data")) == zpl.bytes);
    // The backend's argv: user, copies, title.
    CHECK(text_of(cups.out() / (std::to_string(zpl_job) + ".argv")) == "root\n2\nPV-26DEC batch 12\n");

    label::Rendered pdf;
    pdf.format = label::Format::pdf;
    pdf.dpi = 300;
    for (int i = 0; pdf.bytes.size() < 200000; ++i)
        pdf.bytes += static_cast<char>(i * 7);
    pdf.bytes.replace(0, 9, "%PDF-1.7\n");
    const int pdf_job = job_id(label::print(pdf, {"vesper_zebra", "sheet", 1}), "vesper_zebra");
    REQUIRE(appears(cups.out() / (std::to_string(pdf_job) + ".data")));
    CHECK(text_of(cups.out() / (std::to_string(pdf_job) + ".data")) == pdf.bytes);

    // A queue the scheduler does not have: lp's own message in the error.
    try {
        label::print(zpl, {"no_such_queue", "t", 1});
        FAIL("printed to a queue that does not exist");
    } catch (const Error& e) {
        CHECK(e.code() == ErrorCode::label_print);
        CHECK(std::string(e.what()).find("no_such_queue") != std::string::npos);
        CHECK(std::string(e.what()).find("does not exist") != std::string::npos);
    }
}
