#include "vesper/core/checksum.hpp"

#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>
#include <zlib.h>

#include "vesper/core/error.hpp"

namespace vesper {

std::uint32_t crc32(std::uint32_t start, ByteView data) {
    uLong crc = start;
    const std::uint8_t* p = data.data();
    std::size_t left = data.size();
    while (left > 0) {
        uInt chunk = left > (1u << 30) ? (1u << 30) : static_cast<uInt>(left);
        crc = ::crc32(crc, p, chunk);
        p += chunk;
        left -= chunk;
    }
    return static_cast<std::uint32_t>(crc);
}

namespace {
template <std::size_t N>
std::array<std::uint8_t, N> digest(const EVP_MD* md, ByteView data) {
    std::array<std::uint8_t, N> out{};
    unsigned int len = 0;
    if (EVP_Digest(data.data(), data.size(), out.data(), &len, md, nullptr) != 1 || len != N)
        fail(ErrorKind::internal, "OpenSSL digest failed");
    return out;
}
} // namespace

std::array<std::uint8_t, 16> md5(ByteView data) { return digest<16>(EVP_md5(), data); }
std::array<std::uint8_t, 32> sha256(ByteView data) { return digest<32>(EVP_sha256(), data); }

std::array<std::uint8_t, 32> hmac_sha256(ByteView key, ByteView message) {
    std::array<std::uint8_t, 32> out{};
    unsigned int len = 0;
    if (!HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()), message.data(), message.size(), out.data(),
              &len) ||
        len != out.size())
        fail(ErrorKind::internal, "OpenSSL HMAC-SHA256 failed");
    return out;
}

void random_bytes(std::uint8_t* out, std::size_t size) {
    if (RAND_bytes(out, static_cast<int>(size)) != 1) fail(ErrorKind::internal, "OpenSSL RAND_bytes failed");
}

} // namespace vesper
