#include "video/H264Encoder.h"

#include <wels/codec_api.h>

extern "C" {
#include <libavcodec/avcodec.h>
#include <libavutil/frame.h>
#include <libavutil/opt.h>
}

namespace callmedia {

namespace {

class OpenH264Encoder : public H264Encoder {
 public:
  ~OpenH264Encoder() override {
    if (encoder_) {
      encoder_->Uninitialize();
      WelsDestroySVCEncoder(encoder_);
    }
  }

  bool Init(const EncoderConfig& c, std::string* error) {
    config_ = c;
    if (WelsCreateSVCEncoder(&encoder_) != 0 || !encoder_) {
      *error = "cannot create the OpenH264 encoder";
      return false;
    }
    int quiet = WELS_LOG_QUIET;  // its warnings would go to the bot's stderr
    encoder_->SetOption(ENCODER_OPTION_TRACE_LEVEL, &quiet);
    SEncParamExt p;
    encoder_->GetDefaultParams(&p);
    p.iUsageType = c.screenContent ? SCREEN_CONTENT_REAL_TIME : CAMERA_VIDEO_REAL_TIME;
    p.iPicWidth = c.width;
    p.iPicHeight = c.height;
    p.fMaxFrameRate = static_cast<float>(c.fps);
    p.iTargetBitrate = c.bitrateKbps * 1000;
    p.iMaxBitrate = UNSPECIFIED_BIT_RATE;
    p.iRCMode = RC_BITRATE_MODE;
    p.bEnableFrameSkip = false;  // every frame the bot sends is a frame the far end shows
    p.uiIntraPeriod = static_cast<unsigned>(c.keyFrameInterval);
    p.eSpsPpsIdStrategy = CONSTANT_ID;
    p.iMultipleThreadIdc = 1;
    p.iEntropyCodingModeFlag = 0;  // CAVLC: constrained baseline
    p.bEnableDenoise = false;
    p.iSpatialLayerNum = 1;
    p.iTemporalLayerNum = 1;
    SSpatialLayerConfig& layer = p.sSpatialLayers[0];
    layer.iVideoWidth = c.width;
    layer.iVideoHeight = c.height;
    layer.fFrameRate = static_cast<float>(c.fps);
    layer.iSpatialBitrate = p.iTargetBitrate;
    layer.iMaxSpatialBitrate = p.iMaxBitrate;
    layer.sSliceArgument.uiSliceMode = SM_SINGLE_SLICE;
    if (encoder_->InitializeExt(&p) != 0) {
      *error = "OpenH264 refused the settings (size, rate or bitrate out of range)";
      return false;
    }
    int format = videoFormatI420;
    encoder_->SetOption(ENCODER_OPTION_DATAFORMAT, &format);
    const int cw = (c.width + 1) / 2, ch = (c.height + 1) / 2;
    picture_.resize(static_cast<size_t>(c.width) * c.height + 2 * static_cast<size_t>(cw) * ch);
    return true;
  }

  bool PrepareInput(I420Target* t) override {
    const int cw = (config_.width + 1) / 2, ch = (config_.height + 1) / 2;
    uint8_t* y = picture_.data();
    uint8_t* u = y + static_cast<size_t>(config_.width) * config_.height;
    *t = I420Target{y, config_.width, u, cw, u + static_cast<size_t>(cw) * ch, cw};
    return true;
  }

  bool Encode(int64_t pts, bool forceKeyFrame, std::vector<uint8_t>* out, bool* keyFrame) override {
    out->clear();
    I420Target t;
    PrepareInput(&t);
    SSourcePicture pic{};
    pic.iColorFormat = videoFormatI420;
    pic.iPicWidth = config_.width;
    pic.iPicHeight = config_.height;
    pic.iStride[0] = t.strideY;
    pic.iStride[1] = t.strideU;
    pic.iStride[2] = t.strideV;
    pic.pData[0] = t.y;
    pic.pData[1] = t.u;
    pic.pData[2] = t.v;
    pic.uiTimeStamp = pts / 90;  // ms; rate control reads the frame rate from these
    if (forceKeyFrame) encoder_->ForceIntraFrame(true);
    SFrameBSInfo info{};
    if (encoder_->EncodeFrame(&pic, &info) != cmResultSuccess) return false;
    *keyFrame = info.eFrameType == videoFrameTypeIDR;
    if (info.eFrameType == videoFrameTypeSkip) return true;
    for (int i = 0; i < info.iLayerNum; ++i) {
      const SLayerBSInfo& layer = info.sLayerInfo[i];
      size_t bytes = 0;
      for (int n = 0; n < layer.iNalCount; ++n) bytes += static_cast<size_t>(layer.pNalLengthInByte[n]);
      out->insert(out->end(), layer.pBsBuf, layer.pBsBuf + bytes);  // NALs already carry start codes
    }
    return true;
  }

  const char* name() const override { return "openh264"; }

 private:
  ISVCEncoder* encoder_ = nullptr;
  EncoderConfig config_;
  std::vector<uint8_t> picture_;
};

class X264Encoder : public H264Encoder {
 public:
  ~X264Encoder() override {
    avcodec_free_context(&ctx_);
    av_frame_free(&frame_);
    av_packet_free(&packet_);
  }

  bool Init(const EncoderConfig& c, std::string* error) {
    const AVCodec* codec = avcodec_find_encoder_by_name("libx264");
    if (!codec) {
      *error = "this FFmpeg build has no libx264 encoder";
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
    av_opt_set(ctx_->priv_data, "preset", c.screenContent ? "veryfast" : "ultrafast", 0);
    av_opt_set(ctx_->priv_data, "tune", "zerolatency", 0);
    av_opt_set(ctx_->priv_data, "profile", "baseline", 0);
    av_opt_set(ctx_->priv_data, "forced-idr", "1", 0);  // a forced key frame is an IDR
    if (avcodec_open2(ctx_, codec, nullptr) < 0) {
      *error = "libx264 refused the settings";
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

  const char* name() const override { return "x264"; }

 private:
  AVCodecContext* ctx_ = nullptr;
  AVFrame* frame_ = nullptr;
  AVPacket* packet_ = nullptr;
};

}  // namespace

std::unique_ptr<H264Encoder> H264Encoder::Create(const std::string& name, const EncoderConfig& config,
                                                 std::string* error) {
  if (config.width < 16 || config.height < 16 || config.width > 4096 || config.height > 4096 || config.fps <= 0 ||
      config.fps > 120 || config.bitrateKbps < 10 || config.keyFrameInterval < 1) {
    *error = "encoder settings out of range (16..4096 px, 0..120 fps, ≥ 10 kbit/s, key-frame interval ≥ 1)";
    return nullptr;
  }
  if (name == "openh264") {
    auto e = std::make_unique<OpenH264Encoder>();
    if (!e->Init(config, error)) return nullptr;
    return e;
  }
  if (name == "x264") {
    auto e = std::make_unique<X264Encoder>();
    if (!e->Init(config, error)) return nullptr;
    return e;
  }
  *error = "unknown encoder '" + name + "' (openh264 or x264)";
  return nullptr;
}

}  // namespace callmedia
