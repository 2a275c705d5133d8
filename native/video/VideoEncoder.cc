#include "video/VideoEncoder.h"

namespace callmedia {

std::unique_ptr<VideoEncoder> VideoEncoder::Create(const std::string& name, const EncoderConfig& config, std::string* error) {
  if (config.width < 16 || config.height < 16 || config.width > 4096 || config.height > 4096 || config.fps <= 0 ||
      config.fps > 120 || config.bitrateKbps < 10 || config.keyFrameInterval < 1) {
    *error = "encoder settings out of range (16..4096 px, 0..120 fps, ≥ 10 kbit/s, key-frame interval ≥ 1)";
    return nullptr;
  }
  if (name == "openh264") return CreateOpenH264Encoder(config, error);
  if (name == "x264") return CreateX264Encoder(config, error);
  if (name == "vp8") return CreateVp8Encoder(config, error);
  *error = "unknown encoder '" + name + "' (openh264, x264 or vp8)";
  return nullptr;
}

}  // namespace callmedia
