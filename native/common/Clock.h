// Monotonic clock shared by every stage stamp. steady_clock is CLOCK_MONOTONIC on Linux and
// QueryPerformanceCounter on Windows: the same clocks libuv's uv_hrtime() reads, so stamps
// taken here compare directly with process.hrtime.bigint() in JavaScript.
#pragma once
#include <chrono>
#include <cstdint>

namespace callmedia {

inline uint64_t NowNs() {
  return static_cast<uint64_t>(std::chrono::duration_cast<std::chrono::nanoseconds>(
      std::chrono::steady_clock::now().time_since_epoch()).count());
}

}  // namespace callmedia
