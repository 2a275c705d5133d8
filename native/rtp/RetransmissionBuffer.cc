#include "rtp/RetransmissionBuffer.h"

#include <cstring>

#include "rtp/SeqManager.h"

namespace callmedia {

RetransmissionBuffer::RetransmissionBuffer(size_t capacity, uint64_t maxAgeNs, uint64_t minResendIntervalNs)
    : slots_(SeqManager::RingSize(capacity)), maxAgeNs_(maxAgeNs), minResendIntervalNs_(minResendIntervalNs) {}

void RetransmissionBuffer::Store(const uint8_t* data, size_t size, uint16_t seq, uint64_t nowNs) {
  Slot& slot = slots_[seq % slots_.size()];
  if (size == 0 || size > kMaxPacket) {
    slot.used = false;  // whatever was there is older than this sequence number
    return;
  }
  std::memcpy(slot.data, data, size);
  slot.used = true;
  slot.seq = seq;
  slot.size = static_cast<uint16_t>(size);
  slot.sentNs = nowNs;
  slot.resentNs = 0;
}

const uint8_t* RetransmissionBuffer::Find(uint16_t seq, uint64_t nowNs, size_t* size) const {
  const Slot& slot = slots_[seq % slots_.size()];
  if (!slot.used || slot.seq != seq || nowNs - slot.sentNs > maxAgeNs_) return nullptr;
  *size = slot.size;
  return slot.data;
}

const uint8_t* RetransmissionBuffer::TakeForResend(uint16_t seq, uint64_t nowNs, size_t* size) {
  const uint8_t* data = Find(seq, nowNs, size);
  if (!data) return nullptr;
  Slot& slot = slots_[seq % slots_.size()];
  if (slot.resentNs != 0 && nowNs - slot.resentNs < minResendIntervalNs_) return nullptr;
  slot.resentNs = nowNs;
  return data;
}

}  // namespace callmedia
