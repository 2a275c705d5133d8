#include "rtp/RtcpPacket.h"

#include <random>
#include <vector>

#include "check.h"
#include "rtp/RtpBytes.h"
#include "rtp/RtpPacket.h"

using callmedia::ReportBlock;
using callmedia::RtcpFeedback;
using callmedia::RtcpPacket;
using callmedia::RtcpSenderReport;
using callmedia::RtpPacket;
using testrtp::ExactBuffer;
using testrtp::Put16;
using testrtp::Put32;

namespace {

struct Parsed {
  std::vector<RtcpSenderReport> reports;
  std::vector<RtcpFeedback> feedback;
  std::vector<ReportBlock> blocks;
  bool ok = false;
};

Parsed ParseAll(const std::vector<uint8_t>& bytes) {
  Parsed out;
  RtcpPacket::Handlers h;
  h.onSenderReport = [&](const RtcpSenderReport& sr) { out.reports.push_back(sr); };
  h.onFeedback = [&](const RtcpFeedback& fb) { out.feedback.push_back(fb); };
  h.onReportBlock = [&](const ReportBlock& b) { out.blocks.push_back(b); };
  ExactBuffer buf(bytes);
  out.ok = RtcpPacket::Parse(buf.data(), buf.size(), h);
  return out;
}

ReportBlock SampleBlock() {
  ReportBlock b;
  b.ssrc = 0x0A0B0C0D;
  b.fractionLost = 0x40;
  b.cumulativeLost = 0x012345;
  b.extendedHighestSeq = 0x00021F40;
  b.jitter = 0x00000123;
  b.lastSr = 0x89ABCDEF;
  b.delaySinceLastSr = 0x00018000;
  return b;
}

// An SR as RFC 3550 6.4.1 lays it out, with `blocks` zeroed report blocks.
std::vector<uint8_t> SenderReport(uint32_t ssrc, uint32_t ntpMsw, uint32_t ntpLsw, uint32_t rtpTs, uint32_t packets,
                                  uint32_t octets, int blocks = 0) {
  std::vector<uint8_t> v;
  v.push_back(static_cast<uint8_t>(0x80 | blocks));
  v.push_back(200);
  Put16(v, static_cast<uint16_t>(6 + 6 * blocks));
  Put32(v, ssrc);
  Put32(v, ntpMsw);
  Put32(v, ntpLsw);
  Put32(v, rtpTs);
  Put32(v, packets);
  Put32(v, octets);
  v.resize(v.size() + 24u * blocks, 0);
  return v;
}

std::vector<uint8_t> Cat(std::initializer_list<std::vector<uint8_t>> parts) {
  std::vector<uint8_t> v;
  for (const auto& p : parts) v.insert(v.end(), p.begin(), p.end());
  return v;
}

std::vector<uint8_t> Written(size_t (*write)(uint8_t*, size_t, uint32_t, uint32_t), uint32_t a, uint32_t b) {
  std::vector<uint8_t> v(64);
  v.resize(write(v.data(), v.size(), a, b));
  return v;
}

std::vector<uint8_t> Pli(uint32_t sender, uint32_t media) { return Written(&RtcpPacket::WritePli, sender, media); }

std::vector<uint8_t> Fir(uint32_t sender, uint32_t media, uint8_t seqNr) {
  std::vector<uint8_t> v(64);
  v.resize(RtcpPacket::WriteFir(v.data(), v.size(), sender, media, seqNr));
  return v;
}

std::vector<uint8_t> Rr(uint32_t sender, const ReportBlock* block) {
  std::vector<uint8_t> v(64);
  v.resize(RtcpPacket::WriteReceiverReport(v.data(), v.size(), sender, block));
  return v;
}

}  // namespace

TEST(RtcpPacket_ReceiverReportBytes) {
  const ReportBlock block = SampleBlock();
  const std::vector<uint8_t> rr = Rr(0x11223344, &block);
  // RFC 3550 6.4.2: V=2 P=0 RC=1, PT=201, length 7 (32 bytes / 4 - 1), then one 24-byte block.
  CHECK_EQ(rr, (std::vector<uint8_t>{0x81, 201, 0x00, 0x07, 0x11, 0x22, 0x33, 0x44,
                                     0x0A, 0x0B, 0x0C, 0x0D, 0x40, 0x01, 0x23, 0x45,
                                     0x00, 0x02, 0x1F, 0x40, 0x00, 0x00, 0x01, 0x23,
                                     0x89, 0xAB, 0xCD, 0xEF, 0x00, 0x01, 0x80, 0x00}));
}

TEST(RtcpPacket_EmptyReceiverReportBytes) {
  CHECK_EQ(Rr(0xDEADBEEF, nullptr), (std::vector<uint8_t>{0x80, 201, 0x00, 0x01, 0xDE, 0xAD, 0xBE, 0xEF}));
}

TEST(RtcpPacket_NegativeCumulativeLostIsTwosComplement24Bit) {
  ReportBlock block = SampleBlock();
  block.cumulativeLost = -1;
  std::vector<uint8_t> rr = Rr(1, &block);
  REQUIRE(rr.size() == 32);
  CHECK_EQ(rr[13], 0xFF);
  CHECK_EQ(rr[14], 0xFF);
  CHECK_EQ(rr[15], 0xFF);
  CHECK_EQ(rr[12], 0x40);  // fraction lost untouched by the sign extension
  block.cumulativeLost = -0x800000;
  rr = Rr(1, &block);
  CHECK_EQ(rr[13], 0x80);
  CHECK_EQ(rr[14], 0x00);
  CHECK_EQ(rr[15], 0x00);
  block.cumulativeLost = 0x7FFFFF;
  rr = Rr(1, &block);
  CHECK_EQ(rr[13], 0x7F);
  CHECK_EQ(rr[14], 0xFF);
  CHECK_EQ(rr[15], 0xFF);
}

TEST(RtcpPacket_PliBytes) {
  // RFC 4585 6.3.1: PSFB (206) FMT=1, length 2, sender SSRC, media SSRC, no FCI.
  CHECK_EQ(Pli(0x01020304, 0xA0B0C0D0),
           (std::vector<uint8_t>{0x81, 206, 0x00, 0x02, 0x01, 0x02, 0x03, 0x04, 0xA0, 0xB0, 0xC0, 0xD0}));
}

TEST(RtcpPacket_FirBytes) {
  // RFC 5104 4.3.1: PSFB FMT=4, length 4, media source SSRC 0, FCI = SSRC, seq nr, 3 reserved.
  CHECK_EQ(Fir(0x01020304, 0xA0B0C0D0, 0x7E),
           (std::vector<uint8_t>{0x84, 206, 0x00, 0x04, 0x01, 0x02, 0x03, 0x04, 0x00, 0x00, 0x00, 0x00,
                                 0xA0, 0xB0, 0xC0, 0xD0, 0x7E, 0x00, 0x00, 0x00}));
}

TEST(RtcpPacket_BuildersRefuseSmallBuffers) {
  // Exact-size buffers: ASan reports any byte written past the capacity given.
  const ReportBlock block = SampleBlock();
  for (size_t cap = 0; cap < 32; ++cap) {
    std::vector<uint8_t> zeros(cap, 0);
    ExactBuffer buf(zeros);
    CHECK_EQ(RtcpPacket::WriteReceiverReport(buf.data(), cap, 1, &block), 0);
    CHECK_EQ(RtcpPacket::WriteReceiverReport(buf.data(), cap, 1, nullptr), cap >= 8 ? 8 : 0);
    CHECK_EQ(RtcpPacket::WritePli(buf.data(), cap, 1, 2), cap >= 12 ? 12 : 0);
    CHECK_EQ(RtcpPacket::WriteFir(buf.data(), cap, 1, 2, 3), cap >= 20 ? 20 : 0);
  }
  ExactBuffer exact(std::vector<uint8_t>(32, 0));
  CHECK_EQ(RtcpPacket::WriteReceiverReport(exact.data(), 32, 1, &block), 32);
}

TEST(RtcpPacket_BuiltPacketsLookLikeRtcp) {
  const ReportBlock block = SampleBlock();
  for (const auto& bytes : {Rr(1, &block), Rr(1, nullptr), Pli(1, 2), Fir(1, 2, 3)}) {
    CHECK(RtpPacket::LooksLikeRtcp(bytes.data(), bytes.size()));
  }
}

TEST(RtcpPacket_ParsesPliBack) {
  const Parsed p = ParseAll(Pli(0x01020304, 0xA0B0C0D0));
  CHECK(p.ok);
  REQUIRE(p.feedback.size() == 1);
  CHECK(p.feedback[0].kind == RtcpFeedback::Kind::Pli);
  CHECK_EQ(p.feedback[0].senderSsrc, 0x01020304u);
  CHECK_EQ(p.feedback[0].mediaSsrc, 0xA0B0C0D0u);
  CHECK(p.reports.empty());
}

TEST(RtcpPacket_ParsesFirBack) {
  const Parsed p = ParseAll(Fir(0x01020304, 0xA0B0C0D0, 9));
  CHECK(p.ok);
  REQUIRE(p.feedback.size() == 1);
  CHECK(p.feedback[0].kind == RtcpFeedback::Kind::Fir);
  CHECK_EQ(p.feedback[0].senderSsrc, 0x01020304u);
  CHECK_EQ(p.feedback[0].mediaSsrc, 0xA0B0C0D0u);  // from the FCI, not the zero header field
}

TEST(RtcpPacket_ParsesNackAndOtherFeedback) {
  // Generic NACK (RTPFB FMT=1) with one FCI entry; REMB-like PSFB FMT=15 is "Other".
  std::vector<uint8_t> nack = {0x81, 205, 0x00, 0x03};
  Put32(nack, 5);
  Put32(nack, 6);
  Put32(nack, 0x00640000);
  std::vector<uint8_t> afb = {0x8F, 206, 0x00, 0x02};
  Put32(afb, 7);
  Put32(afb, 0);
  const Parsed p = ParseAll(Cat({nack, afb}));
  CHECK(p.ok);
  REQUIRE(p.feedback.size() == 2);
  CHECK(p.feedback[0].kind == RtcpFeedback::Kind::Nack);
  CHECK_EQ(p.feedback[0].mediaSsrc, 6u);
  CHECK(p.feedback[1].kind == RtcpFeedback::Kind::Other);
  CHECK_EQ(p.feedback[1].senderSsrc, 7u);
}

TEST(RtcpPacket_ParsesSenderReport) {
  const Parsed p = ParseAll(SenderReport(0x55667788, 0xAABBCCDD, 0x11223344, 90000, 1000, 1234567, 1));
  CHECK(p.ok);
  REQUIRE(p.reports.size() == 1);
  CHECK_EQ(p.reports[0].ssrc, 0x55667788u);
  CHECK_EQ(p.reports[0].ntpMiddle, 0xCCDD1122u);  // low 16 of the seconds, high 16 of the fraction
  CHECK_EQ(p.reports[0].rtpTimestamp, 90000u);
  CHECK_EQ(p.reports[0].packetCount, 1000u);
  CHECK_EQ(p.reports[0].octetCount, 1234567u);
}

TEST(RtcpPacket_ReceiverReportBlockParsesBack) {
  const ReportBlock block = SampleBlock();
  const Parsed p = ParseAll(Rr(1, &block));
  CHECK(p.ok);
  CHECK(p.reports.empty());
  CHECK(p.feedback.empty());
  REQUIRE(p.blocks.size() == 1);
  const ReportBlock& b = p.blocks[0];
  CHECK_EQ(b.ssrc, block.ssrc);
  CHECK_EQ(b.fractionLost, block.fractionLost);
  CHECK_EQ(b.cumulativeLost, block.cumulativeLost);
  CHECK_EQ(b.extendedHighestSeq, block.extendedHighestSeq);
  CHECK_EQ(b.jitter, block.jitter);
  CHECK_EQ(b.lastSr, block.lastSr);
  CHECK_EQ(b.delaySinceLastSr, block.delaySinceLastSr);
  CHECK(ParseAll(Rr(1, nullptr)).ok);
  CHECK(ParseAll(Rr(1, nullptr)).blocks.empty());
}

TEST(RtcpPacket_NegativeCumulativeLostParsesBackSigned) {
  for (int32_t lost : {-1, -2, -0x800000, 0x7FFFFF, 0}) {
    ReportBlock block = SampleBlock();
    block.cumulativeLost = lost;
    const Parsed p = ParseAll(Rr(1, &block));
    REQUIRE(p.blocks.size() == 1);
    CHECK_EQ(p.blocks[0].cumulativeLost, lost);
  }
}

TEST(RtcpPacket_SenderReportBytes) {
  RtcpSenderReport sr;
  sr.ssrc = 0x01020304;
  sr.ntpSeconds = 0xE1E2E3E4;
  sr.ntpFraction = 0x80000000;
  sr.rtpTimestamp = 0x00015F90;
  sr.packetCount = 1000;
  sr.octetCount = 0x00ABCDEF;
  std::vector<uint8_t> v(28);
  REQUIRE(RtcpPacket::WriteSenderReport(v.data(), v.size(), sr) == 28);
  // RFC 3550 6.4.1: V=2 RC=0, PT=200, length 6, SSRC, NTP MSW, NTP LSW, RTP ts, counts.
  CHECK_EQ(v, (std::vector<uint8_t>{0x80, 200, 0x00, 0x06, 0x01, 0x02, 0x03, 0x04, 0xE1, 0xE2, 0xE3, 0xE4, 0x80, 0x00,
                                    0x00, 0x00, 0x00, 0x01, 0x5F, 0x90, 0x00, 0x00, 0x03, 0xE8, 0x00, 0xAB, 0xCD, 0xEF}));
  ExactBuffer small(std::vector<uint8_t>(27, 0));
  CHECK_EQ(RtcpPacket::WriteSenderReport(small.data(), small.size(), sr), 0u);
  const Parsed p = ParseAll(v);
  CHECK(p.ok);
  REQUIRE(p.reports.size() == 1);
  CHECK_EQ(p.reports[0].ssrc, sr.ssrc);
  CHECK_EQ(p.reports[0].ntpSeconds, sr.ntpSeconds);
  CHECK_EQ(p.reports[0].ntpFraction, sr.ntpFraction);
  CHECK_EQ(p.reports[0].ntpMiddle, 0xE3E48000u);
  CHECK_EQ(p.reports[0].rtpTimestamp, sr.rtpTimestamp);
  CHECK_EQ(p.reports[0].packetCount, sr.packetCount);
  CHECK_EQ(p.reports[0].octetCount, sr.octetCount);
}

TEST(RtcpPacket_SenderReportWithReportBlocks) {
  std::vector<uint8_t> sr = SenderReport(9, 1, 2, 3, 4, 5, 2);
  sr[28] = 0xAA;       // first block's SSRC
  sr[28 + 24] = 0xBB;  // second block's SSRC
  sr[28 + 24 + 7] = 3;  // second block's cumulative loss
  const Parsed p = ParseAll(sr);
  CHECK(p.ok);
  CHECK_EQ(p.reports.size(), 1u);
  REQUIRE(p.blocks.size() == 2);
  CHECK_EQ(p.blocks[0].ssrc, 0xAA000000u);
  CHECK_EQ(p.blocks[1].ssrc, 0xBB000000u);
  CHECK_EQ(p.blocks[1].cumulativeLost, 3);
}

TEST(RtcpPacket_RefusesReportCountPastItsLength) {
  const ReportBlock block = SampleBlock();
  std::vector<uint8_t> rr = Rr(1, &block);
  rr[0] = 0x82;  // claims two blocks, holds one
  Parsed p = ParseAll(rr);
  CHECK(!p.ok);
  CHECK(p.blocks.size() <= 1u);
  std::vector<uint8_t> sr = SenderReport(9, 1, 2, 3, 4, 5, 1);
  sr[0] = 0x83;  // claims three, holds one
  p = ParseAll(sr);
  CHECK(!p.ok);
  // An RR whose length field is shorter than its header + SSRC.
  std::vector<uint8_t> tiny = {0x80, 201, 0x00, 0x00};
  CHECK(!ParseAll(tiny).ok);
}

TEST(RtcpPacket_CompoundPacketVisitsEveryPartInOrder) {
  const ReportBlock block = SampleBlock();
  const std::vector<uint8_t> compound =
      Cat({SenderReport(10, 1, 2, 3, 4, 5), Rr(11, &block), Pli(12, 13), Fir(14, 15, 1), Pli(16, 17)});
  REQUIRE(compound.size() == 28 + 32 + 12 + 20 + 12);
  const Parsed p = ParseAll(compound);
  CHECK(p.ok);
  REQUIRE(p.reports.size() == 1);
  CHECK_EQ(p.reports[0].ssrc, 10u);
  REQUIRE(p.feedback.size() == 3);
  CHECK(p.feedback[0].kind == RtcpFeedback::Kind::Pli);
  CHECK_EQ(p.feedback[0].senderSsrc, 12u);
  CHECK(p.feedback[1].kind == RtcpFeedback::Kind::Fir);
  CHECK_EQ(p.feedback[1].mediaSsrc, 15u);
  CHECK(p.feedback[2].kind == RtcpFeedback::Kind::Pli);
  CHECK_EQ(p.feedback[2].mediaSsrc, 17u);
}

TEST(RtcpPacket_TruncatedCompoundIsRefusedAfterTheWholeParts) {
  const ReportBlock block = SampleBlock();
  const std::vector<uint8_t> compound = Cat({Rr(1, &block), Pli(2, 3), Fir(4, 5, 6)});
  const size_t boundaries[] = {0, 32, 44, 64};
  for (size_t n = 1; n < compound.size(); ++n) {
    const Parsed p = ParseAll(std::vector<uint8_t>(compound.begin(), compound.begin() + n));
    bool atBoundary = false;
    for (size_t b : boundaries) atBoundary |= (n == b);
    CHECK_MSG(p.ok == atBoundary, "prefix " + std::to_string(n));
    // Parts before the break are still reported ("parts before it count").
    const size_t wholeFeedback = n >= 64 ? 2 : n >= 44 ? 1 : 0;
    CHECK_MSG(p.feedback.size() == wholeFeedback, "prefix " + std::to_string(n));
  }
}

TEST(RtcpPacket_RefusesBadVersion) {
  std::vector<uint8_t> pli = Pli(1, 2);
  pli[0] = static_cast<uint8_t>((pli[0] & 0x3F) | 0x40);
  CHECK(!ParseAll(pli).ok);
  CHECK(ParseAll(Pli(1, 2)).ok);
  // A bad second part: the first still counts, the whole is refused.
  std::vector<uint8_t> second = Pli(3, 4);
  second[0] = 0x01;
  const Parsed p = ParseAll(Cat({Pli(1, 2), second}));
  CHECK(!p.ok);
  CHECK_EQ(p.feedback.size(), 1);
}

TEST(RtcpPacket_RefusesLengthPastTheEnd) {
  std::vector<uint8_t> pli = Pli(1, 2);
  pli[3] = 3;  // claims 16 bytes, has 12
  const Parsed p = ParseAll(pli);
  CHECK(!p.ok);
  CHECK(p.feedback.empty());
}

TEST(RtcpPacket_RefusesShortSenderReportAndFeedback) {
  std::vector<uint8_t> sr = SenderReport(1, 2, 3, 4, 5, 6);
  sr.resize(24);
  sr[3] = 5;  // a consistent length field, but 24 bytes cannot hold the sender info
  CHECK(!ParseAll(sr).ok);
  CHECK(ParseAll(SenderReport(1, 2, 3, 4, 5, 6)).ok);

  std::vector<uint8_t> shortPli = {0x81, 206, 0x00, 0x01, 0, 0, 0, 1};  // no media SSRC
  const Parsed p = ParseAll(shortPli);
  CHECK(!p.ok);
  CHECK(p.feedback.empty());

  std::vector<uint8_t> firWithoutFci = {0x84, 206, 0x00, 0x02, 0, 0, 0, 1, 0, 0, 0, 0};
  const Parsed f = ParseAll(firWithoutFci);
  CHECK(!f.ok);
  CHECK(f.feedback.empty());
}

TEST(RtcpPacket_RefusesTrailingBytes) {
  std::vector<uint8_t> bytes = Pli(1, 2);
  bytes.push_back(0);
  bytes.push_back(0);
  CHECK(!ParseAll(bytes).ok);
}

TEST(RtcpPacket_FuzzNeverReadsOutOfBounds) {
  std::mt19937 rng(42);
  const ReportBlock block = SampleBlock();
  const std::vector<uint8_t> valid =
      Cat({SenderReport(10, 1, 2, 3, 4, 5, 1), Rr(11, &block), Pli(12, 13), Fir(14, 15, 1)});
  size_t okCount = 0;
  for (int iter = 0; iter < 50000; ++iter) {
    std::vector<uint8_t> bytes;
    if (iter % 2) {
      bytes.resize(rng() % 200);
      for (auto& b : bytes) b = static_cast<uint8_t>(rng());
      for (size_t i = 0; i + 4 <= bytes.size(); i += 4 + 4 * (rng() % 8)) {
        bytes[i] = static_cast<uint8_t>(0x80 | (bytes[i] & 0x1F));  // plausible headers
        bytes[i + 1] = static_cast<uint8_t>(200 + rng() % 7);
        bytes[i + 2] = 0;
        bytes[i + 3] = static_cast<uint8_t>(rng() % 10);
      }
    } else {
      bytes = valid;
      const int flips = 1 + static_cast<int>(rng() % 3);
      for (int f = 0; f < flips; ++f) bytes[rng() % bytes.size()] = static_cast<uint8_t>(rng());
      if (rng() % 2) bytes.resize(rng() % (bytes.size() + 1));
    }
    if (ParseAll(bytes).ok) ++okCount;
  }
  CHECK(okCount > 100);
}

namespace {
// The sequence numbers a parsed NACK names, in its order.
std::vector<uint16_t> Nacked(const std::vector<uint8_t>& bytes) {
  std::vector<uint16_t> out;
  RtcpPacket::Handlers h;
  h.onFeedback = [&](const RtcpFeedback& fb) {
    if (fb.kind == RtcpFeedback::Kind::Nack) fb.ForEachNacked([&](uint16_t seq) { out.push_back(seq); });
  };
  ExactBuffer buf(bytes);
  RtcpPacket::Parse(buf.data(), buf.size(), h);
  return out;
}

std::vector<uint8_t> Nack(const std::vector<uint16_t>& seqs, size_t capacity = 512) {
  std::vector<uint8_t> out(capacity);
  out.resize(RtcpPacket::WriteNack(out.data(), out.size(), 0x01020304, 0xA0B0C0D0, seqs.data(), seqs.size()));
  return out;
}
}  // namespace

TEST(RtcpPacket_NackBytes) {
  // RFC 4585 6.2.1: RTPFB (205) FMT=1; PID 100 and BLP bit 0 (101) and bit 15 (116).
  CHECK_EQ(Nack({100, 101, 116}),
           (std::vector<uint8_t>{0x81, 205, 0x00, 0x03, 0x01, 0x02, 0x03, 0x04, 0xA0, 0xB0, 0xC0, 0xD0, 0x00, 100, 0x80, 0x01}));
}

TEST(RtcpPacket_NackRoundTripAcrossTheWrapAndManyItems) {
  std::vector<uint16_t> seqs;
  for (uint16_t s = 65530; s != 10; s = static_cast<uint16_t>(s + 1)) seqs.push_back(s);  // packed 17 to an item
  for (uint16_t s = 100; s < 400; s += 20) seqs.push_back(s);                              // one item each
  const std::vector<uint8_t> bytes = Nack(seqs);
  CHECK_EQ(bytes.size(), 12u + 4u * (1 + 15));
  CHECK_EQ(Nacked(bytes), seqs);
}

TEST(RtcpPacket_NackWritesWhatFits) {
  std::vector<uint16_t> seqs;
  for (uint16_t s = 0; s < 100; ++s) seqs.push_back(static_cast<uint16_t>(s * 100));
  const std::vector<uint8_t> bytes = Nack(seqs, 12 + 4 * 5);
  CHECK_EQ(bytes.size(), 32u);
  CHECK_EQ(Nacked(bytes), (std::vector<uint16_t>{0, 100, 200, 300, 400}));
  CHECK_EQ(Nack(seqs, 15).size(), 0u);
}

TEST(RtcpPacket_NackWithoutAnItemIsMalformed) {
  std::vector<uint8_t> bytes = {0x81, 205, 0x00, 0x02, 0, 0, 0, 1, 0, 0, 0, 2};
  ExactBuffer buf(bytes);
  RtcpPacket::Handlers h;
  size_t feedback = 0;
  h.onFeedback = [&](const RtcpFeedback&) { ++feedback; };
  CHECK(!RtcpPacket::Parse(buf.data(), buf.size(), h));
  CHECK_EQ(feedback, 0u);
}
