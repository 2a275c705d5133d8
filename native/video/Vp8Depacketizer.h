// RFC 7741 depacketization: each packet opens with a payload descriptor (4.2); the VP8
// payloads after it, concatenated, are the encoded frame the decoder reads. The frame's
// first packet (S=1, PID=0) carries the VP8 payload header (4.3), whose P bit tells a key
// frame. Anything that breaks the RFC's rules makes the frame malformed instead of half-decoded.
#pragma once
#include <cstddef>
#include <cstdint>
#include <vector>

#include "video/RtpDepacketizer.h"

namespace callmedia {

namespace vp8 {

// RFC 7741 4.2, one packet's payload descriptor.
struct PayloadDescriptor {
  bool nonReference = false;      // N
  bool startOfPartition = false;  // S
  uint8_t partitionId = 0;        // PID
  bool hasPictureId = false;      // I
  bool longPictureId = false;     // M: 15 bits rather than 7
  uint16_t pictureId = 0;
  bool hasTl0PicIdx = false;      // L
  uint8_t tl0PicIdx = 0;
  bool hasTid = false;            // T
  uint8_t tid = 0;
  bool layerSync = false;         // Y
  bool hasKeyIdx = false;         // K
  uint8_t keyIdx = 0;
  size_t size = 0;                // descriptor bytes: the VP8 payload starts here
};

// False when the descriptor does not fit the payload, or nothing follows it.
bool ParseDescriptor(const uint8_t* payload, size_t size, PayloadDescriptor* out);

// True when an RTP payload is the first packet of a key frame: S=1, PID=0, and a VP8 payload
// header with P=0 and the key frame start code (RFC 6386 9.1).
bool PayloadStartsKeyFrame(const uint8_t* payload, size_t size);

}  // namespace vp8

class Vp8Depacketizer : public RtpDepacketizer {
 public:
  // S=1 and PID=0: the payload begins the frame's first partition.
  bool StartsFrame(const uint8_t* payload, size_t size) const override;
  bool StartsKeyFrame(const uint8_t* payload, size_t size) const override {
    return vp8::PayloadStartsKeyFrame(payload, size);
  }
  // A key frame carries everything a decoder needs from its first packet on.
  bool OpensAccessUnit(const uint8_t* payload, size_t size) const override {
    return vp8::PayloadStartsKeyFrame(payload, size);
  }
  void BeginFrame(std::vector<uint8_t>* out) override;
  // Appends one packet's VP8 payload; false when the payload breaks RFC 7741.
  bool Append(const uint8_t* payload, size_t size) override;
  // False when nothing was appended.
  bool EndFrame() override { return started_; }

  bool isKeyFrame() const override { return keyFrame_; }
  // N=0 on the first packet: RFC 7741 marks frames no later frame predicts from with N=1.
  bool isReference() const override { return reference_; }

 private:
  std::vector<uint8_t>* out_ = nullptr;
  bool started_ = false;
  bool keyFrame_ = false;
  bool reference_ = false;
};

}  // namespace callmedia
