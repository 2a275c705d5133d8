// The transport-wide congestion control feedback message (RTCP RTPFB, FMT 15,
// draft-holmer-rmcat-transport-wide-cc-extensions-01 section 3.1): for a run of transport-wide
// sequence numbers, which packets arrived and when, as the receiver tells the sender.
//
// Parse validates the whole message (every chunk, every delta) before anything reads it, so
// ForEach never looks past the datagram. Write encodes arrivals with the fewest chunks a greedy
// choice gives (run-length for runs, 1-bit vectors where every delta is small, 2-bit otherwise)
// into a caller's buffer, with no allocation.
#pragma once
#include <cstddef>
#include <cstdint>

namespace callmedia {

class TransportFeedback {
 public:
  static constexpr uint8_t kFmt = 15;
  static constexpr int64_t kDeltaUs = 250;          // a receive delta's tick
  static constexpr int64_t kReferenceUs = 64'000;   // the reference time's tick
  static constexpr int64_t kNotReceived = INT64_MIN;
  static constexpr size_t kMaxPackets = 1024;       // packets one Write covers at most

  // One parsed message; its pointers are into the datagram (valid while it is).
  uint32_t senderSsrc = 0;
  uint32_t mediaSsrc = 0;
  uint16_t baseSequence = 0;
  uint16_t statusCount = 0;
  int32_t referenceTime = 0;  // signed 24 bits, in 64 ms
  uint8_t feedbackCount = 0;

  // `data` is one RTCP packet (header included) of `size` bytes, as the length field says.
  // False when it is not a transport-cc feedback or any part of it does not fit.
  static bool Parse(const uint8_t* data, size_t size, TransportFeedback* out);

  // Calls f(sequence, arrivalUs) for every packet the message covers, in order; arrivalUs is
  // kNotReceived for a packet that did not arrive, else the reference time plus the deltas so
  // far (microseconds, on the receiver's clock, meaningful only as differences).
  template <typename F>
  void ForEach(F&& f) const {
    Walk([&](uint16_t seq, int symbol, int64_t arrivalUs) { f(seq, symbol == 0 ? kNotReceived : arrivalUs); });
  }

  // Encodes `count` packets from `baseSequence`, `arrivalUs[i]` (kNotReceived or a time in
  // microseconds), at most kMaxPackets. Stops early where a delta leaves the 16-bit range or the buffer is full:
  // `*covered` says how many packets the message holds (0: nothing written, as when none
  // arrived). Returns the bytes written.
  static size_t Write(uint32_t senderSsrc, uint32_t mediaSsrc, uint16_t baseSequence, uint8_t feedbackCount,
                      const int64_t* arrivalUs, size_t count, uint8_t* out, size_t capacity, size_t* covered);

 private:
  template <typename F>
  bool Walk(F&& f) const;
  const uint8_t* chunks_ = nullptr;
  const uint8_t* end_ = nullptr;
};

// The status symbols of a packet: not received, received with a small delta (one byte,
// 0..63.75 ms), received with a large or negative one (two bytes, signed).
template <typename F>
bool TransportFeedback::Walk(F&& f) const {
  const uint8_t* chunk = chunks_;
  // Deltas follow the last chunk; where that is depends on the chunks, so find it first.
  size_t symbols = 0;
  const uint8_t* p = chunk;
  while (symbols < statusCount) {
    if (p + 2 > end_) return false;
    const uint16_t c = static_cast<uint16_t>((p[0] << 8) | p[1]);
    p += 2;
    symbols += (c & 0x8000) == 0 ? (c & 0x1FFF) : (c & 0x4000) ? 7 : 14;
  }
  const uint8_t* delta = p;
  int64_t time = static_cast<int64_t>(referenceTime) * kReferenceUs;
  uint16_t seq = baseSequence;
  size_t done = 0;
  auto emit = [&](int symbol) -> bool {
    if (done == statusCount) return true;  // the last chunk's unused symbols
    if (symbol == 1) {
      if (delta + 1 > end_) return false;
      time += static_cast<int64_t>(delta[0]) * kDeltaUs;
      delta += 1;
    } else if (symbol == 2) {
      if (delta + 2 > end_) return false;
      time += static_cast<int64_t>(static_cast<int16_t>((delta[0] << 8) | delta[1])) * kDeltaUs;
      delta += 2;
    } else if (symbol == 3) {
      return false;  // reserved
    }
    f(seq++, symbol, time);
    ++done;
    return true;
  };
  for (const uint8_t* q = chunk; q < p; q += 2) {
    const uint16_t c = static_cast<uint16_t>((q[0] << 8) | q[1]);
    if ((c & 0x8000) == 0) {
      const int symbol = (c >> 13) & 3;
      for (size_t i = 0, run = c & 0x1FFF; i < run; ++i)
        if (!emit(symbol)) return false;
    } else if (c & 0x4000) {
      for (int i = 6; i >= 0; --i)
        if (!emit((c >> (2 * i)) & 3)) return false;
    } else {
      for (int i = 13; i >= 0; --i)
        if (!emit((c >> i) & 1)) return false;
    }
  }
  return done == statusCount;
}

}  // namespace callmedia
