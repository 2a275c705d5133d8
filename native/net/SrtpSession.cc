#include "net/SrtpSession.h"

#include <srtp2/srtp.h>

#include <climits>
#include <cstring>

namespace callmedia {

namespace {

constexpr size_t kRtpHeaderSize = 12;
constexpr size_t kRtcpHeaderSize = 8;
constexpr size_t kSrtcpIndexSize = 4;  // E flag and 31-bit SRTCP index (RFC 3711 section 3.4)

static_assert(SrtpSession::kMaxOverhead == SRTP_MAX_TRAILER_LEN + kSrtcpIndexSize,
              "kMaxOverhead must cover what libsrtp may write past the packet");

// libsrtp keeps a global crypto kernel: set up once, thread-safely, and kept for the life of the
// process (srtp_shutdown would pull it from under sessions still alive).
srtp_err_status_t InitLibsrtp() {
  static const srtp_err_status_t status = srtp_init();
  return status;
}

SrtpSession::Result MapError(srtp_err_status_t status) {
  switch (status) {
    case srtp_err_status_ok:
      return SrtpSession::Result::kOk;
    case srtp_err_status_auth_fail:
      return SrtpSession::Result::kAuthFailed;
    case srtp_err_status_replay_fail:
    case srtp_err_status_replay_old:
      return SrtpSession::Result::kReplayed;
    default:
      return SrtpSession::Result::kMalformed;
  }
}

size_t TagLength(SrtpProfile profile) { return profile == SrtpProfile::kAeadAes128Gcm ? 16 : 10; }

}  // namespace

const char* SrtpProfileName(SrtpProfile profile) {
  switch (profile) {
    case SrtpProfile::kAeadAes128Gcm:
      return "SRTP_AEAD_AES_128_GCM";
    case SrtpProfile::kAesCm128HmacSha1_80:
      return "SRTP_AES128_CM_SHA1_80";
  }
  return "";
}

bool SrtpProfileFromName(const char* name, SrtpProfile* out) {
  if (!name) return false;
  for (SrtpProfile profile : {SrtpProfile::kAeadAes128Gcm, SrtpProfile::kAesCm128HmacSha1_80}) {
    if (std::strcmp(name, SrtpProfileName(profile)) == 0) {
      *out = profile;
      return true;
    }
  }
  return false;
}

void SrtpKeyLengths(SrtpProfile profile, size_t* keyLength, size_t* saltLength) {
  *keyLength = SRTP_AES_128_KEY_LEN;
  *saltLength = profile == SrtpProfile::kAeadAes128Gcm ? SRTP_AEAD_SALT_LEN : SRTP_SALT_LEN;
}

std::unique_ptr<SrtpSession> SrtpSession::Create(SrtpProfile profile, Direction direction, const uint8_t* keyAndSalt,
                                                 size_t length, std::string* error) {
  size_t keyLength, saltLength;
  SrtpKeyLengths(profile, &keyLength, &saltLength);
  // libsrtp reads exactly key+salt bytes from the pointer, so any other length is refused here.
  if (!keyAndSalt || length != keyLength + saltLength) {
    *error = std::string("SRTP ") + SrtpProfileName(profile) + " needs " + std::to_string(keyLength + saltLength) +
             " bytes of master key and salt, got " + std::to_string(keyAndSalt ? length : 0);
    return nullptr;
  }
  const srtp_err_status_t init = InitLibsrtp();
  if (init != srtp_err_status_ok) {
    *error = "srtp_init failed: " + std::to_string(static_cast<int>(init));
    return nullptr;
  }

  srtp_policy_t policy;
  std::memset(&policy, 0, sizeof(policy));
  if (profile == SrtpProfile::kAeadAes128Gcm) {
    srtp_crypto_policy_set_aes_gcm_128_16_auth(&policy.rtp);
    srtp_crypto_policy_set_aes_gcm_128_16_auth(&policy.rtcp);
  } else {
    srtp_crypto_policy_set_rtp_default(&policy.rtp);
    srtp_crypto_policy_set_rtcp_default(&policy.rtcp);
  }
  // One template stream for every SSRC: libsrtp clones it the first time an SSRC is seen
  // (inbound, only once that SSRC's first packet has authenticated).
  policy.ssrc.type = direction == Direction::kInbound ? ssrc_any_inbound : ssrc_any_outbound;
  policy.key = const_cast<unsigned char*>(keyAndSalt);  // only read, to derive the session keys
  policy.window_size = kReplayWindow;
  // A retransmitted packet goes out again with its original sequence number (and bytes).
  policy.allow_repeat_tx = direction == Direction::kOutbound ? 1 : 0;
  policy.next = nullptr;

  srtp_t session = nullptr;
  const srtp_err_status_t status = srtp_create(&session, &policy);
  if (status != srtp_err_status_ok) {
    if (session) srtp_dealloc(session);
    *error = std::string("srtp_create (") + SrtpProfileName(profile) + ") failed: " +
             std::to_string(static_cast<int>(status));
    return nullptr;
  }
  return std::unique_ptr<SrtpSession>(new SrtpSession(session, profile, direction));
}

SrtpSession::SrtpSession(srtp_ctx_t_* session, SrtpProfile profile, Direction direction)
    : session_(session), profile_(profile), direction_(direction), tagLength_(TagLength(profile)) {}

SrtpSession::~SrtpSession() { srtp_dealloc(session_); }

bool SrtpSession::ProtectRtp(uint8_t* data, size_t* size, size_t capacity) {
  // An inbound template would protect too, under the peer's keys; a session is one direction.
  if (direction_ != Direction::kOutbound) return false;
  if (*size < kRtpHeaderSize || *size > capacity || capacity - *size < kMaxOverhead) return false;
  if (*size > static_cast<size_t>(INT_MAX) - kMaxOverhead) return false;  // libsrtp's length is an int
  int length = static_cast<int>(*size);
  ++libsrtpCalls_;
  if (srtp_protect(session_, data, &length) != srtp_err_status_ok) return false;
  *size = static_cast<size_t>(length);
  return true;
}

bool SrtpSession::ProtectRtcp(uint8_t* data, size_t* size, size_t capacity) {
  if (direction_ != Direction::kOutbound) return false;
  if (*size < kRtcpHeaderSize || *size > capacity || capacity - *size < kMaxOverhead) return false;
  if (*size > static_cast<size_t>(INT_MAX) - kMaxOverhead) return false;
  int length = static_cast<int>(*size);
  ++libsrtpCalls_;
  if (srtp_protect_rtcp(session_, data, &length) != srtp_err_status_ok) return false;
  *size = static_cast<size_t>(length);
  return true;
}

SrtpSession::Result SrtpSession::UnprotectRtp(uint8_t* data, size_t* size) {
  if (direction_ != Direction::kInbound) return Result::kMalformed;
  // A header and a tag at least: anything shorter cannot be SRTP (RFC 3711 section 3.1).
  if (*size < kRtpHeaderSize + tagLength_ || *size > static_cast<size_t>(INT_MAX)) return Result::kMalformed;
  int length = static_cast<int>(*size);
  ++libsrtpCalls_;
  const Result result = MapError(srtp_unprotect(session_, data, &length));
  if (result == Result::kOk) *size = static_cast<size_t>(length);
  return result;
}

SrtpSession::Result SrtpSession::UnprotectRtcp(uint8_t* data, size_t* size) {
  if (direction_ != Direction::kInbound) return Result::kMalformed;
  // SRTCP always carries the index and the tag (RFC 3711 section 3.4).
  if (*size < kRtcpHeaderSize + kSrtcpIndexSize + tagLength_ || *size > static_cast<size_t>(INT_MAX))
    return Result::kMalformed;
  int length = static_cast<int>(*size);
  ++libsrtpCalls_;
  const Result result = MapError(srtp_unprotect_rtcp(session_, data, &length));
  if (result == Result::kOk) *size = static_cast<size_t>(length);
  return result;
}

}  // namespace callmedia
