#include "net/DtlsSession.h"

#include <openssl/bio.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#ifdef _WIN32
#include <winsock2.h>  // struct timeval
#else
#include <sys/time.h>
#endif

#include <algorithm>
#include <cctype>
#include <climits>
#include <cstring>
#include <utility>
#include <vector>

namespace callmedia {

namespace {

constexpr size_t kMtu = 1200;  // DTLS bytes per UDP datagram: fits any path WebRTC meets
constexpr unsigned int kFirstTimeoutUs = 100 * 1000;
constexpr unsigned int kMaxTimeoutUs = 4 * 1000 * 1000;
constexpr size_t kRecordHeaderSize = 13;  // RFC 6347 4.1: type, version, epoch, sequence number, length
constexpr size_t kMaxRecordBody = 16384 + 2048;  // TLSCiphertext limit (RFC 5246 6.2.3)
constexpr char kExporterLabel[] = "EXTRACTOR-dtls_srtp";  // RFC 5764 4.2
// Server preference order: GCM first (RFC 7714), then the profile every WebRTC endpoint has.
constexpr char kSrtpProfiles[] = "SRTP_AEAD_AES_128_GCM:SRTP_AES128_CM_SHA1_80";
// ECDSA for our own certificate; the RSA suites for browsers that present RSA certificates.
constexpr char kCiphers[] =
    "ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-ECDSA-CHACHA20-POLY1305:"
    "ECDHE-RSA-AES128-GCM-SHA256:ECDHE-RSA-AES256-GCM-SHA384:ECDHE-RSA-CHACHA20-POLY1305";
constexpr char kGroups[] = "X25519:P-256";


// RFC 6347 4.2.4.1: start at 100 ms rather than OpenSSL's 1 s (a lost first flight would otherwise
// cost a second of call setup), double on each retransmission, stop growing at 4 s.
unsigned int RetransmissionTimeoutUs(SSL*, unsigned int previousUs) {
  if (previousUs == 0) return kFirstTimeoutUs;
  return std::min(previousUs * 2, kMaxTimeoutUs);
}

// The peer's certificate is self-signed and no authority vouches for it: what authenticates it is
// the fingerprint check after the handshake (RFC 5763 5), so every chain is accepted here.
int AcceptAnyChain(int, X509_STORE_CTX*) { return 1; }

const EVP_MD* FingerprintDigest(const std::string& algorithm) {
  std::string name(algorithm);
  for (char& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  if (name == "sha-256") return EVP_sha256();
  if (name == "sha-1") return EVP_sha1();
  if (name == "sha-224") return EVP_sha224();
  if (name == "sha-384") return EVP_sha384();
  if (name == "sha-512") return EVP_sha512();
  return nullptr;
}

bool Fingerprint(X509* certificate, const EVP_MD* md, std::string* out) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  if (X509_digest(certificate, md, digest, &length) != 1) return false;
  static const char* kHex = "0123456789ABCDEF";
  out->clear();
  for (unsigned int i = 0; i < length; ++i) {
    if (i) *out += ':';
    *out += kHex[digest[i] >> 4];
    *out += kHex[digest[i] & 15];
  }
  return true;
}

size_t RecordBodyLength(const uint8_t* header) { return (static_cast<size_t>(header[11]) << 8) | header[12]; }

// A datagram of whole DTLS 1.0/1.2 records of the four content types (RFC 6347 4.1). Anything else is
// refused before OpenSSL sees it: it would drop most of it silently, but an unknown content type in
// epoch 0 is fatal there, and one truncated record would cost it the valid records after it.
bool WellFormedRecords(const uint8_t* data, size_t size) {
  if (size == 0) return false;
  while (size > 0) {
    if (size < kRecordHeaderSize) return false;
    if (data[0] < 20 || data[0] > 23) return false;  // change_cipher_spec, alert, handshake, application_data
    if (data[1] != 0xFE || (data[2] != 0xFF && data[2] != 0xFD)) return false;  // DTLS 1.0 (ClientHello) or 1.2
    const size_t length = RecordBodyLength(data);
    if (length > kMaxRecordBody || length > size - kRecordHeaderSize) return false;
    data += kRecordHeaderSize + length;
    size -= kRecordHeaderSize + length;
  }
  return true;
}

void Wipe(std::vector<uint8_t>* bytes) {
  if (!bytes->empty()) OPENSSL_cleanse(bytes->data(), bytes->size());
  bytes->clear();
}

}  // namespace

DtlsSession::DtlsSession(std::shared_ptr<DtlsCertificate> certificate, Listener* listener)
    : certificate_(std::move(certificate)), listener_(listener) {}

DtlsSession::~DtlsSession() { Free(); }

void DtlsSession::Free() {
  Wipe(&localKeyAndSalt_);
  Wipe(&remoteKeyAndSalt_);
  X509_free(peerCertificate_);
  peerCertificate_ = nullptr;
  SSL_free(ssl_);  // frees both BIOs
  ssl_ = nullptr;
  readBio_ = writeBio_ = nullptr;
  SSL_CTX_free(ctx_);
  ctx_ = nullptr;
}

bool DtlsSession::Start(Role role, std::string* error) {
  if (state_ != State::kNew) {
    *error = "DTLS session already started";
    return false;
  }
  if (!certificate_) {
    *error = "DTLS session has no certificate";
    state_ = State::kFailed;
    return false;
  }
  role_ = role;
  ERR_clear_error();
  const char* step = nullptr;
  ctx_ = SSL_CTX_new(DTLS_method());
  if (!ctx_) {
    step = "SSL_CTX_new";
  } else if (SSL_CTX_set_min_proto_version(ctx_, DTLS1_2_VERSION) != 1) {
    step = "DTLS 1.2 minimum";
  } else if (SSL_CTX_use_certificate(ctx_, certificate_->certificate()) != 1 ||
             SSL_CTX_use_PrivateKey(ctx_, certificate_->privateKey()) != 1 || SSL_CTX_check_private_key(ctx_) != 1) {
    step = "certificate and key";
  } else if (SSL_CTX_set_cipher_list(ctx_, kCiphers) != 1) {
    step = "cipher list";
  } else if (SSL_CTX_set1_groups_list(ctx_, kGroups) != 1) {
    step = "ECDHE groups";
  } else if (SSL_CTX_set_tlsext_use_srtp(ctx_, kSrtpProfiles) != 0) {  // 0 is success here
    step = "use_srtp profiles";
  }
  if (!step) {
    SSL_CTX_set_verify(ctx_, SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT, AcceptAnyChain);
    // No path MTU query (a memory BIO has no socket), no tickets or renegotiation: the keys are
    // exported once, from this one handshake.
    SSL_CTX_set_options(ctx_, SSL_OP_NO_QUERY_MTU | SSL_OP_NO_TICKET | SSL_OP_NO_RENEGOTIATION);
    SSL_CTX_set_session_cache_mode(ctx_, SSL_SESS_CACHE_OFF);
    SSL_CTX_set_read_ahead(ctx_, 1);
    ssl_ = SSL_new(ctx_);
    readBio_ = BIO_new(BIO_s_mem());
    writeBio_ = BIO_new(BIO_s_mem());
    if (!ssl_ || !readBio_ || !writeBio_) {
      step = "SSL_new";
      BIO_free(readBio_);
      BIO_free(writeBio_);
      readBio_ = writeBio_ = nullptr;
    }
  }
  if (!step) {
    // An empty BIO means "nothing yet", not end of stream.
    BIO_set_mem_eof_return(readBio_, -1);
    BIO_set_mem_eof_return(writeBio_, -1);
    SSL_set_bio(ssl_, readBio_, writeBio_);
    if (role == Role::kClient) {
      SSL_set_connect_state(ssl_);
    } else {
      SSL_set_accept_state(ssl_);
    }
    DTLS_set_timer_cb(ssl_, RetransmissionTimeoutUs);
    if (SSL_set_mtu(ssl_, kMtu) <= 0) step = "MTU";  // returns the MTU it set
  }
  if (step) {
    *error = std::string("DTLS setup failed (") + step + "): " + TakeOpenSslErrors();
    Free();
    state_ = State::kFailed;
    return false;
  }

  state_ = State::kConnecting;
  if (role == Role::kClient) {
    const int result = SSL_do_handshake(ssl_);
    const int code = SSL_get_error(ssl_, result);
    if (code != SSL_ERROR_WANT_READ && code != SSL_ERROR_WANT_WRITE) {
      *error = "DTLS ClientHello failed: " + TakeOpenSslErrors();
      Free();
      state_ = State::kFailed;
      return false;
    }
    ERR_clear_error();
    Flush();
  }
  return true;
}

void DtlsSession::SetRemoteFingerprint(const std::string& algorithm, const std::string& value) {
  if (state_ == State::kFailed || state_ == State::kClosed) return;
  if (!FingerprintDigest(algorithm)) {
    Fail("DTLS_FAILED", "unsupported fingerprint hash function '" + algorithm + "'");
    return;
  }
  remoteAlgorithm_ = algorithm;
  remoteFingerprint_ = value;
  CheckFingerprint();
}

void DtlsSession::OnData(const uint8_t* data, size_t size) {
  if (state_ != State::kConnecting && state_ != State::kConnected) return;
  if (!WellFormedRecords(data, size) || size > INT_MAX) {
    ++recordsDropped_;
    return;
  }
  BIO_write(readBio_, data, static_cast<int>(size));
  if (handshakeDone_) {
    ReadApplicationData();
  } else {
    ERR_clear_error();
    AfterHandshakeStep(SSL_do_handshake(ssl_));
  }
  // Each datagram stands alone: whatever OpenSSL left unread must not run into the next one.
  if (readBio_ && BIO_ctrl_pending(readBio_) > 0) (void)BIO_reset(readBio_);
}

void DtlsSession::AfterHandshakeStep(int result) {
  if (result == 1) {
    Flush();  // the last flight goes out before anything is reported
    OnHandshakeDone();
    if (state_ == State::kConnecting || state_ == State::kConnected) ReadApplicationData();
    return;
  }
  const int code = SSL_get_error(ssl_, result);
  if (code == SSL_ERROR_WANT_READ || code == SSL_ERROR_WANT_WRITE) {
    ERR_clear_error();
    Flush();
    return;
  }
  if (code == SSL_ERROR_ZERO_RETURN) {
    ERR_clear_error();
    Flush();
    state_ = State::kClosed;
    listener_->OnDtlsClosed();
    return;
  }
  // A fatal alert either way, sent (it is in the write BIO) or received.
  const std::string reason = TakeOpenSslErrors();
  Fail("DTLS_FAILED", "DTLS handshake failed: " + reason);
}

void DtlsSession::ReadApplicationData() {
  if (readBuffer_.empty()) readBuffer_.resize(kMaxRecordBody);
  for (;;) {
    ERR_clear_error();
    const int n = SSL_read(ssl_, readBuffer_.data(), static_cast<int>(readBuffer_.size()));
    if (n > 0) continue;  // DTLS-SRTP carries no application data here
    const int code = SSL_get_error(ssl_, n);
    if (code == SSL_ERROR_WANT_READ || code == SSL_ERROR_WANT_WRITE) break;
    if (code == SSL_ERROR_ZERO_RETURN) {
      ERR_clear_error();
      SSL_shutdown(ssl_);  // answer close_notify with ours (RFC 5246 7.2.1)
      ERR_clear_error();
      Flush();
      state_ = State::kClosed;
      Wipe(&localKeyAndSalt_);
      Wipe(&remoteKeyAndSalt_);
      listener_->OnDtlsClosed();
      return;
    }
    const std::string reason = TakeOpenSslErrors();
    Fail("DTLS_FAILED", "DTLS association failed: " + reason);
    return;
  }
  ERR_clear_error();
  Flush();  // e.g. the last flight again, when the peer retransmitted its Finished
}

void DtlsSession::OnHandshakeDone() {
  handshakeDone_ = true;
  const SRTP_PROTECTION_PROFILE* selected = SSL_get_selected_srtp_profile(ssl_);
  if (!selected || !SrtpProfileFromName(selected->name, &profile_)) {
    Fail("DTLS_FAILED", "the peer negotiated no SRTP protection profile (use_srtp, RFC 5764 4.1.2)");
    return;
  }
  haveProfile_ = true;
  peerCertificate_ = SSL_get1_peer_certificate(ssl_);
  if (!peerCertificate_) {
    Fail("DTLS_FAILED", "the peer presented no certificate");
    return;
  }

  size_t keyLength, saltLength;
  SrtpKeyLengths(profile_, &keyLength, &saltLength);
  std::vector<uint8_t> material(2 * (keyLength + saltLength));
  if (SSL_export_keying_material(ssl_, material.data(), material.size(), kExporterLabel, sizeof(kExporterLabel) - 1,
                                 nullptr, 0, 0) != 1) {
    const std::string reason = TakeOpenSslErrors();
    Fail("DTLS_FAILED", "SRTP keying material export failed: " + reason);
    return;
  }
  // RFC 5764 4.2: client key, server key, client salt, server salt.
  const uint8_t* clientKey = material.data();
  const uint8_t* serverKey = clientKey + keyLength;
  const uint8_t* clientSalt = serverKey + keyLength;
  const uint8_t* serverSalt = clientSalt + saltLength;
  std::vector<uint8_t> client(clientKey, clientKey + keyLength);
  client.insert(client.end(), clientSalt, clientSalt + saltLength);
  std::vector<uint8_t> server(serverKey, serverKey + keyLength);
  server.insert(server.end(), serverSalt, serverSalt + saltLength);
  Wipe(&material);
  localKeyAndSalt_ = std::move(role_ == Role::kClient ? client : server);
  remoteKeyAndSalt_ = std::move(role_ == Role::kClient ? server : client);
  Wipe(&client);
  Wipe(&server);
  CheckFingerprint();
}

void DtlsSession::CheckFingerprint() {
  if (!handshakeDone_ || !peerCertificate_ || remoteAlgorithm_.empty()) return;
  if (state_ != State::kConnecting && state_ != State::kConnected) return;
  std::string actual;
  if (!Fingerprint(peerCertificate_, FingerprintDigest(remoteAlgorithm_), &actual)) {
    const std::string reason = TakeOpenSslErrors();
    Fail("DTLS_FAILED", "peer certificate digest failed: " + reason);
    return;
  }
  if (!SameFingerprint(actual, remoteFingerprint_)) {
    Fail("DTLS_FINGERPRINT_MISMATCH", "the peer's certificate has " + remoteAlgorithm_ + " fingerprint " + actual +
                                          " but its SDP announced " + remoteFingerprint_);
    return;
  }
  if (state_ == State::kConnected) return;  // the same fingerprint announced again
  state_ = State::kConnected;
  listener_->OnDtlsConnected(profile_, localKeyAndSalt_.data(), remoteKeyAndSalt_.data(), localKeyAndSalt_.size());
  Wipe(&localKeyAndSalt_);
  Wipe(&remoteKeyAndSalt_);
}

int64_t DtlsSession::TimeoutMs() const {
  if (!ssl_ || (state_ != State::kConnecting && state_ != State::kConnected)) return -1;
  struct timeval left = {0, 0};
  if (DTLSv1_get_timeout(ssl_, &left) != 1) return -1;
  // Rounded up: OpenSSL retransmits only once its deadline has passed.
  return static_cast<int64_t>(left.tv_sec) * 1000 + (static_cast<int64_t>(left.tv_usec) + 999) / 1000;
}

void DtlsSession::OnTimeout() {
  if (!ssl_ || (state_ != State::kConnecting && state_ != State::kConnected)) return;
  ERR_clear_error();
  if (DTLSv1_handle_timeout(ssl_) < 0) {  // too many retransmissions, or a write failed
    const std::string reason = TakeOpenSslErrors();
    Fail("DTLS_FAILED", "DTLS handshake timed out: " + reason);
    return;
  }
  ERR_clear_error();
  Flush();
}

void DtlsSession::Close() {
  if (state_ == State::kClosed || state_ == State::kFailed) return;
  if (ssl_ && handshakeDone_) {
    ERR_clear_error();
    SSL_shutdown(ssl_);
    ERR_clear_error();
    Flush();
  }
  state_ = State::kClosed;
  Wipe(&localKeyAndSalt_);
  Wipe(&remoteKeyAndSalt_);
}

const char* DtlsSession::srtpProfileName() const { return haveProfile_ ? SrtpProfileName(profile_) : ""; }

void DtlsSession::Fail(const char* code, const std::string& reason) {
  if (state_ == State::kFailed || state_ == State::kClosed) return;
  state_ = State::kFailed;
  ERR_clear_error();
  Flush();  // the fatal alert OpenSSL queued, if any
  Wipe(&localKeyAndSalt_);
  Wipe(&remoteKeyAndSalt_);
  listener_->OnDtlsFailed(code, reason);
}

// The memory BIO keeps no datagram boundaries, so its bytes are cut back into records and the
// records packed into datagrams of at most kMtu bytes (RFC 6347 4.1.1 allows several per datagram).
// OpenSSL sizes each record to the MTU itself.
void DtlsSession::Flush() {
  if (!writeBio_) return;
  const size_t pending = BIO_ctrl_pending(writeBio_);
  if (pending == 0 || pending > INT_MAX) return;
  std::vector<uint8_t> bytes(pending);
  const int read = BIO_read(writeBio_, bytes.data(), static_cast<int>(pending));
  if (read <= 0) return;
  const uint8_t* p = bytes.data();
  size_t left = static_cast<size_t>(read);
  const uint8_t* datagram = p;
  size_t datagramSize = 0;
  while (left > 0) {
    size_t record = left;  // what cannot be parsed goes out whole
    if (left >= kRecordHeaderSize && kRecordHeaderSize + RecordBodyLength(p) <= left) {
      record = kRecordHeaderSize + RecordBodyLength(p);
    }
    if (datagramSize > 0 && datagramSize + record > kMtu) {
      listener_->OnDtlsSend(datagram, datagramSize);
      datagram = p;
      datagramSize = 0;
    }
    datagramSize += record;
    p += record;
    left -= record;
  }
  if (datagramSize > 0) listener_->OnDtlsSend(datagram, datagramSize);
}

}  // namespace callmedia
