// The streams that arrive at a forwarder, by SSRC, each with the RFC 8852 stream id (rid) its
// packets name: how the forwarder tells a simulcast sender's layers apart. A fixed table, so
// no packet allocates; a sender that restarts under new SSRCs takes the oldest slots. The
// media thread reads and writes it; stats take a snapshot from any thread.
#pragma once
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <mutex>
#include <string>
#include <vector>

#include "rtp/RtpPacket.h"

namespace callmedia {

class SimulcastStreams {
 public:
  static constexpr size_t kMaxStreams = 8;
  static constexpr size_t kMaxRid = 16;  // what one header extension element holds

  struct Stream {
    uint32_t ssrc = 0;
    char rid[kMaxRid + 1] = {};  // "" until a packet names it
    bool frameStart = true;      // the next packet starts a frame (after a marker); the forwarder's
    std::atomic<uint64_t> packets{0};
  };
  struct Seen {
    std::string rid;
    uint32_t ssrc;
    uint64_t packets;
  };

  // The rtp-stream-id extension's id (0: none; every stream stays unnamed).
  void SetExtensionId(int id) { extensionId_ = id > 0 && id <= 255 ? id : 0; }
  // The packet's stream, added when new, named by the first packet that carries a stream id.
  Stream& Of(const RtpPacket& packet);
  size_t size() const { return count_; }
  const Stream& at(size_t i) const { return streams_[i]; }
  std::vector<Seen> Snapshot() const;

 private:
  Stream streams_[kMaxStreams];
  size_t count_ = 0;
  size_t next_ = 0;  // the slot a new stream takes when the table is full
  int extensionId_ = 0;
  mutable std::mutex mutex_;  // held while a slot's ssrc or rid is written, and by Snapshot
};

}  // namespace callmedia
