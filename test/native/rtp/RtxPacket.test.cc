#include "rtp/RtxPacket.h"

#include <vector>

#include "check.h"
#include "rtp/RtpBytes.h"

using callmedia::RtpPacket;
using callmedia::RtxPacket;
using testrtp::BuildRtp;
using testrtp::RtpSpec;
using Bytes = std::vector<uint8_t>;

namespace {

RtpSpec Original() {
  RtpSpec s;
  s.payloadType = 96;
  s.marker = true;
  s.seq = 0xabcd;
  s.timestamp = 900000;
  s.ssrc = 0x11223344;
  s.csrcs = {0x55667788};
  s.extension = true;
  s.extensionProfile = 0xbede;
  s.extensionBody = {0x40, 'v', 0, 0};  // one-byte element id 4 (MID) "v"
  s.payload = {0x7c, 0x85, 1, 2, 3, 4, 5};
  return s;
}

}  // namespace

// RFC 4588 4: the RTX packet keeps the original's timestamp, marker, CSRCs and extensions,
// takes its own payload type, sequence number and SSRC, and puts the OSN before the payload.
TEST(RtxPacket_WrapWritesTheOsnBeforeThePayload) {
  RtpSpec spec = Original();
  spec.padding = 4;  // padding is the sender's business per packet: not carried into RTX
  const Bytes bytes = BuildRtp(spec);
  RtpPacket original;
  REQUIRE(RtpPacket::Parse(bytes.data(), bytes.size(), &original));
  uint8_t out[256];
  const size_t n = RtxPacket::Wrap(original, 102, 7, 0xdeadbeef, out, sizeof(out));
  RtpSpec expected = Original();
  expected.payloadType = 102;
  expected.seq = 7;
  expected.ssrc = 0xdeadbeef;
  expected.payload = {0xab, 0xcd, 0x7c, 0x85, 1, 2, 3, 4, 5};
  CHECK_EQ(Bytes(out, out + n), BuildRtp(expected));
}

TEST(RtxPacket_UnwrapGivesBackTheOriginal) {
  RtpSpec rtxSpec = Original();
  rtxSpec.payloadType = 102;
  rtxSpec.seq = 7;
  rtxSpec.ssrc = 0xdeadbeef;
  rtxSpec.payload = {0xab, 0xcd, 0x7c, 0x85, 1, 2, 3, 4, 5};
  rtxSpec.padding = 8;
  const Bytes bytes = BuildRtp(rtxSpec);
  RtpPacket rtx;
  REQUIRE(RtpPacket::Parse(bytes.data(), bytes.size(), &rtx));
  uint8_t out[256];
  const size_t n = RtxPacket::Unwrap(rtx, 96, 0x11223344, out, sizeof(out));
  CHECK_EQ(Bytes(out, out + n), BuildRtp(Original()));
}

// A sender probing bandwidth sends RTX packets of padding only: nothing to repair.
TEST(RtxPacket_PaddingOnlyAndShortPacketsRepairNothing) {
  RtpSpec probe;
  probe.payloadType = 102;
  probe.padding = 200;
  const Bytes bytes = BuildRtp(probe);
  RtpPacket rtx;
  REQUIRE(RtpPacket::Parse(bytes.data(), bytes.size(), &rtx));
  uint8_t out[256];
  uint16_t osn;
  CHECK(!RtxPacket::OriginalSequenceNumber(rtx, &osn));
  CHECK_EQ(RtxPacket::Unwrap(rtx, 96, 1, out, sizeof(out)), 0u);
  RtpSpec one = probe;
  one.padding = 0;
  one.payload = {0x12};  // half an OSN
  const Bytes shortBytes = BuildRtp(one);
  REQUIRE(RtpPacket::Parse(shortBytes.data(), shortBytes.size(), &rtx));
  CHECK_EQ(RtxPacket::Unwrap(rtx, 96, 1, out, sizeof(out)), 0u);
}

TEST(RtxPacket_RefusesWhatDoesNotFit) {
  const Bytes bytes = BuildRtp(Original());
  RtpPacket original;
  REQUIRE(RtpPacket::Parse(bytes.data(), bytes.size(), &original));
  uint8_t out[256];
  CHECK_EQ(RtxPacket::Wrap(original, 102, 1, 2, out, bytes.size() + 1), 0u);  // needs two bytes more
  CHECK_EQ(RtxPacket::Wrap(original, 102, 1, 2, out, bytes.size() + 2), bytes.size() + 2);
}
