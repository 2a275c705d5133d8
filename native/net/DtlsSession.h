// One DTLS 1.2 association (RFC 6347) that keys SRTP (RFC 5764), authenticated by the certificate
// fingerprints both sides exchange in SDP (RFC 5763). It owns no socket and no timer: records come in
// through OnData, go out through the listener, and retransmission time is read with TimeoutMs and
// honoured with OnTimeout, so any event loop can drive it. Not thread-safe; one thread drives it.
// Listener callbacks run inside the calls that cause them; the session must outlive them.
#pragma once
#include <openssl/types.h>

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "net/DtlsCertificate.h"
#include "net/SrtpSession.h"

namespace callmedia {

class DtlsSession {
 public:
  enum class Role { kClient, kServer };  // a=setup: active = client, passive = server (RFC 5763)
  enum class State { kNew, kConnecting, kConnected, kFailed, kClosed };

  struct Listener {
    virtual ~Listener() = default;
    virtual void OnDtlsSend(const uint8_t* data, size_t size) = 0;  // one datagram for the wire
    // Handshake done and the peer's certificate matches the fingerprint it announced. The keys are
    // master key || master salt for each direction (RFC 5764 4.2: the client writes with the client key).
    virtual void OnDtlsConnected(SrtpProfile profile, const uint8_t* localKeyAndSalt, const uint8_t* remoteKeyAndSalt,
                                 size_t length) = 0;
    // code is "DTLS_FAILED" or "DTLS_FINGERPRINT_MISMATCH".
    virtual void OnDtlsFailed(const char* code, const std::string& reason) = 0;
    virtual void OnDtlsClosed() = 0;  // the peer sent close_notify
  };

  DtlsSession(std::shared_ptr<DtlsCertificate> certificate, Listener* listener);
  ~DtlsSession();
  DtlsSession(const DtlsSession&) = delete;
  DtlsSession& operator=(const DtlsSession&) = delete;

  // A client sends its ClientHello at once; a server waits for one. False (with error) when OpenSSL
  // cannot start.
  bool Start(Role role, std::string* error);
  // "sha-256" and the value from the peer's SDP. May come before or after the handshake ends:
  // OnDtlsConnected (or OnDtlsFailed with DTLS_FINGERPRINT_MISMATCH) fires once both the handshake and
  // the fingerprint are there. sha-1, sha-224, sha-384 and sha-512 are accepted too; an unknown one fails
  // the session (DTLS_FAILED).
  void SetRemoteFingerprint(const std::string& algorithm, const std::string& value);
  // One datagram that starts with a DTLS record (first byte 20..63). Garbage is counted and dropped,
  // never fatal unless OpenSSL declares the association dead.
  void OnData(const uint8_t* data, size_t size);
  // Milliseconds until OnTimeout must be called (handshake retransmission), or -1 when no timer is
  // needed. It changes with every call above, so ask again after each.
  int64_t TimeoutMs() const;
  // OpenSSL keeps the deadline on the wall clock (gettimeofday) and does nothing when called before it.
  void OnTimeout();
  void Close();  // sends close_notify when connected

  State state() const { return state_; }
  Role role() const { return role_; }
  const char* srtpProfileName() const;  // the negotiated profile's name, "" before
  // Datagrams refused for not being whole DTLS 1.0/1.2 records of a known content type. What OpenSSL
  // itself discards silently later (bad MAC, stale epoch, replays) it does not report, so is not counted.
  uint64_t recordsDropped() const { return recordsDropped_; }

 private:
  // After every SSL call: the handshake's progress, the records it wrote, and failure or close.
  void AfterHandshakeStep(int result);
  void ReadApplicationData();
  void OnHandshakeDone();
  void CheckFingerprint();
  void Flush();
  void Fail(const char* code, const std::string& reason);
  void Free();

  std::shared_ptr<DtlsCertificate> certificate_;
  Listener* listener_;
  Role role_ = Role::kClient;
  State state_ = State::kNew;
  SSL_CTX* ctx_ = nullptr;
  SSL* ssl_ = nullptr;
  BIO* readBio_ = nullptr;   // owned by ssl_
  BIO* writeBio_ = nullptr;  // owned by ssl_

  bool handshakeDone_ = false;
  X509* peerCertificate_ = nullptr;
  bool haveProfile_ = false;
  SrtpProfile profile_ = SrtpProfile::kAeadAes128Gcm;
  std::vector<uint8_t> localKeyAndSalt_;
  std::vector<uint8_t> remoteKeyAndSalt_;

  std::string remoteAlgorithm_;
  std::string remoteFingerprint_;

  uint64_t recordsDropped_ = 0;
  std::vector<uint8_t> readBuffer_;  // application data, read and dropped
};

}  // namespace callmedia
