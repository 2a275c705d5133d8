// What the transport sent under each transport-wide sequence number: when and how big, so a
// transport-cc feedback message can be read as (send time, arrival time, size) per packet. A
// ring allocated once; a feedback about a packet the ring no longer holds is not used.
#pragma once
#include <cstddef>
#include <cstdint>
#include <vector>

namespace callmedia {

class SendHistory {
 public:
  static constexpr size_t kRing = 8192;
  SendHistory() : slots_(kRing) {}

  // The next transport-wide sequence number, for a packet of `bytes` sent at `nowUs`.
  uint16_t Add(uint32_t bytes, int64_t nowUs) {
    const int64_t seq = next_++;
    slots_[static_cast<size_t>(seq) % kRing] = Slot{seq, nowUs, bytes};
    return static_cast<uint16_t>(seq);
  }
  // The size of the newest packet, once it is known (after encryption, as it goes on the wire).
  void SetLastSize(uint32_t bytes) {
    if (next_ > 0) slots_[static_cast<size_t>(next_ - 1) % kRing].bytes = bytes;
  }
  // The packet sent under `seq` (the newest one with those 16 bits): false when not held.
  bool Find(uint16_t seq, int64_t* unwrapped, int64_t* sendUs, uint32_t* bytes) const {
    if (next_ == 0) return false;
    const int64_t newest = next_ - 1;
    const int64_t s = newest - static_cast<uint16_t>(static_cast<uint16_t>(newest) - seq);
    if (s < 0) return false;
    const Slot& slot = slots_[static_cast<size_t>(s) % kRing];
    if (slot.seq != s) return false;
    *unwrapped = s;
    *sendUs = slot.sendUs;
    *bytes = slot.bytes;
    return true;
  }
  int64_t sent() const { return next_; }

 private:
  struct Slot {
    int64_t seq = -1;
    int64_t sendUs = 0;
    uint32_t bytes = 0;
  };
  std::vector<Slot> slots_;
  int64_t next_ = 0;
};

}  // namespace callmedia
