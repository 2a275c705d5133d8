#include "cc/DelayBasedEstimator.h"

#include <algorithm>
#include <cmath>

namespace callmedia {

namespace {
constexpr double kSmoothing = 0.9;
constexpr double kThresholdGain = 4.0;
constexpr size_t kMaxDeltasForGain = 60;
constexpr double kUp = 0.0087, kDown = 0.039;  // how fast the threshold follows the trend, up and down
constexpr double kOverusingTimeMs = 10;
constexpr double kMinThreshold = 6, kMaxThreshold = 600;
}  // namespace

const char* BandwidthUsageName(BandwidthUsage usage) {
  switch (usage) {
    case BandwidthUsage::kNormal: return "normal";
    case BandwidthUsage::kUnderusing: return "underusing";
    case BandwidthUsage::kOverusing: return "overusing";
  }
  return "normal";
}

bool InterArrival::Add(int64_t sendUs, int64_t arrivalUs, double* sendDeltaMs, double* arrivalDeltaMs) {
  if (!current_.valid) {
    current_ = Group{true, sendUs, sendUs, arrivalUs};
    return false;
  }
  if (sendUs < current_.firstSendUs) return false;  // reordered into an older group: skip it
  if (sendUs - current_.firstSendUs <= kGroupUs) {
    current_.lastSendUs = std::max(current_.lastSendUs, sendUs);
    current_.lastArrivalUs = std::max(current_.lastArrivalUs, arrivalUs);
    return false;
  }
  // A new group starts: the one that just ended is compared with the one before it.
  bool ready = false;
  if (previous_.valid) {
    *sendDeltaMs = (current_.lastSendUs - previous_.lastSendUs) / 1000.0;
    *arrivalDeltaMs = (current_.lastArrivalUs - previous_.lastArrivalUs) / 1000.0;
    ready = true;
  }
  previous_ = current_;
  current_ = Group{true, sendUs, sendUs, arrivalUs};
  return ready;
}

BandwidthUsage TrendlineEstimator::Update(double arrivalDeltaMs, double sendDeltaMs, double arrivalMs) {
  const double delta = arrivalDeltaMs - sendDeltaMs;
  deltas_ = std::min<size_t>(deltas_ + 1, 1000);
  if (!started_) {
    started_ = true;
    firstArrivalMs_ = arrivalMs;
    lastThresholdUpdateMs_ = arrivalMs;
  }
  accumulated_ += delta;
  smoothed_ = kSmoothing * smoothed_ + (1 - kSmoothing) * accumulated_;
  x_[head_] = arrivalMs - firstArrivalMs_;
  y_[head_] = smoothed_;
  head_ = (head_ + 1) % kWindow;
  count_ = std::min(count_ + 1, kWindow);
  if (count_ == kWindow) {
    // Least squares slope of delay over time.
    double meanX = 0, meanY = 0;
    for (size_t i = 0; i < kWindow; ++i) {
      meanX += x_[i];
      meanY += y_[i];
    }
    meanX /= kWindow;
    meanY /= kWindow;
    double num = 0, den = 0;
    for (size_t i = 0; i < kWindow; ++i) {
      num += (x_[i] - meanX) * (y_[i] - meanY);
      den += (x_[i] - meanX) * (x_[i] - meanX);
    }
    if (den != 0) trend_ = num / den;
  }
  Detect(trend_, sendDeltaMs, arrivalMs);
  return usage_;
}

void TrendlineEstimator::Detect(double trend, double sendDeltaMs, double nowMs) {
  if (deltas_ < 2) return;
  const double modified = std::min(deltas_, kMaxDeltasForGain) * trend * kThresholdGain;
  if (modified > threshold_) {
    timeOverusing_ = timeOverusing_ < 0 ? sendDeltaMs / 2 : timeOverusing_ + sendDeltaMs;
    ++overuseCount_;
    if (timeOverusing_ > kOverusingTimeMs && overuseCount_ > 1 && trend >= previousTrend_) {
      timeOverusing_ = 0;
      overuseCount_ = 0;
      usage_ = BandwidthUsage::kOverusing;
    }
  } else if (modified < -threshold_) {
    timeOverusing_ = -1;
    overuseCount_ = 0;
    usage_ = BandwidthUsage::kUnderusing;
  } else {
    timeOverusing_ = -1;
    overuseCount_ = 0;
    usage_ = BandwidthUsage::kNormal;
  }
  previousTrend_ = trend;
  UpdateThreshold(modified, nowMs);
}

void TrendlineEstimator::UpdateThreshold(double modified, double nowMs) {
  // A spike far above the threshold (a route change, a stall) does not drag it up.
  if (std::fabs(modified) > threshold_ + 15) {
    lastThresholdUpdateMs_ = nowMs;
    return;
  }
  const double k = std::fabs(modified) < threshold_ ? kDown : kUp;
  const double elapsed = std::min(nowMs - lastThresholdUpdateMs_, 100.0);
  threshold_ += k * (std::fabs(modified) - threshold_) * elapsed;
  threshold_ = std::clamp(threshold_, kMinThreshold, kMaxThreshold);
  lastThresholdUpdateMs_ = nowMs;
}

BandwidthUsage DelayBasedEstimator::OnPacket(int64_t sendUs, int64_t arrivalUs) {
  double sendDelta, arrivalDelta;
  if (interArrival_.Add(sendUs, arrivalUs, &sendDelta, &arrivalDelta))
    return trendline_.Update(arrivalDelta, sendDelta, arrivalUs / 1000.0);
  return trendline_.usage();
}

void DelayBasedEstimator::Reset() {
  interArrival_.Reset();
  trendline_ = TrendlineEstimator();
}

}  // namespace callmedia
