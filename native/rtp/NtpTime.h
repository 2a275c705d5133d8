// The wall clock as an NTP timestamp (RFC 3550 4): seconds since 1900 and a 32-bit fraction,
// for sender reports and round-trip times.
#pragma once
#include <chrono>
#include <cstdint>

namespace callmedia {

inline void NtpNow(uint32_t* seconds, uint32_t* fraction) {
  const auto now = std::chrono::system_clock::now().time_since_epoch();
  const uint64_t us = static_cast<uint64_t>(std::chrono::duration_cast<std::chrono::microseconds>(now).count());
  *seconds = static_cast<uint32_t>(us / 1000000 + 2208988800ull);
  *fraction = static_cast<uint32_t>(((us % 1000000) << 32) / 1000000);
}

}  // namespace callmedia
