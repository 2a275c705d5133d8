// An H.264 clip for the native tests: a moving gradient from the x264 encoder.
#pragma once
#include <cstring>
#include <string>
#include <vector>

#include "video/VideoEncoder.h"

namespace testvideo {

using Bytes = std::vector<uint8_t>;
constexpr int kWidth = 160;
constexpr int kHeight = 96;

// `count` access units of a moving gradient from the x264 encoder, the first a key frame.
inline std::vector<Bytes> EncodeClip(int count) {
  callmedia::EncoderConfig config;
  config.width = kWidth;
  config.height = kHeight;
  config.bitrateKbps = 300;
  std::string error;
  auto encoder = callmedia::VideoEncoder::Create("x264", config, &error);
  std::vector<Bytes> units;
  if (!encoder) return units;
  for (int i = 0; i < count; ++i) {
    callmedia::I420Target in;
    if (!encoder->PrepareInput(&in)) return {};
    for (int y = 0; y < kHeight; ++y)
      for (int x = 0; x < kWidth; ++x) in.y[y * in.strideY + x] = static_cast<uint8_t>(x + y + 4 * i);
    for (int y = 0; y < kHeight / 2; ++y) {
      std::memset(in.u + y * in.strideU, 100, kWidth / 2);
      std::memset(in.v + y * in.strideV, 150, kWidth / 2);
    }
    Bytes out;
    bool key = false;
    if (!encoder->Encode(i * 3000, i == 0, &out, &key) || out.empty()) return {};
    units.push_back(std::move(out));
  }
  return units;
}

}  // namespace testvideo
