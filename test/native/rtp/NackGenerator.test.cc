#include "rtp/NackGenerator.h"

#include <vector>

#include "check.h"

using callmedia::NackGenerator;
using callmedia::NackOptions;

namespace {
constexpr uint64_t kMs = 1000000;

std::vector<uint16_t> Due(NackGenerator& g, uint64_t now, uint64_t rtt = 0) {
  uint16_t out[64];
  const size_t n = g.Due(now, rtt, out, 64);
  return std::vector<uint16_t>(out, out + n);
}
}  // namespace

TEST(NackGenerator_AHoleIsAskedForAfterAMomentForReordering) {
  NackGenerator g;
  g.OnPacket(10, 0);
  g.OnPacket(11, 1 * kMs);
  g.OnPacket(14, 2 * kMs);  // 12 and 13 missing
  CHECK_EQ(g.missing(), 2u);
  CHECK(Due(g, 3 * kMs).empty());  // may still arrive reordered
  CHECK_EQ(Due(g, 7 * kMs), (std::vector<uint16_t>{12, 13}));
  CHECK(Due(g, 8 * kMs).empty());  // asked just now
}

TEST(NackGenerator_AReorderedPacketIsNeverAskedFor) {
  NackGenerator g;
  g.OnPacket(1, 0);
  g.OnPacket(3, 1 * kMs);
  CHECK(!g.OnPacket(2, 2 * kMs));
  CHECK(Due(g, 20 * kMs).empty());
  CHECK_EQ(g.stats().requested, 0u);
}

TEST(NackGenerator_RetriesAtTheRetryIntervalOrOneAndAHalfRoundTripsFurtherApartEachTime) {
  NackGenerator g;
  g.OnPacket(1, 0);
  g.OnPacket(3, 0);
  CHECK_EQ(Due(g, 5 * kMs), (std::vector<uint16_t>{2}));
  CHECK(Due(g, 19 * kMs).empty());
  CHECK_EQ(Due(g, 20 * kMs), (std::vector<uint16_t>{2}));  // 15 ms without a round trip
  // The third waits 1.5 × (1.5 × 30 ms): the round trip now known, and the backoff.
  CHECK(Due(g, 20 * kMs + 67 * kMs, 30 * kMs).empty());
  CHECK_EQ(Due(g, 20 * kMs + 68 * kMs, 30 * kMs), (std::vector<uint16_t>{2}));
}

TEST(NackGenerator_TheIntervalGrowsToItsBoundAndTheHoleIsPursuedForItsWholeAge) {
  NackOptions o;
  o.maxRetries = 100;
  o.maxAgeNs = 300 * kMs;
  NackGenerator g(o);
  g.OnPacket(1, 0);
  g.OnPacket(3, 0);
  std::vector<uint64_t> asked;
  for (uint64_t now = 0; now <= 400 * kMs; now += kMs)
    if (!Due(g, now).empty()) asked.push_back(now / kMs);
  // 5, then 15, 22.5, 33.75, 50.6, 75.9 ms apart, then 80 ms each, until 300 ms.
  CHECK_EQ(asked, (std::vector<uint64_t>{5, 20, 43, 77, 128, 204, 284}));
  CHECK_EQ(g.stats().gaveUp, 1u);
}

TEST(NackGenerator_TheLastRequestHasItsIntervalToBeAnsweredBeforeTheHoleIsGivenUp) {
  NackOptions o;
  o.maxRetries = 2;
  NackGenerator g(o);
  g.OnPacket(1, 0);
  g.OnPacket(3, 0);
  CHECK_EQ(Due(g, 5 * kMs).size(), 1u);
  CHECK_EQ(Due(g, 20 * kMs).size(), 1u);  // the last request
  CHECK(Due(g, 30 * kMs).empty());
  CHECK(g.Pursuing(2));  // its answer may be on the way
  CHECK(g.OnPacket(2, 35 * kMs));
  CHECK_EQ(g.stats().recovered, 1u);
  CHECK_EQ(g.stats().gaveUp, 0u);
  g.OnPacket(5, 40 * kMs);
  CHECK_EQ(Due(g, 45 * kMs).size(), 1u);
  CHECK_EQ(Due(g, 60 * kMs).size(), 1u);
  CHECK(Due(g, 82 * kMs).empty());
  CHECK(g.Pursuing(4));
  CHECK(Due(g, 83 * kMs).empty());  // 22.5 ms after the last request: given up
  CHECK(!g.Pursuing(4));
  CHECK_EQ(g.stats().gaveUp, 1u);
}

TEST(NackGenerator_ARetransmissionFillsItsHoleAndCountsAsRecovered) {
  NackGenerator g;
  g.OnPacket(1, 0);
  g.OnPacket(3, 0);
  CHECK_EQ(Due(g, 5 * kMs), (std::vector<uint16_t>{2}));
  CHECK(g.OnPacket(2, 6 * kMs));
  CHECK_EQ(g.missing(), 0u);
  CHECK_EQ(g.stats().recovered, 1u);
  CHECK(!g.OnPacket(2, 7 * kMs));  // a duplicate fills nothing
}

TEST(NackGenerator_GivesUpAfterItsRetriesOrItsAge) {
  NackOptions o;
  o.maxRetries = 3;
  o.maxAgeNs = 100 * kMs;
  NackGenerator g(o);
  g.OnPacket(1, 0);
  g.OnPacket(3, 0);
  uint64_t now = 0;
  size_t asked = 0;
  for (int i = 0; i < 20; ++i) asked += Due(g, now += 20 * kMs).size();
  CHECK_EQ(asked, 3u);
  CHECK_EQ(g.missing(), 0u);
  CHECK_EQ(g.stats().gaveUp, 1u);
  // Too old before its first request: forgotten without being asked for.
  g.OnPacket(10, now);
  CHECK(Due(g, now + 200 * kMs).empty());
  CHECK_EQ(g.missing(), 0u);
}

TEST(NackGenerator_AGapWiderThanTheListIsLeftToAKeyFrame) {
  NackOptions o;
  o.maxMissing = 16;
  NackGenerator g(o);
  g.OnPacket(100, 0);
  g.OnPacket(110, 0);  // 9 missing
  g.OnPacket(200, 0);  // 89 more: too many
  CHECK_EQ(g.missing(), 0u);
  CHECK_EQ(g.stats().tooManyMissing, 98u);
  g.OnPacket(210, 0);  // 9 missing, kept
  g.OnPacket(220, 0);  // 9 more: the oldest 2 make room
  CHECK_EQ(g.missing(), 16u);
  const std::vector<uint16_t> due = Due(g, 10 * kMs);
  REQUIRE(!due.empty());
  CHECK_EQ(due.front(), 203);
}

TEST(NackGenerator_WrapsAndRestarts) {
  NackGenerator g;
  g.OnPacket(65534, 0);
  g.OnPacket(1, 0);  // 65535 and 0 missing
  CHECK_EQ(Due(g, 10 * kMs), (std::vector<uint16_t>{65535, 0}));
  g.OnPacket(30000, 20 * kMs);  // a gap too wide: forgotten
  g.OnPacket(5, 21 * kMs);      // far behind everything: the sender started over
  g.OnPacket(7, 22 * kMs);
  CHECK_EQ(Due(g, 40 * kMs), (std::vector<uint16_t>{6}));
}

TEST(NackGenerator_NeverMoreThanAskedForInOneCall) {
  NackGenerator g;
  g.OnPacket(0, 0);
  g.OnPacket(101, 0);
  uint16_t out[10];
  CHECK_EQ(g.Due(10 * kMs, 0, out, 10), 10u);
  CHECK_EQ(out[0], 1);
  CHECK_EQ(g.Due(10 * kMs, 0, out, 10), 10u);  // the next ten, the first ten asked just now
  CHECK_EQ(out[0], 11);
}
