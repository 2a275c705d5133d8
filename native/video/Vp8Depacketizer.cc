#include "video/Vp8Depacketizer.h"

namespace callmedia {

namespace vp8 {

namespace {
// RFC 6386 9.1: the 3-byte frame tag; a key frame adds the start code and two 16-bit sizes.
constexpr size_t kFrameTagSize = 3;
constexpr size_t kKeyFrameHeaderSize = 10;

bool IsKeyFrameTag(uint8_t first) { return (first & 0x01) == 0; }  // P: the inverse key frame flag

// The whole key frame header with its start code: a P bit alone is one random bit in a packet
// that only looks like a frame start (RFC 7741 lets a sender keep PID=0 on every partition).
bool HasKeyFrameHeader(const uint8_t* p, size_t size) {
  return size >= kKeyFrameHeaderSize && IsKeyFrameTag(p[0]) && p[3] == 0x9D && p[4] == 0x01 && p[5] == 0x2A;
}
}  // namespace

bool ParseDescriptor(const uint8_t* payload, size_t size, PayloadDescriptor* out) {
  if (size < 1) return false;
  const uint8_t first = payload[0];  // |X|R|N|S|R| PID |, R ignored
  *out = PayloadDescriptor{};
  out->nonReference = first & 0x20;
  out->startOfPartition = first & 0x10;
  out->partitionId = first & 0x07;
  size_t offset = 1;
  if (first & 0x80) {
    if (offset >= size) return false;
    const uint8_t ext = payload[offset++];  // |I|L|T|K| RSV |, RSV ignored
    out->hasPictureId = ext & 0x80;
    out->hasTl0PicIdx = ext & 0x40;
    out->hasTid = ext & 0x20;
    out->hasKeyIdx = ext & 0x10;
    if (out->hasPictureId) {
      if (offset >= size) return false;
      const uint8_t high = payload[offset++];
      out->longPictureId = high & 0x80;
      if (out->longPictureId) {
        if (offset >= size) return false;
        out->pictureId = static_cast<uint16_t>(((high & 0x7F) << 8) | payload[offset++]);
      } else {
        out->pictureId = high & 0x7F;
      }
    }
    if (out->hasTl0PicIdx) {
      if (offset >= size) return false;
      out->tl0PicIdx = payload[offset++];
    }
    if (out->hasTid || out->hasKeyIdx) {  // one byte serves both: |TID|Y| KEYIDX |
      if (offset >= size) return false;
      const uint8_t b = payload[offset++];
      if (out->hasTid) {
        out->tid = b >> 6;
        out->layerSync = b & 0x20;
      }
      if (out->hasKeyIdx) out->keyIdx = b & 0x1F;
    }
  }
  if (offset >= size) return false;  // a descriptor with no VP8 payload after it
  out->size = offset;
  return true;
}

bool PayloadStartsKeyFrame(const uint8_t* payload, size_t size) {
  PayloadDescriptor d;
  if (!ParseDescriptor(payload, size, &d) || !d.startOfPartition || d.partitionId != 0) return false;
  return HasKeyFrameHeader(payload + d.size, size - d.size);
}

}  // namespace vp8

bool Vp8Depacketizer::StartsFrame(const uint8_t* payload, size_t size) const {
  vp8::PayloadDescriptor d;
  return vp8::ParseDescriptor(payload, size, &d) && d.startOfPartition && d.partitionId == 0;
}

void Vp8Depacketizer::BeginFrame(std::vector<uint8_t>* out) {
  out_ = out;
  out_->clear();
  started_ = keyFrame_ = reference_ = false;
}

bool Vp8Depacketizer::Append(const uint8_t* payload, size_t size) {
  vp8::PayloadDescriptor d;
  if (!vp8::ParseDescriptor(payload, size, &d)) return false;
  const uint8_t* data = payload + d.size;
  const size_t length = size - d.size;
  if (!started_) {
    // RFC 7741 4.3: the frame's first packet starts partition 0 and holds the payload header.
    if (!d.startOfPartition || d.partitionId != 0) return false;
    keyFrame_ = vp8::IsKeyFrameTag(data[0]);
    if (keyFrame_ ? !vp8::HasKeyFrameHeader(data, length) : length < vp8::kFrameTagSize) return false;
    reference_ = !d.nonReference;
    started_ = true;
  }
  // Later packets may start partitions too (S=1, any PID): their bytes simply follow.
  out_->insert(out_->end(), data, data + length);
  return true;
}

}  // namespace callmedia
