#pragma once
// Writing many images into one folder quickly: each image is produced in memory and written
// atomically without a per-file fsync, on several threads, then the file system and folder are synced
// once (syncfs + folder fsync). Used by
// `vesperctl nvs batch` and by the benchmark (which also uses it for its file-writing floor).
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
};

struct ImageBatchResult {
    std::vector<std::filesystem::path> paths; // in index order
};

// Writes `names.size()` images to `dir` (created if missing) as dir/names[i]. If anything fails, the
// first error is rethrown and every file this run wrote is removed (a half-written folder is worse
// than none). With check_first, a producer error surfaces before any file is touched.
ImageBatchResult write_image_batch(const std::filesystem::path& dir, const std::vector<std::string>& names,
                                   const ImageProducer& produce, const ImageBatchOptions& options = {});

} // namespace vesper::nvs
