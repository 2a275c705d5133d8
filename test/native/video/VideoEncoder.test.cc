#include "video/VideoEncoder.h"

#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include "check.h"

using callmedia::EncoderConfig;
using callmedia::I420Target;
using callmedia::VideoEncoder;

namespace {
constexpr int kWidth = 640;
constexpr int kHeight = 360;
constexpr int kFps = 30;

// Encodes `frames` frames of a moving gradient with grain (content that uses every bit it is
// given) and returns the bits per second of what came out, and whether any was a key frame.
double EncodeGrain(VideoEncoder& e, int first, int frames, bool* keyFrame) {
  uint32_t rng = 7 + first;
  size_t bytes = 0;
  std::vector<uint8_t> out;
  *keyFrame = false;
  for (int i = first; i < first + frames; ++i) {
    I420Target in;
    if (!e.PrepareInput(&in)) return -1;
    for (int y = 0; y < kHeight; ++y)
      for (int x = 0; x < kWidth; ++x) {
        rng = rng * 1103515245 + 12345;
        in.y[y * in.strideY + x] = static_cast<uint8_t>(((x + y + 4 * i) & 0x7F) + 64 + ((rng >> 16) & 31) - 16);
      }
    for (int y = 0; y < kHeight / 2; ++y) {
      std::memset(in.u + y * in.strideU, 100, kWidth / 2);
      std::memset(in.v + y * in.strideV, 150, kWidth / 2);
    }
    bool key = false;
    if (!e.Encode(static_cast<int64_t>(i) * 90000 / kFps, false, &out, &key)) return -1;
    if (key && i > 0) *keyFrame = true;
    bytes += out.size();
  }
  return bytes * 8.0 * kFps / frames;
}

void CheckFollows(const char* name) {
  EncoderConfig config;
  config.width = kWidth;
  config.height = kHeight;
  config.fps = kFps;
  config.bitrateKbps = 2000;
  config.keyFrameInterval = 100000;
  std::string error;
  auto e = VideoEncoder::Create(name, config, &error);
  REQUIRE(e);
  bool key = false;
  const double high = EncodeGrain(*e, 0, 60, &key);
  const bool keyBefore = key;
  REQUIRE(e->SetBitrate(400'000));
  const double settle = EncodeGrain(*e, 60, 30, &key);  // rate control settles
  const bool keySettle = key;
  const double low = EncodeGrain(*e, 90, 60, &key);
  CHECK_MSG(high > 1'200'000, std::string(name) + " at 2 Mbit/s made " + std::to_string(high));
  CHECK_MSG(low < 560'000, std::string(name) + " at 400 kbit/s made " + std::to_string(low));
  CHECK_MSG(!key, std::string(name) + ": the new rate needs no key frame");
}
}  // namespace

// Congestion control moves an encoder's target between frames: its output follows within a
// second, without a key frame.
TEST(VideoEncoder_OpenH264FollowsANewBitrate) { CheckFollows("openh264"); }
TEST(VideoEncoder_X264FollowsANewBitrate) { CheckFollows("x264"); }
TEST(VideoEncoder_Vp8FollowsANewBitrate) { CheckFollows("vp8"); }
