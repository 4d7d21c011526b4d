#include "vesper/nvs/image_batch.hpp"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstring>
#include <limits>
#include <mutex>
#include <set>
#include <thread>

#include "vesper/core/error.hpp"
#include "vesper/core/files.hpp"
#include "vesper/core/text.hpp"

namespace vesper::nvs {

namespace {

// Runs body(i, buffer) for i in [0, n) on `threads` threads, each with its own reusable buffer. On
// failure, rethrows the error of the lowest failing index: indices are handed out in order and every
// index below a failure is still run, so the error reported does not depend on thread timing.
void parallel_for(std::size_t n, unsigned threads, const std::atomic<bool>* stop,
                  const std::function<void(std::size_t, Bytes&)>& body) {
    constexpr std::size_t kChunk = 16;
    std::atomic<std::size_t> next{0};
    std::atomic<std::size_t> failed_at{std::numeric_limits<std::size_t>::max()};
    std::exception_ptr error;
    std::mutex error_mutex;

    auto worker = [&] {
        Bytes buffer;
        while (true) {
            const std::size_t begin = next.fetch_add(kChunk);
            if (begin >= n || begin >= failed_at.load()) return;
            for (std::size_t i = begin; i < std::min(n, begin + kChunk); ++i) {
                if (i >= failed_at.load()) return;
                try {
                    if (stop && stop->load()) fail(ErrorKind::interrupted, "interrupted");
                    body(i, buffer);
                } catch (...) {
                    std::lock_guard lock(error_mutex);
                    if (i < failed_at.load()) {
                        failed_at = i;
                        error = std::current_exception();
                    }
                    return;
                }
            }
        }
    };
    {
        std::vector<std::jthread> pool;
        for (unsigned t = 1; t < threads; ++t)
            pool.emplace_back(worker);
        worker();
    } // joins
    if (error) std::rethrow_exception(error);
}

// Files were written without fsync; one syncfs flushes all their data at once (far cheaper than an
// fsync per file), then the folder fsync makes the renames durable.
void sync_outputs(const std::filesystem::path& dir) {
    int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY);
    if (fd < 0) fail(ErrorCode::io_write, dir.string() + ": cannot open folder: " + std::strerror(errno));
    int rc = ::syncfs(fd);
    int err = errno;
    ::close(fd);
    if (rc != 0) fail(ErrorCode::io_write, dir.string() + ": cannot sync file system: " + std::strerror(err));
    sync_directory(dir);
}

// The folder is locked (flock on the folder itself, released when the process ends) for the run, so
// two batch writers never mix their images and manifests and the temp sweep is safe.
class FolderLock {
public:
    explicit FolderLock(const std::filesystem::path& dir)
        : fd_(::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC)) {
        if (fd_ < 0) fail(ErrorCode::io_write, dir.string() + ": cannot open folder: " + std::strerror(errno));
        if (::flock(fd_, LOCK_EX | LOCK_NB) != 0) {
            const int err = errno;
            ::close(fd_);
            if (err == EWOULDBLOCK)
                fail(ErrorCode::nvs_batch_busy, dir.string() + ": another process is writing a batch into this folder");
            fail(ErrorCode::io_write, dir.string() + ": cannot lock folder: " + std::strerror(err));
        }
    }
    ~FolderLock() { ::close(fd_); }
    FolderLock(const FolderLock&) = delete;
    FolderLock& operator=(const FolderLock&) = delete;

private:
    int fd_;
};

bool is_image_or(std::string_view name, const std::string& manifest) {
    return name == manifest || (name.size() > 4 && name.substr(name.size() - 4) == ".bin");
}

void check_names(const std::vector<std::string>& names) {
    std::set<std::string_view> seen;
    for (const auto& name : names) {
        if (name.empty() || name == "." || name == ".." || name.find('/') != std::string::npos)
            fail(ErrorKind::input, "image name " + quote_value(name) + " is not a plain file name");
        if (!seen.insert(name).second) fail(ErrorKind::input, "image name " + quote_value(name) + " appears twice");
    }
}

} // namespace

ImageBatchResult write_image_batch(const std::filesystem::path& dir, const std::vector<std::string>& names,
                                   const ImageProducer& produce, const ImageBatchOptions& options) {
    check_names(names);
    const std::size_t n = names.size();
    unsigned threads = options.threads ? options.threads : std::max(1u, std::thread::hardware_concurrency());
    threads = static_cast<unsigned>(std::clamp<std::size_t>(n, 1, threads));

    if (!options.manifest_name.empty()) check_names({options.manifest_name});
    if (options.check_first)
        parallel_for(n, threads, options.stop, [&](std::size_t i, Bytes& buf) { produce(i, buf); });

    std::error_code ec;
    std::filesystem::create_directories(dir, ec);
    if (ec) fail(ErrorCode::io_write, dir.string() + ": cannot create folder: " + ec.message());
    FolderLock lock(dir);
    // Incomplete from here on: the manifest goes first (durably, before any image changes) and comes back last.
    const std::filesystem::path manifest =
        options.manifest_name.empty() ? std::filesystem::path() : dir / options.manifest_name;
    if (!manifest.empty() && std::filesystem::remove(manifest, ec)) sync_directory(dir);
    if (ec) fail(ErrorCode::io_write, manifest.string() + ": cannot remove the old manifest: " + ec.message());
    // Temporary files of an earlier run that was killed (-9, power cut); no writer of ours is running.
    remove_stale_temp_files(dir, [&](std::string_view name) { return is_image_or(name, options.manifest_name); });

    ImageBatchResult result;
    result.paths.reserve(n);
    for (const auto& name : names)
        result.paths.push_back(dir / name);
    // One flag per image, each written by the one thread that handles that image.
    std::vector<char> written(n, 0);
    try {
        parallel_for(n, threads, options.stop, [&](std::size_t i, Bytes& buf) {
            produce(i, buf);
            // No per-file fsync: everything is synced once below, which is what makes bulk output fast.
            write_file_atomic(result.paths[i], buf, WriteOptions{Durability::none, false});
            written[i] = 1;
        });
        sync_outputs(dir);
        if (options.stop && options.stop->load()) fail(ErrorKind::interrupted, "interrupted");
        if (!manifest.empty()) {
            write_file_atomic(manifest, options.manifest ? options.manifest() : std::string());
            sync_directory(dir);
        }
    } catch (...) {
        for (std::size_t i = 0; i < n; ++i)
            if (written[i]) std::filesystem::remove(result.paths[i], ec);
        throw;
    }
    return result;
}

} // namespace vesper::nvs
