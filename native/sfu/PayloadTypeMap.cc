#include "sfu/PayloadTypeMap.h"

namespace callmedia {

ForwardedCodec ForwardedCodecByName(const std::string& name) {
  if (name == "opus") return ForwardedCodec::Opus;
  if (name == "pcmu") return ForwardedCodec::Pcmu;
  if (name == "pcma") return ForwardedCodec::Pcma;
  if (name == "telephone-event/8000") return ForwardedCodec::TelephoneEvent8k;
  if (name == "telephone-event/48000") return ForwardedCodec::TelephoneEvent48k;
  if (name == "h264") return ForwardedCodec::H264;
  if (name == "vp8") return ForwardedCodec::Vp8;
  return ForwardedCodec::None;
}

void PayloadTypeMap::Set(uint8_t payloadType, ForwardedCodec codec) {
  if (payloadType >= 128 || codec == ForwardedCodec::None) return;
  codecOf_[payloadType] = codec;
  int& first = payloadTypeOf_[static_cast<size_t>(codec)];
  if (first < 0) first = payloadType;
  any_ = true;
}

int PayloadTypeMap::PayloadTypeOf(ForwardedCodec codec) const {
  return codec == ForwardedCodec::None ? -1 : payloadTypeOf_[static_cast<size_t>(codec)];
}

int PayloadTypeMap::Translate(uint8_t payloadType, const PayloadTypeMap& from, const PayloadTypeMap& to) {
  if (from.empty() || to.empty()) return payloadType & 0x7F;
  return to.PayloadTypeOf(from.CodecOf(payloadType));
}

}  // namespace callmedia
