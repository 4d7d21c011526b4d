#include "devsim/inflater.hpp"

#include <zlib.h>

#include <cstring>

#include "vesper/core/error.hpp"

namespace vesper::devsim {

struct Inflater::State {
    z_stream z{};
    bool open = false;
};

Inflater::Inflater() : s_(std::make_unique<State>()) { reset(); }

Inflater::~Inflater() {
    if (s_->open) inflateEnd(&s_->z);
}

void Inflater::reset() {
    if (s_->open) inflateEnd(&s_->z);
    std::memset(&s_->z, 0, sizeof s_->z);
    if (inflateInit(&s_->z) != Z_OK) fail(ErrorKind::internal, "zlib inflateInit failed");
    s_->open = true;
    finished_ = false;
    message_.clear();
}

Inflater::Status Inflater::feed(ByteView chunk, Bytes& out) {
    if (finished_) return chunk.empty() ? Status::finished : Status::data_error;
    z_stream& z = s_->z;
    z.next_in = const_cast<Bytef*>(chunk.data());
    z.avail_in = static_cast<uInt>(chunk.size());
    std::uint8_t buf[16384];
    for (;;) {
        z.next_out = buf;
        z.avail_out = sizeof buf;
        const int rc = inflate(&z, Z_NO_FLUSH);
        out.insert(out.end(), buf, buf + (sizeof buf - z.avail_out));
        if (rc == Z_STREAM_END) {
            finished_ = true;
            return z.avail_in == 0 ? Status::finished : Status::data_error; // trailing junk after the stream
        }
        if (rc == Z_DATA_ERROR) {
            message_ = z.msg ? z.msg : "invalid compressed data";
            return message_.find("check") != std::string::npos ? Status::adler_error : Status::data_error;
        }
        if (rc == Z_BUF_ERROR || (rc == Z_OK && z.avail_in == 0 && z.avail_out != 0)) return Status::more;
        if (rc != Z_OK) {
            message_ = z.msg ? z.msg : "inflate failed";
            return Status::data_error;
        }
    }
}

} // namespace vesper::devsim
