#pragma once
// The server's TLS identity: a self-signed certificate made at start (EC P-256, SAN IP:127.0.0.1 and
// DNS:localhost, valid for a day) or one read from PEM files, and the client CA store for mTLS.
#include <openssl/evp.h>
#include <openssl/x509.h>

#include <memory>
#include <string>

namespace vesper::backend {

struct X509Free {
    void operator()(X509* x) const { X509_free(x); }
};
struct PkeyFree {
    void operator()(EVP_PKEY* k) const { EVP_PKEY_free(k); }
};
struct StoreFree {
    void operator()(X509_STORE* s) const { X509_STORE_free(s); }
};
using X509Ptr = std::unique_ptr<X509, X509Free>;
using PkeyPtr = std::unique_ptr<EVP_PKEY, PkeyFree>;
using StorePtr = std::unique_ptr<X509_STORE, StoreFree>;

struct TlsIdentity {
    X509Ptr cert;
    PkeyPtr key;
};

// A new key and a self-signed certificate for it, valid from a minute ago for `valid_s` seconds.
// Throws Error(internal) when OpenSSL fails.
TlsIdentity make_self_signed(long valid_s = 24 * 3600);
// Reads a PEM certificate and its private key; checks that they belong together. Throws Error(io)
// naming the file that cannot be read or parsed, Error(input) when the key does not match.
TlsIdentity load_identity(const std::string& cert_file, const std::string& key_file);
// The certificate as PEM text (public: written to --cert-out for clients to trust).
std::string certificate_pem(X509* cert);
// "sha256//BASE64": the SHA-256 of the certificate's SubjectPublicKeyInfo, as curl's
// CURLOPT_PINNEDPUBLICKEY takes it.
std::string spki_pin(X509* cert);
// The CA certificates of a PEM file as a store that client certificates are verified against.
StorePtr load_ca_store(const std::string& ca_file);

} // namespace vesper::backend
