#include "video/DecodeStage.h"

#include <cstring>

#include "common/Clock.h"
#include "video/FrameConverter.h"

namespace callmedia {

DecodeStage::DecodeStage(PixelFormat format, size_t maxDecodeQueue, ChannelContext* context, VideoSink* sink,
                         Listener* listener)
    : format_(format),
      maxDecodeQueue_(maxDecodeQueue),
      context_(context),
      sink_(sink),
      listener_(listener),
      strand_(std::make_shared<Strand>()) {}

bool DecodeStage::ok(std::string* error) const {
  if (decoder_.ok()) return true;
  *error = decoder_.error();
  return false;
}

void DecodeStage::Submit(const uint8_t* data, size_t size, DeliveredFrame meta, uint64_t index) {
  PooledBuffer au = PooledBuffer::Make(size, VideoDecoder::kInputPadding);
  std::memcpy(au.data(), data, size);
  std::memset(au.data() + size, 0, VideoDecoder::kInputPadding);
  auto keep = context_->owner.lock();
  // std::function needs a copyable callable: park the move-only buffers in a shared holder.
  auto job = std::make_shared<std::pair<PooledBuffer, DeliveredFrame>>(std::move(au), std::move(meta));
  strand_->Post([this, keep, job, size, index] { Decode(std::move(job->first), size, std::move(job->second), index); });
}

// No keep-alive of its own: the caller holds the channel (closing), or `then` does.
void DecodeStage::Drain(std::function<void()> then) {
  strand_->Post([this, then] {
    DrainDecoder();
    if (then) then();
  });
}

void DecodeStage::Reopen(VideoCodec codec) {
  auto keep = context_->owner.lock();
  strand_->Post([this, keep, codec] {
    DrainDecoder();
    if (!decoder_.Reopen(codec)) context_->sink->OnEvent("error", "DECODER_FAILED", decoder_.error());
  });
}

void DecodeStage::Decode(PooledBuffer accessUnit, size_t size, DeliveredFrame meta, uint64_t index) {
  meta.stamps[kDecodeStart] = NowNs();
  const int64_t pts = meta.timestamp;
  Pending& slot = pending_[pendingNext_++ % kPendingCapacity];
  slot.pts = pts;
  slot.meta = std::move(meta);
  const uint64_t discardedBefore = framesDiscardedByDecoder_.load(std::memory_order_relaxed);
  const auto result =
      decoder_.Decode(accessUnit.data(), size, pts, [this](const DecodedPicture& picture) { OnPicture(picture); });
  TakeOutcomes();
  // A frame the decoder threw away may have been a reference: what follows would be guesswork.
  const bool discarded = framesDiscardedByDecoder_.load(std::memory_order_relaxed) > discardedBefore;
  if (result == VideoDecoder::Result::Corrupt || discarded) listener_->OnDecodeBroken(index);
  if (result == VideoDecoder::Result::UnsupportedFormat && !reportedUnsupported_) {
    reportedUnsupported_ = true;
    context_->sink->OnEvent("error", "UNSUPPORTED_PIXEL_FORMAT", "the stream decodes to a pixel format other than 4:2:0 8-bit");
  }
}

// What the decoder made of what it was given, besides pictures: corrupt, unsupported, discarded.
void DecodeStage::TakeOutcomes() {
  const auto o = decoder_.TakeOutcomes();
  decodeErrors_.fetch_add(o.corrupt, std::memory_order_relaxed);
  framesUnsupportedFormat_.fetch_add(o.unsupported, std::memory_order_relaxed);
  framesDiscardedByDecoder_.fetch_add(o.discarded, std::memory_order_relaxed);
  held_.store(decoder_.held(), std::memory_order_relaxed);
}

void DecodeStage::OnPicture(const DecodedPicture& picture) {
  const uint64_t decodedNs = NowNs();
  // Find the stamps of the access unit this picture came from (pictures may be reordered).
  DeliveredFrame* source = nullptr;
  for (auto& p : pending_) {
    if (p.pts == picture.pts && p.meta.stamps[kDecodeStart] != 0) {
      source = &p.meta;
      break;
    }
  }
  DeliveredFrame out;
  if (source) {
    out.timestamp = source->timestamp;
    out.ssrc = source->ssrc;
    out.keyFrame = source->keyFrame;
    std::memcpy(out.stamps, source->stamps, sizeof(out.stamps));
    source->stamps[kDecodeStart] = 0;
  } else {
    for (int i = kFirstPacket; i < kDecoded; ++i) out.stamps[i] = decodedNs;  // origin unknown: no fake age
  }
  out.format = format_;
  out.width = picture.width;
  out.height = picture.height;
  out.stamps[kDecoded] = decodedNs;
  framesDecoded_.fetch_add(1, std::memory_order_relaxed);
  if (strand_->Pending() > maxDecodeQueue_) {
    // Behind (the running task counts itself): this picture is the oldest one waiting to be
    // seen, so it is the one to skip. The decoder has its references; nothing else is lost.
    framesSkippedBehind_.fetch_add(1, std::memory_order_relaxed);
    return;
  }
  if (shedding_.load(std::memory_order_relaxed) && (shedTurn_++ & 1) && !out.keyFrame) {
    framesShed_.fetch_add(1, std::memory_order_relaxed);
    return;
  }
  out.buffer = PooledBuffer::Make(FrameSize(format_, picture.width, picture.height));
  if (!FrameConverter::FromI420(picture.planes, picture.width, picture.height, picture.fullRange, picture.matrix, format_,
                                out.buffer.data())) {
    framesConvertFailed_.fetch_add(1, std::memory_order_relaxed);
    return;
  }
  out.stamps[kConverted] = NowNs();
  sink_->OnFrame(std::move(out));
}

void DecodeStage::DrainDecoder() {
  decoder_.Drain([this](const DecodedPicture& picture) { OnPicture(picture); });
  TakeOutcomes();
  for (auto& p : pending_) p.meta.stamps[kDecodeStart] = 0;
}

DecodeStageStats DecodeStage::Stats() const {
  auto r = [](const std::atomic<uint64_t>& v) { return v.load(std::memory_order_relaxed); };
  return DecodeStageStats{r(framesDecoded_),    r(framesSkippedBehind_), r(framesShed_),
                          r(framesUnsupportedFormat_), r(framesConvertFailed_), r(decodeErrors_),
                          r(framesDiscardedByDecoder_)};
}

}  // namespace callmedia
