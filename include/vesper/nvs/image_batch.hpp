#pragma once
// Writing many images into one folder quickly: each image is produced in memory and written
// atomically without a per-file fsync, on several threads, then the file system and folder are synced
// once (syncfs + folder fsync). Used by
// `vesperctl nvs batch` and by the benchmark (which also uses it for its file-writing floor).
//
// The folder is the batch's while it runs: it is locked against a second batch writer, temporary files
// that a killed earlier run left are removed first, and an optional manifest is removed first and
// written last (atomically, synced), so a folder without it is incomplete.
#include <atomic>
#include <cstddef>
#include <filesystem>
#include <functional>
#include <string>
#include <vector>

#include "vesper/core/bytes.hpp"

namespace vesper::nvs {

// Fills `out` with image number `index`. Called from several threads at once, each with its own
// buffer, so it must not touch shared mutable state.
using ImageProducer = std::function<void(std::size_t index, Bytes& out)>;

struct ImageBatchOptions {
    unsigned threads = 0;    // 0: one per hardware thread
    bool check_first = true; // produce every image once before writing any, so bad data writes nothing
    // Polled between images: when it becomes true the run stops as if an image had failed, with
    // Error(interrupted) (everything it wrote is removed).
    const std::atomic<bool>* stop = nullptr;
    // File name of the manifest (empty: none) and its text, asked for after every image is written.
    std::string manifest_name{};
    std::function<std::string()> manifest{};
};

struct ImageBatchResult {
    std::vector<std::filesystem::path> paths; // in index order
};

// Writes `names.size()` images to `dir` (created if missing) as dir/names[i], then the manifest. If
// anything fails or `stop` is set, the first error is rethrown and every file this run wrote is removed
// (a half-written folder is worse than none). With check_first, a producer error surfaces before any
// file is touched. Error(conflict) when another process is writing a batch into `dir`.
ImageBatchResult write_image_batch(const std::filesystem::path& dir, const std::vector<std::string>& names,
                                   const ImageProducer& produce, const ImageBatchOptions& options = {});

} // namespace vesper::nvs
