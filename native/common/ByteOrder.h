// Network byte order (big-endian) reads and writes of 16, 32 and 64 bits, for the parsers and
// writers of every wire format (RTP, RTCP, STUN, transport-cc). The caller has checked the length.
#pragma once
#include <cstdint>

namespace callmedia {

inline uint16_t Read16(const uint8_t* p) { return static_cast<uint16_t>((p[0] << 8) | p[1]); }
inline uint32_t Read32(const uint8_t* p) {
  return (static_cast<uint32_t>(p[0]) << 24) | (static_cast<uint32_t>(p[1]) << 16) | (static_cast<uint32_t>(p[2]) << 8) | p[3];
}
inline uint64_t Read64(const uint8_t* p) { return (static_cast<uint64_t>(Read32(p)) << 32) | Read32(p + 4); }
inline void Write16(uint8_t* p, uint16_t v) {
  p[0] = static_cast<uint8_t>(v >> 8);
  p[1] = static_cast<uint8_t>(v);
}
inline void Write32(uint8_t* p, uint32_t v) {
  Write16(p, static_cast<uint16_t>(v >> 16));
  Write16(p + 2, static_cast<uint16_t>(v));
}
inline void Write64(uint8_t* p, uint64_t v) {
  Write32(p, static_cast<uint32_t>(v >> 32));
  Write32(p + 4, static_cast<uint32_t>(v));
}

}  // namespace callmedia
