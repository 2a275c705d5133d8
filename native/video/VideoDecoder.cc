#include "video/VideoDecoder.h"

#include <algorithm>

extern "C" {
#include <libavcodec/avcodec.h>
#include <libavutil/frame.h>
#include <libavutil/log.h>
#include <libavutil/pixfmt.h>
}

static_assert(callmedia::VideoDecoder::kInputPadding >= AV_INPUT_BUFFER_PADDING_SIZE,
              "input padding must cover what libavcodec reads past the end");

namespace callmedia {

VideoDecoder::VideoDecoder(VideoCodec codec) : codec_(codec) {
  // Corrupt streams are expected input here; the engine counts them instead of logging.
  av_log_set_level(AV_LOG_QUIET);
  frame_ = av_frame_alloc();
  packet_ = av_packet_alloc();
  if (!frame_ || !packet_) {
    error_ = "out of memory";
    return;
  }
  Open(codec);
}

bool VideoDecoder::Open(VideoCodec codec) {
  codec_ = codec;
  const AVCodec* decoder = avcodec_find_decoder(codec == VideoCodec::kVp8 ? AV_CODEC_ID_VP8 : AV_CODEC_ID_H264);
  if (!decoder) {
    error_ = std::string("libavcodec has no ") + VideoCodecName(codec) + " decoder";
    return false;
  }
  AVCodecContext* ctx = avcodec_alloc_context3(decoder);
  if (!ctx) {
    error_ = "out of memory";
    return false;
  }
  ctx->thread_count = 1;
  ctx->flags |= AV_CODEC_FLAG_LOW_DELAY;
  if (codec == VideoCodec::kH264) ctx->flags2 |= AV_CODEC_FLAG2_CHUNKS;  // access units may arrive as several NAL chunks
  if (avcodec_open2(ctx, decoder, nullptr) < 0) {
    avcodec_free_context(&ctx);
    error_ = std::string("cannot open the ") + VideoCodecName(codec) + " decoder";
    return false;
  }
  ctx_ = ctx;
  return true;
}

bool VideoDecoder::Reopen(VideoCodec codec) {
  Settle(true);
  avcodec_free_context(&ctx_);
  return Open(codec);
}

VideoDecoder::~VideoDecoder() {
  avcodec_free_context(&ctx_);
  av_frame_free(&frame_);
  av_packet_free(&packet_);
}

void VideoDecoder::Drain(const std::function<void(const DecodedPicture&)>& onPicture) {
  if (!ctx_) return;
  avcodec_send_packet(ctx_, nullptr);  // enter draining mode
  ReceivePictures(onPicture);
  avcodec_flush_buffers(ctx_);
  Settle(true);
}

// An access unit that is still inside the decoder beyond the pictures it may hold back for
// reordering (or at all, once drained) will never come out: it was discarded.
void VideoDecoder::Settle(bool draining) {
  const int depth = draining || !ctx_ ? 0 : std::max(0, ctx_->has_b_frames);
  if (held_ > depth) {
    outcomes_.discarded += static_cast<uint64_t>(held_ - depth);
    held_ = depth;
  }
}

VideoDecoder::Result VideoDecoder::Decode(const uint8_t* data, size_t size, int64_t pts,
                                          const std::function<void(const DecodedPicture&)>& onPicture) {
  if (!ctx_) return Result::Corrupt;
  packet_->data = const_cast<uint8_t*>(data);
  packet_->size = static_cast<int>(size);
  packet_->pts = pts;
  packet_->dts = pts;
  const int ret = avcodec_send_packet(ctx_, packet_);
  av_packet_unref(packet_);
  const bool refused = ret < 0 && ret != AVERROR(EAGAIN);
  if (refused) ++outcomes_.corrupt;
  else if (ret == AVERROR(EAGAIN)) ++outcomes_.discarded;  // not taken (output is always read first, so never seen)
  else ++held_;
  Result result = ReceivePictures(onPicture);
  Settle(false);
  if (refused) result = Result::Corrupt;
  return result;
}

VideoDecoder::Result VideoDecoder::ReceivePictures(const std::function<void(const DecodedPicture&)>& onPicture) {
  Result result = Result::Ok;
  for (;;) {
    int ret;
    ret = avcodec_receive_frame(ctx_, frame_);
    if (ret == AVERROR(EAGAIN) || ret == AVERROR_EOF) break;
    if (ret < 0) {
      result = Result::Corrupt;
      break;
    }
    if (held_ > 0) --held_;
    const int format = frame_->format;
    if (format != AV_PIX_FMT_YUV420P && format != AV_PIX_FMT_YUVJ420P) {
      av_frame_unref(frame_);
      ++outcomes_.unsupported;
      result = Result::UnsupportedFormat;
      continue;
    }
    if (frame_->decode_error_flags || (frame_->flags & AV_FRAME_FLAG_CORRUPT)) {
      // A concealed picture is not the sender's picture: count it, do not deliver it.
      av_frame_unref(frame_);
      ++outcomes_.corrupt;
      result = Result::Corrupt;
      continue;
    }
    DecodedPicture picture;
    picture.planes = I420Planes{frame_->data[0], frame_->linesize[0], frame_->data[1], frame_->linesize[1],
                                frame_->data[2], frame_->linesize[2]};
    picture.width = frame_->width;
    picture.height = frame_->height;
    picture.fullRange = format == AV_PIX_FMT_YUVJ420P || frame_->color_range == AVCOL_RANGE_JPEG;
    picture.matrix = frame_->colorspace == AVCOL_SPC_BT709 ? ColorMatrix::Bt709 : ColorMatrix::Bt601;
    picture.pts = frame_->pts;
    onPicture(picture);
    av_frame_unref(frame_);
  }
  return result;
}

}  // namespace callmedia
