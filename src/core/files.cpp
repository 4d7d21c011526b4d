#include "vesper/core/files.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fstream>

#include "vesper/core/error.hpp"

namespace vesper {

namespace {

[[noreturn]] void io_fail(const fs::path& path, const std::string& what, int err) {
    fail(ErrorKind::io, path.string() + ": " + what + ": " + std::strerror(err));
}

void write_all(int fd, const std::uint8_t* data, std::size_t size, const fs::path& path) {
    while (size > 0) {
        ssize_t n = ::write(fd, data, size);
        if (n < 0) {
            if (errno == EINTR) continue;
            io_fail(path, "cannot write", errno);
        }
        data += n;
        size -= static_cast<std::size_t>(n);
    }
}

} // namespace

void write_file_atomic(const fs::path& path, ByteView data, Durability durability) {
    fs::path dir = path.parent_path();
    if (dir.empty()) dir = ".";
    std::string tmpl = (dir / ("." + path.filename().string() + ".tmp.XXXXXX")).string();
    int fd = ::mkstemp(tmpl.data());
    if (fd < 0) io_fail(path, "cannot create a temporary file in " + dir.string(), errno);
    try {
        write_all(fd, data.data(), data.size(), path);
        // mkstemp creates 0600; outputs are ordinary files.
        if (::fchmod(fd, 0644) != 0) io_fail(path, "cannot set permissions", errno);
        if (durability == Durability::fsync && ::fsync(fd) != 0) io_fail(path, "cannot sync", errno);
        if (::close(fd) != 0) {
            fd = -1;
            io_fail(path, "cannot close", errno);
        }
        fd = -1;
        if (::rename(tmpl.c_str(), path.c_str()) != 0) io_fail(path, "cannot rename temporary file into place", errno);
    } catch (...) {
        if (fd >= 0) ::close(fd);
        ::unlink(tmpl.c_str());
        throw;
    }
}

void write_file_atomic(const fs::path& path, std::string_view text, Durability durability) {
    write_file_atomic(path, as_bytes(text), durability);
}

void sync_directory(const fs::path& dir) {
    int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY);
    if (fd < 0) io_fail(dir, "cannot open folder", errno);
    int rc = ::fsync(fd);
    int err = errno;
    ::close(fd);
    if (rc != 0) io_fail(dir, "cannot sync folder", err);
}

namespace {

std::ifstream open_for_reading(const fs::path& path) {
    std::error_code ec;
    if (!fs::exists(path, ec)) fail(ErrorKind::not_found, path.string() + ": no such file");
    if (fs::is_directory(path, ec)) fail(ErrorKind::input, path.string() + ": is a folder, not a file");
    std::ifstream in(path, std::ios::binary);
    if (!in) io_fail(path, "cannot open", errno);
    return in;
}

} // namespace

Bytes read_file(const fs::path& path) {
    std::ifstream in = open_for_reading(path);
    Bytes data((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    if (in.bad()) io_fail(path, "cannot read", errno);
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
    if (in.bad()) io_fail(path, "cannot read", errno);
    return data;
}

std::string read_text_file(const fs::path& path) {
    Bytes b = read_file(path);
    return std::string(b.begin(), b.end());
}

} // namespace vesper
