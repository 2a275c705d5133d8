#include "cc/CongestionController.h"

#include <cmath>

#include "check.h"
#include "rtp/RtcpPacket.h"

using callmedia::CongestionController;
using callmedia::RtcpPacket;

namespace {
constexpr uint64_t kMs = 1'000'000;

// Two controllers, as the two ends of a transport: one sends `sendBps` through a bottleneck of
// `linkBps` (a queue, 20 ms base delay), the other reports arrivals every 50 ms.
struct Link {
  CongestionController sender, receiver;
  double linkBps;
  double freeNs = 0;
  uint64_t now = 1000 * kMs;
  const void* who = &sender;

  // Runs for `ms`, the sender following its allocation; returns the last allocation.
  uint32_t Run(int ms, uint32_t demand, uint32_t* rate) {
    const uint64_t end = now + static_cast<uint64_t>(ms) * kMs;
    double nextSendNs = static_cast<double>(now);
    uint32_t allowed = 0;
    while (now < end) {
      now += kMs;
      allowed = sender.Allocate(who, demand, now);
      *rate = allowed ? allowed : demand;
      while (nextSendNs <= now) {
        const uint16_t seq = sender.OnPacketSending(1200, static_cast<uint64_t>(nextSendNs));
        const double start = std::max(freeNs, nextSendNs + 20 * kMs);
        freeNs = start + 1200 * 8 / linkBps * 1e9;
        receiver.OnPacketReceived(seq, static_cast<uint64_t>(freeNs));  // arrival (ahead of `now`: fine for the estimator)
        nextSendNs += 1200 * 8 / static_cast<double>(*rate) * 1e9;
      }
      uint8_t fb[1200];
      const size_t n = receiver.BuildFeedback(now, 1, 2, fb, sizeof(fb));
      if (n) sender.OnTransportFeedback(fb, n, now);
    }
    return allowed;
  }
};
}  // namespace

// Nothing is estimated until feedback comes; then a sender asking for 2 Mbit/s over a 500 kbit/s
// link is brought under the link within 5 s and stays near it.
TEST(CongestionController_BringsASenderUnderTheLink) {
  Link link{};
  link.linkBps = 500'000;
  CHECK_EQ(link.sender.Allocate(link.who, 2'000'000, link.now), 0u);
  uint32_t rate = 0;
  link.Run(5000, 2'000'000, &rate);
  CHECK_MSG(rate < 500'000, "rate " + std::to_string(rate));
  link.Run(5000, 2'000'000, &rate);
  CHECK_MSG(rate > 200'000 && rate < 550'000, "rate " + std::to_string(rate));
  const auto s = link.sender.Stats();
  CHECK(s.feedbackReceived > 100);
  CHECK(s.decreases >= 1);
  CHECK_EQ(s.packetsUnknown, 0u);
}

// A link faster than the demand leaves the sender at its demand.
TEST(CongestionController_AClearLinkLeavesTheDemand) {
  Link link{};
  link.linkBps = 10'000'000;
  uint32_t rate = 0;
  link.Run(8000, 1'500'000, &rate);
  CHECK_EQ(rate, 1'500'000u);
}

// Two senders share the estimate by what they ask for; REMB caps it.
TEST(CongestionController_SharesByDemandAndRembCaps) {
  CongestionController c;
  int a, b;
  c.Allocate(&a, 1'000'000, 1 * kMs);
  c.Allocate(&b, 3'000'000, 1 * kMs);
  uint8_t remb[64];
  const uint32_t ssrc = 5;
  const size_t n = RtcpPacket::WriteRemb(remb, sizeof(remb), 9, 800'000, &ssrc, 1);
  uint32_t parsed = 0;
  REQUIRE(RtcpPacket::ParseRemb(remb, n, &parsed));
  CHECK(parsed <= 800'000 && parsed > 799'000);
  c.OnRemb(parsed, 2 * kMs);
  const uint32_t shareA = c.Allocate(&a, 1'000'000, 3 * kMs);
  const uint32_t shareB = c.Allocate(&b, 3'000'000, 3 * kMs);
  CHECK(shareA > 190'000 && shareA <= 200'000);
  CHECK(shareB > 590'000 && shareB <= 600'000);
}

// The round trip the senders measured replaces the 100 ms assumed before any; nonsense is ignored.
// With a long one the estimate still comes under the link (its cuts are only spaced further).
TEST(CongestionController_TakesTheSendersRoundTrip) {
  CongestionController c;
  CHECK_EQ(c.Stats().roundTripMs, 100.0);
  c.OnRoundTrip(35);
  CHECK_EQ(c.Stats().roundTripMs, 35.0);
  c.OnRoundTrip(0);
  c.OnRoundTrip(-4);
  c.OnRoundTrip(std::nan(""));
  CHECK_EQ(c.Stats().roundTripMs, 35.0);
  Link link{};
  link.linkBps = 500'000;
  link.sender.OnRoundTrip(400);
  uint32_t rate = 0;
  link.Run(6000, 2'000'000, &rate);
  CHECK_MSG(rate < 550'000, "rate " + std::to_string(rate));
}
