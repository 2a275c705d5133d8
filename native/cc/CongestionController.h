// Transport-wide congestion control for one transport, both halves.
//
// Sending: every RTP packet the transport sends gets the next transport-wide sequence number
// (draft-holmer-rmcat-transport-wide-cc-extensions-01), remembered with its size and send time.
// The far end's transport-cc feedback turns into per-packet delays and losses, which drive a
// delay-based estimate (DelayBasedEstimator + AimdRateControl) and a loss-based one; REMB from a
// peer that sends only that bounds them too. The smallest is the available bitrate, shared
// among the transport's video senders in proportion to what each asks for.
//
// Receiving: the arrival time of every packet with a transport-wide sequence number goes into
// TransportFeedbackGenerator, which the transport sends back as feedback.
//
// Media thread, except Stats (any thread).
#pragma once
#include <cstddef>
#include <cstdint>
#include <atomic>
#include <mutex>
#include <vector>

#include "cc/AimdRateControl.h"
#include "cc/DelayBasedEstimator.h"
#include "cc/SendHistory.h"
#include "cc/TransportFeedbackGenerator.h"

namespace callmedia {

struct CongestionControlStats {
  uint32_t availableBps;   // what the senders may use now (0: nothing estimated yet)
  uint32_t delayBasedBps, lossBasedBps, rembBps, acknowledgedBps;
  const char* usage = "normal";  // what the delay shows: normal, overusing, underusing
  double lossFraction;     // in the feedback of the last judgement
  uint64_t feedbackReceived, feedbackMalformed, packetsReported, packetsReportedLost, packetsUnknown;
  uint64_t rembReceived, decreases;
  uint64_t packetsStamped;  // sent with a transport-wide sequence number
  double roundTripMs = 100;  // what the estimate paces its growth and cuts by: the senders' last measure, 100 ms before any
  TransportFeedbackGeneratorStats receive;  // as of the last feedback sent
};

class CongestionController {
 public:
  static constexpr uint32_t kMinBps = 50'000;

  // Sending. The transport-wide sequence number for a packet of `bytes` going out now.
  uint16_t OnPacketSending(uint32_t bytes, uint64_t nowNs);
  // The size that packet took on the wire (SRTP's tag added), when it differs from the guess.
  void OnPacketSize(uint32_t bytes) { history_.SetLastSize(bytes); }
  // One RTCP transport-cc feedback packet (header included). False when malformed.
  bool OnTransportFeedback(const uint8_t* data, size_t size, uint64_t nowNs);
  void OnRemb(uint32_t bps, uint64_t nowNs);
  void OnRoundTrip(double ms);

  // What a sender asking for `demandBps` may send (its share of the estimate), 0 while nothing
  // is estimated. `who` tells senders apart; a sender that stops asking is forgotten after 2 s.
  uint32_t Allocate(const void* who, uint32_t demandBps, uint64_t nowNs);

  // Receiving.
  void OnPacketReceived(uint16_t sequence, uint64_t nowNs) { generator_.OnPacket(sequence, nowNs); }
  // The feedback message due now, if any (its size; 0: none).
  size_t BuildFeedback(uint64_t nowNs, uint32_t senderSsrc, uint32_t mediaSsrc, uint8_t* out, size_t capacity);

  CongestionControlStats Stats() const;

 private:
  struct Demand {
    const void* who;
    uint32_t bps;
    uint64_t lastNs;
  };
  void Bound();
  void Publish();

  SendHistory history_;
  TransportFeedbackGenerator generator_;
  DelayBasedEstimator delay_;
  AimdRateControl aimd_{300'000, kMinBps, 300'000};
  LossBasedEstimator loss_{300'000};
  AcknowledgedBitrate acked_;
  std::vector<Demand> demands_;
  uint32_t totalDemand_ = 0;
  bool estimating_ = false;  // feedback has come
  uint32_t remb_ = 0;
  uint64_t rembNs_ = 0;
  double rttMs_ = CongestionControlStats{}.roundTripMs;
  int lastFeedbackCount_ = -1;
  uint32_t available_ = 0;

  std::atomic<uint64_t> stamped_{0};
  mutable std::mutex statsMutex_;
  CongestionControlStats stats_{};
};

}  // namespace callmedia
