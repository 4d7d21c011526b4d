#include "vesper/core/files.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <iostream>

#include "vesper/core/error.hpp"
#include "vesper/core/interrupt.hpp"

namespace vesper {

namespace {

// `code`: io.read or io.write, by what was being done with the file.
[[noreturn]] void io_fail(ErrorCode code, const fs::path& path, const std::string& what, int err) {
    fail(code, path.string() + ": " + what + ": " + std::strerror(err));
}

void write_all(int fd, const std::uint8_t* data, std::size_t size, const fs::path& path) {
    while (size > 0) {
        ssize_t n = ::write(fd, data, size);
        if (n < 0) {
            if (errno == EINTR) continue;
            io_fail(ErrorCode::io_write, path, "cannot write", errno);
        }
        data += n;
        size -= static_cast<std::size_t>(n);
    }
}

// Where a write really goes: symlinks followed to the final target.
struct Target {
    fs::path path;
    bool exists = false;
    bool regular = true; // false: a device, FIFO or socket, written directly
    bool block_device = false;
    mode_t mode = 0644; // new files: 0644, as before
    uid_t uid = 0;
    gid_t gid = 0;
};

Target resolve_target(const fs::path& path) {
    fs::path p = path;
    for (int hops = 0;; ++hops) {
        struct stat st {};
        if (::lstat(p.c_str(), &st) != 0) {
            if (errno == ENOENT) {
                Target t; // a new file
                t.path = p;
                return t;
            }
            io_fail(ErrorCode::io_write, path, "cannot look at " + p.string(), errno);
        }
        if (S_ISLNK(st.st_mode)) {
            if (hops >= 40) io_fail(ErrorCode::io_write, path, "cannot follow the link", ELOOP);
            std::error_code ec;
            const fs::path link = fs::read_symlink(p, ec);
            if (ec)
                fail(ErrorCode::io_write, path.string() + ": cannot read the link " + p.string() + ": " + ec.message());
            p = link.is_absolute() ? link : p.parent_path() / link;
            continue;
        }
        if (S_ISDIR(st.st_mode)) fail(ErrorCode::file_is_folder, path.string() + ": is a folder, not a file");
        Target t;
        t.path = p;
        t.exists = true;
        t.regular = S_ISREG(st.st_mode);
        t.block_device = S_ISBLK(st.st_mode);
        t.mode = st.st_mode & 0777;
        t.uid = st.st_uid;
        t.gid = st.st_gid;
        return t;
    }
}

std::string temp_name_for(const std::string& name) { return "." + name + ".tmp.XXXXXX"; }

// ".NAME.tmp.XXXXXX" -> NAME, or empty when `file` is not such a name.
std::string_view temp_owner_name(std::string_view file) {
    constexpr std::string_view kInfix = ".tmp.";
    constexpr std::size_t kSuffix = kInfix.size() + 6;
    if (file.size() < 2 + kSuffix || file[0] != '.') return {};
    if (file.substr(file.size() - kSuffix, kInfix.size()) != kInfix) return {};
    for (char c : file.substr(file.size() - 6))
        if (!std::isalnum(static_cast<unsigned char>(c))) return {};
    return file.substr(1, file.size() - 1 - kSuffix);
}

// Temp file beside the target, renamed over it. The rename happens while the file is still open and
// locked, so a sweep by another process never takes a finished temporary file for a dead one.
void replace_regular(const fs::path& path, const Target& t, ByteView data, const WriteOptions& options) {
    fs::path dir = t.path.parent_path();
    if (dir.empty()) dir = ".";
    const std::string name = t.path.filename().string();
    if (options.sweep_stale) remove_stale_temp_files(dir, [&](std::string_view n) { return n == name; });
    interrupt::TempSlot temp;
    int fd = temp.create((dir / temp_name_for(name)).string());
    if (fd < 0) io_fail(ErrorCode::io_write, path, "cannot create a temporary file in " + dir.string(), errno);
    try {
        ::flock(fd, LOCK_EX | LOCK_NB); // a fresh file: nobody else holds it
        write_all(fd, data.data(), data.size(), path);
        // mkstemp creates 0600: a new output is an ordinary 0644 file, a replaced one keeps its mode.
        if (::fchmod(fd, t.mode) != 0) io_fail(ErrorCode::io_write, path, "cannot set permissions", errno);
        if (t.exists && ::geteuid() == 0 && ::fchown(fd, t.uid, t.gid) != 0)
            io_fail(ErrorCode::io_write, path, "cannot set owner", errno);
        if (options.durability == Durability::fsync && ::fsync(fd) != 0)
            io_fail(ErrorCode::io_write, path, "cannot sync", errno);
        if (::rename(temp.path(), t.path.c_str()) != 0)
            io_fail(ErrorCode::io_write, path, "cannot rename temporary file into place", errno);
        temp.release();
        const int rc = ::close(fd);
        fd = -1;
        if (rc != 0) io_fail(ErrorCode::io_write, path, "cannot close", errno);
    } catch (...) {
        if (fd >= 0) ::close(fd);
        ::unlink(temp.path()); // "" once released: nothing
        throw;
    }
}

// Devices and FIFOs: what a shell's `>` does, without truncating (there is nothing to truncate).
void write_direct(const fs::path& path, const Target& t, ByteView data, const WriteOptions& options) {
    const int fd = ::open(t.path.c_str(), O_WRONLY | O_CLOEXEC | O_NOCTTY);
    if (fd < 0) io_fail(ErrorCode::io_write, path, "cannot open", errno);
    try {
        write_all(fd, data.data(), data.size(), path);
        if (t.block_device && options.durability == Durability::fsync && ::fsync(fd) != 0)
            io_fail(ErrorCode::io_write, path, "cannot sync", errno);
    } catch (...) {
        ::close(fd);
        throw;
    }
    if (::close(fd) != 0) io_fail(ErrorCode::io_write, path, "cannot close", errno);
}

} // namespace

void write_file_atomic(const fs::path& path, ByteView data, const WriteOptions& options) {
    const Target t = resolve_target(path);
    if (t.regular)
        replace_regular(path, t, data, options);
    else
        write_direct(path, t, data, options);
}

void write_file_atomic(const fs::path& path, ByteView data, Durability durability) {
    write_file_atomic(path, data, WriteOptions{durability});
}

void write_file_atomic(const fs::path& path, std::string_view text, Durability durability) {
    write_file_atomic(path, as_bytes(text), WriteOptions{durability});
}

bool is_stdout(std::string_view output) { return output == "-"; }

void write_output(const std::string& output, ByteView data) {
    if (!is_stdout(output)) {
        write_file_atomic(output, data);
        return;
    }
    std::cout.flush();
    std::fflush(stdout);
    write_all(STDOUT_FILENO, data.data(), data.size(), "stdout");
}

void write_output(const std::string& output, std::string_view text) { write_output(output, as_bytes(text)); }

std::size_t remove_stale_temp_files(const fs::path& dir, const std::function<bool(std::string_view name)>& owns) {
    DIR* d = ::opendir(dir.c_str());
    if (!d) return 0;
    std::size_t removed = 0;
    const int dfd = ::dirfd(d);
    while (const dirent* e = ::readdir(d)) {
        const std::string_view file = e->d_name;
        const std::string_view owner = temp_owner_name(file);
        if (owner.empty() || !owns(owner)) continue;
        const int fd = ::openat(dfd, e->d_name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
        if (fd < 0) continue;
        struct stat st {};
        // Locked: its writer is alive. Only a regular file can be one of ours.
        if (::fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && ::flock(fd, LOCK_EX | LOCK_NB) == 0 &&
            ::unlinkat(dfd, e->d_name, 0) == 0)
            ++removed;
        ::close(fd);
    }
    ::closedir(d);
    return removed;
}

void sync_directory(const fs::path& dir) {
    int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY);
    if (fd < 0) io_fail(ErrorCode::io_write, dir, "cannot open folder", errno);
    int rc = ::fsync(fd);
    int err = errno;
    ::close(fd);
    if (rc != 0) io_fail(ErrorCode::io_write, dir, "cannot sync folder", err);
}

namespace {

std::ifstream open_for_reading(const fs::path& path) {
    std::error_code ec;
    if (!fs::exists(path, ec)) fail(ErrorCode::file_not_found, path.string() + ": no such file");
    if (fs::is_directory(path, ec)) fail(ErrorCode::file_is_folder, path.string() + ": is a folder, not a file");
    std::ifstream in(path, std::ios::binary);
    if (!in) io_fail(ErrorCode::io_read, path, "cannot open", errno);
    return in;
}

} // namespace

Bytes read_file(const fs::path& path) {
    std::ifstream in = open_for_reading(path);
    Bytes data((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    if (in.bad()) io_fail(ErrorCode::io_read, path, "cannot read", errno);
    return data;
}

Bytes read_file_head(const fs::path& path, std::size_t max_bytes) {
    std::ifstream in = open_for_reading(path);
    Bytes data;
    char buf[64 * 1024];
    while (data.size() < max_bytes && in) {
        in.read(buf, static_cast<std::streamsize>(std::min(sizeof buf, max_bytes - data.size())));
        data.insert(data.end(), buf, buf + in.gcount());
    }
    if (in.bad()) io_fail(ErrorCode::io_read, path, "cannot read", errno);
    return data;
}

std::string read_text_file(const fs::path& path) {
    Bytes b = read_file(path);
    return std::string(b.begin(), b.end());
}

} // namespace vesper
