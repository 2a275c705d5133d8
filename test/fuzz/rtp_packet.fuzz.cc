// RtpPacket: every datagram parses or is refused; what parses lies inside the datagram, and the
// copies the engine makes of it (a media server's forwarded stream, a MID extension added) parse
// back to the same payload.
#include <cstring>

#include "FuzzRtp.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  callmedia::RtpPacket p;
  if (!callmedia::RtpPacket::Parse(data, size, &p)) return 0;
  FUZZ_CHECK(p.payload >= data && p.payload + p.payloadSize + p.paddingSize <= data + size);
  for (uint8_t id = 0; id < 16; ++id) {
    const uint8_t* value;
    size_t length;
    if (p.GetExtension(id, &value, &length)) FUZZ_CHECK(value >= data && value + length <= data + size);
  }
  (void)p.sourceId();
  uint8_t out[1600 + 64];
  const uint8_t mid[] = {'v', 'i', 'd', 'e', 'o', '0'};
  const size_t n = p.CopyWithExtension(4, mid, sizeof(mid), out, sizeof(out));
  if (n > 0) {
    callmedia::RtpPacket q;
    FUZZ_CHECK(callmedia::RtpPacket::Parse(out, n, &q));
    FUZZ_CHECK(q.payloadSize == p.payloadSize && std::memcmp(q.payload, p.payload, p.payloadSize) == 0);
    const uint8_t* value;
    size_t length;
    FUZZ_CHECK(q.GetExtension(4, &value, &length) && length == sizeof(mid) && std::memcmp(value, mid, length) == 0);
  }
  for (const bool withSource : {true, false}) {
    const callmedia::RtpPacket::ForwardedHeader header{0xABCDEF, 7, 96, withSource, p.ssrc};
    const size_t m = p.CopyAsForwarded(header, out, sizeof(out));
    if (m == 0) continue;
    callmedia::RtpPacket q;
    FUZZ_CHECK(callmedia::RtpPacket::Parse(out, m, &q));
    FUZZ_CHECK(q.ssrc == 0xABCDEF && q.sequenceNumber == 7 && q.payloadType == 96);
    FUZZ_CHECK(q.csrcCount == (withSource ? 1 : 0) && (!withSource || q.csrc(0) == p.ssrc));
    FUZZ_CHECK(q.extension == nullptr && q.paddingSize == p.paddingSize && q.timestamp == p.timestamp && q.marker == p.marker);
    FUZZ_CHECK(q.payloadSize == p.payloadSize && std::memcmp(q.payload, p.payload, p.payloadSize) == 0);
  }
  return 0;
}
