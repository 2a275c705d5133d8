// The rate controller of delay-based congestion control (draft-ietf-rmcat-gcc-02 section 5.5):
// additive increase, multiplicative decrease. Overuse cuts the rate to 85 % of what the
// receiver acknowledges getting; normal use grows it, by 8 % a second while far from the link's
// capacity as last seen at a cut, by about a packet per round trip near it; underuse holds (a
// queue is draining). The rate never runs far above what the sender actually gets through.
#pragma once
#include <cstdint>

#include "cc/DelayBasedEstimator.h"

namespace callmedia {

class AimdRateControl {
 public:
  AimdRateControl(uint32_t startBps, uint32_t minBps, uint32_t maxBps);

  // `ackedBps` is the throughput the receiver reports (0: not known yet). Returns the estimate.
  uint32_t Update(BandwidthUsage usage, uint32_t ackedBps, int64_t nowMs);
  void SetRoundTrip(double ms) { rttMs_ = ms > 0 ? ms : rttMs_; }
  void SetBounds(uint32_t minBps, uint32_t maxBps);
  uint32_t estimate() const { return static_cast<uint32_t>(rate_); }
  uint64_t decreases() const { return decreases_; }

 private:
  enum class State { kHold, kIncrease, kDecrease };
  void UpdateCapacity(double ackedBps);

  double rate_, minBps_, maxBps_;
  State state_ = State::kIncrease;
  int64_t lastChangeMs_ = -1;
  double rttMs_ = 200;
  // The link capacity, averaged over the acknowledged rates at past cuts (bits/s), and its variance.
  double capacity_ = -1, capacityVar_ = 0.4;
  uint64_t decreases_ = 0;
};

// The loss-based half (GCC section 6): the fraction the receiver reports lost. Under 2 % the
// rate may grow 8 % a second; over 10 % it is cut by half the loss (not below 85 % of what the
// receiver acknowledges), at most once per round trip and 300 ms; between, it holds.
class LossBasedEstimator {
 public:
  explicit LossBasedEstimator(uint32_t startBps) : rate_(startBps) {}
  // Packets reported in one feedback message. Returns the estimate.
  // A cut never goes below 85 % of `ackedBps`, what demonstrably got through (0: unknown).
  uint32_t Update(uint32_t lost, uint32_t total, int64_t nowMs, double rttMs, uint32_t ackedBps = 0);
  void Bound(uint32_t minBps, uint32_t maxBps);
  uint32_t estimate() const { return static_cast<uint32_t>(rate_); }
  double fraction() const { return fraction_; }

 private:
  double rate_;
  uint32_t lost_ = 0, total_ = 0;  // summed until there are enough to judge
  double fraction_ = 0;
  int64_t lastUpdateMs_ = -1, lastDecreaseMs_ = -1;
};

// What the receiver got through, from the acknowledged packets: bytes over the last 500 ms of
// their arrival times.
class AcknowledgedBitrate {
 public:
  void Add(int64_t arrivalUs, uint32_t bytes);
  uint32_t bps() const { return bps_; }

 private:
  static constexpr int kSlots = 50;  // 10 ms each
  static constexpr int64_t kSlotUs = 10'000;
  uint64_t bytes_[kSlots] = {};
  int64_t slot_ = INT64_MIN;  // the newest slot's index (arrival / 10 ms)
  uint32_t bps_ = 0;
  int64_t firstUs_ = INT64_MIN;
};

}  // namespace callmedia
