#include "video/Vp8Packetizer.h"

#include <algorithm>
#include <cstring>
#include <random>

#include "rtp/RtpPacket.h"

namespace callmedia {

namespace {
constexpr size_t kRtpHeader = 12;
constexpr uint16_t kPictureIdMask = 0x7FFF;

// A random start, so that a restarted sender does not repeat the PictureIDs a receiver saw.
uint16_t RandomPictureId() { return static_cast<uint16_t>(std::random_device{}() & kPictureIdMask); }
}  // namespace

Vp8Packetizer::Vp8Packetizer(size_t maxPayload) : Vp8Packetizer(maxPayload, RandomPictureId()) {}

Vp8Packetizer::Vp8Packetizer(size_t maxPayload, uint16_t firstPictureId)
    // A packet's length is 16 bits in the batch.
    : maxPayload_(std::min<size_t>(maxPayload, UINT16_MAX - kRtpHeader)),
      pictureId_(firstPictureId & kPictureIdMask) {}

bool Vp8Packetizer::Packetize(const uint8_t* frame, size_t size, bool, const RtpHeaderFields& header, uint16_t* seq,
                              PacketBatch* batch) {
  if (size == 0 || maxPayload_ <= kDescriptorSize) return false;
  const size_t perPacket = maxPayload_ - kDescriptorSize;
  // The fewest packets that fit; the bytes spread so that sizes differ by one at most.
  const size_t packets = (size + perPacket - 1) / perPacket;
  const size_t base = size / packets, larger = size % packets;
  batch->block = PooledBuffer::Make(size + packets * (kRtpHeader + kDescriptorSize));
  batch->packets.clear();
  batch->next = 0;
  batch->timestamp = header.timestamp;
  uint8_t* const blockStart = batch->block.data();
  size_t offset = 0;
  const uint8_t* data = frame;
  for (size_t i = 0; i < packets; ++i) {
    const size_t n = base + (i < larger ? 1 : 0);
    uint8_t* p = blockStart + offset;
    RtpPacket::WriteHeader(p, header.payloadType, i + 1 == packets, (*seq)++, header.timestamp, header.ssrc);
    p += kRtpHeader;
    *p++ = static_cast<uint8_t>(0x80 | (i == 0 ? 0x10 : 0));  // X; N=0; S on the first only; PID 0
    *p++ = 0x80;                                              // I
    *p++ = static_cast<uint8_t>(0x80 | (pictureId_ >> 8));    // M: 15-bit PictureID
    *p++ = static_cast<uint8_t>(pictureId_ & 0xFF);
    std::memcpy(p, data, n);
    data += n;
    const size_t length = kRtpHeader + kDescriptorSize + n;
    batch->packets.emplace_back(static_cast<uint32_t>(offset), static_cast<uint16_t>(length));
    offset += length;
  }
  pictureId_ = static_cast<uint16_t>((pictureId_ + 1) & kPictureIdMask);
  return true;
}

}  // namespace callmedia
