// ITU-T G.711 µ-law and A-law to linear PCM (16-bit), and the 8 → 16 kHz step every
// narrowband source needs before it joins the 16 kHz mix.
#pragma once
#include <cstddef>
#include <cstdint>

namespace callmedia {

inline int16_t MulawToLinear(uint8_t u) {
  u = static_cast<uint8_t>(~u);
  int t = ((u & 0x0F) << 3) + 0x84;
  t <<= (u & 0x70) >> 4;
  return static_cast<int16_t>((u & 0x80) ? (0x84 - t) : (t - 0x84));
}

inline int16_t AlawToLinear(uint8_t a) {
  a ^= 0x55;
  int t = (a & 0x0F) << 4;
  const int seg = (a & 0x70) >> 4;
  if (seg == 0) t += 8;
  else if (seg == 1) t += 0x108;
  else t = (t + 0x108) << (seg - 1);
  return static_cast<int16_t>((a & 0x80) ? t : -t);
}

// Doubles the sample rate by linear interpolation; `last` carries the previous input sample
// across calls so packet edges leave no click. Writes 2 * n samples.
inline void Upsample2x(const int16_t* in, size_t n, int16_t* out, int16_t* last) {
  for (size_t i = 0; i < n; ++i) {
    out[2 * i] = static_cast<int16_t>((*last + in[i]) / 2);
    out[2 * i + 1] = in[i];
    *last = in[i];
  }
}

}  // namespace callmedia
