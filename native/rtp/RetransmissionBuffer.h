// The send side of NACK: the packets a stream sent recently, by sequence number, so a NACK is
// answered with the very bytes that were lost. A ring of fixed slots, allocated once; a slot is
// overwritten by the packet 2^k sequence numbers later, and one older than `maxAge` is not
// sent again (the receiver has given up on it). A packet is sent again at most once per
// `minResendInterval`: NACKs repeated while a retransmission is on its way (or a peer that
// asks for everything, over and over) do not multiply the traffic.
#pragma once
#include <cstddef>
#include <cstdint>
#include <vector>

namespace callmedia {

class RetransmissionBuffer {
 public:
  static constexpr size_t kMaxPacket = 1500;

  // `capacity` (packets) is rounded up to a power of two, at most 32768.
  RetransmissionBuffer(size_t capacity, uint64_t maxAgeNs, uint64_t minResendIntervalNs = 10'000'000);

  // Keeps a copy of the RTP packet just sent (too large a packet is not kept).
  void Store(const uint8_t* data, size_t size, uint16_t seq, uint64_t nowNs);
  // The packet sent as `seq`, if still held and young enough: its bytes and size, or nullptr.
  const uint8_t* Find(uint16_t seq, uint64_t nowNs, size_t* size) const;
  // Find, for sending it again now: nullptr also when it was sent again too recently.
  const uint8_t* TakeForResend(uint16_t seq, uint64_t nowNs, size_t* size);

 private:
  struct Slot {
    bool used = false;
    uint16_t seq = 0;
    uint16_t size = 0;
    uint64_t sentNs = 0;
    uint64_t resentNs = 0;  // 0: never sent again
    uint8_t data[kMaxPacket];
  };
  std::vector<Slot> slots_;
  const uint64_t maxAgeNs_;
  const uint64_t minResendIntervalNs_;
};

}  // namespace callmedia
