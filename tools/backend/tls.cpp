#include "backend/tls.hpp"

#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>

#include <array>
#include <cstdio>

#include "vesper/core/bytes.hpp"
#include "vesper/core/checksum.hpp"
#include "vesper/core/error.hpp"

namespace vesper::backend {

namespace {

// OpenSSL's own reason for the last failure, for the message.
std::string openssl_reason() {
    const unsigned long e = ERR_get_error();
    if (e == 0) return "no OpenSSL error queued";
    std::array<char, 256> buf{};
    ERR_error_string_n(e, buf.data(), buf.size());
    ERR_clear_error();
    return buf.data();
}

void check(bool ok, const std::string& what) {
    if (!ok) throw Error(ErrorCode::internal, "TLS certificate: " + what + " failed: " + openssl_reason());
}

void add_extension(X509* cert, int nid, const char* value) {
    X509V3_CTX ctx;
    X509V3_set_ctx_nodb(&ctx);
    X509V3_set_ctx(&ctx, cert, cert, nullptr, nullptr, 0);
    X509_EXTENSION* ext = X509V3_EXT_conf_nid(nullptr, &ctx, nid, value);
    check(ext != nullptr, std::string("extension ") + OBJ_nid2sn(nid));
    const int added = X509_add_ext(cert, ext, -1);
    X509_EXTENSION_free(ext);
    check(added == 1, std::string("adding extension ") + OBJ_nid2sn(nid));
}

struct FileClose {
    void operator()(std::FILE* f) const { std::fclose(f); }
};

std::unique_ptr<std::FILE, FileClose> open_pem(const std::string& path, const std::string& what) {
    std::unique_ptr<std::FILE, FileClose> f(std::fopen(path.c_str(), "rb"));
    if (!f) throw Error(ErrorCode::io_read, what + " " + path + ": cannot be opened for reading");
    return f;
}

} // namespace

TlsIdentity make_self_signed(long valid_s) {
    TlsIdentity id;
    id.key.reset(EVP_EC_gen("P-256"));
    check(id.key != nullptr, "EC P-256 key generation");
    id.cert.reset(X509_new());
    X509* x = id.cert.get();
    check(x != nullptr, "X509_new");
    check(X509_set_version(x, 2) == 1, "setting version 3");
    // A random 127-bit serial (RFC 5280: positive, at most 20 bytes), so no two runs share one.
    std::array<std::uint8_t, 16> serial{};
    random_bytes(serial.data(), serial.size());
    serial[0] &= 0x7F;
    BIGNUM* bn = BN_bin2bn(serial.data(), static_cast<int>(serial.size()), nullptr);
    check(bn != nullptr && BN_to_ASN1_INTEGER(bn, X509_get_serialNumber(x)) != nullptr, "serial number");
    BN_free(bn);
    check(X509_gmtime_adj(X509_getm_notBefore(x), -60) != nullptr, "notBefore");
    check(X509_gmtime_adj(X509_getm_notAfter(x), valid_s) != nullptr, "notAfter");
    X509_NAME* name = X509_get_subject_name(x);
    check(X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC, reinterpret_cast<const unsigned char*>("vesper-backend"),
                                     -1, -1, 0) == 1,
          "subject");
    check(X509_set_issuer_name(x, name) == 1, "issuer");
    check(X509_set_pubkey(x, id.key.get()) == 1, "public key");
    add_extension(x, NID_basic_constraints, "critical,CA:FALSE");
    add_extension(x, NID_key_usage, "critical,digitalSignature");
    add_extension(x, NID_ext_key_usage, "serverAuth");
    add_extension(x, NID_subject_alt_name, "IP:127.0.0.1,DNS:localhost");
    add_extension(x, NID_subject_key_identifier, "hash");
    check(X509_sign(x, id.key.get(), EVP_sha256()) > 0, "signing");
    return id;
}

TlsIdentity load_identity(const std::string& cert_file, const std::string& key_file) {
    TlsIdentity id;
    {
        auto f = open_pem(cert_file, "certificate");
        id.cert.reset(PEM_read_X509(f.get(), nullptr, nullptr, nullptr));
        if (!id.cert)
            throw Error(ErrorCode::io_read,
                        "certificate " + cert_file + ": not a PEM certificate: " + openssl_reason());
    }
    {
        auto f = open_pem(key_file, "private key");
        id.key.reset(PEM_read_PrivateKey(f.get(), nullptr, nullptr, nullptr));
        if (!id.key)
            throw Error(ErrorCode::io_read,
                        "private key " + key_file + ": not an unencrypted PEM private key: " + openssl_reason());
    }
    if (X509_check_private_key(id.cert.get(), id.key.get()) != 1) {
        ERR_clear_error();
        throw Error(ErrorCode::input_invalid,
                    "private key " + key_file + " does not belong to certificate " + cert_file);
    }
    return id;
}

std::string certificate_pem(X509* cert) {
    BIO* bio = BIO_new(BIO_s_mem());
    check(bio != nullptr && PEM_write_bio_X509(bio, cert) == 1, "PEM encoding");
    char* data = nullptr;
    const long n = BIO_get_mem_data(bio, &data);
    std::string pem(data, static_cast<std::size_t>(n));
    BIO_free(bio);
    return pem;
}

std::string spki_pin(X509* cert) {
    unsigned char* der = nullptr;
    const int n = i2d_PUBKEY(X509_get0_pubkey(cert), &der);
    check(n > 0, "encoding the public key");
    const auto digest = sha256(ByteView(der, static_cast<std::size_t>(n)));
    OPENSSL_free(der);
    std::array<unsigned char, 48> b64{}; // 4 * ceil(32 / 3) + NUL
    const int len = EVP_EncodeBlock(b64.data(), digest.data(), static_cast<int>(digest.size()));
    return "sha256//" + std::string(reinterpret_cast<const char*>(b64.data()), static_cast<std::size_t>(len));
}

StorePtr load_ca_store(const std::string& ca_file) {
    StorePtr store(X509_STORE_new());
    check(store != nullptr, "X509_STORE_new");
    open_pem(ca_file, "client CA file"); // a clear message for a missing file before OpenSSL's own
    if (X509_STORE_load_file(store.get(), ca_file.c_str()) != 1)
        throw Error(ErrorCode::io_read,
                    "client CA file " + ca_file + ": no PEM certificate in it: " + openssl_reason());
    return store;
}

} // namespace vesper::backend
