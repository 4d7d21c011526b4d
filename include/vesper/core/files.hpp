#pragma once
// File helpers. Every output file goes through write_file_atomic (or write_output, which adds `-` for
// stdout): a regular file is written to a temporary file beside it and renamed into place, so a failed
// or interrupted run never leaves a partial file where the user asked for one; what is not a regular
// file (a device such as /dev/null, a FIFO) is written directly, as a shell's `>` would.
#include <filesystem>
#include <functional>
#include <string>
#include <string_view>

#include "vesper/core/bytes.hpp"

namespace vesper {

namespace fs = std::filesystem;

enum class Durability {
    fsync, // flush the file to disk before the rename (default: a power cut keeps old or new)
    none,  // rename only; for bulk outputs where the caller syncs the folder once at the end
};

struct WriteOptions {
    Durability durability = Durability::fsync;
    // First remove temporary files of this name that a killed writer left (see remove_stale_temp_files).
    // A bulk writer turns this off and sweeps its folder once instead.
    bool sweep_stale = true;
};

// Writes `data` as the file `path`:
// - a symlink is followed to its final target, which is written as below (the link stays a link);
// - a regular file, or a name that does not exist yet: written to `.NAME.tmp.XXXXXX` beside it, then
//   renamed over it. An existing file keeps its permission bits (and, for root, its owner); a new one
//   gets 0644. The temporary file is removed on any error and on SIGINT/SIGTERM (core/interrupt);
// - an existing device, FIFO or socket: opened and written directly (nothing is replaced);
// - a folder: an input error.
// Throws Error(io) naming the path on failure.
void write_file_atomic(const fs::path& path, ByteView data, const WriteOptions& options = {});
void write_file_atomic(const fs::path& path, ByteView data, Durability durability);
void write_file_atomic(const fs::path& path, std::string_view text, Durability durability = Durability::fsync);

// `-` names stdout wherever a command takes an output file.
bool is_stdout(std::string_view output);
// Writes a command's output: `-` to stdout directly (after flushing what std::cout holds), anything
// else with write_file_atomic.
void write_output(const std::string& output, ByteView data);
void write_output(const std::string& output, std::string_view text);

// Removes, in `dir`, the temporary files `.NAME.tmp.XXXXXX` of write_file_atomic for every NAME that
// `owns` accepts and whose writer is gone: a writer holds a lock on its temporary file until it is
// renamed, and the lock dies with the process (kill -9 included), so a file of a running writer is
// never touched. Returns how many were removed; a missing folder has none.
std::size_t remove_stale_temp_files(const fs::path& dir, const std::function<bool(std::string_view name)>& owns);

// fsync a folder so renames inside it survive a power cut.
void sync_directory(const fs::path& dir);

// Reads a whole file. Throws Error(not_found) if missing, Error(io) if unreadable; both name the path.
Bytes read_file(const fs::path& path);
std::string read_text_file(const fs::path& path);
// Reads at most `max_bytes` of a file, so that a huge file, a device or a FIFO cannot take all memory:
// a caller that wants to refuse files over a limit asks for one byte more than the limit.
Bytes read_file_head(const fs::path& path, std::size_t max_bytes);

} // namespace vesper
