// The receive side of transport-wide congestion control: when each packet carrying a
// transport-wide sequence number arrived, reported back to its sender in transport-cc feedback
// (rtp/TransportFeedback) every `interval`, so the sender can tell a queue building on the path
// from a clear one.
//
// Arrivals are kept in a ring by sequence number, allocated once. A packet older than what was
// already reported is counted and not reported again; a jump wider than the ring starts over.
#pragma once
#include <cstddef>
#include <cstdint>
#include <vector>

namespace callmedia {

struct TransportFeedbackGeneratorStats {
  uint64_t packets;       // carried a transport-wide sequence number
  uint64_t feedbackSent;  // messages built
  uint64_t lateArrivals;  // arrived after a message had reported them missing
  uint64_t restarts;      // a jump in the sequence wider than the ring
};

class TransportFeedbackGenerator {
 public:
  static constexpr size_t kRing = 4096;
  explicit TransportFeedbackGenerator(uint64_t intervalNs = 50'000'000) : intervalNs_(intervalNs), arrivals_(kRing) {}

  void OnPacket(uint16_t sequence, uint64_t arrivalNs);
  // The next message, when one is due at `nowNs` (or `force`): written into `out`, its size
  // returned; 0 when nothing is due or pending.
  size_t Build(uint64_t nowNs, uint32_t senderSsrc, uint32_t mediaSsrc, uint8_t* out, size_t capacity, bool force = false);
  TransportFeedbackGeneratorStats Stats() const { return stats_; }

 private:
  const uint64_t intervalNs_;
  std::vector<int64_t> arrivals_;  // microseconds, or TransportFeedback::kNotReceived
  bool started_ = false;
  int64_t highest_ = -1;   // unwrapped sequence of the newest packet
  int64_t next_ = 0;       // the first sequence not yet reported
  uint64_t lastBuildNs_ = 0;
  uint8_t feedbackCount_ = 0;
  TransportFeedbackGeneratorStats stats_{};
};

}  // namespace callmedia
