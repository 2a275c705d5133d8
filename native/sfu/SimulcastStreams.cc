#include "sfu/SimulcastStreams.h"

#include <cstring>

namespace callmedia {

SimulcastStreams::Stream& SimulcastStreams::Of(const RtpPacket& packet) {
  Stream* stream = nullptr;
  for (size_t i = 0; i < count_ && !stream; ++i)
    if (streams_[i].ssrc == packet.ssrc) stream = &streams_[i];
  if (!stream) {
    std::lock_guard<std::mutex> lock(mutex_);
    stream = &streams_[next_];
    next_ = (next_ + 1) % kMaxStreams;
    if (count_ < kMaxStreams) ++count_;
    stream->ssrc = packet.ssrc;
    stream->rid[0] = 0;
    stream->frameStart = true;
    stream->packets.store(0, std::memory_order_relaxed);
  }
  const uint8_t* value;
  size_t length;
  // RFC 8852 3: the id is 1..16 bytes of RFC 8851 rid-syntax; anything else names nothing.
  if (stream->rid[0] == 0 && extensionId_ > 0 && packet.GetExtension(static_cast<uint8_t>(extensionId_), &value, &length) &&
      length > 0 && length <= kMaxRid) {
    bool valid = true;
    for (size_t i = 0; i < length && valid; ++i) {
      const uint8_t c = value[i];
      valid = (c >= '0' && c <= '9') || (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || c == '-' || c == '_';
    }
    if (valid) {
      std::lock_guard<std::mutex> lock(mutex_);
      std::memcpy(stream->rid, value, length);
      stream->rid[length] = 0;
    }
  }
  stream->packets.fetch_add(1, std::memory_order_relaxed);
  return *stream;
}

std::vector<SimulcastStreams::Seen> SimulcastStreams::Snapshot() const {
  std::lock_guard<std::mutex> lock(mutex_);
  std::vector<Seen> seen;
  for (size_t i = 0; i < count_; ++i)
    seen.push_back({streams_[i].rid, streams_[i].ssrc, streams_[i].packets.load(std::memory_order_relaxed)});
  return seen;
}

}  // namespace callmedia
