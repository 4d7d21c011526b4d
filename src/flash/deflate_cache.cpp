#include "vesper/flash/deflate_cache.hpp"

#include <zlib.h>

#include <optional>

#include "vesper/core/checksum.hpp"
#include "vesper/core/error.hpp"

namespace vesper::esp {

Bytes deflate_zlib(ByteView data, int level) {
    uLongf bound = compressBound(static_cast<uLong>(data.size()));
    Bytes out(bound);
    const int rc = compress2(out.data(), &bound, data.data(), static_cast<uLong>(data.size()), level);
    if (rc != Z_OK)
        fail(ErrorKind::internal,
             "zlib compress2 of " + std::to_string(data.size()) + " bytes failed with code " + std::to_string(rc));
    out.resize(bound);
    return out;
}

ByteView DeflatedImage::block(std::size_t i) const {
    const std::size_t start = i * block_size;
    const std::size_t n = std::min<std::size_t>(block_size, stream.size() - start);
    return ByteView(stream.data() + start, n);
}

namespace {

// How many bytes each block of the stream inflates to, by feeding the blocks to zlib one at a time
// (the ROM sees them the same way, one packet at a time).
std::vector<std::uint32_t> expansion_per_block(const Bytes& stream, std::uint32_t block_size, std::uint64_t total) {
    std::vector<std::uint32_t> out;
    z_stream z{};
    if (inflateInit(&z) != Z_OK) fail(ErrorKind::internal, "zlib inflateInit failed");
    Bytes sink(64 * 1024);
    std::uint64_t produced = 0;
    for (std::size_t start = 0; start < stream.size(); start += block_size) {
        const std::size_t n = std::min<std::size_t>(block_size, stream.size() - start);
        z.next_in = const_cast<Bytef*>(stream.data() + start);
        z.avail_in = static_cast<uInt>(n);
        std::uint64_t this_block = 0;
        int rc = Z_OK;
        do {
            z.next_out = sink.data();
            z.avail_out = static_cast<uInt>(sink.size());
            rc = inflate(&z, Z_NO_FLUSH);
            if (rc != Z_OK && rc != Z_STREAM_END && rc != Z_BUF_ERROR) {
                inflateEnd(&z);
                fail(ErrorKind::internal,
                     "re-inflating our own deflate stream failed (zlib code " + std::to_string(rc) + ")");
            }
            this_block += sink.size() - z.avail_out;
        } while (z.avail_out == 0 && rc != Z_STREAM_END);
        produced += this_block;
        out.push_back(static_cast<std::uint32_t>(this_block));
    }
    inflateEnd(&z);
    if (produced != total)
        fail(ErrorKind::internal,
             "deflate stream inflates to " + std::to_string(produced) + " bytes, not " + std::to_string(total));
    return out;
}

} // namespace

DeflatedImage make_deflated_image(ByteView data, std::uint32_t block_size, int level) {
    if (block_size == 0) fail(ErrorKind::internal, "deflate block size must not be 0");
    DeflatedImage img;
    img.sha256 = sha256(data);
    img.uncompressed_size = data.size();
    img.block_size = block_size;
    img.stream = deflate_zlib(data, level);
    img.block_expands_to = expansion_per_block(img.stream, block_size, data.size());
    return img;
}

std::shared_ptr<const DeflatedImage> DeflateCache::get(ByteView data, std::uint32_t block_size, int level) {
    using Ptr = std::shared_ptr<const DeflatedImage>;
    const Key key{sha256(data), block_size, level};
    std::shared_future<Ptr> future;
    std::optional<std::promise<Ptr>> promise; // set when this call computes the entry
    {
        std::lock_guard lock(mutex_);
        if (auto it = entries_.find(key); it != entries_.end()) {
            future = it->second;
        } else {
            promise.emplace();
            future = promise->get_future().share();
            entries_.emplace(key, future);
            ++compressions_;
        }
    }
    // Compress outside the lock, so other images can be looked up (and compressed) meanwhile.
    if (promise) {
        try {
            promise->set_value(std::make_shared<const DeflatedImage>(make_deflated_image(data, block_size, level)));
        } catch (...) {
            {
                std::lock_guard lock(mutex_);
                entries_.erase(key); // a later call may try again
            }
            promise->set_exception(std::current_exception());
        }
    }
    return future.get();
}

std::size_t DeflateCache::size() const {
    std::lock_guard lock(mutex_);
    return entries_.size();
}

std::uint64_t DeflateCache::compressions() const {
    std::lock_guard lock(mutex_);
    return compressions_;
}

void DeflateCache::clear() {
    std::lock_guard lock(mutex_);
    entries_.clear();
}

} // namespace vesper::esp
