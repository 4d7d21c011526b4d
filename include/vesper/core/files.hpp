#pragma once
// File helpers. Every output file is written atomically (temp file in the same folder, then rename),
// so a failed run never leaves a partial file where the user asked for one.
#include <filesystem>
#include <string>
#include <string_view>

#include "vesper/core/bytes.hpp"

namespace vesper {

namespace fs = std::filesystem;

enum class Durability {
    fsync, // flush the file to disk before the rename (default: a power cut keeps old or new)
    none,  // rename only; for bulk outputs where the caller syncs the folder once at the end
};

// Writes `data` to `path` atomically. Throws Error(io) naming the path on failure.
void write_file_atomic(const fs::path& path, ByteView data, Durability durability = Durability::fsync);
void write_file_atomic(const fs::path& path, std::string_view text, Durability durability = Durability::fsync);

// fsync a folder so renames inside it survive a power cut.
void sync_directory(const fs::path& dir);

// Reads a whole file. Throws Error(not_found) if missing, Error(io) if unreadable; both name the path.
Bytes read_file(const fs::path& path);
std::string read_text_file(const fs::path& path);
// Reads at most `max_bytes` of a file, so that a huge file, a device or a FIFO cannot take all memory:
// a caller that wants to refuse files over a limit asks for one byte more than the limit.
Bytes read_file_head(const fs::path& path, std::size_t max_bytes);

} // namespace vesper
