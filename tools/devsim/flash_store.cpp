#include "devsim/flash_store.hpp"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <utility>

#include "vesper/core/error.hpp"

namespace vesper::devsim {

namespace {

std::string sys_error(const std::string& what, const std::filesystem::path& path) {
    return what + " '" + path.string() + "': " + std::strerror(errno);
}

void check_size(std::uint32_t size) {
    if (size == 0 || size % kSectorSize != 0)
        fail(ErrorCode::flash_out_of_range,
             "flash size " + std::to_string(size) + " is not a positive multiple of 4 KiB");
}

} // namespace

FlashStore FlashStore::in_memory(std::uint32_t size) {
    check_size(size);
    FlashStore f;
    f.memory_ = std::make_unique<std::uint8_t[]>(size);
    f.data_ = f.memory_.get();
    f.size_ = size;
    std::memset(f.data_, 0xFF, size);
    return f;
}

FlashStore FlashStore::open_file(const std::filesystem::path& path, std::uint32_t size) {
    check_size(size);
    const int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    if (fd < 0) fail(ErrorCode::io_write, sys_error("cannot open flash file", path));
    struct stat st {};
    if (::fstat(fd, &st) != 0) {
        ::close(fd);
        fail(ErrorCode::io_read, sys_error("cannot stat flash file", path));
    }
    const bool fresh = st.st_size == 0;
    if (!fresh && static_cast<std::uint64_t>(st.st_size) != size) {
        ::close(fd);
        fail(ErrorCode::input_invalid, "flash file '" + path.string() + "' has " + std::to_string(st.st_size) +
                                           " bytes but --flash-size asks for " + std::to_string(size) +
                                           "; use a matching size or another file");
    }
    if (fresh && ::ftruncate(fd, size) != 0) {
        ::close(fd);
        fail(ErrorCode::io_write, sys_error("cannot size flash file", path));
    }
    void* p = ::mmap(nullptr, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    ::close(fd); // the mapping keeps the file open
    if (p == MAP_FAILED) fail(ErrorCode::io_write, sys_error("cannot map flash file", path));
    FlashStore f;
    f.data_ = static_cast<std::uint8_t*>(p);
    f.size_ = size;
    f.mapped_ = true;
    f.path_ = path;
    if (fresh) std::memset(f.data_, 0xFF, size); // a new chip comes erased
    return f;
}

FlashStore::FlashStore(FlashStore&& o) noexcept { *this = std::move(o); }

FlashStore& FlashStore::operator=(FlashStore&& o) noexcept {
    if (this == &o) return *this;
    if (mapped_ && data_) ::munmap(data_, size_);
    data_ = std::exchange(o.data_, nullptr);
    size_ = std::exchange(o.size_, 0);
    memory_ = std::move(o.memory_);
    mapped_ = std::exchange(o.mapped_, false);
    path_ = std::move(o.path_);
    return *this;
}

FlashStore::~FlashStore() {
    if (mapped_ && data_) {
        ::msync(data_, size_, MS_SYNC);
        ::munmap(data_, size_);
    }
}

void FlashStore::check_range(std::uint32_t offset, std::uint64_t length, const char* what) const {
    if (offset > size_ || length > size_ - offset)
        fail(ErrorKind::internal, std::string("flash ") + what + " of " + std::to_string(length) + " bytes at " +
                                      std::to_string(offset) + " runs past the " + std::to_string(size_) +
                                      "-byte flash");
}

void FlashStore::erase(std::uint32_t offset, std::uint32_t length) {
    check_range(offset, length, "erase");
    std::memset(data_ + offset, 0xFF, length);
}

bool FlashStore::program(std::uint32_t offset, ByteView data) {
    check_range(offset, data.size(), "program");
    bool exact = true;
    std::uint8_t* cell = data_ + offset;
    for (std::size_t i = 0; i < data.size(); ++i) {
        cell[i] &= data[i];
        exact = exact && cell[i] == data[i];
    }
    return exact;
}

ByteView FlashStore::read(std::uint32_t offset, std::uint32_t length) const {
    check_range(offset, length, "read");
    return {data_ + offset, length};
}

void FlashStore::sync() {
    if (mapped_ && data_) ::msync(data_, size_, MS_SYNC);
}

} // namespace vesper::devsim
