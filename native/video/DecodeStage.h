// The worker half of a video receiver: assembled access units in, decoded on one strand,
// converted (libyuv) into pooled buffers in the format bot code asked for, and handed to the
// sink. Every access unit ends in exactly one counter: a picture, corrupt, an unsupported
// format, or discarded by the decoder; every picture is delivered, skipped while behind, shed
// while the platform is overloaded, or refused by the conversion.
//
// Behind (more than `maxDecodeQueue` frames waiting) it still decodes every frame, so the
// decoder keeps its references, and skips converting and delivering the oldest pictures:
// the cheapest thing to lose under load.
#pragma once
#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "common/BufferPool.h"
#include "common/WorkerPool.h"
#include "net/ChannelContext.h"
#include "video/FrameStamps.h"
#include "video/PixelFormat.h"
#include "video/VideoCodec.h"
#include "video/VideoDecoder.h"

namespace callmedia {

struct DeliveredFrame {
  PooledBuffer buffer;
  PixelFormat format = PixelFormat::I420;
  int width = 0;
  int height = 0;
  uint32_t timestamp = 0;
  uint32_t ssrc = 0;
  bool keyFrame = false;
  uint64_t stamps[kStampCount] = {};
};

// Video frames for JavaScript, from the media thread or a worker; never blocks.
class VideoSink : public ChannelSink {
 public:
  virtual void OnFrame(DeliveredFrame&& frame) = 0;
};

struct DecodeStageStats {
  uint64_t framesDecoded, framesSkippedBehind, framesShed, framesUnsupportedFormat, framesConvertFailed;
  uint64_t decodeErrors, framesDiscardedByDecoder;
};

class DecodeStage {
 public:
  class Listener {
   public:
    virtual ~Listener() = default;
    // Strand: the access unit of this index (in the order Submit gave them) was corrupt or
    // thrown away by the decoder; what follows it may be guesswork until a key frame.
    virtual void OnDecodeBroken(uint64_t index) = 0;
  };

  DecodeStage(PixelFormat format, size_t maxDecodeQueue, ChannelContext* context, VideoSink* sink, Listener* listener);
  bool ok(std::string* error) const;

  // Media thread. Copies the access unit once, into the padded pooled buffer the decoder reads,
  // and queues it on the strand.
  void Submit(const uint8_t* data, size_t size, DeliveredFrame meta, uint64_t index);
  // Frames waiting for the strand (the running one included).
  size_t Waiting() const { return strand_->Pending(); }
  // Access units inside the decoder, held for reordering (a stream with B-frames).
  int HeldPictures() const { return held_.load(std::memory_order_relaxed); }
  // Queued behind every submitted frame: the decoder's held pictures out, then `then` (on the strand).
  void Drain(std::function<void()> then);
  // A new codec: what is held comes out, then the decoder reopens for `codec`.
  void Reopen(VideoCodec codec);
  // Any thread: while on, of every two pictures one is converted and delivered (key frames always).
  void SetShedding(bool on) { shedding_.store(on, std::memory_order_relaxed); }
  DecodeStageStats Stats() const;

 private:
  void Decode(PooledBuffer accessUnit, size_t size, DeliveredFrame meta, uint64_t index);  // strand
  void OnPicture(const DecodedPicture& picture);                                            // strand
  void DrainDecoder();                                                                      // strand
  void TakeOutcomes();                                                                      // strand

  const PixelFormat format_;
  const size_t maxDecodeQueue_;
  ChannelContext* const context_;
  VideoSink* const sink_;
  Listener* const listener_;
  std::shared_ptr<Strand> strand_;

  // Strand state.
  VideoDecoder decoder_;
  struct Pending {
    int64_t pts;
    DeliveredFrame meta;
  };
  static constexpr size_t kPendingCapacity = 16;
  Pending pending_[kPendingCapacity];
  size_t pendingNext_ = 0;
  bool reportedUnsupported_ = false;
  uint64_t shedTurn_ = 0;

  std::atomic<int> held_{0};
  std::atomic<bool> shedding_{false};
  std::atomic<uint64_t> framesDecoded_{0}, framesSkippedBehind_{0}, framesShed_{0}, framesUnsupportedFormat_{0};
  std::atomic<uint64_t> framesConvertFailed_{0}, decodeErrors_{0}, framesDiscardedByDecoder_{0};
};

}  // namespace callmedia
