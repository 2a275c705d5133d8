#include "rtp/NackGenerator.h"

#include <algorithm>

#include "rtp/SeqManager.h"

namespace callmedia {

NackGenerator::NackGenerator(const NackOptions& options) : options_(options) { missing_.reserve(options_.maxMissing); }

void NackGenerator::Reset() {
  missing_.clear();
  started_ = false;
}

bool NackGenerator::OnPacket(uint16_t seq, uint64_t nowNs) {
  if (!started_) {
    started_ = true;
    highest_ = seq;
    return false;
  }
  const int32_t ahead = SeqManager::Diff(seq, highest_);
  if (ahead < -kRestartDistance) {
    // Far behind everything: the sender started its numbering over.
    missing_.clear();
    highest_ = seq;
    return false;
  }
  if (ahead > 0) {
    const size_t gap = static_cast<size_t>(ahead - 1);
    if (gap > options_.maxMissing) {
      // Too wide to ask for packet by packet: what was missing is forgotten with it.
      stats_.tooManyMissing += missing_.size() + gap;
      missing_.clear();
    } else {
      // Room for the new holes: the oldest are the least likely to still help.
      const size_t room = options_.maxMissing - gap;
      if (missing_.size() > room) {
        const size_t drop = missing_.size() - room;
        stats_.tooManyMissing += drop;
        missing_.erase(missing_.begin(), missing_.begin() + static_cast<std::ptrdiff_t>(drop));
      }
      for (uint16_t s = static_cast<uint16_t>(highest_ + 1); s != seq; ++s) missing_.push_back({s, 0, nowNs, 0});
    }
    highest_ = seq;
    return false;
  }
  // Late or retransmitted: it fills its hole, if it left one.
  auto it = std::find_if(missing_.begin(), missing_.end(), [seq](const Missing& m) { return m.seq == seq; });
  if (it == missing_.end()) return false;
  const bool asked = it->requests > 0;
  missing_.erase(it);
  if (asked) ++stats_.recovered;
  return asked;
}

bool NackGenerator::Pursuing(uint16_t seq) const {
  for (const Missing& m : missing_)
    if (m.seq == seq) return true;
  return false;
}

uint64_t NackGenerator::IntervalAfter(uint32_t requests, uint64_t baseNs) const {
  double interval = static_cast<double>(baseNs);
  for (uint32_t k = 1; k < requests && interval < options_.maxRetryIntervalNs; ++k) interval *= options_.retryBackoff;
  return std::min<uint64_t>(static_cast<uint64_t>(interval), std::max(baseNs, options_.maxRetryIntervalNs));
}

size_t NackGenerator::Due(uint64_t nowNs, uint64_t rttNs, uint16_t* out, size_t capacity) {
  const uint64_t base = rttNs ? std::max(options_.minRetryIntervalNs, rttNs * 3 / 2) : options_.retryIntervalNs;
  size_t n = 0;
  auto keep = missing_.begin();
  for (auto it = missing_.begin(); it != missing_.end(); ++it) {
    Missing m = *it;
    const uint64_t interval = m.requests ? IntervalAfter(m.requests, base) : 0;
    const bool answered = m.requests >= options_.maxRetries && nowNs - m.lastRequestNs >= interval;
    if (answered || nowNs - m.sinceNs > options_.maxAgeNs) {
      if (m.requests > 0) ++stats_.gaveUp;
      continue;  // forgotten
    }
    const bool due = m.requests == 0 ? nowNs - m.sinceNs >= options_.firstRequestAfterNs
                                     : m.requests < options_.maxRetries && nowNs - m.lastRequestNs >= interval;
    if (due && n < capacity) {
      out[n++] = m.seq;
      ++m.requests;
      m.lastRequestNs = nowNs;
      ++stats_.requested;
    }
    *keep++ = m;
  }
  missing_.erase(keep, missing_.end());
  return n;
}

}  // namespace callmedia
