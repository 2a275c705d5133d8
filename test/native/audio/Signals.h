// Helpers shared by the audio tests: test signals, measurements of what comes out, and G.711
// decoders written from the tables of ITU-T G.711 (so the engine's bit tricks are checked
// against the standard rather than against themselves).
#pragma once
#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <vector>

namespace testaudio {

constexpr double kPi = 3.14159265358979323846;

// `n` samples of a sine of `amplitude` at `hz`, starting at sample `offset` of the wave.
inline std::vector<int16_t> Sine(double hz, double amplitude, int rate, size_t n, size_t offset = 0) {
  std::vector<int16_t> out(n);
  for (size_t i = 0; i < n; ++i)
    out[i] = static_cast<int16_t>(std::lround(amplitude * std::sin(2 * kPi * hz * static_cast<double>(i + offset) / rate)));
  return out;
}

inline double Rms(const int16_t* pcm, size_t n) {
  if (n == 0) return 0;
  double sum = 0;
  for (size_t i = 0; i < n; ++i) sum += static_cast<double>(pcm[i]) * pcm[i];
  return std::sqrt(sum / static_cast<double>(n));
}

// Amplitude of the `hz` component of a block (Goertzel); exact for a sine on a bin centre.
inline double ToneAmplitude(const int16_t* pcm, size_t n, double hz, int rate) {
  const double coeff = 2 * std::cos(2 * kPi * hz / rate);
  double s1 = 0, s2 = 0;
  for (size_t i = 0; i < n; ++i) {
    const double s0 = pcm[i] + coeff * s1 - s2;
    s2 = s1;
    s1 = s0;
  }
  const double power = s1 * s1 + s2 * s2 - coeff * s1 * s2;
  return 2 * std::sqrt(std::max(0.0, power)) / static_cast<double>(n);
}

// Share of a block's energy that lies in the `hz` component: close to 1 for a clean tone.
inline double TonePurity(const int16_t* pcm, size_t n, double hz, int rate) {
  const double rms = Rms(pcm, n);
  if (rms == 0) return 0;
  const double a = ToneAmplitude(pcm, n, hz, rate);
  return (a * a / 2) / (rms * rms);
}

// G.711 table 2a/2b (µ-law): the line carries the polarity bit (1 = positive) and the
// inverted segment and step; segment s, step q decode to ((2q + 33) << s) - 33 on the 8159
// scale, which is 1/4 of 16-bit linear.
inline int MulawReference(uint8_t code) {
  const bool positive = code & 0x80;
  const int s = (~code >> 4) & 7;
  const int q = ~code & 15;
  const int y = ((2 * q + 33) << s) - 33;
  return (positive ? 1 : -1) * 4 * y;
}

// G.711 table 1a/1b (A-law): even bits inverted on the line; segment 0 decodes to 2q + 1,
// segment s > 0 to (2q + 33) << (s - 1), on the 4096 scale, 1/8 of 16-bit linear.
inline int AlawReference(uint8_t code) {
  const uint8_t v = code ^ 0x55;
  const bool positive = v & 0x80;
  const int s = (v >> 4) & 7;
  const int q = v & 15;
  const int y = s == 0 ? 2 * q + 1 : (2 * q + 33) << (s - 1);
  return (positive ? 1 : -1) * 8 * y;
}

}  // namespace testaudio
