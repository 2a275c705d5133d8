#include "cc/TransportFeedbackGenerator.h"

#include <algorithm>

#include "rtp/TransportFeedback.h"

namespace callmedia {

void TransportFeedbackGenerator::OnPacket(uint16_t sequence, uint64_t arrivalNs) {
  ++stats_.packets;
  int64_t unwrapped;
  if (!started_) {
    started_ = true;
    unwrapped = sequence;
    next_ = unwrapped;
    highest_ = unwrapped - 1;
  } else {
    // The nearest unwrapped value to the newest one (RFC 3550 A.1's idea, for 16 bits).
    const int16_t step = static_cast<int16_t>(sequence - static_cast<uint16_t>(highest_));
    unwrapped = highest_ + step;
  }
  if (unwrapped < next_) {
    ++stats_.lateArrivals;  // reported missing already
    return;
  }
  if (unwrapped - next_ >= static_cast<int64_t>(kRing)) {
    // Further ahead than the ring: what was pending is forgotten.
    ++stats_.restarts;
    next_ = unwrapped;
    highest_ = unwrapped - 1;
  }
  // Slots between the newest and this one were never filled: mark them missing.
  for (int64_t s = highest_ + 1; s < unwrapped; ++s) arrivals_[static_cast<size_t>(s) % kRing] = TransportFeedback::kNotReceived;
  arrivals_[static_cast<size_t>(unwrapped) % kRing] = static_cast<int64_t>(arrivalNs / 1000);
  highest_ = std::max(highest_, unwrapped);
}

size_t TransportFeedbackGenerator::Build(uint64_t nowNs, uint32_t senderSsrc, uint32_t mediaSsrc, uint8_t* out, size_t capacity,
                                         bool force) {
  if (!started_ || highest_ < next_) return 0;
  if (!force && nowNs - lastBuildNs_ < intervalNs_) return 0;
  const size_t count = std::min(static_cast<size_t>(highest_ - next_ + 1), TransportFeedback::kMaxPackets);
  int64_t window[TransportFeedback::kMaxPackets];
  for (size_t i = 0; i < count; ++i) window[i] = arrivals_[static_cast<size_t>(next_ + static_cast<int64_t>(i)) % kRing];
  size_t covered = 0;
  const size_t n = TransportFeedback::Write(senderSsrc, mediaSsrc, static_cast<uint16_t>(next_), feedbackCount_, window, count,
                                            out, capacity, &covered);
  if (n == 0) return 0;
  next_ += static_cast<int64_t>(covered);
  ++feedbackCount_;
  ++stats_.feedbackSent;
  lastBuildNs_ = nowNs;
  return n;
}

}  // namespace callmedia
