// The receive side of generic NACK (RFC 4585 6.2.1): which packets of a stream are missing, and
// when to ask the sender for them again.
//
// Every hole the sequence numbers leave is remembered (up to `maxMissing`; a wider gap is not
// worth asking for, a key frame is). A missing packet is asked for once it has had a moment to
// arrive reordered, then again after a retry interval that grows with each request (a sender
// that dropped a request under its rate limit answers a later one), at most `maxRetries` times
// and while it is younger than `maxAge`. It is given up once it is older than that, or once
// its last request has had its interval to be answered; the frame assembler's loss handling (a
// key-frame request) then takes over. The list is allocated once; no allocation per packet.
#pragma once
#include <cstddef>
#include <cstdint>
#include <vector>

namespace callmedia {

struct NackOptions {
  size_t maxMissing = 256;
  uint32_t maxRetries = 8;
  uint64_t maxAgeNs = 1'000'000'000;
  // A hole younger than this may be reordering, not loss: it is not asked for yet.
  uint64_t firstRequestAfterNs = 5'000'000;
  // Between the first two requests for one packet when the round trip is unknown; otherwise
  // 1.5 RTT, at least `minRetryIntervalNs`. Each next interval is `retryBackoff` times the one
  // before, at most `maxRetryIntervalNs`.
  uint64_t retryIntervalNs = 15'000'000;
  uint64_t minRetryIntervalNs = 5'000'000;
  double retryBackoff = 1.5;
  uint64_t maxRetryIntervalNs = 80'000'000;
};

struct NackStats {
  uint64_t requested;     // sequence numbers asked for (each time)
  uint64_t recovered;     // asked for, and then arrived
  uint64_t gaveUp;        // asked for too often or too long
  uint64_t tooManyMissing;  // holes forgotten because a gap was wider than the list
};

class NackGenerator {
 public:
  explicit NackGenerator(const NackOptions& options = NackOptions());

  // A packet of the stream arrived: new, late or retransmitted. Returns true when it fills a
  // hole that had been asked for (a recovered packet).
  bool OnPacket(uint16_t seq, uint64_t nowNs);
  // Writes the sequence numbers to ask for now, oldest first, into `out` (at most `capacity`);
  // returns how many. `rttNs` is the measured round trip, 0 when unknown.
  size_t Due(uint64_t nowNs, uint64_t rttNs, uint16_t* out, size_t capacity);
  // The stream started over (a new source, a codec change): nothing is missing.
  void Reset();

  size_t missing() const { return missing_.size(); }
  // Whether `seq` is missing and still asked for (not given up).
  bool Pursuing(uint16_t seq) const;
  const NackStats& stats() const { return stats_; }

 private:
  struct Missing {
    uint16_t seq;
    uint32_t requests;
    uint64_t sinceNs;
    uint64_t lastRequestNs;
  };

  // The wait after the `requests`-th request for one packet.
  uint64_t IntervalAfter(uint32_t requests, uint64_t baseNs) const;

  static constexpr int32_t kRestartDistance = 1000;
  const NackOptions options_;
  std::vector<Missing> missing_;  // oldest first; capacity reserved once
  bool started_ = false;
  uint16_t highest_ = 0;
  NackStats stats_{};
};

}  // namespace callmedia
