#include "rtp/RtpStreamRecv.h"

#include <algorithm>

namespace callmedia {

namespace {
constexpr uint32_t kMaxDropout = 3000;
constexpr uint32_t kMaxMisorder = 100;
constexpr uint32_t kSeqMod = 1u << 16;
constexpr uint32_t kMinSequential = 2;
}  // namespace

void RtpStreamRecv::Reset() {
  initialized_ = false;
  received_ = 0;
  extendedMax_ = 0;
  baseSeqAtomic_ = 0;
  jitter_ = 0;
  haveTransit_ = false;
  expectedPrior_ = 0;
  receivedPrior_ = 0;
  lastSr_ = 0;
  lastSrArrivalNs_ = 0;
}

void RtpStreamRecv::InitSequence(uint16_t seq) {
  baseSeq_ = seq;
  maxSeq_ = seq;
  badSeq_ = kSeqMod + 1;
  cycles_ = 0;
  received_.store(0, std::memory_order_relaxed);
  receivedPrior_ = 0;
  expectedPrior_ = 0;
  baseSeqAtomic_.store(seq, std::memory_order_relaxed);
  extendedMax_.store(seq, std::memory_order_relaxed);
}

bool RtpStreamRecv::ReceivePacket(const RtpPacket& packet, uint64_t arrivalNs) {
  const uint16_t seq = packet.sequenceNumber;
  if (!initialized_ || packet.ssrc != ssrc_.load(std::memory_order_relaxed)) {
    initialized_ = true;
    ssrc_.store(packet.ssrc, std::memory_order_relaxed);
    InitSequence(seq);
    maxSeq_ = static_cast<uint16_t>(seq - 1);
    probation_ = kMinSequential;
    haveTransit_ = false;
    jitter_ = 0;
  }

  const uint16_t udelta = static_cast<uint16_t>(seq - maxSeq_);
  if (probation_) {
    // A new source must show kMinSequential packets in sequence before it counts.
    if (seq == static_cast<uint16_t>(maxSeq_ + 1)) {
      --probation_;
      maxSeq_ = seq;
      if (probation_ == 0) {
        InitSequence(seq);
        received_.fetch_add(1, std::memory_order_relaxed);
      }
    } else {
      probation_ = kMinSequential - 1;
      maxSeq_ = seq;
    }
  } else if (udelta < kMaxDropout) {
    if (seq < maxSeq_) cycles_ += kSeqMod;  // wrapped
    maxSeq_ = seq;
    received_.fetch_add(1, std::memory_order_relaxed);
  } else if (udelta <= kSeqMod - kMaxMisorder) {
    // A very large jump: the sender may have restarted. Resynchronise on two in a row.
    if (seq == badSeq_) {
      InitSequence(seq);
      received_.fetch_add(1, std::memory_order_relaxed);
    } else {
      badSeq_ = (seq + 1u) & (kSeqMod - 1);
      return false;
    }
  } else {
    received_.fetch_add(1, std::memory_order_relaxed);  // duplicate or reordered
  }
  extendedMax_.store(cycles_ + maxSeq_, std::memory_order_relaxed);

  // Interarrival jitter in RTP timestamp units (RFC 3550 A.8), all of it modulo 2^32 as the
  // sender's timestamp is: the arrival clock in RTP units never overflows, however long the
  // monotonic clock has run (whole seconds and the rest are scaled apart).
  const uint64_t seconds = arrivalNs / 1000000000u, rest = arrivalNs % 1000000000u;
  const uint32_t arrival = static_cast<uint32_t>(seconds * clockRate_ + rest * clockRate_ / 1000000000u);
  const uint32_t transit = arrival - packet.timestamp;
  if (haveTransit_) {
    int64_t d = static_cast<int32_t>(transit - lastTransit_);
    if (d < 0) d = -d;
    // Frames share one timestamp across many packets; d is then the packets' spacing, as the RFC intends.
    const int64_t j = jitter_.load(std::memory_order_relaxed);
    jitter_.store(static_cast<uint32_t>(std::max<int64_t>(0, j + d - ((j + 8) >> 4))), std::memory_order_relaxed);
  }
  lastTransit_ = transit;
  haveTransit_ = true;
  return true;
}

int64_t RtpStreamRecv::PacketsLost() const {
  if (!initialized_) return 0;
  const int64_t expected = static_cast<int64_t>(extendedMax_.load(std::memory_order_relaxed)) -
                           baseSeqAtomic_.load(std::memory_order_relaxed) + 1;
  return std::max<int64_t>(0, expected - static_cast<int64_t>(received_.load(std::memory_order_relaxed)));
}

void RtpStreamRecv::ReceiveSenderReport(uint32_t ntpMiddle, uint64_t arrivalNs) {
  lastSr_ = ntpMiddle;
  lastSrArrivalNs_ = arrivalNs;
}

ReportBlock RtpStreamRecv::MakeReportBlock(uint64_t nowNs) {
  ReportBlock block;
  block.ssrc = ssrc();
  const uint32_t extMax = extendedMax_.load(std::memory_order_relaxed);
  const uint32_t expected = extMax - baseSeqAtomic_.load(std::memory_order_relaxed) + 1;
  const uint64_t received = received_.load(std::memory_order_relaxed);
  const int64_t lost = static_cast<int64_t>(expected) - static_cast<int64_t>(received);
  block.cumulativeLost = static_cast<int32_t>(std::max<int64_t>(-0x800000, std::min<int64_t>(0x7FFFFF, lost)));
  const uint32_t expectedInterval = expected - expectedPrior_;
  const int64_t receivedInterval = static_cast<int64_t>(received - receivedPrior_);
  expectedPrior_ = expected;
  receivedPrior_ = received;
  const int64_t lostInterval = static_cast<int64_t>(expectedInterval) - receivedInterval;
  block.fractionLost = (expectedInterval == 0 || lostInterval <= 0)
                           ? 0 : static_cast<uint8_t>(std::min<int64_t>(255, (lostInterval << 8) / expectedInterval));
  block.extendedHighestSeq = extMax;
  block.jitter = jitter_.load(std::memory_order_relaxed) >> 4;
  block.lastSr = lastSr_;
  if (lastSrArrivalNs_) {
    // DLSR is in units of 1/65536 s.
    block.delaySinceLastSr = static_cast<uint32_t>(((nowNs - lastSrArrivalNs_) * 65536) / 1000000000ull);
  }
  return block;
}

}  // namespace callmedia
