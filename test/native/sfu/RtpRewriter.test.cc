#include "sfu/RtpRewriter.h"

#include <vector>

#include "check.h"
#include "rtp/RtpBytes.h"

using callmedia::RtpPacket;
using callmedia::RtpRewriter;
using testrtp::BuildRtp;
using testrtp::RtpSpec;

namespace {

struct Out {
  std::vector<uint8_t> bytes = std::vector<uint8_t>(1600);
  RtpPacket packet;
};

// Rewrites one packet of `ssrc`/`seq` (with optional CSRC) and parses what came out.
bool RewriteOne(RtpRewriter& r, const void* producer, uint32_t ssrc, uint16_t seq, Out* out,
                std::vector<uint32_t> csrcs = {}, std::vector<uint8_t> payload = {1, 2, 3}) {
  RtpSpec spec;
  spec.ssrc = ssrc;
  spec.seq = seq;
  spec.csrcs = csrcs;
  spec.payload = payload;
  const std::vector<uint8_t> in = BuildRtp(spec);
  RtpPacket p;
  if (!RtpPacket::Parse(in.data(), in.size(), &p)) return false;
  const size_t n = r.Rewrite(p, producer, p.sourceId(), p.payloadType, out->bytes.data(), out->bytes.size());
  return n > 0 && RtpPacket::Parse(out->bytes.data(), n, &out->packet);
}

}  // namespace

TEST(RtpRewriter_OwnSsrcTheSourceInTheCsrcPayloadUnchanged) {
  RtpRewriter r(0xABCD0001, 500);
  int producer = 0;
  Out out;
  REQUIRE(RewriteOne(r, &producer, 0x1111, 7000, &out, {}, {9, 8, 7, 6}));
  CHECK_EQ(out.packet.ssrc, 0xABCD0001u);
  CHECK_EQ(out.packet.sequenceNumber, 500);
  CHECK_EQ(out.packet.csrcCount, 1);
  CHECK_EQ(out.packet.csrc(0), 0x1111u);
  REQUIRE(out.packet.payloadSize == 4);
  CHECK_EQ(out.packet.payload[0], 9);
  CHECK_EQ(out.packet.payload[3], 6);
}

TEST(RtpRewriter_ASourceThatWasForwardedKeepsItsCsrc) {
  RtpRewriter r(0x5000, 1);
  int producer = 0;
  Out out;
  REQUIRE(RewriteOne(r, &producer, 0x1111, 10, &out, {0x2222}));
  CHECK_EQ(out.packet.csrc(0), 0x2222u);
}

TEST(RtpRewriter_SequenceContinuesAcrossSourcesAndProducers) {
  RtpRewriter r(0x5000, 65534);  // wraps on the way
  int a = 0, b = 0;
  Out out;
  for (uint16_t s = 100; s < 103; ++s) REQUIRE(RewriteOne(r, &a, 0x1111, s, &out));
  CHECK_EQ(out.packet.sequenceNumber, 0);  // 65534, 65535, 0
  // Another SSRC from the same producer (a restarted sender), then another producer.
  REQUIRE(RewriteOne(r, &a, 0x3333, 40000, &out));
  CHECK_EQ(out.packet.sequenceNumber, 1);
  REQUIRE(RewriteOne(r, &b, 0x3333, 9, &out));
  CHECK_EQ(out.packet.sequenceNumber, 2);
  CHECK_EQ(r.switches(), 3u);
}

TEST(RtpRewriter_AReorderedPacketKeepsItsPlaceAndDoesNotMoveTheNextStart) {
  RtpRewriter r(0x5000, 10);
  int a = 0, b = 0;
  Out out;
  REQUIRE(RewriteOne(r, &a, 0x1111, 200, &out));  // 10
  REQUIRE(RewriteOne(r, &a, 0x1111, 202, &out));  // 12
  REQUIRE(RewriteOne(r, &a, 0x1111, 201, &out));  // 11, late
  CHECK_EQ(out.packet.sequenceNumber, 11);
  CHECK_EQ(r.nextSeq(), 13);
  REQUIRE(RewriteOne(r, &b, 0x2222, 5, &out));
  CHECK_EQ(out.packet.sequenceNumber, 13);
}

TEST(RtpRewriter_APacketThatDoesNotFitIsRefused) {
  RtpRewriter r(0x5000, 10);
  int a = 0;
  RtpSpec spec;
  spec.payload.assign(100, 0x55);
  const std::vector<uint8_t> in = BuildRtp(spec);
  RtpPacket p;
  REQUIRE(RtpPacket::Parse(in.data(), in.size(), &p));
  uint8_t small[100];
  CHECK_EQ(r.Rewrite(p, &a, p.sourceId(), p.payloadType, small, sizeof(small)), 0u);
}
