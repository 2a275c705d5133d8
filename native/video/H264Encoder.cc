#include "video/VideoEncoder.h"

#include <wels/codec_api.h>

namespace callmedia {

namespace {

class OpenH264Encoder : public VideoEncoder {
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
    // Key frames come when asked for (PLI, FIR) or at the interval, not on a change of
    // picture: an IDR costs several times a P frame, a burst a congested path cannot take.
    p.bEnableSceneChangeDetect = false;
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

  bool SetBitrate(int bps) override {
    SBitrateInfo info{SPATIAL_LAYER_ALL, bps};
    return encoder_->SetOption(ENCODER_OPTION_BITRATE, &info) == cmResultSuccess;
  }

  const char* name() const override { return "openh264"; }
  VideoCodec codec() const override { return VideoCodec::kH264; }

 private:
  ISVCEncoder* encoder_ = nullptr;
  EncoderConfig config_;
  std::vector<uint8_t> picture_;
};

}  // namespace

std::unique_ptr<VideoEncoder> CreateOpenH264Encoder(const EncoderConfig& config, std::string* error) {
  auto e = std::make_unique<OpenH264Encoder>();
  if (!e->Init(config, error)) return nullptr;
  return e;
}

}  // namespace callmedia
