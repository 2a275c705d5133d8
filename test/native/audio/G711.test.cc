#include "audio/G711.h"

#include <algorithm>
#include <cstdlib>
#include <random>
#include <string>
#include <vector>

#include "audio/Signals.h"
#include "check.h"

using callmedia::AlawToLinear;
using callmedia::MulawToLinear;
using callmedia::Upsample2x;
using testaudio::AlawReference;
using testaudio::MulawReference;

TEST(G711_MulawKnownValues) {
  CHECK_EQ(MulawToLinear(0xFF), 0);       // +0
  CHECK_EQ(MulawToLinear(0x7F), 0);       // -0
  CHECK_EQ(MulawToLinear(0xFE), 8);       // segment 0, step 1
  CHECK_EQ(MulawToLinear(0xF0), 120);     // segment 0, step 15
  CHECK_EQ(MulawToLinear(0xEF), 132);     // segment 1, step 0
  CHECK_EQ(MulawToLinear(0x8F), 16764);   // segment 7, step 0
  CHECK_EQ(MulawToLinear(0x80), 32124);   // largest positive
  CHECK_EQ(MulawToLinear(0x00), -32124);  // largest negative
  CHECK_EQ(MulawToLinear(0x7E), -8);
}

TEST(G711_MulawEveryCodeMatchesTheTable) {
  for (int code = 0; code < 256; ++code) {
    const uint8_t c = static_cast<uint8_t>(code);
    CHECK_MSG(MulawToLinear(c) == MulawReference(c),
              "code " + std::to_string(code) + ": " + std::to_string(MulawToLinear(c)) + " != " +
                  std::to_string(MulawReference(c)));
    CHECK_EQ(MulawToLinear(c), -MulawToLinear(static_cast<uint8_t>(c ^ 0x80)));  // symmetric
  }
  // Positive codes run from +0 (0xFF) down to the largest value (0x80): strictly increasing.
  for (int code = 0xFF; code > 0x80; --code)
    CHECK_MSG(MulawToLinear(static_cast<uint8_t>(code - 1)) > MulawToLinear(static_cast<uint8_t>(code)),
              "not increasing at " + std::to_string(code));
}

TEST(G711_AlawKnownValues) {
  CHECK_EQ(AlawToLinear(0xD5), 8);        // segment 0, step 0, positive
  CHECK_EQ(AlawToLinear(0x55), -8);
  CHECK_EQ(AlawToLinear(0xD4), 24);       // segment 0, step 1
  CHECK_EQ(AlawToLinear(0xC5), 264);      // segment 1, step 0
  CHECK_EQ(AlawToLinear(0xF5), 528);      // segment 2, step 0
  CHECK_EQ(AlawToLinear(0xAA), 32256);    // largest positive
  CHECK_EQ(AlawToLinear(0x2A), -32256);   // largest negative
}

TEST(G711_AlawEveryCodeMatchesTheTable) {
  for (int code = 0; code < 256; ++code) {
    const uint8_t c = static_cast<uint8_t>(code);
    CHECK_MSG(AlawToLinear(c) == AlawReference(c),
              "code " + std::to_string(code) + ": " + std::to_string(AlawToLinear(c)) + " != " +
                  std::to_string(AlawReference(c)));
    CHECK_EQ(AlawToLinear(c), -AlawToLinear(static_cast<uint8_t>(c ^ 0x80)));
  }
  // In line order (even bits inverted back) the positive values strictly increase.
  for (int v = 0x81; v <= 0xFF; ++v)
    CHECK_MSG(AlawToLinear(static_cast<uint8_t>(v ^ 0x55)) > AlawToLinear(static_cast<uint8_t>((v - 1) ^ 0x55)),
              "not increasing at " + std::to_string(v));
}

TEST(G711_Upsample2xInterpolates) {
  const int16_t in[3] = {100, 200, -300};
  int16_t out[6];
  int16_t last = 0;
  Upsample2x(in, 3, out, &last);
  const std::vector<int16_t> got(out, out + 6), want = {50, 100, 150, 200, -50, -300};
  CHECK(got == want);
  CHECK_EQ(last, -300);

  // The sample carried over opens the next call.
  const int16_t next[1] = {-100};
  Upsample2x(next, 1, out, &last);
  CHECK_EQ(out[0], -200);
  CHECK_EQ(out[1], -100);

  // Nothing in, nothing written, nothing carried.
  out[0] = 1234;
  Upsample2x(next, 0, out, &last);
  CHECK_EQ(out[0], 1234);
  CHECK_EQ(last, -100);
}

TEST(G711_Upsample2xAtFullScale) {
  const int16_t in[3] = {32767, -32768, -32768};
  int16_t out[6];
  int16_t last = 32767;
  Upsample2x(in, 3, out, &last);
  CHECK_EQ(out[0], 32767);
  CHECK_EQ(out[1], 32767);
  CHECK_EQ(out[2], 0);  // (32767 - 32768) / 2
  CHECK_EQ(out[3], -32768);
  CHECK_EQ(out[4], -32768);
  CHECK_EQ(out[5], -32768);
}

TEST(G711_Upsample2xIsContinuousAcrossCalls) {
  // Packet by packet must give exactly what one call over the whole signal gives.
  std::mt19937 rng(5);
  const std::vector<int16_t> signal = testaudio::Sine(440, 20000, 8000, 2000);
  std::vector<int16_t> whole(2 * signal.size()), pieces(2 * signal.size());
  int16_t last = 0;
  Upsample2x(signal.data(), signal.size(), whole.data(), &last);
  int16_t carry = 0;
  for (size_t at = 0; at < signal.size();) {
    const size_t n = std::min<size_t>(signal.size() - at, rng() % 200);
    Upsample2x(signal.data() + at, n, pieces.data() + 2 * at, &carry);
    at += n;
  }
  CHECK(whole == pieces);
  CHECK_EQ(carry, signal.back());
  // No jump at a packet edge larger than within a packet: the steps of the upsampled sine are
  // half those of the input.
  int maxStep = 0;
  for (size_t i = 1; i < pieces.size(); ++i) maxStep = std::max(maxStep, std::abs(pieces[i] - pieces[i - 1]));
  int maxInputStep = 0;
  for (size_t i = 1; i < signal.size(); ++i) maxInputStep = std::max(maxInputStep, std::abs(signal[i] - signal[i - 1]));
  CHECK(maxStep <= maxInputStep / 2 + 1);
}
