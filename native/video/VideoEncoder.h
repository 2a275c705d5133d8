// Video encoders for the send path, behind one interface: OpenH264 (constrained baseline, the
// profile every WebRTC endpoint decodes, as libwebrtc configures it), x264 through libavcodec
// (tune=zerolatency: no lookahead, no B-frames), and VP8 (libvpx through libavcodec, in its
// real-time mode). Each takes I420 written straight into its input picture, so conversion from
// the bot's layout is the only pass over the pixels.
#pragma once
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "video/FrameConverter.h"
#include "video/VideoCodec.h"

namespace callmedia {

struct EncoderConfig {
  int width = 1280;
  int height = 720;
  double fps = 30;
  int bitrateKbps = 2000;
  int keyFrameInterval = 60;   // frames between IDRs
  bool screenContent = false;  // screen share: tuned for text and sharp edges
};

class VideoEncoder {
 public:
  // name: "openh264", "x264" (H.264) or "vp8".
  static std::unique_ptr<VideoEncoder> Create(const std::string& name, const EncoderConfig& config, std::string* error);
  virtual ~VideoEncoder() = default;

  // Planes to write the next picture into (valid until Encode).
  virtual bool PrepareInput(I420Target* target) = 0;
  // Encodes the picture written into the input. `pts` is in 90 kHz units, starting near 0 and
  // increasing. `out` receives one frame (H.264: an Annex-B access unit; empty when the
  // encoder skipped the frame). Returns false on an encoder error.
  virtual bool Encode(int64_t pts, bool forceKeyFrame, std::vector<uint8_t>* out, bool* keyFrame) = 0;
  // A new target bitrate (bits/s) for the frames from now on, as congestion control asks; the
  // stream goes on without a key frame. False when the encoder cannot change it.
  virtual bool SetBitrate(int bps) = 0;
  virtual const char* name() const = 0;
  virtual VideoCodec codec() const = 0;
};

// Each encoder (video/H264Encoder.cc: OpenH264; video/AvEncoder.cc: x264 through libavcodec;
// video/Vp8Encoder.cc: libvpx), for settings Create has checked.
std::unique_ptr<VideoEncoder> CreateOpenH264Encoder(const EncoderConfig& config, std::string* error);
std::unique_ptr<VideoEncoder> CreateX264Encoder(const EncoderConfig& config, std::string* error);
std::unique_ptr<VideoEncoder> CreateVp8Encoder(const EncoderConfig& config, std::string* error);

}  // namespace callmedia
