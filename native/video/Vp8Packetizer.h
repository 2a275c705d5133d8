// RFC 7741 packetization of one VP8 frame into RTP packets: every packet opens with a payload
// descriptor carrying a 15-bit PictureID (X=1, I=1, M=1), so a receiver can tell frames apart
// across losses. The frame is cut into the fewest packets that fit, of even sizes; S=1 and
// PID=0 mark the first, the marker bit the last. Partitions are not aligned to packets.
#pragma once
#include <cstddef>
#include <cstdint>

#include "video/RtpPacketizer.h"

namespace callmedia {

class Vp8Packetizer : public RtpPacketizer {
 public:
  // `maxPayload` bounds the RTP payload, descriptor included. The first PictureID is random.
  explicit Vp8Packetizer(size_t maxPayload = 1200);
  // The first PictureID given (taken modulo 2^15).
  Vp8Packetizer(size_t maxPayload, uint16_t firstPictureId);

  // Fills `batch`; `seq` advances by the packets written. The key frame flag is in the VP8
  // payload header already, so `keyFrame` changes nothing. False for an empty frame, or a
  // limit that leaves no room after the descriptor.
  bool Packetize(const uint8_t* frame, size_t size, bool keyFrame, const RtpHeaderFields& header, uint16_t* seq,
                 PacketBatch* batch) override;

  // The PictureID the next frame gets.
  uint16_t nextPictureId() const { return pictureId_; }

  static constexpr size_t kDescriptorSize = 4;  // X/N/S/PID, I/L/T/K, two PictureID bytes

 private:
  const size_t maxPayload_;
  uint16_t pictureId_;
};

}  // namespace callmedia
