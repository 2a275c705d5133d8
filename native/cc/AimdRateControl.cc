#include "cc/AimdRateControl.h"

#include <algorithm>
#include <cmath>

namespace callmedia {

namespace {
constexpr double kBeta = 0.85;
constexpr double kPacketBits = 1200 * 8;
}  // namespace

AimdRateControl::AimdRateControl(uint32_t startBps, uint32_t minBps, uint32_t maxBps)
    : rate_(startBps), minBps_(minBps), maxBps_(std::max(minBps, maxBps)) {
  rate_ = std::clamp(rate_, minBps_, maxBps_);
}

void AimdRateControl::SetBounds(uint32_t minBps, uint32_t maxBps) {
  minBps_ = minBps;
  maxBps_ = std::max(minBps, maxBps);
  rate_ = std::clamp(rate_, minBps_, maxBps_);
}

void AimdRateControl::UpdateCapacity(double acked) {
  // An exponential average of the acknowledged rate at cuts, normalised by the rate, so its
  // variance means the same at 100 kbit/s and at 10 Mbit/s.
  if (capacity_ < 0) {
    capacity_ = acked;
    return;
  }
  const double alpha = 0.05;
  const double error = capacity_ - acked;
  capacity_ = (1 - alpha) * capacity_ + alpha * acked;
  const double norm = std::max(capacity_, 1.0);
  capacityVar_ = std::clamp((1 - alpha) * capacityVar_ + alpha * error * error / norm, 0.4, 2.5);
}

uint32_t AimdRateControl::Update(BandwidthUsage usage, uint32_t ackedBps, int64_t nowMs) {
  if (lastChangeMs_ < 0) lastChangeMs_ = nowMs;
  switch (usage) {
    case BandwidthUsage::kOverusing:
      state_ = State::kDecrease;
      break;
    case BandwidthUsage::kNormal:
      if (state_ == State::kHold) {
        state_ = State::kIncrease;
        lastChangeMs_ = nowMs;
      }
      break;
    case BandwidthUsage::kUnderusing:
      state_ = State::kHold;
      break;
  }
  const double acked = ackedBps;
  // Near the capacity last seen: within three deviations of it.
  const double deviation = capacity_ > 0 ? std::sqrt(capacityVar_ * capacity_) : 0;
  if (capacity_ > 0 && acked > capacity_ + 3 * deviation) capacity_ = -1;  // the link got faster: forget it
  const double elapsedMs = std::min<double>(nowMs - lastChangeMs_, 1000);
  switch (state_) {
    case State::kHold:
      break;
    case State::kIncrease: {
      double next;
      if (capacity_ > 0) {
        // Additive: about one packet per response time (a round trip and 100 ms).
        const double responseMs = rttMs_ + 100;
        const double perSecond = std::max(4000.0, kPacketBits * 1000 / responseMs);
        next = rate_ + perSecond * elapsedMs / 1000;
      } else {
        next = rate_ * std::pow(1.08, elapsedMs / 1000.0);
      }
      // Never far above what gets through: growing a rate nobody sends proves nothing.
      if (acked > 0) next = std::min(next, std::max(rate_, 1.5 * acked + 10'000));
      rate_ = next;
      lastChangeMs_ = nowMs;
      break;
    }
    case State::kDecrease: {
      if (acked > 0) {
        double next = kBeta * acked;
        if (next > rate_) next = rate_;  // a cut never raises the rate
        UpdateCapacity(acked);
        rate_ = next;
      } else {
        rate_ *= kBeta;
      }
      ++decreases_;
      state_ = State::kHold;  // wait for the queue to drain before growing again
      lastChangeMs_ = nowMs;
      break;
    }
  }
  rate_ = std::clamp(rate_, minBps_, maxBps_);
  return static_cast<uint32_t>(rate_);
}

uint32_t LossBasedEstimator::Update(uint32_t lost, uint32_t total, int64_t nowMs, double rttMs, uint32_t ackedBps) {
  lost_ += lost;
  total_ += total;
  if (total_ < 20) return estimate();  // too few to judge
  fraction_ = static_cast<double>(lost_) / total_;
  lost_ = total_ = 0;
  const double elapsedMs = lastUpdateMs_ < 0 ? 0 : std::min<double>(nowMs - lastUpdateMs_, 1000);
  lastUpdateMs_ = nowMs;
  if (fraction_ < 0.02) {
    rate_ *= std::pow(1.08, elapsedMs / 1000.0);
  } else if (fraction_ > 0.10) {
    if (lastDecreaseMs_ < 0 || nowMs - lastDecreaseMs_ >= 300 + rttMs) {
      rate_ = std::min(rate_, std::max(rate_ * (1 - 0.5 * fraction_), kBeta * ackedBps));
      lastDecreaseMs_ = nowMs;
    }
  }
  return estimate();
}

void LossBasedEstimator::Bound(uint32_t minBps, uint32_t maxBps) { rate_ = std::clamp<double>(rate_, minBps, std::max(minBps, maxBps)); }

void AcknowledgedBitrate::Add(int64_t arrivalUs, uint32_t bytes) {
  auto index = [](int64_t s) { return static_cast<size_t>(((s % kSlots) + kSlots) % kSlots); };
  const int64_t slot = arrivalUs >= 0 ? arrivalUs / kSlotUs : (arrivalUs - kSlotUs + 1) / kSlotUs;
  if (firstUs_ == INT64_MIN) firstUs_ = arrivalUs;
  if (slot_ == INT64_MIN) slot_ = slot;
  if (slot > slot_) {
    // Clear the slots time has moved past.
    for (int64_t s = slot_ + 1; s <= slot && s <= slot_ + kSlots; ++s) bytes_[index(s)] = 0;
    slot_ = slot;
  } else if (slot <= slot_ - kSlots) {
    return;  // older than the window
  }
  bytes_[index(slot)] += bytes;
  uint64_t sum = 0;
  for (uint64_t b : bytes_) sum += b;
  // Over the window, or over what has passed of it at the start.
  const double spanUs = std::min<double>(kSlots * kSlotUs, std::max<double>(arrivalUs - firstUs_, 100'000));
  bps_ = static_cast<uint32_t>(std::min<double>(sum * 8 * 1e6 / spanUs, 4e9));
}

}  // namespace callmedia
