#include "video/DecodeStage.h"

#include <future>
#include <memory>
#include <mutex>
#include <vector>

#include "check.h"
#include "video/EncodedClip.h"

using callmedia::ChannelContext;
using callmedia::DecodeStage;
using callmedia::DeliveredFrame;
using callmedia::PixelFormat;
using testvideo::EncodeClip;
using testvideo::kHeight;
using testvideo::kWidth;

namespace {

struct Sink : callmedia::VideoSink {
  std::mutex mutex;
  std::vector<DeliveredFrame> frames;
  std::vector<std::string> events;
  void OnFrame(DeliveredFrame&& frame) override {
    std::lock_guard<std::mutex> lock(mutex);
    frames.push_back(std::move(frame));
  }
  void OnEvent(const char* kind, const char* code, const std::string&) override {
    std::lock_guard<std::mutex> lock(mutex);
    events.push_back(std::string(kind) + ":" + code);
  }
  void OnClosed() override {}
};

struct Broken : DecodeStage::Listener {
  std::mutex mutex;
  std::vector<uint64_t> indexes;
  void OnDecodeBroken(uint64_t index) override {
    std::lock_guard<std::mutex> lock(mutex);
    indexes.push_back(index);
  }
};

// A stage as a receiver holds it, with everything it reports to.
struct Stage {
  std::shared_ptr<int> owner = std::make_shared<int>(0);
  ChannelContext context;
  Sink sink;
  Broken broken;
  DecodeStage stage;
  explicit Stage(size_t maxDecodeQueue = 64) : stage(PixelFormat::RGBA, maxDecodeQueue, &context, &sink, &broken) {
    context.owner = owner;
    context.sink = &sink;
  }
  void Submit(const testvideo::Bytes& unit, uint64_t index, bool keyFrame) {
    DeliveredFrame meta;
    meta.timestamp = static_cast<uint32_t>(index * 3000);
    meta.keyFrame = keyFrame;
    meta.stamps[callmedia::kAssembled] = 1;
    stage.Submit(unit.data(), unit.size(), std::move(meta), index);
  }
  // Waits for everything submitted, the decoder's held pictures included.
  void Drain() {
    std::promise<void> done;
    stage.Drain([&done] { done.set_value(); });
    done.get_future().wait();
  }
};

}  // namespace

TEST(DecodeStage_EveryFrameDecodedConvertedAndDeliveredWithItsStamps) {
  const auto clip = EncodeClip(20);
  REQUIRE(clip.size() == 20u);
  Stage s;
  std::string error;
  REQUIRE(s.stage.ok(&error));
  for (size_t i = 0; i < clip.size(); ++i) s.Submit(clip[i], i, i == 0);
  s.Drain();
  const auto st = s.stage.Stats();
  CHECK_EQ(st.framesDecoded, 20u);
  CHECK_EQ(s.sink.frames.size(), 20u);
  for (const auto& f : s.sink.frames) {
    CHECK(f.format == PixelFormat::RGBA && f.width == kWidth && f.height == kHeight);
    CHECK_EQ(f.buffer.size(), static_cast<size_t>(kWidth * kHeight * 4));
    CHECK(f.stamps[callmedia::kAssembled] == 1 && f.stamps[callmedia::kDecodeStart] > 0);
    CHECK(f.stamps[callmedia::kDecoded] >= f.stamps[callmedia::kDecodeStart] && f.stamps[callmedia::kConverted] >= f.stamps[callmedia::kDecoded]);
  }
  CHECK(s.broken.indexes.empty());
}

TEST(DecodeStage_SheddingDeliversEveryOtherPictureAndEveryKeyFrameDecodingAll) {
  const auto clip = EncodeClip(20);
  REQUIRE(clip.size() == 20u);
  Stage s;
  s.stage.SetShedding(true);
  for (size_t i = 0; i < clip.size(); ++i) s.Submit(clip[i], i, i == 0);
  s.Drain();
  const auto st = s.stage.Stats();
  CHECK_EQ(st.framesDecoded, 20u);  // the decoder keeps every reference
  CHECK_EQ(st.framesShed, 10u);
  CHECK_EQ(s.sink.frames.size(), 10u);
  CHECK(s.sink.frames.front().keyFrame);
  s.stage.SetShedding(false);
  for (size_t i = 0; i < 4; ++i) s.Submit(clip[i], 20 + i, i == 0);
  s.Drain();
  CHECK_EQ(s.sink.frames.size(), 14u);
}

TEST(DecodeStage_BehindItSkipsConversionNotDecoding) {
  const auto clip = EncodeClip(30);
  REQUIRE(clip.size() == 30u);
  Stage s(2);  // behind once more than two frames wait
  // Hold the stage's strand while all thirty are submitted, so that it is behind however fast
  // this machine decodes or however the threads are scheduled.
  std::promise<void> held, release;
  auto released = release.get_future().share();
  s.stage.Drain([&held, released] {
    held.set_value();
    released.wait();
  });
  held.get_future().wait();
  for (size_t i = 0; i < clip.size(); ++i) s.Submit(clip[i], i, i == 0);
  release.set_value();
  s.Drain();
  const auto st = s.stage.Stats();
  CHECK_EQ(st.framesDecoded, 30u);
  CHECK_EQ(st.framesDecoded, s.sink.frames.size() + st.framesSkippedBehind);
  // The first pictures came out with the rest of the thirty still waiting: skipped, not lost
  // to the decoder; the last ones, with two or fewer waiting, were delivered.
  CHECK(st.framesSkippedBehind >= 20u);
  CHECK(!s.sink.frames.empty());
}

TEST(DecodeStage_GarbageIsCountedAndReportedByItsIndex) {
  const auto clip = EncodeClip(3);
  REQUIRE(clip.size() == 3u);
  Stage s;
  s.Submit(clip[0], 0, true);
  testvideo::Bytes garbage(600);
  for (size_t i = 0; i < garbage.size(); ++i) garbage[i] = static_cast<uint8_t>(i * 37 + 11);
  garbage[0] = garbage[1] = garbage[2] = 0;
  garbage[3] = 1;
  garbage[4] = 0x41;  // a non-IDR slice header, then noise
  s.Submit(garbage, 1, false);
  s.Submit(clip[1], 2, false);
  s.Drain();
  const auto st = s.stage.Stats();
  // Each access unit ends in one outcome.
  CHECK_EQ(st.framesDecoded + st.decodeErrors + st.framesDiscardedByDecoder + st.framesUnsupportedFormat, 3u);
  CHECK(st.decodeErrors + st.framesDiscardedByDecoder >= 1u);
  REQUIRE(!s.broken.indexes.empty());
  CHECK_EQ(s.broken.indexes.front(), 1u);
}
