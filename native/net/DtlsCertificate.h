// The instance's DTLS identity (RFC 5763): a certificate and its private key. DTLS-SRTP needs no
// certificate authority: each side announces its certificate's fingerprint in SDP (RFC 8122) and
// checks the peer's against it, so a self-signed certificate is what endpoints use.
#pragma once
#include <openssl/types.h>

#include <memory>
#include <string>

namespace callmedia {

class DtlsCertificate {
 public:
  // A self-signed ECDSA P-256 certificate: random serial, CN "callmedia", valid from one day ago
  // (clock skew) until 30 days from now, as WebRTC endpoints make them.
  static std::shared_ptr<DtlsCertificate> Generate(std::string* error);
  // From PEM text (the instance's own certificate, as a hosting platform provides it). The key
  // must match the certificate; an encrypted key is refused rather than prompted for.
  static std::shared_ptr<DtlsCertificate> FromPem(const std::string& certificatePem, const std::string& privateKeyPem,
                                                  std::string* error);
  ~DtlsCertificate();
  DtlsCertificate(const DtlsCertificate&) = delete;
  DtlsCertificate& operator=(const DtlsCertificate&) = delete;

  // "sha-256" fingerprint of the DER certificate as SDP writes it (RFC 8122): uppercase hex pairs
  // joined by ':'.
  const std::string& fingerprint() const { return fingerprint_; }
  X509* certificate() const { return certificate_; }
  EVP_PKEY* privateKey() const { return privateKey_; }

 private:
  DtlsCertificate(X509* certificate, EVP_PKEY* privateKey, std::string fingerprint);

  X509* certificate_;
  EVP_PKEY* privateKey_;
  std::string fingerprint_;
};

// Everything on the thread's OpenSSL error queue as one line, and the queue emptied, so the next
// caller on this thread starts clean.
std::string TakeOpenSslErrors();

// Compares two fingerprints as RFC 8122 says (hex case-insensitive).
bool SameFingerprint(const std::string& a, const std::string& b);

}  // namespace callmedia
