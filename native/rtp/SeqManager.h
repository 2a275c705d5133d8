// Wrap-aware arithmetic on 16-bit RTP sequence numbers (RFC 1982 serial number rules).
#pragma once
#include <cstddef>
#include <cstdint>

namespace callmedia {

struct SeqManager {
  // Signed distance from b to a: positive when a is newer than b.
  static int32_t Diff(uint16_t a, uint16_t b) { return static_cast<int16_t>(static_cast<uint16_t>(a - b)); }
  static bool IsNewer(uint16_t a, uint16_t b) { return Diff(a, b) > 0; }
  // Slots for a ring indexed by seq % n, at least `capacity` (at most 32768): only a power of
  // two divides 2^16, so a sequence number wrap never maps two pending packets to one slot.
  static size_t RingSize(size_t capacity) {
    size_t n = 2;
    while (n < capacity && n < 32768) n <<= 1;
    return n;
  }
};

}  // namespace callmedia
