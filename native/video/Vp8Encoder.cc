// VP8 through libvpx directly, in its real-time mode as libwebrtc runs it: constant bitrate,
// one frame out per frame in (no lag, no alt-ref), error resilient, no frame dropping. libvpx
// is driven directly rather than through libavcodec because congestion control moves the
// target bitrate between frames (vpx_codec_enc_config_set), which libavcodec's wrapper does not.
#include <vpx/vp8cx.h>
#include <vpx/vpx_encoder.h>

#include <cstring>
#include <string>
#include <vector>

#include "video/VideoEncoder.h"

namespace callmedia {

namespace {

class Vp8Encoder : public VideoEncoder {
 public:
  ~Vp8Encoder() override {
    if (open_) vpx_codec_destroy(&codec_);
    vpx_img_free(&image_);
  }

  bool Init(const EncoderConfig& c, std::string* error) {
    if (vpx_codec_enc_config_default(vpx_codec_vp8_cx(), &cfg_, 0) != VPX_CODEC_OK) {
      *error = "libvpx has no VP8 encoder configuration";
      return false;
    }
    cfg_.g_w = static_cast<unsigned>(c.width);
    cfg_.g_h = static_cast<unsigned>(c.height);
    cfg_.g_timebase = {1, 90000};
    cfg_.g_threads = 1;
    cfg_.g_lag_in_frames = 0;
    cfg_.g_error_resilient = VPX_ERROR_RESILIENT_DEFAULT;
    cfg_.g_pass = VPX_RC_ONE_PASS;
    cfg_.rc_end_usage = VPX_CBR;
    cfg_.rc_target_bitrate = static_cast<unsigned>(c.bitrateKbps);
    cfg_.rc_dropframe_thresh = 0;  // every frame the bot sends is a frame the far end shows
    cfg_.rc_resize_allowed = 0;
    cfg_.rc_min_quantizer = 2;
    cfg_.rc_max_quantizer = 56;
    cfg_.rc_undershoot_pct = 100;
    cfg_.rc_overshoot_pct = 15;
    cfg_.rc_buf_initial_sz = 500;
    cfg_.rc_buf_optimal_sz = 600;
    cfg_.rc_buf_sz = 1000;
    cfg_.kf_mode = VPX_KF_AUTO;
    cfg_.kf_min_dist = 0;
    cfg_.kf_max_dist = static_cast<unsigned>(c.keyFrameInterval);
    if (vpx_codec_enc_init(&codec_, vpx_codec_vp8_cx(), &cfg_, 0) != VPX_CODEC_OK) {
      *error = std::string("libvpx refused the settings: ") + vpx_codec_error_detail(&codec_);
      return false;
    }
    open_ = true;
    vpx_codec_control(&codec_, VP8E_SET_CPUUSED, -8);  // real time, fastest
    vpx_codec_control(&codec_, VP8E_SET_STATIC_THRESHOLD, 1);
    vpx_codec_control(&codec_, VP8E_SET_MAX_INTRA_BITRATE_PCT, 300);
    vpx_codec_control(&codec_, VP8E_SET_NOISE_SENSITIVITY, 0);
    vpx_codec_control(&codec_, VP8E_SET_SCREEN_CONTENT_MODE, c.screenContent ? 1 : 0);
    if (!vpx_img_alloc(&image_, VPX_IMG_FMT_I420, cfg_.g_w, cfg_.g_h, 32)) {
      *error = "out of memory";
      return false;
    }
    return true;
  }

  bool PrepareInput(I420Target* t) override {
    *t = I420Target{image_.planes[VPX_PLANE_Y], image_.stride[VPX_PLANE_Y], image_.planes[VPX_PLANE_U],
                    image_.stride[VPX_PLANE_U], image_.planes[VPX_PLANE_V], image_.stride[VPX_PLANE_V]};
    return true;
  }

  bool Encode(int64_t pts, bool forceKeyFrame, std::vector<uint8_t>* out, bool* keyFrame) override {
    out->clear();
    *keyFrame = false;
    // A frame's duration: up to the next, which is not known yet; a 30th of a second is what
    // rate control assumes between frames when it is not told.
    const unsigned long duration = lastPts_ >= 0 && pts > lastPts_ ? static_cast<unsigned long>(pts - lastPts_) : 3000;
    lastPts_ = pts;
    if (vpx_codec_encode(&codec_, &image_, pts, duration, forceKeyFrame ? VPX_EFLAG_FORCE_KF : 0, VPX_DL_REALTIME) != VPX_CODEC_OK)
      return false;
    vpx_codec_iter_t iter = nullptr;
    while (const vpx_codec_cx_pkt_t* pkt = vpx_codec_get_cx_data(&codec_, &iter)) {
      if (pkt->kind != VPX_CODEC_CX_FRAME_PKT) continue;
      const auto* data = static_cast<const uint8_t*>(pkt->data.frame.buf);
      out->insert(out->end(), data, data + pkt->data.frame.sz);
      if (pkt->data.frame.flags & VPX_FRAME_IS_KEY) *keyFrame = true;
    }
    return true;
  }

  bool SetBitrate(int bps) override {
    cfg_.rc_target_bitrate = static_cast<unsigned>((bps + 500) / 1000);
    return vpx_codec_enc_config_set(&codec_, &cfg_) == VPX_CODEC_OK;
  }

  const char* name() const override { return "vp8"; }
  VideoCodec codec() const override { return VideoCodec::kVp8; }

 private:
  vpx_codec_ctx_t codec_{};
  vpx_codec_enc_cfg_t cfg_{};
  vpx_image_t image_{};
  bool open_ = false;
  int64_t lastPts_ = -1;
};

}  // namespace

std::unique_ptr<VideoEncoder> CreateVp8Encoder(const EncoderConfig& config, std::string* error) {
  auto e = std::make_unique<Vp8Encoder>();
  if (!e->Init(config, error)) return nullptr;
  return e;
}

}  // namespace callmedia
