// x264 through libavcodec (H.264, tune=zerolatency). The class is written for any encoder
// libavcodec wraps; what differs between them is the codec's own options.
#include <string>
#include <utility>
#include <vector>

#include "video/VideoEncoder.h"

extern "C" {
#include <libavcodec/avcodec.h>
#include <libavutil/frame.h>
#include <libavutil/opt.h>
}

namespace callmedia {

namespace {

struct AvEncoderKind {
  const char* encoder;  // libavcodec's name
  const char* name;     // ours
  VideoCodec codec;
  std::vector<std::pair<const char*, std::string>> options;  // private options of the encoder
};

class AvEncoder : public VideoEncoder {
 public:
  explicit AvEncoder(AvEncoderKind kind) : kind_(std::move(kind)) {}
  ~AvEncoder() override {
    avcodec_free_context(&ctx_);
    av_frame_free(&frame_);
    av_packet_free(&packet_);
  }

  bool Init(const EncoderConfig& c, std::string* error) {
    const AVCodec* codec = avcodec_find_encoder_by_name(kind_.encoder);
    if (!codec) {
      *error = std::string("this FFmpeg build has no ") + kind_.encoder + " encoder";
      return false;
    }
    ctx_ = avcodec_alloc_context3(codec);
    frame_ = av_frame_alloc();
    packet_ = av_packet_alloc();
    if (!ctx_ || !frame_ || !packet_) {
      *error = "out of memory";
      return false;
    }
    ctx_->width = c.width;
    ctx_->height = c.height;
    ctx_->pix_fmt = AV_PIX_FMT_YUV420P;
    ctx_->time_base = AVRational{1, 90000};
    ctx_->framerate = AVRational{static_cast<int>(c.fps * 1000), 1000};
    ctx_->bit_rate = static_cast<int64_t>(c.bitrateKbps) * 1000;
    ctx_->rc_max_rate = ctx_->bit_rate * 3 / 2;
    ctx_->rc_buffer_size = static_cast<int>(ctx_->bit_rate);  // one second of video buffering
    ctx_->gop_size = c.keyFrameInterval;
    ctx_->max_b_frames = 0;
    ctx_->thread_count = 1;
    for (const auto& [key, value] : kind_.options) av_opt_set(ctx_->priv_data, key, value.c_str(), 0);
    if (avcodec_open2(ctx_, codec, nullptr) < 0) {
      *error = std::string(kind_.encoder) + " refused the settings";
      return false;
    }
    frame_->format = AV_PIX_FMT_YUV420P;
    frame_->width = c.width;
    frame_->height = c.height;
    if (av_frame_get_buffer(frame_, 32) < 0) {
      *error = "out of memory";
      return false;
    }
    return true;
  }

  bool PrepareInput(I420Target* t) override {
    if (av_frame_make_writable(frame_) < 0) return false;
    *t = I420Target{frame_->data[0], frame_->linesize[0], frame_->data[1], frame_->linesize[1], frame_->data[2],
                    frame_->linesize[2]};
    return true;
  }

  bool Encode(int64_t pts, bool forceKeyFrame, std::vector<uint8_t>* out, bool* keyFrame) override {
    out->clear();
    *keyFrame = false;
    frame_->pts = pts;
    frame_->pict_type = forceKeyFrame ? AV_PICTURE_TYPE_I : AV_PICTURE_TYPE_NONE;
    if (avcodec_send_frame(ctx_, frame_) < 0) return false;
    for (;;) {
      const int ret = avcodec_receive_packet(ctx_, packet_);
      if (ret == AVERROR(EAGAIN) || ret == AVERROR_EOF) break;
      if (ret < 0) return false;
      out->insert(out->end(), packet_->data, packet_->data + packet_->size);
      if (packet_->flags & AV_PKT_FLAG_KEY) *keyFrame = true;
      av_packet_unref(packet_);
    }
    return true;
  }

  // libavcodec's x264 wrapper reconfigures the encoder when these change between frames
  // (checked by the native tests). The estimate is a ceiling, so the peak rate is held to it, over half a second of buffer.
  bool SetBitrate(int bps) override {
    ctx_->bit_rate = bps;
    ctx_->rc_max_rate = bps;
    ctx_->rc_buffer_size = bps / 2;
    return true;
  }

  const char* name() const override { return kind_.name; }
  VideoCodec codec() const override { return kind_.codec; }

 private:
  const AvEncoderKind kind_;
  AVCodecContext* ctx_ = nullptr;
  AVFrame* frame_ = nullptr;
  AVPacket* packet_ = nullptr;
};

std::unique_ptr<VideoEncoder> Create(AvEncoderKind kind, const EncoderConfig& config, std::string* error) {
  auto e = std::make_unique<AvEncoder>(std::move(kind));
  if (!e->Init(config, error)) return nullptr;
  return e;
}

}  // namespace

std::unique_ptr<VideoEncoder> CreateX264Encoder(const EncoderConfig& c, std::string* error) {
  return Create({"libx264", "x264", VideoCodec::kH264,
                 {{"preset", c.screenContent ? "veryfast" : "ultrafast"},
                  {"tune", "zerolatency"},
                  {"profile", "baseline"},
                  {"forced-idr", "1"}}},  // a forced key frame is an IDR
                c, error);
}

}  // namespace callmedia
