// The send side of NACK: the packets a stream sent recently, by sequence number, so a NACK is
// answered with the very bytes that were lost. A ring of fixed slots, allocated once; a slot is
// overwritten by the packet 2^k sequence numbers later, and one older than `maxAge` is not
// sent again (the receiver has given up on it).
#pragma once
#include <cstddef>
#include <cstdint>
#include <vector>

namespace callmedia {

class RetransmissionBuffer {
 public:
  static constexpr size_t kMaxPacket = 1500;

  // `capacity` (packets) is rounded up to a power of two, at most 32768.
  RetransmissionBuffer(size_t capacity, uint64_t maxAgeNs);

  // Keeps a copy of the RTP packet just sent (too large a packet is not kept).
  void Store(const uint8_t* data, size_t size, uint16_t seq, uint64_t nowNs);
  // The packet sent as `seq`, if still held and young enough: its bytes and size, or nullptr.
  const uint8_t* Find(uint16_t seq, uint64_t nowNs, size_t* size) const;

 private:
  struct Slot {
    bool used = false;
    uint16_t seq = 0;
    uint16_t size = 0;
    uint64_t sentNs = 0;
    uint8_t data[kMaxPacket];
  };
  std::vector<Slot> slots_;
  const uint64_t maxAgeNs_;
};

}  // namespace callmedia
