#include "rtp/RtcpPacket.h"

#include <cstring>

#include "common/ByteOrder.h"

namespace callmedia {

namespace {
constexpr uint8_t kSr = 200, kRr = 201, kApp = 204, kRtpfb = 205, kPsfb = 206;
constexpr uint8_t kSubscriptionName[4] = {'S', 'U', 'B', 'S'};


// Common header: V=2, count/format, packet type, length in 32-bit words minus one.
inline void WriteHeader(uint8_t* p, uint8_t countOrFmt, uint8_t type, size_t bytes) {
  p[0] = static_cast<uint8_t>(0x80 | (countOrFmt & 0x1F));
  p[1] = type;
  Write16(p + 2, static_cast<uint16_t>(bytes / 4 - 1));
}
bool ParseReportBlocks(const uint8_t* p, size_t bytes, uint8_t count, const RtcpPacket::Handlers& handlers) {
  if (bytes < static_cast<size_t>(count) * 24) return false;
  for (uint8_t i = 0; i < count; ++i, p += 24) {
    ReportBlock block;
    block.ssrc = Read32(p);
    block.fractionLost = p[4];
    int32_t lost = (p[5] << 16) | (p[6] << 8) | p[7];
    if (lost & 0x800000) lost |= ~0xFFFFFF;  // 24-bit signed
    block.cumulativeLost = lost;
    block.extendedHighestSeq = Read32(p + 8);
    block.jitter = Read32(p + 12);
    block.lastSr = Read32(p + 16);
    block.delaySinceLastSr = Read32(p + 20);
    if (handlers.onReportBlock) handlers.onReportBlock(block);
  }
  return true;
}
}  // namespace

size_t RtcpPacket::WriteSenderReport(uint8_t* out, size_t capacity, const RtcpSenderReport& sr) {
  if (capacity < 28) return 0;
  WriteHeader(out, 0, kSr, 28);
  Write32(out + 4, sr.ssrc);
  Write32(out + 8, sr.ntpSeconds);
  Write32(out + 12, sr.ntpFraction);
  Write32(out + 16, sr.rtpTimestamp);
  Write32(out + 20, sr.packetCount);
  Write32(out + 24, sr.octetCount);
  return 28;
}

size_t RtcpPacket::WriteReceiverReport(uint8_t* out, size_t capacity, uint32_t senderSsrc, const ReportBlock* block) {
  const size_t bytes = 8 + (block ? 24 : 0);
  if (capacity < bytes) return 0;
  WriteHeader(out, block ? 1 : 0, kRr, bytes);
  Write32(out + 4, senderSsrc);
  if (block) {
    uint8_t* b = out + 8;
    Write32(b, block->ssrc);
    b[4] = block->fractionLost;
    const uint32_t lost = static_cast<uint32_t>(block->cumulativeLost) & 0xFFFFFF;
    b[5] = (lost >> 16) & 0xFF; b[6] = (lost >> 8) & 0xFF; b[7] = lost & 0xFF;
    Write32(b + 8, block->extendedHighestSeq);
    Write32(b + 12, block->jitter);
    Write32(b + 16, block->lastSr);
    Write32(b + 20, block->delaySinceLastSr);
  }
  return bytes;
}

size_t RtcpPacket::WritePli(uint8_t* out, size_t capacity, uint32_t senderSsrc, uint32_t mediaSsrc) {
  if (capacity < 12) return 0;
  WriteHeader(out, 1, kPsfb, 12);
  Write32(out + 4, senderSsrc);
  Write32(out + 8, mediaSsrc);
  return 12;
}

size_t RtcpPacket::WriteSubscription(uint8_t* out, size_t capacity, const RtcpSubscription& s) {
  if (capacity < 20) return 0;
  WriteHeader(out, 0, kApp, 20);
  Write32(out + 4, s.senderSsrc);
  std::memcpy(out + 8, kSubscriptionName, 4);
  Write32(out + 12, s.sourceId);
  Write16(out + 16, s.width);
  Write16(out + 18, s.height);
  return 20;
}

size_t RtcpPacket::WriteFir(uint8_t* out, size_t capacity, uint32_t senderSsrc, uint32_t mediaSsrc, uint8_t seqNr) {
  if (capacity < 20) return 0;
  WriteHeader(out, 4, kPsfb, 20);
  Write32(out + 4, senderSsrc);
  Write32(out + 8, 0);  // media source SSRC is unused in FIR (RFC 5104 4.3.1.2)
  Write32(out + 12, mediaSsrc);
  out[16] = seqNr;
  out[17] = out[18] = out[19] = 0;
  return 20;
}

size_t RtcpPacket::WriteNack(uint8_t* out, size_t capacity, uint32_t senderSsrc, uint32_t mediaSsrc, const uint16_t* seqs,
                             size_t count) {
  if (count == 0 || capacity < 16) return 0;
  size_t bytes = 12;
  for (size_t i = 0; i < count && bytes + 4 <= capacity;) {
    // One item: a packet ID and a bitmask of the 16 that follow it.
    const uint16_t pid = seqs[i++];
    uint16_t blp = 0;
    while (i < count) {
      const uint16_t d = static_cast<uint16_t>(seqs[i] - pid);
      if (d == 0) { ++i; continue; }  // named twice
      if (d > 16) break;
      blp = static_cast<uint16_t>(blp | (1u << (d - 1)));
      ++i;
    }
    Write16(out + bytes, pid);
    Write16(out + bytes + 2, blp);
    bytes += 4;
  }
  WriteHeader(out, 1, kRtpfb, bytes);
  Write32(out + 4, senderSsrc);
  Write32(out + 8, mediaSsrc);
  return bytes;
}

bool RtcpPacket::ParseRemb(const uint8_t* p, size_t size, uint32_t* bps) {
  if (size < 20 || (p[0] >> 6) != 2 || p[1] != kPsfb || (p[0] & 0x1F) != 15 || std::memcmp(p + 12, "REMB", 4) != 0) return false;
  if ((static_cast<size_t>(Read16(p + 2)) + 1) * 4 != size) return false;
  const size_t ssrcs = p[16];
  if (20 + 4 * ssrcs > size) return false;
  const uint32_t exponent = p[17] >> 2;
  const uint64_t mantissa = (static_cast<uint64_t>(p[17] & 3) << 16) | (p[18] << 8) | p[19];
  const uint64_t value = mantissa << exponent;
  if (exponent > 46 || value > UINT32_MAX) {  // more than 4 Gbit/s: no limit worth keeping
    *bps = UINT32_MAX;
    return true;
  }
  *bps = static_cast<uint32_t>(value);
  return true;
}

size_t RtcpPacket::WriteRemb(uint8_t* out, size_t capacity, uint32_t senderSsrc, uint32_t bps, const uint32_t* ssrcs, size_t count) {
  const size_t bytes = 20 + 4 * count;
  if (count > 255 || bytes > capacity) return 0;
  uint32_t exponent = 0;
  uint32_t mantissa = bps;
  while (mantissa >= (1u << 18)) {
    mantissa >>= 1;
    ++exponent;
  }
  WriteHeader(out, 15, kPsfb, bytes);
  Write32(out + 4, senderSsrc);
  Write32(out + 8, 0);
  std::memcpy(out + 12, "REMB", 4);
  out[16] = static_cast<uint8_t>(count);
  out[17] = static_cast<uint8_t>((exponent << 2) | (mantissa >> 16));
  out[18] = static_cast<uint8_t>(mantissa >> 8);
  out[19] = static_cast<uint8_t>(mantissa);
  for (size_t i = 0; i < count; ++i) Write32(out + 20 + 4 * i, ssrcs[i]);
  return bytes;
}

bool RtcpPacket::Parse(const uint8_t* data, size_t size, const Handlers& handlers) {
  size_t offset = 0;
  while (offset + 4 <= size) {
    const uint8_t* p = data + offset;
    if ((p[0] >> 6) != 2) return false;
    const size_t length = (static_cast<size_t>(Read16(p + 2)) + 1) * 4;
    if (offset + length > size) return false;
    const uint8_t type = p[1];
    const uint8_t fmt = p[0] & 0x1F;
    if (type == kSr) {
      if (length < 28) return false;
      RtcpSenderReport sr;
      sr.ssrc = Read32(p + 4);
      sr.ntpSeconds = Read32(p + 8);
      sr.ntpFraction = Read32(p + 12);
      sr.ntpMiddle = (Read32(p + 8) << 16) | (Read32(p + 12) >> 16);
      sr.rtpTimestamp = Read32(p + 16);
      sr.packetCount = Read32(p + 20);
      sr.octetCount = Read32(p + 24);
      if (length < 28 + static_cast<size_t>(fmt) * 24) return false;  // check the whole report first
      if (handlers.onSenderReport) handlers.onSenderReport(sr);
      if (!ParseReportBlocks(p + 28, length - 28, fmt, handlers)) return false;
    } else if (type == kRr) {
      if (length < 8 || !ParseReportBlocks(p + 8, length - 8, fmt, handlers)) return false;
    } else if (type == kApp && length >= 20 && std::memcmp(p + 8, kSubscriptionName, 4) == 0) {
      RtcpSubscription s;
      s.senderSsrc = Read32(p + 4);
      s.sourceId = Read32(p + 12);
      s.width = Read16(p + 16);
      s.height = Read16(p + 18);
      if (handlers.onSubscription) handlers.onSubscription(s);
    } else if (type == kPsfb || type == kRtpfb) {
      if (length < 12) return false;
      RtcpFeedback fb;
      fb.senderSsrc = Read32(p + 4);
      fb.mediaSsrc = Read32(p + 8);
      if (type == kPsfb && fmt == 1) fb.kind = RtcpFeedback::Kind::Pli;
      else if (type == kPsfb && fmt == 4) {
        if (length < 20) return false;
        fb.kind = RtcpFeedback::Kind::Fir;
        fb.mediaSsrc = Read32(p + 12);
      } else if (type == kRtpfb && fmt == 1) {
        // At least one PID/BLP item (RFC 4585 6.2.1); the length says how many.
        if (length < 16) return false;
        fb.kind = RtcpFeedback::Kind::Nack;
        fb.nackItems = p + 12;
        fb.nackItemCount = (length - 12) / 4;
      }
      if (handlers.onFeedback) handlers.onFeedback(fb);
    }
    offset += length;
  }
  return offset == size;
}

}  // namespace callmedia
