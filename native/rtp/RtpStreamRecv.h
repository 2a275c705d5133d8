// One received RTP stream (one SSRC): RFC 3550 appendix A.1 sequence validation, A.3 loss
// accounting and A.8 interarrival jitter, plus what a receiver report block needs (A.3, 6.4.1).
// Counters are atomics because the Node thread reads them while the media thread writes.
#pragma once
#include <atomic>
#include <cstdint>

#include "rtp/RtpPacket.h"

namespace callmedia {

struct ReportBlock {
  uint32_t ssrc = 0;
  uint8_t fractionLost = 0;
  int32_t cumulativeLost = 0;
  uint32_t extendedHighestSeq = 0;
  uint32_t jitter = 0;
  uint32_t lastSr = 0;
  uint32_t delaySinceLastSr = 0;
};

class RtpStreamRecv {
 public:
  explicit RtpStreamRecv(uint32_t clockRate = 90000) : clockRate_(clockRate) {}

  // Returns false for a packet RFC 3550's validation treats as out of sequence (dropped).
  bool ReceivePacket(const RtpPacket& packet, uint64_t arrivalNs);
  // Records an RTCP sender report's NTP time for the LSR / DLSR fields.
  void ReceiveSenderReport(uint32_t ntpMiddle, uint64_t arrivalNs);
  ReportBlock MakeReportBlock(uint64_t nowNs);
  void Reset();

  uint32_t ssrc() const { return ssrc_.load(std::memory_order_relaxed); }
  uint64_t PacketsReceived() const { return received_.load(std::memory_order_relaxed); }
  int64_t PacketsLost() const;
  double JitterMs() const { return jitter_.load(std::memory_order_relaxed) / 16.0 * 1000.0 / clockRate_; }

 private:
  void InitSequence(uint16_t seq);
  const uint32_t clockRate_;
  bool initialized_ = false;
  std::atomic<uint32_t> ssrc_{0};
  uint16_t maxSeq_ = 0;
  uint32_t cycles_ = 0;
  uint32_t baseSeq_ = 0;
  uint32_t badSeq_ = 0x10001;
  uint32_t probation_ = 0;
  std::atomic<uint64_t> received_{0};
  std::atomic<uint32_t> extendedMax_{0};
  std::atomic<uint32_t> baseSeqAtomic_{0};
  uint32_t expectedPrior_ = 0;
  uint64_t receivedPrior_ = 0;
  // RFC 3550 A.8 keeps jitter scaled by 16 to avoid rounding.
  std::atomic<uint32_t> jitter_{0};
  uint32_t lastTransit_ = 0;  // RTP units, modulo 2^32
  bool haveTransit_ = false;
  uint32_t lastSr_ = 0;
  uint64_t lastSrArrivalNs_ = 0;
};

}  // namespace callmedia
