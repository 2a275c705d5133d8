#include "rtp/TransportFeedback.h"

#include <cstdint>
#include <vector>

#include "check.h"

using callmedia::TransportFeedback;

namespace {
constexpr int64_t kLost = TransportFeedback::kNotReceived;

struct Entry {
  uint16_t seq;
  int64_t arrivalUs;
};

std::vector<Entry> Read(const uint8_t* data, size_t size, TransportFeedback* fb) {
  std::vector<Entry> out;
  if (!TransportFeedback::Parse(data, size, fb)) return out;
  fb->ForEach([&](uint16_t seq, int64_t arrival) { out.push_back({seq, arrival}); });
  return out;
}
}  // namespace

// What is written reads back: every packet, lost ones as lost, arrivals to the 250 us tick.
TEST(TransportFeedback_RoundTripKeepsEveryArrivalToTheTick) {
  std::vector<int64_t> arrivals;
  const int64_t base = 1'234'567'000;  // µs
  for (int i = 0; i < 100; ++i) arrivals.push_back(i % 9 == 4 ? kLost : base + i * 3100 + (i % 3) * 40);
  uint8_t out[1200];
  size_t covered = 0;
  const size_t n = TransportFeedback::Write(0x11, 0x22, 65500, 7, arrivals.data(), arrivals.size(), out, sizeof(out), &covered);
  REQUIRE(n > 0 && n % 4 == 0);
  CHECK_EQ(covered, arrivals.size());
  TransportFeedback fb;
  const auto got = Read(out, n, &fb);
  REQUIRE(got.size() == arrivals.size());
  CHECK_EQ(fb.senderSsrc, 0x11u);
  CHECK_EQ(fb.mediaSsrc, 0x22u);
  CHECK_EQ(fb.feedbackCount, 7);
  // Well inside the 24-bit reference's range, each time reads back within half a tick.
  for (size_t i = 0; i < got.size(); ++i) {
    CHECK_EQ(got[i].seq, static_cast<uint16_t>(65500 + i));  // wraps through 0
    if (arrivals[i] == kLost) {
      CHECK(got[i].arrivalUs == kLost);
    } else {
      const int64_t error = got[i].arrivalUs - arrivals[i];
      CHECK_MSG(error >= -125 && error <= 125, "packet " + std::to_string(i) + " off by " + std::to_string(error));
    }
  }
}

// Reordering makes negative deltas and a long pause a large one: both take two bytes.
TEST(TransportFeedback_NegativeAndLargeDeltasRoundTrip) {
  const int64_t arrivals[] = {10'000'000, 10'000'500, 9'990'000, 10'400'000, 10'400'250};
  uint8_t out[200];
  size_t covered = 0;
  const size_t n = TransportFeedback::Write(1, 2, 100, 0, arrivals, 5, out, sizeof(out), &covered);
  REQUIRE(n > 0);
  CHECK_EQ(covered, 5u);
  TransportFeedback fb;
  const auto got = Read(out, n, &fb);
  REQUIRE(got.size() == 5);
  const int64_t offset = got[0].arrivalUs - arrivals[0];
  for (size_t i = 0; i < 5; ++i) CHECK_EQ(got[i].arrivalUs - offset, arrivals[i]);
}

// A delta beyond 16 bits of ticks (8.2 s) ends the message before that packet; a later one reports it.
TEST(TransportFeedback_StopsBeforeADeltaItCannotWrite) {
  const int64_t arrivals[] = {0, 1000, 20'000'000};
  uint8_t out[200];
  size_t covered = 0;
  REQUIRE(TransportFeedback::Write(1, 2, 0, 0, arrivals, 3, out, sizeof(out), &covered) > 0);
  CHECK_EQ(covered, 2u);
}

// Trailing losses are left for the next message; leading ones are reported.
TEST(TransportFeedback_LeadingLossesAreReportedTrailingOnesWait) {
  const int64_t arrivals[] = {kLost, kLost, 5000, 6000, kLost, kLost};
  uint8_t out[200];
  size_t covered = 0;
  const size_t n = TransportFeedback::Write(1, 2, 40, 0, arrivals, 6, out, sizeof(out), &covered);
  REQUIRE(n > 0);
  CHECK_EQ(covered, 4u);
  TransportFeedback fb;
  const auto got = Read(out, n, &fb);
  REQUIRE(got.size() == 4);
  CHECK(got[0].arrivalUs == kLost && got[1].arrivalUs == kLost);
  CHECK_EQ(got[3].arrivalUs - got[2].arrivalUs, 1000);
  const int64_t none[] = {kLost, kLost};
  CHECK_EQ(TransportFeedback::Write(1, 2, 40, 0, none, 2, out, sizeof(out), &covered), 0u);
}

// A run of one status is one run-length chunk: 1000 packets, all arrived 1 ms apart.
TEST(TransportFeedback_LongRunsTakeRunLengthChunks) {
  std::vector<int64_t> arrivals;
  for (int i = 0; i < 1000; ++i) arrivals.push_back(i * 1000);
  uint8_t out[1200];
  size_t covered = 0;
  const size_t n = TransportFeedback::Write(1, 2, 0, 0, arrivals.data(), arrivals.size(), out, sizeof(out), &covered);
  CHECK_EQ(covered, 1000u);
  CHECK(n <= 20 + 2 + 1000 + 3);  // header, one chunk, a byte per delta, padding
}

// A small buffer holds what fits, and says how much that was.
TEST(TransportFeedback_ASmallBufferCoversFewerPackets) {
  std::vector<int64_t> arrivals;
  for (int i = 0; i < 300; ++i) arrivals.push_back(i * 300'000 % 7'000'000);  // large deltas: 2 bytes each
  uint8_t out[120];
  size_t covered = 0;
  const size_t n = TransportFeedback::Write(1, 2, 0, 0, arrivals.data(), arrivals.size(), out, sizeof(out), &covered);
  REQUIRE(n > 0 && n <= sizeof(out));
  CHECK(covered > 0 && covered < 300);
  TransportFeedback fb;
  CHECK_EQ(Read(out, n, &fb).size(), covered);
}

// Malformed messages are refused: truncated, a count past the chunks, a reserved symbol.
TEST(TransportFeedback_RefusesWhatDoesNotFit) {
  const int64_t arrivals[] = {0, 1000, 2000};
  uint8_t out[200];
  size_t covered = 0;
  const size_t n = TransportFeedback::Write(1, 2, 0, 0, arrivals, 3, out, sizeof(out), &covered);
  REQUIRE(n >= 24);
  TransportFeedback fb;
  CHECK(TransportFeedback::Parse(out, n, &fb));
  CHECK(!TransportFeedback::Parse(out, n - 4, &fb));  // the length field no longer matches
  std::vector<uint8_t> more(out, out + n);
  more[14] = 0x10;  // status count 4096: more than the chunks and deltas hold
  CHECK(!TransportFeedback::Parse(more.data(), more.size(), &fb));
  std::vector<uint8_t> reserved(out, out + n);
  reserved[20] = 0x60;  // run-length chunk of symbol 3 (reserved)
  reserved[21] = 0x03;
  CHECK(!TransportFeedback::Parse(reserved.data(), reserved.size(), &fb));
  std::vector<uint8_t> nack(out, out + n);
  nack[0] = static_cast<uint8_t>((nack[0] & 0xE0) | 1);  // FMT 1: a NACK, not this
  CHECK(!TransportFeedback::Parse(nack.data(), nack.size(), &fb));
}
