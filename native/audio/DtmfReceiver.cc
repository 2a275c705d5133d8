#include "audio/DtmfReceiver.h"

namespace callmedia {

char DtmfReceiver::ToneOf(uint8_t event) {
  static const char kTones[] = "0123456789*#ABCD";
  return event < 16 ? kTones[event] : 0;
}

bool DtmfReceiver::OnPacket(const uint8_t* payload, size_t size, uint32_t timestamp, DtmfTone* tone) {
  if (size < 4) return false;
  const uint8_t event = payload[0];
  const bool end = payload[1] & 0x80;
  const uint32_t duration = (static_cast<uint32_t>(payload[2]) << 8) | payload[3];
  const char t = ToneOf(event);
  if (!end || t == 0) return false;
  // The RTP timestamp names the event: repeated end packets carry the same one.
  const size_t remembered = reportedCount_ < kRemembered ? reportedCount_ : kRemembered;
  for (size_t i = 0; i < remembered; ++i)
    if (reported_[i] == timestamp) return false;
  reported_[reportedCount_++ % kRemembered] = timestamp;
  tone->tone = t;
  tone->durationMs = static_cast<uint32_t>(static_cast<uint64_t>(duration) * 1000 / clockRate_);
  return true;
}

}  // namespace callmedia
