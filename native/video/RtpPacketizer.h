// A codec's RTP payload format on the send side (RFC 6184 H.264, RFC 7741 VP8): one encoded
// frame into the packets that carry it, back to back in one pooled block.
#pragma once
#include <cstddef>
#include <cstdint>
#include <memory>
#include <utility>
#include <vector>

#include "common/BufferPool.h"
#include "video/VideoCodec.h"

namespace callmedia {

struct RtpHeaderFields {
  uint8_t payloadType = 96;
  uint32_t ssrc = 0;
  uint32_t timestamp = 0;
};

// The packets of one frame, back to back in one pooled block.
struct PacketBatch {
  PooledBuffer block;
  std::vector<std::pair<uint32_t, uint16_t>> packets;  // offset, length
  size_t next = 0;                                      // first packet not yet sent
  uint32_t timestamp = 0;
};

class RtpPacketizer {
 public:
  static std::unique_ptr<RtpPacketizer> Create(VideoCodec codec, size_t maxPayload);
  virtual ~RtpPacketizer() = default;

  // Fills `batch` with the frame's packets, the marker bit on the last; `seq` is the next
  // sequence number and advances by the packets written. `keyFrame` says what the encoder
  // made. False when the frame cannot be packetized (empty, no NAL unit).
  virtual bool Packetize(const uint8_t* frame, size_t size, bool keyFrame, const RtpHeaderFields& header, uint16_t* seq,
                         PacketBatch* batch) = 0;
};

}  // namespace callmedia
