#include "net/DtlsCertificate.h"

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/x509.h>

#include <cctype>
#include <cstdint>
#include <utility>

namespace callmedia {

namespace {

constexpr long kSecondsPerDay = 24 * 60 * 60;

bool Fail(std::string* error, const char* what) {
  *error = std::string(what) + ": " + TakeOpenSslErrors();
  return false;
}

bool Sha256Fingerprint(X509* certificate, std::string* out) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  if (X509_digest(certificate, EVP_sha256(), digest, &length) != 1) return false;
  static const char* kHex = "0123456789ABCDEF";
  out->clear();
  for (unsigned int i = 0; i < length; ++i) {
    if (i) *out += ':';
    *out += kHex[digest[i] >> 4];
    *out += kHex[digest[i] & 15];
  }
  return true;
}

// PEM_read_bio_PrivateKey would otherwise ask the terminal for the passphrase of an encrypted key.
int NoPassphrase(char*, int, int, void*) { return 0; }

// Self-signs a fresh certificate for `key`; null on failure with OpenSSL's errors left queued.
X509* SelfSigned(EVP_PKEY* key) {
  X509* x = X509_new();
  if (!x) return nullptr;
  // 63 random bits: a positive serial that fits the 8 octets RFC 5280 4.1.2.2 expects.
  uint64_t serial = 0;
  bool ok = RAND_bytes(reinterpret_cast<unsigned char*>(&serial), sizeof(serial)) == 1;
  serial = (serial >> 1) | 1;
  X509_NAME* name = X509_get_subject_name(x);
  ok = ok && X509_set_version(x, X509_VERSION_3) == 1 &&
       ASN1_INTEGER_set_uint64(X509_get_serialNumber(x), serial) == 1 &&
       X509_gmtime_adj(X509_getm_notBefore(x), -kSecondsPerDay) != nullptr &&
       X509_gmtime_adj(X509_getm_notAfter(x), 30 * kSecondsPerDay) != nullptr &&
       X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_UTF8, reinterpret_cast<const unsigned char*>("callmedia"), -1,
                                  -1, 0) == 1 &&
       X509_set_issuer_name(x, name) == 1 && X509_set_pubkey(x, key) == 1 && X509_sign(x, key, EVP_sha256()) > 0;
  if (!ok) {
    X509_free(x);
    return nullptr;
  }
  return x;
}

}  // namespace

// Everything on the thread's OpenSSL error queue as one line, and the queue emptied, so the
// next caller on this thread starts clean.
std::string TakeOpenSslErrors() {
  std::string text;
  while (unsigned long code = ERR_get_error()) {
    char buf[256];
    ERR_error_string_n(code, buf, sizeof(buf));
    if (!text.empty()) text += "; ";
    text += buf;
  }
  ERR_clear_error();
  return text.empty() ? "no OpenSSL error reported" : text;
}

DtlsCertificate::DtlsCertificate(X509* certificate, EVP_PKEY* privateKey, std::string fingerprint)
    : certificate_(certificate), privateKey_(privateKey), fingerprint_(std::move(fingerprint)) {}

DtlsCertificate::~DtlsCertificate() {
  X509_free(certificate_);
  EVP_PKEY_free(privateKey_);
}

std::shared_ptr<DtlsCertificate> DtlsCertificate::Generate(std::string* error) {
  ERR_clear_error();
  EVP_PKEY* key = EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-256");
  if (!key) {
    Fail(error, "P-256 key generation failed");
    return nullptr;
  }
  X509* certificate = SelfSigned(key);
  std::string fingerprint;
  if (!certificate || !Sha256Fingerprint(certificate, &fingerprint)) {
    Fail(error, "self-signed certificate failed");
    X509_free(certificate);
    EVP_PKEY_free(key);
    return nullptr;
  }
  return std::shared_ptr<DtlsCertificate>(new DtlsCertificate(certificate, key, std::move(fingerprint)));
}

std::shared_ptr<DtlsCertificate> DtlsCertificate::FromPem(const std::string& certificatePem,
                                                          const std::string& privateKeyPem, std::string* error) {
  ERR_clear_error();
  X509* certificate = nullptr;
  EVP_PKEY* key = nullptr;
  std::string fingerprint;
  bool ok = false;
  if (BIO* bio = BIO_new_mem_buf(certificatePem.data(), static_cast<int>(certificatePem.size()))) {
    certificate = PEM_read_bio_X509(bio, nullptr, NoPassphrase, nullptr);
    BIO_free(bio);
  }
  if (BIO* bio = BIO_new_mem_buf(privateKeyPem.data(), static_cast<int>(privateKeyPem.size()))) {
    key = PEM_read_bio_PrivateKey(bio, nullptr, NoPassphrase, nullptr);
    BIO_free(bio);
  }
  if (!certificate) {
    Fail(error, "no PEM certificate");
  } else if (!key) {
    Fail(error, "no PEM private key (or an encrypted one)");
  } else if (X509_check_private_key(certificate, key) != 1) {
    Fail(error, "the private key does not match the certificate");
  } else if (!Sha256Fingerprint(certificate, &fingerprint)) {
    Fail(error, "certificate digest failed");
  } else {
    ok = true;
  }
  if (!ok) {
    X509_free(certificate);
    EVP_PKEY_free(key);
    return nullptr;
  }
  ERR_clear_error();  // PEM reading may leave "no start line" entries behind on success paths
  return std::shared_ptr<DtlsCertificate>(new DtlsCertificate(certificate, key, std::move(fingerprint)));
}

bool SameFingerprint(const std::string& a, const std::string& b) {
  if (a.empty() || a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(a[i])) != std::tolower(static_cast<unsigned char>(b[i]))) return false;
  }
  return true;
}

}  // namespace callmedia
