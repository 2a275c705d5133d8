#include "cc/TransportFeedbackGenerator.h"

#include <vector>

#include "check.h"
#include "rtp/TransportFeedback.h"

using callmedia::TransportFeedback;
using callmedia::TransportFeedbackGenerator;

namespace {
constexpr uint64_t kMs = 1'000'000;

struct Report {
  uint16_t base = 0;
  std::vector<int64_t> arrivals;
};

bool Next(TransportFeedbackGenerator& g, uint64_t now, Report* r) {
  uint8_t out[1200];
  const size_t n = g.Build(now, 1, 2, out, sizeof(out));
  if (n == 0) return false;
  TransportFeedback fb;
  if (!TransportFeedback::Parse(out, n, &fb)) return false;
  r->base = fb.baseSequence;
  r->arrivals.clear();
  fb.ForEach([&](uint16_t, int64_t a) { r->arrivals.push_back(a); });
  return true;
}
}  // namespace

// Every packet is reported once, in order, across messages and across the 16-bit wrap; a hole is
// reported lost, and the message after takes up where the last one ended.
TEST(TransportFeedbackGenerator_ReportsEveryPacketOnceInOrder) {
  TransportFeedbackGenerator g(50 * kMs);
  uint64_t t = 1000 * kMs;
  for (uint16_t s = 65530; s != 5; ++s) {
    if (s != 2) g.OnPacket(s, t);
    t += kMs;
  }
  Report r;
  REQUIRE(Next(g, t, &r));
  CHECK_EQ(r.base, 65530);
  REQUIRE(r.arrivals.size() == 11);
  CHECK(r.arrivals[8] == TransportFeedback::kNotReceived);  // sequence 2
  CHECK_EQ(r.arrivals[1] - r.arrivals[0], 1000);  // 1 ms apart
  CHECK_EQ(r.arrivals[9] - r.arrivals[7], 2000);  // across the missing one
  CHECK(!Next(g, t + 10 * kMs, &r));  // nothing new, and not due
  g.OnPacket(5, t);
  CHECK(!Next(g, t + 10 * kMs, &r));  // pending but not due
  REQUIRE(Next(g, t + 50 * kMs, &r));
  CHECK_EQ(r.base, 5);
  CHECK_EQ(r.arrivals.size(), 1u);
}

// A packet that comes after it was reported lost is counted, not reported again; a jump wider
// than the ring starts over.
TEST(TransportFeedbackGenerator_LateArrivalsAndJumps) {
  TransportFeedbackGenerator g(0);
  g.OnPacket(10, 1 * kMs);
  g.OnPacket(12, 2 * kMs);
  Report r;
  REQUIRE(Next(g, 3 * kMs, &r));
  g.OnPacket(11, 4 * kMs);
  CHECK_EQ(g.Stats().lateArrivals, 1u);
  g.OnPacket(13 + 5000, 5 * kMs);
  CHECK_EQ(g.Stats().restarts, 1u);
  REQUIRE(Next(g, 6 * kMs, &r));
  CHECK_EQ(r.base, static_cast<uint16_t>(13 + 5000));
  CHECK_EQ(r.arrivals.size(), 1u);
}
