// RFC 6184 depacketization (packetization-mode 1): single NAL unit packets, STAP-A aggregates
// and FU-A fragments become one Annex-B access unit (start code + NAL, for each NAL).
// Anything that breaks the RFC's rules makes the frame malformed instead of half-decoded.
#pragma once
#include <cstddef>
#include <cstdint>
#include <vector>

#include "video/RtpDepacketizer.h"

namespace callmedia {

namespace h264 {
enum NalType : uint8_t {
  kSlice = 1, kIdr = 5, kSei = 6, kSps = 7, kPps = 8, kAud = 9, kStapA = 24, kFuA = 28,
};
// True when an RTP payload begins with an SPS, PPS, AUD or IDR start: a frame that a decoder
// can begin on. Looks inside STAP-A aggregates and FU-A start fragments.
bool PayloadStartsKeyFrame(const uint8_t* payload, size_t size);
// True when a payload begins with an SPS or AUD (alone or first in a STAP-A): only the first
// NAL units of an access unit are those.
bool PayloadOpensAccessUnit(const uint8_t* payload, size_t size);
// True when a payload is the first packet of a NAL unit (not a FU-A continuation).
bool PayloadStartsNal(const uint8_t* payload, size_t size);
// Scans an Annex-B access unit for the NAL types it holds (bit n set for type n).
uint32_t NalTypesInAnnexB(const uint8_t* data, size_t size);
}  // namespace h264

class H264Depacketizer : public RtpDepacketizer {
 public:
  bool StartsFrame(const uint8_t* payload, size_t size) const override { return h264::PayloadStartsNal(payload, size); }
  bool StartsKeyFrame(const uint8_t* payload, size_t size) const override {
    return h264::PayloadStartsKeyFrame(payload, size);
  }
  bool OpensAccessUnit(const uint8_t* payload, size_t size) const override {
    return h264::PayloadOpensAccessUnit(payload, size);
  }
  void BeginFrame(std::vector<uint8_t>* out) override;
  // Appends one packet's NAL units; false when the payload breaks RFC 6184.
  bool Append(const uint8_t* payload, size_t size) override;
  // False when the frame ends inside an unfinished FU-A.
  bool EndFrame() override;

  bool isKeyFrame() const override { return hasIdr_; }
  bool hasIdr() const { return hasIdr_; }
  bool hasSps() const { return hasSps_; }
  // A slice with nal_ref_idc != 0: later frames may predict from this one. A frame without
  // one (a disposable picture) can be dropped without breaking the reference chain.
  bool isReference() const override { return isReference_; }

 private:
  void StartNal(uint8_t header);
  void AppendBytes(const uint8_t* data, size_t size);
  void NoteHeader(uint8_t header);

  std::vector<uint8_t>* out_ = nullptr;
  bool inFragment_ = false;
  uint8_t fragmentType_ = 0;
  bool hasIdr_ = false;
  bool hasSps_ = false;
  bool isReference_ = false;
};

}  // namespace callmedia
