#include "rtp/RetransmissionBuffer.h"

#include <vector>

#include "check.h"

using callmedia::RetransmissionBuffer;

namespace {
constexpr uint64_t kMs = 1000000;
}

TEST(RetransmissionBuffer_GivesBackTheBytesSent) {
  RetransmissionBuffer b(64, 1000 * kMs);
  const std::vector<uint8_t> packet = {0x80, 96, 0x12, 0x34, 1, 2, 3, 4, 5, 6, 7, 8, 9, 9, 9};
  b.Store(packet.data(), packet.size(), 0x1234, 0);
  size_t size = 0;
  const uint8_t* found = b.Find(0x1234, 10 * kMs, &size);
  REQUIRE(found != nullptr);
  CHECK_EQ(std::vector<uint8_t>(found, found + size), packet);
  CHECK(b.Find(0x1235, 10 * kMs, &size) == nullptr);
}

TEST(RetransmissionBuffer_ForgetsWhatIsTooOldOrOverwritten) {
  RetransmissionBuffer b(64, 100 * kMs);
  const uint8_t packet[20] = {0x80};
  b.Store(packet, sizeof(packet), 7, 0);
  size_t size = 0;
  CHECK(b.Find(7, 101 * kMs, &size) == nullptr);  // older than the receiver still waits
  b.Store(packet, sizeof(packet), 8, 0);
  b.Store(packet, sizeof(packet), static_cast<uint16_t>(8 + 64), 0);  // same slot, 64 later
  CHECK(b.Find(8, 0, &size) == nullptr);
  CHECK(b.Find(static_cast<uint16_t>(8 + 64), 0, &size) != nullptr);
}

TEST(RetransmissionBuffer_HoldsAcrossTheWrapAndRefusesOversizedPackets) {
  RetransmissionBuffer b(100, 1000 * kMs);  // rounded up to 128
  const uint8_t packet[20] = {0x80};
  for (uint32_t s = 65500; s < 65600; ++s) b.Store(packet, sizeof(packet), static_cast<uint16_t>(s), 0);
  size_t size = 0;
  for (uint32_t s = 65500; s < 65600; ++s) CHECK(b.Find(static_cast<uint16_t>(s), 0, &size) != nullptr);
  std::vector<uint8_t> big(RetransmissionBuffer::kMaxPacket + 1, 0x80);
  b.Store(big.data(), big.size(), 65599 % 65536, 0);  // replaces 63 (65599) with nothing
  CHECK(b.Find(63, 0, &size) == nullptr);
}

TEST(RetransmissionBuffer_APacketIsSentAgainAtMostOncePerInterval) {
  RetransmissionBuffer b(64, 1000 * kMs, 10 * kMs);
  const uint8_t packet[20] = {0x80};
  b.Store(packet, sizeof(packet), 5, 0);
  size_t size = 0;
  CHECK(b.TakeForResend(5, 1 * kMs, &size) != nullptr);
  CHECK(b.TakeForResend(5, 5 * kMs, &size) == nullptr);  // the retransmission is on its way
  CHECK(b.TakeForResend(5, 11 * kMs, &size) != nullptr);
  CHECK(b.TakeForResend(6, 11 * kMs, &size) == nullptr);  // never sent
}
