// Transport-cc feedback (rtp/TransportFeedback): any datagram either parses, and then every
// packet it names is walked without reading past it, or is refused. Arrivals made from the
// input and written as feedback read back as written (within half the 250 us tick), whatever the buffer
// size; the congestion controller takes any of it, parsed or not, without a fault.
#include <cstring>
#include <vector>

#include "FuzzRtp.h"
#include "cc/CongestionController.h"
#include "rtp/TransportFeedback.h"

using callmedia::CongestionController;
using callmedia::TransportFeedback;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  FuzzedDataProvider in(data, size);
  const bool roundTrip = in.ConsumeBool();
  const size_t capacity = in.ConsumeIntegralInRange<size_t>(0, 1500);
  const std::vector<uint8_t> bytes = in.ConsumeRemainingBytes<uint8_t>();

  // As received: parse, walk, and hand to a controller that has sent those sequence numbers.
  TransportFeedback fb;
  if (TransportFeedback::Parse(bytes.data(), bytes.size(), &fb)) {
    size_t n = 0;
    fb.ForEach([&](uint16_t, int64_t) { ++n; });
    FUZZ_CHECK(n == fb.statusCount);
  }
  CongestionController controller;
  for (int i = 0; i < 64; ++i) controller.OnPacketSending(1200, 1'000'000'000ull + i * 1'000'000ull);
  controller.Allocate(&controller, 1'000'000, 1'100'000'000ull);
  controller.OnTransportFeedback(bytes.data(), bytes.size(), 1'200'000'000ull);

  if (!roundTrip) return 0;
  // As written: the bytes as arrivals (3 bytes each: a lost bit and a delta of up to ~1 s).
  std::vector<int64_t> arrivals;
  int64_t t = 5'000'000;
  for (size_t i = 0; i + 3 <= bytes.size() && arrivals.size() < TransportFeedback::kMaxPackets; i += 3) {
    const int32_t delta = (bytes[i] << 16 | bytes[i + 1] << 8 | bytes[i + 2]) & 0x7FFFFF;
    t += delta - 0x3FFFFF / 8;  // mostly forward, sometimes back (reordering)
    arrivals.push_back(bytes[i] & 0x80 ? TransportFeedback::kNotReceived : t);
  }
  if (arrivals.empty()) return 0;
  std::vector<uint8_t> out(capacity);
  size_t covered = 0;
  const size_t written = TransportFeedback::Write(1, 2, 65000, 9, arrivals.data(), arrivals.size(), out.data(), capacity, &covered);
  FUZZ_CHECK(written <= capacity && written % 4 == 0 && covered <= arrivals.size());
  if (written == 0) return 0;
  TransportFeedback back;
  FUZZ_CHECK(TransportFeedback::Parse(out.data(), written, &back));
  FUZZ_CHECK(back.statusCount == covered && back.baseSequence == 65000 && back.feedbackCount == 9);
  // The times here never reach the 24-bit reference's wrap, so each reads back within half a
  // tick of what was written (each rounded on its own: the deltas never drift).
  size_t i = 0;
  back.ForEach([&](uint16_t seq, int64_t arrival) {
    FUZZ_CHECK(seq == static_cast<uint16_t>(65000 + i));
    FUZZ_CHECK((arrival == TransportFeedback::kNotReceived) == (arrivals[i] == TransportFeedback::kNotReceived));
    if (arrival != TransportFeedback::kNotReceived) {
      const int64_t error = arrival - arrivals[i];
      FUZZ_CHECK(error >= -TransportFeedback::kDeltaUs / 2 && error <= TransportFeedback::kDeltaUs / 2);
    }
    ++i;
  });
  return 0;
}
