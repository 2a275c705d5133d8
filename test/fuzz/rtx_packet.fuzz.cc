// RtxPacket (RFC 4588): any datagram that parses as RTP, wrapped as RTX and unwrapped again,
// gives back the original packet (without padding): same header fields, extensions and payload
// bytes. Any RTX packet unwraps to a valid RTP packet under the original payload type and SSRC,
// or is refused (no OSN, too big); nothing reads or writes outside its buffers.
#include <cstring>

#include "FuzzRtp.h"
#include "rtp/RtxPacket.h"

using callmedia::RtpPacket;
using callmedia::RtxPacket;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  FuzzedDataProvider in(data, size);
  const uint8_t rtxPt = in.ConsumeIntegralInRange<uint8_t>(0, 127);
  const uint16_t rtxSeq = in.ConsumeIntegral<uint16_t>();
  const uint32_t rtxSsrc = in.ConsumeIntegral<uint32_t>();
  const uint8_t apt = in.ConsumeIntegralInRange<uint8_t>(0, 127);
  const uint32_t mediaSsrc = in.ConsumeIntegral<uint32_t>();
  const size_t capacity = in.ConsumeBool() ? 1600 : in.ConsumeIntegralInRange<size_t>(0, 1600);
  const std::vector<uint8_t> bytes = in.ConsumeRemainingBytes<uint8_t>();
  RtpPacket packet;
  if (!RtpPacket::Parse(bytes.data(), bytes.size(), &packet)) return 0;
  std::vector<uint8_t> wrapped(capacity), unwrapped(capacity);

  // The packet as an RTX payload of its own (what arrives from a peer).
  const size_t direct = RtxPacket::Unwrap(packet, apt, mediaSsrc, unwrapped.data(), capacity);
  FUZZ_CHECK(direct <= capacity);
  if (direct) {
    RtpPacket repaired;
    FUZZ_CHECK(RtpPacket::Parse(unwrapped.data(), direct, &repaired));
    uint16_t osn = 0;
    FUZZ_CHECK(RtxPacket::OriginalSequenceNumber(packet, &osn) && repaired.sequenceNumber == osn);
    FUZZ_CHECK(repaired.payloadType == apt && repaired.ssrc == mediaSsrc && repaired.paddingSize == 0);
    FUZZ_CHECK(repaired.payloadSize + RtxPacket::kOsnSize == packet.payloadSize);
  }

  // Wrapped and unwrapped: the original again.
  const size_t n = RtxPacket::Wrap(packet, rtxPt, rtxSeq, rtxSsrc, wrapped.data(), capacity);
  FUZZ_CHECK(n <= capacity);
  if (n == 0) return 0;
  RtpPacket rtx;
  FUZZ_CHECK(RtpPacket::Parse(wrapped.data(), n, &rtx));
  FUZZ_CHECK(rtx.payloadType == rtxPt && rtx.sequenceNumber == rtxSeq && rtx.ssrc == rtxSsrc && rtx.marker == packet.marker);
  const size_t back = RtxPacket::Unwrap(rtx, packet.payloadType, packet.ssrc, unwrapped.data(), capacity);
  FUZZ_CHECK(back > 0);
  RtpPacket original;
  FUZZ_CHECK(RtpPacket::Parse(unwrapped.data(), back, &original));
  FUZZ_CHECK(original.sequenceNumber == packet.sequenceNumber && original.payloadType == packet.payloadType);
  FUZZ_CHECK(original.ssrc == packet.ssrc && original.timestamp == packet.timestamp && original.marker == packet.marker);
  FUZZ_CHECK(original.csrcCount == packet.csrcCount && original.extensionSize == packet.extensionSize);
  FUZZ_CHECK(original.payloadSize == packet.payloadSize && original.paddingSize == 0);
  FUZZ_CHECK(packet.payloadSize == 0 || std::memcmp(original.payload, packet.payload, packet.payloadSize) == 0);
  FUZZ_CHECK(std::memcmp(unwrapped.data() + 12, packet.data + 12, static_cast<size_t>(packet.payload - packet.data) - 12) == 0);
  return 0;
}
