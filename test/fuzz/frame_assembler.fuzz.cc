// FrameAssembler: packets in any order, loss, duplicates, restarts and padding, released by
// time; every frame handed on is whole (its depacketizer accepted it), never more frames than
// packets, and the counters never run backwards.
#include "FuzzRtp.h"
#include "video/FrameAssembler.h"

namespace {
struct Counter : callmedia::FrameAssembler::Listener {
  size_t frames = 0, requests = 0;
  void OnFrameAssembled(const callmedia::AssembledFrame& f) override {
    ++frames;
    FUZZ_CHECK(f.size > 0 && f.data != nullptr);
  }
  void OnKeyFrameNeeded() override { ++requests; }
};
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  FuzzedDataProvider in(data, size);
  const bool vp8 = in.ConsumeBool();
  Counter c;
  callmedia::FrameAssembler a(&c, in.ConsumeIntegralInRange<size_t>(2, 512), 50000000,
                              vp8 ? callmedia::VideoCodec::kVp8 : callmedia::VideoCodec::kH264);
  fuzz::PacketStream stream;
  uint64_t now = 1000000000;
  size_t packets = 0;
  callmedia::RtpPacket p;
  while (stream.Next(in, 96, &p)) {
    a.Insert(p, now);
    ++packets;
    now += in.ConsumeIntegralInRange<uint64_t>(0, 80000000);
    a.OnTimer(now);
    if (in.ConsumeIntegralInRange<int>(0, 50) == 0) a.RequireKeyFrame();
  }
  FUZZ_CHECK(c.frames <= packets);
  FUZZ_CHECK(a.stats().framesAssembled.load() == c.frames);
  return 0;
}
