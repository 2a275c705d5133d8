// RFC 6184 packetization (mode 1) of one Annex-B access unit into RTP packets: NAL units that
// fit go alone, or together in a STAP-A when several small ones (SPS, PPS, SEI) fit one
// packet; larger ones are cut into FU-A fragments. The marker bit ends the access unit.
#pragma once
#include <cstddef>
#include <cstdint>
#include <vector>

#include "video/RtpPacketizer.h"

namespace callmedia {

class H264Packetizer : public RtpPacketizer {
 public:
  explicit H264Packetizer(size_t maxPayload = 1200) : maxPayload_(maxPayload) {}

  bool Packetize(const uint8_t* frame, size_t size, bool, const RtpHeaderFields& header, uint16_t* seq,
                 PacketBatch* batch) override {
    return Packetize(frame, size, header, seq, batch);
  }

  // Fills `batch`; `seq` is the next sequence number and advances by the packets written.
  // Returns false when the access unit holds no NAL unit.
  bool Packetize(const uint8_t* au, size_t size, const RtpHeaderFields& header, uint16_t* seq, PacketBatch* batch);

  // Splits Annex-B into NAL units (without start codes).
  static void SplitAnnexB(const uint8_t* data, size_t size, std::vector<std::pair<const uint8_t*, size_t>>* nals);

 private:
  const size_t maxPayload_;
  std::vector<std::pair<const uint8_t*, size_t>> nals_;
};

}  // namespace callmedia
