#include "rtp/RtpStreamRecv.h"

#include <cstdlib>
#include <vector>

#include "check.h"

using callmedia::ReportBlock;
using callmedia::RtpPacket;
using callmedia::RtpStreamRecv;

namespace {

constexpr uint64_t kMs = 1000000;
constexpr uint64_t kStartNs = 7 * 1000 * kMs;  // an arbitrary non-zero clock origin

RtpPacket Packet(uint16_t seq, uint32_t timestamp, uint32_t ssrc = 0xCAFE) {
  RtpPacket p;
  p.sequenceNumber = seq;
  p.timestamp = timestamp;
  p.ssrc = ssrc;
  return p;
}

// Sends packets one 20 ms frame apart, arriving exactly on time (90 kHz clock: 1800 ticks).
void SendPerfect(RtpStreamRecv& s, uint16_t firstSeq, int count, std::vector<uint16_t> skip = {}) {
  for (int i = 0; i < count; ++i) {
    const uint16_t seq = static_cast<uint16_t>(firstSeq + i);
    bool skipped = false;
    for (uint16_t k : skip) skipped |= (k == seq);
    if (skipped) continue;
    s.ReceivePacket(Packet(seq, 1000 + 1800u * i), kStartNs + 20 * kMs * i);
  }
}

}  // namespace

TEST(RtpStreamRecv_InOrderStreamHasNoLoss) {
  RtpStreamRecv s;
  SendPerfect(s, 100, 50);
  CHECK_EQ(s.ssrc(), 0xCAFEu);
  CHECK_EQ(s.PacketsLost(), 0);
  // RFC 3550 A.1: the packets of the probation period are not counted (and base_seq starts
  // at the packet that ends it), so 50 packets with MIN_SEQUENTIAL = 2 count as 49.
  CHECK_EQ(s.PacketsReceived(), 49u);
  const ReportBlock b = s.MakeReportBlock(kStartNs + 1000 * kMs);
  CHECK_EQ(b.ssrc, 0xCAFEu);
  CHECK_EQ(b.extendedHighestSeq, 149u);
  CHECK_EQ(b.cumulativeLost, 0);
  CHECK_EQ(b.fractionLost, 0);
}

TEST(RtpStreamRecv_ProbationRestartsOnANonSequentialPacket) {
  RtpStreamRecv s;
  s.ReceivePacket(Packet(10, 0), kStartNs);
  s.ReceivePacket(Packet(20, 0), kStartNs + kMs);  // not 11: probation starts over from 20
  CHECK_EQ(s.PacketsReceived(), 0u);
  s.ReceivePacket(Packet(21, 0), kStartNs + 2 * kMs);
  CHECK_EQ(s.PacketsReceived(), 1u);
  CHECK_EQ(s.MakeReportBlock(kStartNs).extendedHighestSeq, 21u);
}

TEST(RtpStreamRecv_WrapsAroundAt65535) {
  RtpStreamRecv s;
  SendPerfect(s, 65530, 16);  // 65530..65535, 0..9
  CHECK_EQ(s.PacketsLost(), 0);
  CHECK_EQ(s.PacketsReceived(), 15u);
  const ReportBlock b = s.MakeReportBlock(kStartNs);
  CHECK_EQ(b.extendedHighestSeq, 65536u + 9u);  // one cycle counted in the high 16 bits
  CHECK_EQ(b.cumulativeLost, 0);
}

TEST(RtpStreamRecv_SeveralWraparounds) {
  RtpStreamRecv s;
  const int count = 3 * 65536 + 10;
  for (int i = 0; i < count; ++i) s.ReceivePacket(Packet(static_cast<uint16_t>(i), 0), kStartNs + i);
  CHECK_EQ(s.MakeReportBlock(kStartNs).extendedHighestSeq, static_cast<uint32_t>(count - 1));
  CHECK_EQ(s.PacketsLost(), 0);
}

TEST(RtpStreamRecv_CountsSkippedSequenceNumbersAsLost) {
  RtpStreamRecv s;
  SendPerfect(s, 100, 100, {150, 160, 161, 162});  // 100..199 without four
  CHECK_EQ(s.PacketsLost(), 4);
  const ReportBlock b = s.MakeReportBlock(kStartNs);
  CHECK_EQ(b.cumulativeLost, 4);
  CHECK_EQ(b.extendedHighestSeq, 199u);
  // Expected 101..199 = 99 since the end of probation; 4 lost: floor(4 * 256 / 99) = 10.
  CHECK_EQ(b.fractionLost, 10);
}

TEST(RtpStreamRecv_LossAcrossWraparound) {
  RtpStreamRecv s;
  SendPerfect(s, 65500, 100, {65535, 0, 1});
  CHECK_EQ(s.PacketsLost(), 3);
  const ReportBlock b = s.MakeReportBlock(kStartNs);
  CHECK_EQ(b.extendedHighestSeq, 65536u + 63u);  // 65500 + 99 - 65536 = 63
  CHECK_EQ(b.cumulativeLost, 3);
}

TEST(RtpStreamRecv_FractionLostIsPerInterval) {
  RtpStreamRecv s;
  SendPerfect(s, 1000, 101, {1050});
  ReportBlock b = s.MakeReportBlock(kStartNs);
  CHECK_EQ(b.cumulativeLost, 1);
  CHECK_EQ(b.fractionLost, 2);  // 1 of 100: floor(256 / 100)
  // A clean second interval: fraction back to 0, cumulative loss kept.
  for (int i = 101; i < 201; ++i) s.ReceivePacket(Packet(static_cast<uint16_t>(1000 + i), 0), kStartNs);
  b = s.MakeReportBlock(kStartNs);
  CHECK_EQ(b.fractionLost, 0);
  CHECK_EQ(b.cumulativeLost, 1);
  // Third interval: half of 100 lost.
  for (int i = 201; i < 301; i += 2) s.ReceivePacket(Packet(static_cast<uint16_t>(1000 + i), 0), kStartNs);
  b = s.MakeReportBlock(kStartNs);
  CHECK_EQ(b.cumulativeLost, 1 + 49);
  CHECK_EQ(b.fractionLost, 49 * 256 / 99);
}

TEST(RtpStreamRecv_DuplicatesMakeLossNegative) {
  // RFC 3550 6.4.1: duplicates are counted as received, so cumulative loss may go negative.
  RtpStreamRecv s;
  SendPerfect(s, 500, 20);
  s.ReceivePacket(Packet(510, 0), kStartNs);
  s.ReceivePacket(Packet(511, 0), kStartNs);
  CHECK_EQ(s.MakeReportBlock(kStartNs).cumulativeLost, -2);
  CHECK_EQ(s.PacketsLost(), 0);  // the statistic shown to users does not go below zero
}

TEST(RtpStreamRecv_ReorderedPacketFillsTheHole) {
  RtpStreamRecv s;
  SendPerfect(s, 0, 10, {5});
  CHECK_EQ(s.PacketsLost(), 1);
  CHECK(s.ReceivePacket(Packet(5, 0), kStartNs));
  CHECK_EQ(s.PacketsLost(), 0);
  CHECK_EQ(s.MakeReportBlock(kStartNs).extendedHighestSeq, 9u);  // a late packet does not move the max back
}

TEST(RtpStreamRecv_LargeJumpNeedsTwoSequentialPacketsToResync) {
  RtpStreamRecv s;
  SendPerfect(s, 100, 10);
  const uint64_t before = s.PacketsReceived();
  CHECK(!s.ReceivePacket(Packet(20000, 0), kStartNs));  // > MAX_DROPOUT ahead: suspicious
  CHECK_EQ(s.PacketsReceived(), before);
  CHECK_EQ(s.MakeReportBlock(kStartNs).extendedHighestSeq, 109u);
  CHECK(s.ReceivePacket(Packet(20001, 0), kStartNs));  // the next in line confirms a restart
  CHECK_EQ(s.MakeReportBlock(kStartNs).extendedHighestSeq, 20001u);
  CHECK_EQ(s.PacketsLost(), 0);
}

TEST(RtpStreamRecv_NewSsrcRestartsTheStream) {
  RtpStreamRecv s;
  SendPerfect(s, 100, 10, {105});
  CHECK_EQ(s.PacketsLost(), 1);
  s.ReceivePacket(Packet(9000, 0, 0xBEEF), kStartNs);
  s.ReceivePacket(Packet(9001, 0, 0xBEEF), kStartNs);
  s.ReceivePacket(Packet(9002, 0, 0xBEEF), kStartNs);
  CHECK_EQ(s.ssrc(), 0xBEEFu);
  CHECK_EQ(s.PacketsLost(), 0);
  CHECK_EQ(s.MakeReportBlock(kStartNs).extendedHighestSeq, 9002u);
}

TEST(RtpStreamRecv_JitterIsZeroForPerfectTiming) {
  RtpStreamRecv s;
  SendPerfect(s, 1, 200);
  CHECK_EQ(s.MakeReportBlock(kStartNs).jitter, 0u);
  CHECK(s.JitterMs() == 0.0);
}

TEST(RtpStreamRecv_JitterIgnoresAConstantNetworkDelay) {
  RtpStreamRecv s;
  for (int i = 0; i < 100; ++i)
    s.ReceivePacket(Packet(static_cast<uint16_t>(i), 123456u + 1800u * i), kStartNs + 373 * kMs + 20 * kMs * i);
  CHECK_EQ(s.MakeReportBlock(kStartNs).jitter, 0u);
}

namespace {
// Ten packets on time, then one arriving 1 ms (90 ticks) early: |D| = 90, so the scaled
// jitter is 90 and the reported value 90 / 16 = 5.
uint32_t JitterAfterOneEarlyPacket(uint32_t firstTimestamp) {
  RtpStreamRecv s;
  for (int i = 0; i <= 10; ++i) {
    uint64_t arrival = kStartNs + 20 * kMs * i;
    if (i == 10) arrival -= kMs;
    s.ReceivePacket(Packet(static_cast<uint16_t>(i), firstTimestamp + 1800u * i), arrival);
  }
  return s.MakeReportBlock(kStartNs).jitter;
}
}  // namespace

TEST(RtpStreamRecv_JitterOfOneEarlyPacket) {
  CHECK_EQ(JitterAfterOneEarlyPacket(1000), 5u);
}

TEST(RtpStreamRecv_JitterAcrossRtpTimestampWraparound) {
  // RTP timestamps start at a random value and wrap at 2^32 (every 13 h at 90 kHz); the
  // transit difference must be taken modulo 2^32 as in RFC 3550 A.8's 32-bit arithmetic.
  // Packet 10 is the first after the wrap.
  CHECK_EQ(JitterAfterOneEarlyPacket(0u - 10u * 1800u), 5u);
}

TEST(RtpStreamRecv_JitterTracksArrivalVariation) {
  // Alternating +1 ms / -1 ms around the ideal arrival: consecutive transit times differ by
  // 2 ms = 180 ticks, so J converges to 180 (RFC 3550 A.8, J += (|D| - J) / 16).
  RtpStreamRecv s;
  for (int i = 0; i < 400; ++i) {
    const int64_t offsetMs = (i % 2) ? 1 : -1;
    const uint64_t arrival = kStartNs + 20 * kMs * i + static_cast<uint64_t>(offsetMs * static_cast<int64_t>(kMs));
    s.ReceivePacket(Packet(static_cast<uint16_t>(i), 1800u * i), arrival);
  }
  const uint32_t jitter = s.MakeReportBlock(kStartNs).jitter;
  CHECK_MSG(jitter >= 170 && jitter <= 180, std::to_string(jitter));
  CHECK(s.JitterMs() > 1.8 && s.JitterMs() < 2.05);
}

TEST(RtpStreamRecv_JitterFirstStepFollowsTheFormula) {
  RtpStreamRecv s;
  s.ReceivePacket(Packet(1, 0), kStartNs);
  s.ReceivePacket(Packet(2, 1800), kStartNs + 20 * kMs);          // on time: D = 0
  s.ReceivePacket(Packet(3, 3600), kStartNs + 48 * kMs);          // 8 ms late: D = 720 ticks
  // J = 0 + (720 - 0) / 16 = 45 ticks.
  CHECK_EQ(s.MakeReportBlock(kStartNs).jitter, 45u);
  // And one more on time: D = 720 again (transit falls back), J = 720 + 720 - (728 >> 4) = 1395
  // in 1/16 units, reported as 87.
  s.ReceivePacket(Packet(4, 5400), kStartNs + 60 * kMs);
  CHECK_EQ(s.MakeReportBlock(kStartNs).jitter, 87u);
}

TEST(RtpStreamRecv_ReportBlockSenderReportFields) {
  RtpStreamRecv s;
  SendPerfect(s, 1, 5);
  ReportBlock b = s.MakeReportBlock(kStartNs);
  CHECK_EQ(b.lastSr, 0u);
  CHECK_EQ(b.delaySinceLastSr, 0u);  // no SR yet: both zero (RFC 3550 6.4.1)
  s.ReceiveSenderReport(0x12345678, kStartNs + 100 * kMs);
  b = s.MakeReportBlock(kStartNs + 100 * kMs + 1500 * kMs);
  CHECK_EQ(b.lastSr, 0x12345678u);
  CHECK_EQ(b.delaySinceLastSr, 98304u);  // 1.5 s in 1/65536 s
}

TEST(RtpStreamRecv_ResetForgetsEverything) {
  RtpStreamRecv s;
  SendPerfect(s, 100, 20, {110});
  s.ReceiveSenderReport(42, kStartNs);
  s.Reset();
  CHECK_EQ(s.PacketsReceived(), 0u);
  CHECK_EQ(s.PacketsLost(), 0);
  SendPerfect(s, 5000, 10);
  const ReportBlock b = s.MakeReportBlock(kStartNs);
  CHECK_EQ(b.extendedHighestSeq, 5009u);
  CHECK_EQ(b.cumulativeLost, 0);
  CHECK_EQ(b.lastSr, 0u);
}

TEST(RtpStreamRecv_JitterOnAClockThatRanForCenturies) {
  // Arrival times near the top of the 64-bit nanosecond clock: the RTP-unit arithmetic must
  // not overflow (it is modulo 2^32, as the sender's timestamps are), and the result is the
  // same as near zero.
  for (const uint64_t origin : {kStartNs, uint64_t{1} << 62, ~uint64_t{0} - 400 * 20 * kMs}) {
    for (const uint32_t rate : {8000u, 48000u, 90000u}) {
      RtpStreamRecv s(rate);
      const uint32_t step = rate / 50;  // 20 ms
      for (int i = 0; i <= 10; ++i) {
        uint64_t arrival = origin + 20 * kMs * i;
        if (i == 10) arrival -= kMs;  // one packet 1 ms early: |D| = rate / 1000
        s.ReceivePacket(Packet(static_cast<uint16_t>(i), 77u + step * i), arrival);
      }
      CHECK_EQ(s.MakeReportBlock(origin).jitter, rate / 1000 / 16);
    }
  }
}
