// Audio levels in dBov as RFC 6464 carries them: 0 is the loudest (full scale), 127 silence.
#pragma once
#include <cmath>
#include <cstddef>
#include <cstdint>

namespace callmedia {

inline int LevelDbov(const int16_t* pcm, size_t n) {
  if (n == 0) return 127;
  double sum = 0;
  for (size_t i = 0; i < n; ++i) sum += static_cast<double>(pcm[i]) * pcm[i];
  const double rms = std::sqrt(sum / n) / 32768.0;
  if (rms <= 1e-7) return 127;
  const int level = static_cast<int>(std::lround(-20.0 * std::log10(rms)));
  return level < 0 ? 0 : (level > 127 ? 127 : level);
}

// RFC 6464 one-byte element: V flag, then 7 bits of level.
inline int ParseAudioLevel(const uint8_t* value, size_t length) {
  return length >= 1 ? (value[0] & 0x7F) : -1;
}

}  // namespace callmedia
