// The most recent timing samples of one stage, for p50/p95/p99 in stats. Fixed size: written
// by a worker or the media thread, copied out by the Node thread.
#pragma once
#include <mutex>
#include <vector>

namespace callmedia {

class SampleRing {
 public:
  static constexpr size_t kCapacity = 1024;

  void Add(double value) {
    std::lock_guard<std::mutex> lock(mutex_);
    values_[next_] = value;
    next_ = (next_ + 1) % kCapacity;
    if (count_ < kCapacity) ++count_;
  }

  std::vector<double> Snapshot() const {
    std::lock_guard<std::mutex> lock(mutex_);
    return std::vector<double>(values_, values_ + count_);
  }

 private:
  mutable std::mutex mutex_;
  double values_[kCapacity] = {};
  size_t next_ = 0;
  size_t count_ = 0;
};

}  // namespace callmedia
