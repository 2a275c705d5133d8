#include "video/H264Depacketizer.h"

namespace callmedia {

namespace h264 {

namespace {
bool IsKeyStartType(uint8_t type) { return type == kSps || type == kPps || type == kAud || type == kIdr; }
}  // namespace

bool PayloadOpensAccessUnit(const uint8_t* payload, size_t size) {
  if (size < 1) return false;
  uint8_t type = payload[0] & 0x1F;
  if (type == kStapA) {
    if (size < 4) return false;
    type = payload[3] & 0x1F;
  }
  return type == kSps || type == kAud;
}

bool PayloadStartsNal(const uint8_t* payload, size_t size) {
  if (size < 1) return false;
  const uint8_t type = payload[0] & 0x1F;
  if (type == kFuA) return size >= 2 && (payload[1] & 0x80);
  return type >= 1 && type <= kStapA;
}

bool PayloadStartsKeyFrame(const uint8_t* payload, size_t size) {
  if (size < 1) return false;
  const uint8_t type = payload[0] & 0x1F;
  if (type == kStapA) return size >= 4 && IsKeyStartType(payload[3] & 0x1F);
  if (type == kFuA) return size >= 2 && (payload[1] & 0x80) && (payload[1] & 0x1F) == kIdr;
  return IsKeyStartType(type);
}

uint32_t NalTypesInAnnexB(const uint8_t* data, size_t size) {
  uint32_t types = 0;
  for (size_t i = 0; i + 3 < size; ++i) {
    if (data[i] == 0 && data[i + 1] == 0 && data[i + 2] == 1) {
      types |= 1u << (data[i + 3] & 0x1F);
      i += 2;
    }
  }
  return types;
}

}  // namespace h264

void H264Depacketizer::BeginFrame(std::vector<uint8_t>* out) {
  out_ = out;
  out_->clear();
  inFragment_ = false;
  hasIdr_ = hasSps_ = isReference_ = false;
}

void H264Depacketizer::NoteHeader(uint8_t header) {
  const uint8_t type = header & 0x1F;
  if (type == h264::kIdr) hasIdr_ = true;
  if (type == h264::kSps) hasSps_ = true;
  if (type >= h264::kSlice && type <= h264::kIdr && (header & 0x60) != 0) isReference_ = true;
}

void H264Depacketizer::StartNal(uint8_t header) {
  static const uint8_t kStartCode[4] = {0, 0, 0, 1};
  out_->insert(out_->end(), kStartCode, kStartCode + 4);
  out_->push_back(header);
  NoteHeader(header);
}

void H264Depacketizer::AppendBytes(const uint8_t* data, size_t size) {
  out_->insert(out_->end(), data, data + size);
}

bool H264Depacketizer::Append(const uint8_t* payload, size_t size) {
  if (size < 1 || (payload[0] & 0x80)) return false;  // empty, or forbidden_zero_bit set
  const uint8_t type = payload[0] & 0x1F;

  if (type == h264::kFuA) {
    if (size < 3) return false;
    const uint8_t fuHeader = payload[1];
    const bool start = fuHeader & 0x80, end = fuHeader & 0x40;
    const uint8_t nalType = fuHeader & 0x1F;
    if (start && end) return false;  // RFC 6184 5.8: both bits set is invalid
    if (start) {
      if (inFragment_) return false;  // the previous fragmented NAL never ended
      StartNal(static_cast<uint8_t>((payload[0] & 0xE0) | nalType));
      inFragment_ = true;
      fragmentType_ = nalType;
    } else if (!inFragment_ || nalType != fragmentType_) {
      return false;  // continuation without its start
    }
    AppendBytes(payload + 2, size - 2);
    if (end) inFragment_ = false;
    return true;
  }

  if (inFragment_) return false;  // a whole NAL inside an unfinished fragment

  if (type == h264::kStapA) {
    size_t offset = 1;
    if (offset >= size) return false;
    while (offset < size) {
      if (offset + 2 > size) return false;
      const size_t nalSize = (static_cast<size_t>(payload[offset]) << 8) | payload[offset + 1];
      offset += 2;
      if (nalSize == 0 || offset + nalSize > size) return false;
      if (payload[offset] & 0x80) return false;
      StartNal(payload[offset]);
      AppendBytes(payload + offset + 1, nalSize - 1);
      offset += nalSize;
    }
    return true;
  }

  if (type >= 1 && type <= 23) {
    StartNal(payload[0]);
    AppendBytes(payload + 1, size - 1);
    return true;
  }
  return false;  // 0, 25-27 (STAP-B, MTAPs: interleaved mode), 29 (FU-B), 30-31 undefined
}

bool H264Depacketizer::EndFrame() { return !inFragment_; }

}  // namespace callmedia
