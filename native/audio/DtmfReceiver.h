// RFC 4733 telephone-event receiver: one report per tone, when its end arrives, however many
// times the sender repeats the end packet (it sends three, RFC 4733 2.5.1.4).
#pragma once
#include <cstddef>
#include <cstdint>

namespace callmedia {

struct DtmfTone {
  char tone;          // '0'-'9', '*', '#', 'A'-'D'
  uint32_t durationMs;
};

class DtmfReceiver {
 public:
  // A clock of 0 (nothing negotiated it) counts durations on the 8 kHz clock of RFC 4733's
  // examples rather than dividing by zero.
  explicit DtmfReceiver(uint32_t clockRate = 48000) : clockRate_(clockRate ? clockRate : 8000) {}

  // Returns true (and fills `tone`) when this packet ends a tone not reported yet.
  bool OnPacket(const uint8_t* payload, size_t size, uint32_t timestamp, DtmfTone* tone);
  static char ToneOf(uint8_t event);

 private:
  uint32_t clockRate_;
  // The last few tones reported: a repeated end packet may come after the next tone began.
  static constexpr size_t kRemembered = 4;
  uint32_t reported_[kRemembered] = {};
  size_t reportedCount_ = 0;
};

}  // namespace callmedia
