// RFC 4588 retransmission payload format, session-multiplexed: the retransmitted packet goes
// under an SSRC and payload type of its own (the "apt" mapping of the SDP names the original
// payload type), with its own sequence numbers, and the payload starts with the original
// sequence number (OSN). Both directions work on caller-owned buffers: nothing is allocated.
#pragma once
#include <cstddef>
#include <cstdint>

#include "rtp/RtpPacket.h"

namespace callmedia {

class RtxPacket {
 public:
  static constexpr size_t kOsnSize = 2;

  // Writes `original` as an RTX packet into `out`: its header (CSRCs and extensions kept) with
  // `payloadType`, `seq` and `ssrc`, the OSN, then the original payload without its padding.
  // Returns the size, or 0 when it does not fit.
  static size_t Wrap(const RtpPacket& original, uint8_t payloadType, uint16_t seq, uint32_t ssrc, uint8_t* out,
                     size_t capacity);

  // Writes the packet `rtx` repairs into `out`: its header with the original payload type
  // `apt`, the OSN as sequence number and `mediaSsrc`, then the payload after the OSN. Returns
  // the size, or 0 when `rtx` carries no OSN (an RTX packet of padding only, as senders use to
  // probe bandwidth) or it does not fit.
  static size_t Unwrap(const RtpPacket& rtx, uint8_t apt, uint32_t mediaSsrc, uint8_t* out, size_t capacity);

  // The original sequence number an RTX packet carries; false when it has none.
  static bool OriginalSequenceNumber(const RtpPacket& rtx, uint16_t* osn);
};

}  // namespace callmedia
