// CLI tests for output files that are not plain new files (devices, FIFOs, symlinks, existing files
// with their own mode, `-` for stdout), for SIGINT/SIGTERM, and for what a killed `nvs batch` leaves:
// the real vesperctl in temporary folders.
#include <catch2/catch.hpp>

#include <nlohmann/json.hpp>

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <sstream>
#include <thread>

#include "background_process.hpp"
#include "ledger_support.hpp"
#include "run_process.hpp"
#include "vesper/core/bytes.hpp"
#include "vesper/core/checksum.hpp"
#include "vesper/core/files.hpp"

using vesper::Bytes;
using vesper::test::ProcessOptions;
using vesper::test::TempDir;
using vesper::test::vesperctl;
namespace fs = std::filesystem;
using namespace std::chrono_literals;

using vesper::test::text_of;

namespace {

const std::string kCsv = std::string(VESPER_TEST_VECTORS) + "/nvs/nvs_basic.csv";
const std::string kDeviceTemplate = std::string(VESPER_SOURCE_DIR) + "/templates/vesper-device.csv";
const std::string kSecret = "factory-test-master-secret";

ProcessOptions in_dir(const TempDir& dir) { return vesper::test::isolated_in(dir.path()); }

std::vector<std::string> build_args(const std::string& out) {
    return {"nvs", "build", kCsv, "-o", out, "--size", "0x3000"};
}

// What the image is, built into an ordinary new file.
Bytes reference_image(const TempDir& dir) {
    const fs::path ref = dir / "reference.bin";
    const auto r = vesperctl(build_args(ref.string()), in_dir(dir));
    REQUIRE(r.exit_code == 0);
    Bytes b = vesper::read_file(ref);
    fs::remove(ref);
    return b;
}

// Every hidden temporary file of an output write (".NAME.tmp.XXXXXX") under `dir`.
std::vector<std::string> temp_files(const fs::path& dir) {
    std::vector<std::string> out;
    for (const auto& e : fs::directory_iterator(dir)) {
        const std::string name = e.path().filename().string();
        if (name.find(".tmp.") != std::string::npos) out.push_back(name);
    }
    return out;
}

std::size_t files_ending(const fs::path& dir, const std::string& suffix) {
    std::size_t n = 0;
    for (const auto& e : fs::directory_iterator(dir)) {
        const std::string name = e.path().filename().string();
        if (name.size() >= suffix.size() && name.compare(name.size() - suffix.size(), suffix.size(), suffix) == 0 &&
            name[0] != '.')
            ++n;
    }
    return n;
}

mode_t mode_of(const fs::path& p) {
    struct stat st {};
    REQUIRE(::stat(p.c_str(), &st) == 0);
    return st.st_mode & 0777;
}

// Reads a FIFO on a thread until its writer closes it (bounded: gives up `limit` after it starts).
class FifoReader {
public:
    explicit FifoReader(const fs::path& fifo) {
        fd_ = ::open(fifo.c_str(), O_RDONLY | O_NONBLOCK); // does not wait for a writer
        REQUIRE(fd_ >= 0);
        thread_ = std::thread([this] {
            const auto deadline = std::chrono::steady_clock::now() + 20s;
            bool writer_seen = false;
            while (std::chrono::steady_clock::now() < deadline) {
                pollfd p{fd_, POLLIN, 0};
                ::poll(&p, 1, 100);
                char buf[4096];
                const ssize_t n = ::read(fd_, buf, sizeof buf);
                if (n > 0) {
                    data_.insert(data_.end(), buf, buf + n);
                    writer_seen = true;
                } else if (n == 0 && (writer_seen || (p.revents & POLLHUP))) {
                    return; // the writer closed it
                } else if (n == 0) {
                    std::this_thread::sleep_for(20ms); // no writer yet
                }
            }
        });
    }
    ~FifoReader() {
        if (thread_.joinable()) thread_.join();
        ::close(fd_);
    }
    const Bytes& finish() {
        thread_.join();
        return data_;
    }

private:
    int fd_ = -1;
    std::thread thread_;
    Bytes data_;
};

// A ledger with one batch of `n` devices, made through the library (as `batch create` would).
fs::path ledger_with_batch(const TempDir& dir, int n) {
    const fs::path db = dir / "ledger.db";
    auto l = vesper::ledger::Ledger::open(db, "prep");
    REQUIRE(l.create_batch(vesper::test::batch_spec(n)).id == 1);
    return db;
}

std::vector<std::string> batch_args(const fs::path& db, const fs::path& out, std::vector<std::string> extra = {}) {
    std::vector<std::string> a = {VESPERCTL_BIN, "--ledger", db.string()};
    a.insert(a.end(), extra.begin(), extra.end());
    for (const char* s : {"nvs", "batch", "1", "--template"})
        a.push_back(s);
    a.insert(a.end(), {kDeviceTemplate, "--size", "0x6000", "--out", out.string(), "--jobs", "1"});
    return a;
}

// Waits (bounded) until `pred` holds.
bool eventually(const std::function<bool()>& pred, std::chrono::milliseconds limit = 60s) {
    const auto deadline = std::chrono::steady_clock::now() + limit;
    while (std::chrono::steady_clock::now() < deadline) {
        if (pred()) return true;
        std::this_thread::sleep_for(5ms);
    }
    return false;
}

} // namespace

TEST_CASE("cli output: -o onto a character device writes it and leaves it a device", "[cli][output]") {
    TempDir dir;
    // As root our own null device (a real /dev/null would be at stake if the code were wrong); otherwise
    // /dev/null itself, which the old temp + rename could not even start on.
    fs::path dev = "/dev/null";
    if (::geteuid() == 0) {
        dev = dir / "null";
        REQUIRE(::mknod(dev.c_str(), S_IFCHR | 0666, ::makedev(1, 3)) == 0);
    }
    const auto r = vesperctl(build_args(dev.string()), in_dir(dir));
    INFO(r.err);
    CHECK(r.exit_code == 0);
    struct stat st {};
    REQUIRE(::stat(dev.c_str(), &st) == 0);
    CHECK(S_ISCHR(st.st_mode));
    CHECK(temp_files(dir.path()).empty());
    CHECK(temp_files(dev.parent_path()).empty());
}

TEST_CASE("cli output: -o onto a FIFO streams the bytes to its reader", "[cli][output]") {
    TempDir dir;
    const Bytes expected = reference_image(dir);
    const fs::path fifo = dir / "pipe";
    REQUIRE(::mkfifo(fifo.c_str(), 0600) == 0);
    FifoReader reader(fifo);
    const auto r = vesperctl(build_args(fifo.string()), in_dir(dir));
    INFO(r.err);
    CHECK(r.exit_code == 0);
    CHECK(reader.finish() == expected);
    CHECK(fs::is_fifo(fs::symlink_status(fifo)));
    CHECK(temp_files(dir.path()).empty());
}

TEST_CASE("cli output: -o onto a symlink writes its target and keeps the link", "[cli][output]") {
    TempDir dir;
    const Bytes expected = reference_image(dir);
    fs::create_directories(dir / "real");
    vesper::write_file_atomic(dir / "real" / "nvs.bin", std::string_view("old"));
    // A relative link, resolved against the link's folder (not the current one), and a link to it.
    fs::create_symlink("real/nvs.bin", dir / "link.bin");
    fs::create_symlink("link.bin", dir / "link2.bin");
    const auto r = vesperctl(build_args((dir / "link2.bin").string()), in_dir(dir));
    INFO(r.err);
    REQUIRE(r.exit_code == 0);
    CHECK(fs::is_symlink(dir / "link.bin"));
    CHECK(fs::is_symlink(dir / "link2.bin"));
    CHECK(vesper::read_file(dir / "real" / "nvs.bin") == expected);
    CHECK(temp_files(dir.path()).empty());
    CHECK(temp_files(dir / "real").empty());

    // A link to a file that does not exist yet: the file is created where the link points.
    fs::create_symlink("real/new.bin", dir / "dangling.bin");
    const auto d = vesperctl(build_args((dir / "dangling.bin").string()), in_dir(dir));
    INFO(d.err);
    REQUIRE(d.exit_code == 0);
    CHECK(fs::is_symlink(dir / "dangling.bin"));
    CHECK(vesper::read_file(dir / "real" / "new.bin") == expected);
    CHECK(mode_of(dir / "real" / "new.bin") == 0644);
}

TEST_CASE("cli output: every command's -o keeps a link a link and a file's mode", "[cli][output]") {
    TempDir dir;
    const fs::path db = ledger_with_batch(dir, 2);
    vesper::write_file_atomic(dir / "t.csv",
                              std::string_view("nvs, data, nvs, , 0x6000\nfactory, app, factory, , 1M\n"));
    REQUIRE(
        vesperctl({"part", "build", (dir / "t.csv").string(), "-o", (dir / "t.bin").string()}, in_dir(dir)).exit_code ==
        0);
    vesper::write_file_atomic(dir / "blob.bin", Bytes(0x200, 7));
    const std::string out = (dir / "out").string();
    const std::vector<std::vector<std::string>> commands = {
        build_args(out),
        {"part", "build", (dir / "t.csv").string(), "-o", out},
        {"part", "dump", (dir / "t.bin").string(), "-o", out},
        {"image", "synth", "--chip", "esp32", "--size", "64KB", "-o", out},
        {"image", "merge", "--chip", "esp32", "-o", out, "0x10000", (dir / "blob.bin").string()},
        {"--ledger", db.string(), "batch", "export", "1", "-o", out},
        {"--ledger", db.string(), "batch", "report", "1", "-o", out},
    };
    for (const auto& args : commands) {
        INFO(args[0] << " " << args[1] << " " << args[2]);
        fs::remove(dir / "out");
        fs::remove(dir / "target");
        vesper::write_file_atomic(dir / "target", std::string_view("old"));
        REQUIRE(::chmod((dir / "target").c_str(), 0600) == 0);
        fs::create_symlink("target", dir / "out");
        const auto r = vesperctl(args, in_dir(dir));
        INFO(r.err);
        REQUIRE(r.exit_code == 0);
        CHECK(fs::is_symlink(dir / "out"));
        CHECK(vesper::read_text_file(dir / "target") != "old");
        CHECK(mode_of(dir / "target") == 0600);
        CHECK(temp_files(dir.path()).empty());
    }
}

TEST_CASE("cli output: -o - writes the output to stdout", "[cli][output]") {
    TempDir dir;
    const Bytes expected = reference_image(dir);
    const auto r = vesperctl(build_args("-"), in_dir(dir));
    INFO(r.err);
    REQUIRE(r.exit_code == 0);
    CHECK(Bytes(r.out.begin(), r.out.end()) == expected);
    CHECK_THAT(r.err, Catch::StartsWith("wrote -: 0x3000 bytes")); // the summary moves to stderr
    CHECK_FALSE(fs::exists(dir / "-"));

    // stdout cannot carry both the image and the JSON document: refused before any work.
    auto args = build_args("-");
    args.insert(args.begin(), "--json");
    const auto j = vesperctl(args, in_dir(dir));
    CHECK(j.exit_code == 2);
    CHECK(j.out.empty());
    CHECK_THAT(j.err, Catch::Contains("-o - with --json"));

    // Where stdout is already the default, `-` is the same as no -o.
    const auto e =
        vesperctl({"--ledger", ledger_with_batch(dir, 1).string(), "batch", "export", "1", "-o", "-"}, in_dir(dir));
    REQUIRE(e.exit_code == 0);
    CHECK(nlohmann::json::parse(e.out).size() == 1);
}

TEST_CASE("cli signals: SIGTERM mid nvs batch removes what it wrote, says so once, exits 143", "[cli][signal]") {
    TempDir dir;
    const fs::path db = ledger_with_batch(dir, 5000);
    const fs::path out = dir / "images";
    const fs::path err = dir / "stderr.txt";
    vesper::test::BackgroundProcess run(batch_args(db, out), {{"VESPER_MQTT_SECRET", kSecret}}, err.string());
    REQUIRE(eventually([&] { return fs::exists(out) && files_ending(out, ".bin") > 0; }));
    const int status = run.kill(SIGTERM);
    REQUIRE(WIFEXITED(status));
    CHECK(WEXITSTATUS(status) == 143);
    const std::string e = text_of(err);
    CHECK(e == "vesperctl: error: interrupted by SIGTERM\n");
    // As docs/nvs.md promises: what the run wrote is removed, no temporary file, no manifest.
    CHECK(files_ending(out, ".bin") == 0);
    CHECK(temp_files(out).empty());
    CHECK_FALSE(fs::exists(out / "vesper-nvs-batch.json"));
}

TEST_CASE("cli signals: SIGINT under --json is the JSON error object and exit 130", "[cli][signal]") {
    TempDir dir;
    const fs::path db = ledger_with_batch(dir, 5000);
    const fs::path out = dir / "images";
    const fs::path err = dir / "stderr.txt";
    vesper::test::BackgroundProcess run(batch_args(db, out, {"--json"}), {{"VESPER_MQTT_SECRET", kSecret}},
                                        err.string());
    REQUIRE(eventually([&] { return fs::exists(out) && files_ending(out, ".bin") > 0; }));
    const int status = run.kill(SIGINT);
    REQUIRE(WIFEXITED(status));
    CHECK(WEXITSTATUS(status) == 130);
    const std::string e = text_of(err);
    REQUIRE(std::count(e.begin(), e.end(), '\n') == 1);
    const auto doc = nlohmann::json::parse(e);
    CHECK(doc.at("error").at("kind") == "interrupted");
    CHECK(doc.at("error").at("exit_code") == 130);
    CHECK(doc.at("error").at("message") == "interrupted by SIGINT");
    CHECK(doc.at("error").at("code") == "interrupted");
    CHECK(doc.at("error").at("hint") == "stopped by SIGINT or SIGTERM");
    CHECK(run.lines().empty()); // nothing on stdout
    CHECK(files_ending(out, ".bin") == 0);
    CHECK(temp_files(out).empty());
}

TEST_CASE("cli signals: after kill -9 mid nvs batch the folder has no manifest, a rerun cleans up and completes",
          "[cli][signal]") {
    TempDir dir;
    const int n = 5000;
    const fs::path db = ledger_with_batch(dir, n);
    const fs::path out = dir / "images";
    const fs::path manifest = out / "vesper-nvs-batch.json";
    const std::map<std::string, std::string> env{{"VESPER_MQTT_SECRET", kSecret}};
    ProcessOptions opts = in_dir(dir);
    opts.env = env;
    auto argv = batch_args(db, out);
    const std::vector<std::string> args(argv.begin() + 1, argv.end());

    // A complete run: the manifest is there, listing every image.
    REQUIRE(vesperctl(args, opts).exit_code == 0);
    REQUIRE(fs::exists(manifest));
    {
        // Killed mid-run: the old manifest went first, so the folder reads as incomplete.
        vesper::test::BackgroundProcess run(argv, env);
        REQUIRE(eventually([&] { return !fs::exists(manifest); }));
        std::this_thread::sleep_for(50ms);
        run.kill(SIGKILL);
    }
    CHECK_FALSE(fs::exists(manifest));

    // Leftovers a killed writer could leave (written here so there surely are some), one temp file of a
    // writer that is still alive (it holds the lock), and a file that is not ours.
    vesper::write_file_atomic(out / ".PV-26A18-BC02R-AAAAA.bin.tmp.Ab3dE9", Bytes(100, 1));
    vesper::write_file_atomic(out / ".vesper-nvs-batch.json.tmp.Zz9yY8", std::string_view("{"));
    vesper::write_file_atomic(out / ".PV-26A18-BC02R-BBBBB.bin.tmp.LiveW1", Bytes(100, 2));
    vesper::write_file_atomic(out / ".notes.txt.tmp.Other1", std::string_view("mine"));
    const int live = ::open((out / ".PV-26A18-BC02R-BBBBB.bin.tmp.LiveW1").c_str(), O_RDONLY);
    REQUIRE(live >= 0);
    REQUIRE(::flock(live, LOCK_EX) == 0);

    const auto r = vesperctl(args, opts);
    INFO(r.err);
    REQUIRE(r.exit_code == 0);
    ::close(live);
    auto left = temp_files(out);
    std::sort(left.begin(), left.end());
    CHECK(left == std::vector<std::string>{".PV-26A18-BC02R-BBBBB.bin.tmp.LiveW1", ".notes.txt.tmp.Other1"});
    REQUIRE(fs::exists(manifest));
    const auto doc = nlohmann::json::parse(text_of(manifest));
    CHECK(doc.at("count") == n);
    CHECK(doc.at("images").size() == static_cast<std::size_t>(n));
    CHECK(files_ending(out, ".bin") == static_cast<std::size_t>(n));
    const auto& first = doc.at("images").at(0);
    CHECK(first.at("sha256") ==
          vesper::to_hex(vesper::sha256(vesper::read_file(out / first.at("file").get<std::string>()))));
}
