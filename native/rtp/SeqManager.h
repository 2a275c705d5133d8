// Wrap-aware arithmetic on 16-bit RTP sequence numbers (RFC 1982 serial number rules).
#pragma once
#include <cstdint>

namespace callmedia {

struct SeqManager {
  // Signed distance from b to a: positive when a is newer than b.
  static int32_t Diff(uint16_t a, uint16_t b) { return static_cast<int16_t>(static_cast<uint16_t>(a - b)); }
  static bool IsNewer(uint16_t a, uint16_t b) { return Diff(a, b) > 0; }
};

}  // namespace callmedia
