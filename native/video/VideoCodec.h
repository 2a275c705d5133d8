// The video codecs the engine speaks: H.264 (what Microsoft's platform and the engine's own
// encoders use) and VP8 (what every WebRTC endpoint must support, RFC 7742).
#pragma once
#include <cstring>

namespace callmedia {

enum class VideoCodec { kH264, kVp8 };

inline const char* VideoCodecName(VideoCodec codec) { return codec == VideoCodec::kVp8 ? "VP8" : "H264"; }

inline bool VideoCodecFromName(const char* name, VideoCodec* out) {
  if (std::strcmp(name, "H264") == 0) *out = VideoCodec::kH264;
  else if (std::strcmp(name, "VP8") == 0) *out = VideoCodec::kVp8;
  else return false;
  return true;
}

}  // namespace callmedia
