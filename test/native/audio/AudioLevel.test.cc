#include "audio/AudioLevel.h"

#include <vector>

#include "audio/Signals.h"
#include "check.h"

using callmedia::LevelDbov;
using callmedia::ParseAudioLevel;

namespace {
int Level(const std::vector<int16_t>& pcm) { return LevelDbov(pcm.data(), pcm.size()); }
}  // namespace

TEST(AudioLevel_FullScaleSquareWaveIsZero) {
  std::vector<int16_t> square(320);
  for (size_t i = 0; i < square.size(); ++i) square[i] = (i / 20) % 2 ? -32768 : 32767;
  CHECK_EQ(Level(square), 0);
}

TEST(AudioLevel_SilenceIs127) {
  CHECK_EQ(Level(std::vector<int16_t>(320, 0)), 127);
  CHECK_EQ(LevelDbov(nullptr, 0), 127);
  // Quieter than the scale reaches: clamped, not wrapped.
  std::vector<int16_t> almost(10000, 0);
  almost[17] = 1;  // RMS 130 dB below full scale
  CHECK_EQ(Level(almost), 127);
}

TEST(AudioLevel_SineLevels) {
  // A sine's RMS is 3 dB below its peak: a -20 dBFS sine is at 23 dBov.
  const int rate = 16000;
  CHECK_EQ(Level(testaudio::Sine(1000, 32767, rate, 320)), 3);
  CHECK_EQ(Level(testaudio::Sine(1000, 32768 * 0.1, rate, 320)), 23);
  CHECK_EQ(Level(testaudio::Sine(1000, 32768 * 0.01, rate, 320)), 43);
  CHECK_EQ(Level(testaudio::Sine(440, 32768 * 0.1, rate, 3200)), 23);  // not on a sample period
  // One LSB of DC: 20 log10(32768) = 90.3 dB below full scale.
  CHECK_EQ(Level(std::vector<int16_t>(320, 1)), 90);
  CHECK_EQ(Level(std::vector<int16_t>(320, -1)), 90);
  CHECK_EQ(Level(std::vector<int16_t>(320, 3)), 81);  // 80.77: rounded, not truncated
}

TEST(AudioLevel_LouderIsLower) {
  int previous = 128;
  for (double amplitude : {10.0, 100.0, 1000.0, 10000.0, 30000.0}) {
    const int level = Level(testaudio::Sine(1000, amplitude, 16000, 320));
    CHECK(level < previous);
    previous = level;
  }
}

TEST(AudioLevel_ParseRfc6464Element) {
  const uint8_t voice[1] = {0x80 | 45};  // V flag set
  CHECK_EQ(ParseAudioLevel(voice, 1), 45);
  const uint8_t quiet[1] = {0x7F};
  CHECK_EQ(ParseAudioLevel(quiet, 1), 127);
  const uint8_t loud[1] = {0x80};
  CHECK_EQ(ParseAudioLevel(loud, 1), 0);
  const uint8_t padded[2] = {30, 0xFF};  // two-byte header form: the level is the first byte
  CHECK_EQ(ParseAudioLevel(padded, 2), 30);
  CHECK_EQ(ParseAudioLevel(voice, 0), -1);
}
