#include "rtp/RtxPacket.h"

#include <cstring>

namespace callmedia {

namespace {

// The header as it came, up to the payload: fixed part, CSRCs and the extension block.
size_t HeaderSize(const RtpPacket& p) { return static_cast<size_t>(p.payload - p.data); }

void Rewrite(uint8_t* header, uint8_t payloadType, bool marker, uint16_t seq, uint32_t ssrc) {
  header[0] &= ~0x20;  // no padding: what follows the payload is not carried over
  header[1] = static_cast<uint8_t>((marker ? 0x80 : 0) | (payloadType & 0x7f));
  header[2] = static_cast<uint8_t>(seq >> 8);
  header[3] = static_cast<uint8_t>(seq);
  header[8] = static_cast<uint8_t>(ssrc >> 24);
  header[9] = static_cast<uint8_t>(ssrc >> 16);
  header[10] = static_cast<uint8_t>(ssrc >> 8);
  header[11] = static_cast<uint8_t>(ssrc);
}

}  // namespace

size_t RtxPacket::Wrap(const RtpPacket& original, uint8_t payloadType, uint16_t seq, uint32_t ssrc, uint8_t* out,
                       size_t capacity) {
  const size_t header = HeaderSize(original);
  const size_t size = header + kOsnSize + original.payloadSize;
  if (!original.data || size > capacity) return 0;
  std::memcpy(out, original.data, header);
  Rewrite(out, payloadType, original.marker, seq, ssrc);
  out[header] = static_cast<uint8_t>(original.sequenceNumber >> 8);
  out[header + 1] = static_cast<uint8_t>(original.sequenceNumber);
  if (original.payloadSize) std::memcpy(out + header + kOsnSize, original.payload, original.payloadSize);
  return size;
}

bool RtxPacket::OriginalSequenceNumber(const RtpPacket& rtx, uint16_t* osn) {
  if (rtx.payloadSize < kOsnSize) return false;
  *osn = static_cast<uint16_t>((rtx.payload[0] << 8) | rtx.payload[1]);
  return true;
}

size_t RtxPacket::Unwrap(const RtpPacket& rtx, uint8_t apt, uint32_t mediaSsrc, uint8_t* out, size_t capacity) {
  uint16_t osn;
  if (!rtx.data || !OriginalSequenceNumber(rtx, &osn)) return 0;
  const size_t header = HeaderSize(rtx);
  const size_t payload = rtx.payloadSize - kOsnSize;
  const size_t size = header + payload;
  if (size > capacity) return 0;
  std::memcpy(out, rtx.data, header);
  Rewrite(out, apt, rtx.marker, osn, mediaSsrc);
  if (payload) std::memcpy(out + header, rtx.payload + kOsnSize, payload);
  return size;
}

}  // namespace callmedia
