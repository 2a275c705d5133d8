// H.264 decoding with libavcodec, set up for the lowest delay: one thread (frame threading
// would hold one frame per thread) and AV_CODEC_FLAG_LOW_DELAY, so a frame comes out of the
// decoder for the access unit that carried it. Corrupt input is reported, never fatal.
#pragma once
#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>

#include "video/FrameConverter.h"

struct AVCodecContext;
struct AVFrame;
struct AVPacket;

namespace callmedia {

struct DecodedPicture {
  I420Planes planes;
  int width;
  int height;
  bool fullRange;
  ColorMatrix matrix;
  int64_t pts;
};

class H264Decoder {
 public:
  // Extra bytes the decoder may read past an access unit; callers pad input buffers with zeros.
  static constexpr size_t kInputPadding = 64;

  H264Decoder();
  ~H264Decoder();
  H264Decoder(const H264Decoder&) = delete;
  H264Decoder& operator=(const H264Decoder&) = delete;

  bool ok() const { return ctx_ != nullptr; }
  const std::string& error() const { return error_; }

  enum class Result { Ok, Corrupt, UnsupportedFormat };
  // `data` must be followed by kInputPadding readable bytes. Calls `onPicture` for each frame.
  Result Decode(const uint8_t* data, size_t size, int64_t pts,
                const std::function<void(const DecodedPicture&)>& onPicture);

  // Returns the pictures the decoder still holds for reordering (streams with B-frames), then
  // resets it: the next picture it can decode is a key frame.
  void Drain(const std::function<void(const DecodedPicture&)>& onPicture);

 private:
  AVCodecContext* ctx_ = nullptr;
  AVFrame* frame_ = nullptr;
  AVPacket* packet_ = nullptr;
  Result ReceivePictures(const std::function<void(const DecodedPicture&)>& onPicture);
  std::string error_;
};

}  // namespace callmedia
