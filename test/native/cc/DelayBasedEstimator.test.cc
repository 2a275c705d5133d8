#include "cc/DelayBasedEstimator.h"

#include "cc/AimdRateControl.h"
#include "check.h"

using callmedia::AcknowledgedBitrate;
using callmedia::AimdRateControl;
using callmedia::BandwidthUsage;
using callmedia::DelayBasedEstimator;
using callmedia::LossBasedEstimator;

namespace {
// A sender of `sendBps` in 1200-byte packets through a bottleneck of `linkBps` with a 20 ms
// base delay: its queue grows when the sender is faster. Runs `ms` and returns what the delay showed last.
struct Path {
  double linkBps;
  double queueFreeUs = 0;  // when the bottleneck is free again
  int64_t sendUs = 0;
  int64_t clockUs = 0;  // where the receiver's clock stands against the sender's
  bool overused = false;
  BandwidthUsage Run(DelayBasedEstimator& e, double sendBps, int ms, uint32_t jitterUs = 0) {
    const double gapUs = 1200 * 8 / sendBps * 1e6;
    BandwidthUsage u = BandwidthUsage::kNormal;
    const int64_t end = sendUs + static_cast<int64_t>(ms) * 1000;
    uint32_t rng = 12345;
    for (; sendUs < end; sendUs += static_cast<int64_t>(gapUs)) {
      const double start = std::max<double>(queueFreeUs, sendUs + 20'000);
      queueFreeUs = start + 1200 * 8 / linkBps * 1e6;
      rng = rng * 1103515245 + 12345;
      const int64_t arrival = static_cast<int64_t>(queueFreeUs) + (jitterUs ? (rng >> 8) % jitterUs : 0);
      u = e.OnPacket(sendUs, arrival + clockUs);
      if (u == BandwidthUsage::kOverusing) overused = true;
    }
    return u;
  }
};
}  // namespace

// Sending under the link's rate shows no congestion; sending over it shows overuse within a
// second, whatever the receiver's clock reads.
static void CheckSeesAQueue(int64_t clockUs) {
  DelayBasedEstimator e;
  Path p{1'000'000};
  p.clockUs = clockUs;
  p.Run(e, 600'000, 3000);
  CHECK(!p.overused);
  p.Run(e, 1'500'000, 1000);
  CHECK(p.overused);
}

TEST(DelayBasedEstimator_SeesAQueueBuildAndNotAClearPath) { CheckSeesAQueue(0); }

// The receiver's clock is its own: times far below zero (a transport-cc reference time with its
// top bit set) work as well.
TEST(DelayBasedEstimator_TheReceiversClockMayBeNegative) { CheckSeesAQueue(-179'422'185'000); }

// Jitter of a few milliseconds on a clear path is not congestion.
TEST(DelayBasedEstimator_JitterAloneIsNotOveruse) {
  DelayBasedEstimator e;
  Path p{5'000'000};
  p.Run(e, 1'000'000, 10'000, 4000);
  CHECK(!p.overused);
}

// Overuse cuts to 85 % of what got through; normal use then grows it again, never far above
// what is acknowledged.
TEST(AimdRateControl_CutsOnOveruseAndGrowsBack) {
  AimdRateControl a(2'000'000, 50'000, 2'000'000);
  CHECK_EQ(a.Update(BandwidthUsage::kOverusing, 500'000, 1000), 425'000u);
  CHECK_EQ(a.Update(BandwidthUsage::kNormal, 420'000, 1100), 425'000u);  // holds: the queue drains first
  uint32_t r = 0;
  for (int64_t t = 1200; t <= 6000; t += 100) r = a.Update(BandwidthUsage::kNormal, 420'000, t);
  CHECK(r > 425'000 && r <= 1.5 * 420'000 + 10'000);
  CHECK_EQ(a.decreases(), 1u);
}

TEST(LossBasedEstimator_CutsOverTenPercentAndHoldsBetween) {
  LossBasedEstimator l(1'000'000);
  CHECK_EQ(l.Update(5, 10, 0, 100), 1'000'000u);  // too few packets to judge
  CHECK_EQ(l.Update(15, 90, 100, 100), 900'000u);  // 20 % lost: cut by 10 %
  CHECK_EQ(l.Update(20, 100, 200, 100), 900'000u);  // again too soon after the cut
  CHECK_EQ(l.Update(5, 100, 700, 100), 900'000u);  // 5 %: holds
  CHECK(l.Update(0, 100, 1700, 100) > 900'000u);   // clean: grows
}

TEST(AcknowledgedBitrate_IsBytesOverTheLastHalfSecond) {
  AcknowledgedBitrate b;
  for (int64_t t = 0; t < 2'000'000; t += 10'000) b.Add(t, 1250);  // 1 Mbit/s
  CHECK(b.bps() > 950'000 && b.bps() < 1'050'000);
  for (int64_t t = 2'000'000; t < 3'000'000; t += 20'000) b.Add(t, 1250);  // half that
  CHECK(b.bps() > 450'000 && b.bps() < 550'000);
}
