#include "sfu/RtpRewriter.h"

#include "rtp/SeqManager.h"

namespace callmedia {

size_t RtpRewriter::Rewrite(const RtpPacket& packet, const void* producer, uint32_t source, uint8_t payloadType,
                            uint8_t* out, size_t capacity) {
  if (!haveSource_ || producer != producer_ || packet.ssrc != inSsrc_) {
    // A new incoming stream continues where the last one ended.
    haveSource_ = true;
    producer_ = producer;
    inSsrc_ = packet.ssrc;
    seqOffset_ = static_cast<uint16_t>(nextSeq_ - packet.sequenceNumber);
    ++switches_;
  }
  const uint16_t seq = static_cast<uint16_t>(packet.sequenceNumber + seqOffset_);
  const size_t n = packet.CopyAsForwarded({ssrc_, seq, payloadType, true, source}, out, capacity);
  // Only a packet sent, and newer, moves the next start: a late (reordered) one keeps its place,
  // and one that did not fit leaves no hole the receiver would count as loss.
  if (n > 0 && SeqManager::IsNewer(static_cast<uint16_t>(seq + 1), nextSeq_)) nextSeq_ = static_cast<uint16_t>(seq + 1);
  return n;
}

}  // namespace callmedia
