// A consumer's outgoing video stream: whatever comes in (another participant, another encoding
// of one, a sender that restarted) leaves under one SSRC of its own, with sequence numbers that
// continue across every switch, and the source's id in the CSRC. The bot's receiver, its SRTP
// replay window and its NACK logic so see one stream that changed what it carries, never a
// jump that looks like loss or a replay.
#pragma once
#include <cstddef>
#include <cstdint>

#include "rtp/RtpPacket.h"

namespace callmedia {

class RtpRewriter {
 public:
  RtpRewriter(uint32_t ssrc, uint16_t firstSeq) : ssrc_(ssrc), nextSeq_(firstSeq) {}

  // Writes `packet` as this stream's into `out`, carrying `source` in its CSRC, under
  // `payloadType` (its codec's number in this stream's session); `producer` says which incoming
  // stream it came from (identity only). Returns the bytes written, or 0 if it does not fit.
  size_t Rewrite(const RtpPacket& packet, const void* producer, uint32_t source, uint8_t payloadType, uint8_t* out,
                 size_t capacity);

  uint32_t ssrc() const { return ssrc_; }
  // The sequence number the next new stream starts at.
  uint16_t nextSeq() const { return nextSeq_; }
  // How many times the incoming stream changed (the first one included).
  uint64_t switches() const { return switches_; }

 private:
  const uint32_t ssrc_;
  uint16_t nextSeq_;
  bool haveSource_ = false;
  const void* producer_ = nullptr;
  uint32_t inSsrc_ = 0;
  uint16_t seqOffset_ = 0;
  uint64_t switches_ = 0;
};

}  // namespace callmedia
