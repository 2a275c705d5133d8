// The delay-based half of Google congestion control (draft-ietf-rmcat-gcc-02, as libwebrtc
// runs it with send-side estimation): packets are grouped by send time (a burst of 5 ms is one
// group), and the change in one-way delay between groups (arrival delta minus send delta) is
// accumulated. A least-squares trend over the last groups tells a queue that grows (overuse),
// one that drains (underuse) or neither; the threshold it is judged against adapts, so that a
// path's own jitter is not taken for congestion.
#pragma once
#include <cstddef>
#include <cstdint>

namespace callmedia {

enum class BandwidthUsage { kNormal, kUnderusing, kOverusing };

const char* BandwidthUsageName(BandwidthUsage usage);

// Packets into send-time groups; each completed group gives its deltas to the previous one.
class InterArrival {
 public:
  static constexpr int64_t kGroupUs = 5000;
  // `sendUs` on the sender's clock, `arrivalUs` on the receiver's. True when a group completed:
  // the deltas (ms) between it and the one before are set.
  bool Add(int64_t sendUs, int64_t arrivalUs, double* sendDeltaMs, double* arrivalDeltaMs);
  void Reset() { current_ = previous_ = Group{}; }

 private:
  struct Group {
    bool valid = false;
    int64_t firstSendUs = 0, lastSendUs = 0, lastArrivalUs = 0;
  };
  Group current_, previous_;
};

// The trend of the accumulated delay, and the overuse detector on it.
class TrendlineEstimator {
 public:
  static constexpr size_t kWindow = 20;
  // One group's deltas and when it arrived (ms). Returns the usage the trend now shows.
  BandwidthUsage Update(double arrivalDeltaMs, double sendDeltaMs, double arrivalMs);
  BandwidthUsage usage() const { return usage_; }
  double trend() const { return trend_; }
  double threshold() const { return threshold_; }

 private:
  void Detect(double trend, double sendDeltaMs, double nowMs);
  void UpdateThreshold(double modifiedTrend, double nowMs);

  // Arrival times are on the receiver's clock, which may be negative: no sentinel values.
  bool started_ = false;
  double accumulated_ = 0, smoothed_ = 0, firstArrivalMs_ = 0;
  double x_[kWindow] = {}, y_[kWindow] = {};
  size_t count_ = 0, head_ = 0;
  size_t deltas_ = 0;
  double trend_ = 0, previousTrend_ = 0;
  double threshold_ = 12.5;
  double lastThresholdUpdateMs_ = 0;
  double timeOverusing_ = -1;
  int overuseCount_ = 0;
  BandwidthUsage usage_ = BandwidthUsage::kNormal;
};

class DelayBasedEstimator {
 public:
  // One packet that arrived. Returns the usage the delay shows now.
  BandwidthUsage OnPacket(int64_t sendUs, int64_t arrivalUs);
  BandwidthUsage usage() const { return trendline_.usage(); }
  double trend() const { return trendline_.trend(); }
  double threshold() const { return trendline_.threshold(); }
  void Reset();

 private:
  InterArrival interArrival_;
  TrendlineEstimator trendline_;
};

}  // namespace callmedia
