// H.264 and VP8 decoding with libavcodec, set up for the lowest delay: one thread (frame
// threading would hold one frame per thread) and AV_CODEC_FLAG_LOW_DELAY, so a picture comes
// out of the decoder for the frame that carried it. Corrupt input is reported, never fatal.
#pragma once
#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>

#include "video/FrameConverter.h"
#include "video/VideoCodec.h"

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

class VideoDecoder {
 public:
  // Extra bytes the decoder may read past a frame; callers pad input buffers with zeros.
  static constexpr size_t kInputPadding = 64;

  explicit VideoDecoder(VideoCodec codec = VideoCodec::kH264);
  ~VideoDecoder();
  VideoDecoder(const VideoDecoder&) = delete;
  VideoDecoder& operator=(const VideoDecoder&) = delete;

  bool ok() const { return ctx_ != nullptr; }
  VideoCodec codec() const { return codec_; }
  // Starts over with another codec (the stream changed payload type); the next picture it can
  // decode is a key frame.
  bool Reopen(VideoCodec codec);
  const std::string& error() const { return error_; }

  enum class Result { Ok, Corrupt, UnsupportedFormat };
  // `data` must be followed by kInputPadding readable bytes. Calls `onPicture` for each frame.
  Result Decode(const uint8_t* data, size_t size, int64_t pts,
                const std::function<void(const DecodedPicture&)>& onPicture);

  // Returns the pictures the decoder still holds for reordering (streams with B-frames), then
  // resets it: the next picture it can decode is a key frame.
  void Drain(const std::function<void(const DecodedPicture&)>& onPicture);

  // What became of the access units since the last call, each counted once, whenever the
  // decoder let it go: an access unit it took ends as a picture (onPicture), a picture in a format
  // other than 4:2:0 8-bit (unsupported), a concealed picture or a refusal (corrupt), or nothing
  // at all (discarded: the decoder used it without a picture of its own, e.g. slices it could
  // not place, and said nothing). Pictures still held for reordering are none of these yet.
  struct Outcomes {
    uint64_t unsupported = 0;
    uint64_t corrupt = 0;
    uint64_t discarded = 0;
  };
  Outcomes TakeOutcomes() {
    const Outcomes o = outcomes_;
    outcomes_ = {};
    return o;
  }
  // Access units in the decoder that have not come out yet (at most its reordering depth).
  int held() const { return held_; }

 private:
  bool Open(VideoCodec codec);
  VideoCodec codec_;
  AVCodecContext* ctx_ = nullptr;
  AVFrame* frame_ = nullptr;
  AVPacket* packet_ = nullptr;
  Result ReceivePictures(const std::function<void(const DecodedPicture&)>& onPicture);
  void Settle(bool draining);
  std::string error_;
  Outcomes outcomes_;
  int held_ = 0;
};

}  // namespace callmedia
