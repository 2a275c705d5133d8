// RFC 3711 SRTP and SRTCP over libsrtp 2.x, keyed by DTLS-SRTP (RFC 5764) with either of the two
// protection profiles the engine offers: AEAD_AES_128_GCM (RFC 7714) and AES_CM_128_HMAC_SHA1_80.
#pragma once
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>

struct srtp_ctx_t_;  // libsrtp's session, kept out of this header

namespace callmedia {

// The DTLS-SRTP protection profiles (RFC 5764, RFC 7714) the engine negotiates.
enum class SrtpProfile { kAeadAes128Gcm, kAesCm128HmacSha1_80 };

// The OpenSSL profile name ("SRTP_AEAD_AES_128_GCM", "SRTP_AES128_CM_SHA1_80") and back.
const char* SrtpProfileName(SrtpProfile profile);
bool SrtpProfileFromName(const char* name, SrtpProfile* out);

// Master key and salt lengths of a profile (16+12 for GCM, 16+14 for CM).
void SrtpKeyLengths(SrtpProfile profile, size_t* keyLength, size_t* saltLength);

// One direction of SRTP and SRTCP for every SSRC of a transport (libsrtp's ssrc_any_inbound/outbound).
// Media thread only: a libsrtp session is not thread-safe.
// libsrtp reads headers as 32-bit words, so packet buffers should be 4-byte aligned.
class SrtpSession {
 public:
  enum class Direction { kInbound, kOutbound };
  enum class Result { kOk, kAuthFailed, kReplayed, kMalformed };

  // Bytes a protected packet may grow by; buffers passed to Protect* need this much room past `size`.
  // libsrtp assumes it may write SRTP_MAX_TRAILER_LEN (tag and MKI), plus 4 for the SRTCP index.
  static constexpr size_t kMaxOverhead = 148;
  // SRTP replay window in packets (libsrtp's SRTCP window is a fixed 128).
  static constexpr unsigned long kReplayWindow = 1024;

  // `keyAndSalt` is the master key followed by the master salt (what the DTLS exporter gives per side).
  static std::unique_ptr<SrtpSession> Create(SrtpProfile profile, Direction direction, const uint8_t* keyAndSalt,
                                             size_t length, std::string* error);
  ~SrtpSession();
  SrtpSession(const SrtpSession&) = delete;
  SrtpSession& operator=(const SrtpSession&) = delete;

  // In place; *size grows by the tag (and the SRTCP index). False when the buffer lacks room or libsrtp refuses.
  bool ProtectRtp(uint8_t* data, size_t* size, size_t capacity);
  bool ProtectRtcp(uint8_t* data, size_t* size, size_t capacity);

  // In place; *size shrinks to the plaintext packet on kOk. On any other result the bytes are unspecified.
  Result UnprotectRtp(uint8_t* data, size_t* size);
  Result UnprotectRtcp(uint8_t* data, size_t* size);

  SrtpProfile profile() const { return profile_; }
  Direction direction() const { return direction_; }
  // Authentication tag length of the profile: 16 for GCM, 10 for HMAC-SHA1-80.
  size_t tagLength() const { return tagLength_; }
  // Packets handed to libsrtp so far, whatever it answered; input refused here is not counted.
  uint64_t libsrtpCalls() const { return libsrtpCalls_; }

 private:
  SrtpSession(srtp_ctx_t_* session, SrtpProfile profile, Direction direction);

  srtp_ctx_t_* session_;
  SrtpProfile profile_;
  Direction direction_;
  size_t tagLength_;
  uint64_t libsrtpCalls_ = 0;
};

}  // namespace callmedia
