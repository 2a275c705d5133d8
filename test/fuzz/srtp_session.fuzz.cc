// SrtpSession (RFC 3711): any datagram handed to an inbound session is decrypted or refused with
// a reason, never read past; a valid packet the fuzzer shapes survives protect → unprotect.
#include <cstring>

#include "FuzzRtp.h"
#include "net/SrtpSession.h"

namespace {
constexpr uint8_t kKey[30] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30};
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  FuzzedDataProvider in(data, size);
  const auto profile = in.ConsumeBool() ? callmedia::SrtpProfile::kAeadAes128Gcm : callmedia::SrtpProfile::kAesCm128HmacSha1_80;
  size_t keyLength, saltLength;
  callmedia::SrtpKeyLengths(profile, &keyLength, &saltLength);
  std::string error;
  auto inbound = callmedia::SrtpSession::Create(profile, callmedia::SrtpSession::Direction::kInbound, kKey, keyLength + saltLength, &error);
  auto outbound = callmedia::SrtpSession::Create(profile, callmedia::SrtpSession::Direction::kOutbound, kKey, keyLength + saltLength, &error);
  FUZZ_CHECK(inbound && outbound);
  fuzz::PacketStream stream;
  alignas(16) uint8_t buffer[1500 + callmedia::SrtpSession::kMaxOverhead];
  while (in.remaining_bytes() > 0) {
    if (in.ConsumeBool()) {
      // Raw bytes, as anyone may send them to the port.
      const std::vector<uint8_t> raw = in.ConsumeBytes<uint8_t>(in.ConsumeIntegralInRange<size_t>(0, 1500));
      if (!raw.empty()) std::memcpy(buffer, raw.data(), raw.size());
      size_t n = raw.size();
      if (callmedia::RtpPacket::LooksLikeRtcp(buffer, n)) inbound->UnprotectRtcp(buffer, &n);
      else inbound->UnprotectRtp(buffer, &n);
      continue;
    }
    callmedia::RtpPacket p;
    if (!stream.Next(in, 96, &p)) break;
    std::memcpy(buffer, stream.bytes.data(), stream.bytes.size());
    size_t n = stream.bytes.size();
    if (!outbound->ProtectRtp(buffer, &n, sizeof(buffer))) continue;
    const auto result = inbound->UnprotectRtp(buffer, &n);
    // A sequence number the fuzzer sent before (or far behind) is a replay; anything else decrypts.
    if (result == callmedia::SrtpSession::Result::kOk) {
      FUZZ_CHECK(n == stream.bytes.size() && std::memcmp(buffer, stream.bytes.data(), n) == 0);
    } else {
      FUZZ_CHECK(result == callmedia::SrtpSession::Result::kReplayed);
    }
  }
  return 0;
}
