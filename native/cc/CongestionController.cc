#include "cc/CongestionController.h"

#include <algorithm>

#include "rtp/TransportFeedback.h"

namespace callmedia {

namespace {
constexpr uint64_t kMs = 1'000'000;
constexpr uint64_t kDemandTimeoutNs = 2000 * kMs;
constexpr uint64_t kRembTimeoutNs = 5000 * kMs;
}  // namespace

uint16_t CongestionController::OnPacketSending(uint32_t bytes, uint64_t nowNs) {
  stamped_.fetch_add(1, std::memory_order_relaxed);
  return history_.Add(bytes, static_cast<int64_t>(nowNs / 1000));
}

bool CongestionController::OnTransportFeedback(const uint8_t* data, size_t size, uint64_t nowNs) {
  TransportFeedback fb;
  if (!TransportFeedback::Parse(data, size, &fb)) {
    std::lock_guard<std::mutex> lock(statsMutex_);
    ++stats_.feedbackMalformed;
    return false;
  }
  // A compound routed to two channels of the transport still counts once.
  if (lastFeedbackCount_ == fb.feedbackCount) return true;
  lastFeedbackCount_ = fb.feedbackCount;
  estimating_ = true;
  uint32_t lost = 0, total = 0, unknown = 0;
  bool overused = false;
  fb.ForEach([&](uint16_t seq, int64_t arrivalUs) {
    int64_t unwrapped, sendUs;
    uint32_t bytes;
    if (!history_.Find(seq, &unwrapped, &sendUs, &bytes)) {
      ++unknown;
      return;
    }
    ++total;
    if (arrivalUs == TransportFeedback::kNotReceived) {
      ++lost;
      return;
    }
    acked_.Add(arrivalUs, bytes);
    if (delay_.OnPacket(sendUs, arrivalUs) == BandwidthUsage::kOverusing) overused = true;
  });
  // The reference time is on the receiver's clock and only its differences matter; packets of
  // one message are compared with each other and with the groups of the messages before, which
  // the estimator keeps in receiver time as given (the 24-bit reference wraps after 12 days).
  const int64_t nowMs = static_cast<int64_t>(nowNs / kMs);
  const BandwidthUsage usage = overused ? BandwidthUsage::kOverusing : delay_.usage();
  aimd_.SetRoundTrip(rttMs_);
  aimd_.Update(usage, acked_.bps(), nowMs);
  loss_.Update(lost, total, nowMs, rttMs_, acked_.bps());
  Bound();
  {
    std::lock_guard<std::mutex> lock(statsMutex_);
    ++stats_.feedbackReceived;
    stats_.packetsReported += total;
    stats_.packetsReportedLost += lost;
    stats_.packetsUnknown += unknown;
  }
  Publish();
  return true;
}

void CongestionController::OnRemb(uint32_t bps, uint64_t nowNs) {
  remb_ = bps;
  rembNs_ = nowNs;
  estimating_ = true;
  {
    std::lock_guard<std::mutex> lock(statsMutex_);
    ++stats_.rembReceived;
  }
  Publish();
}

// The senders' measure (RFC 3550 6.4.1 from their report blocks), in place of the 100 ms assumed
// before any: the additive growth near capacity and the spacing of loss-based cuts follow it.
void CongestionController::OnRoundTrip(double ms) {
  if (!(ms > 0)) return;
  rttMs_ = ms;
  std::lock_guard<std::mutex> lock(statsMutex_);
  stats_.roundTripMs = ms;
}

void CongestionController::Bound() {
  const uint32_t max = totalDemand_ > 0 ? std::max(totalDemand_, kMinBps) : 300'000;
  aimd_.SetBounds(kMinBps, max);
  // Loss-based never leads: it only cuts below what the delay allows.
  loss_.Bound(kMinBps, max);
}

void CongestionController::Publish() {
  uint32_t available = std::min(aimd_.estimate(), loss_.estimate());
  // REMB is repeated while it holds; Allocate forgets one the peer stopped sending.
  if (remb_ > 0) available = std::min(available, std::max(remb_, kMinBps));
  available_ = estimating_ ? available : 0;
  std::lock_guard<std::mutex> lock(statsMutex_);
  stats_.availableBps = available_;
  stats_.delayBasedBps = aimd_.estimate();
  stats_.lossBasedBps = loss_.estimate();
  stats_.rembBps = remb_;
  stats_.acknowledgedBps = acked_.bps();
  stats_.usage = BandwidthUsageName(delay_.usage());
  stats_.lossFraction = loss_.fraction();
  stats_.decreases = aimd_.decreases();
}

uint32_t CongestionController::Allocate(const void* who, uint32_t demandBps, uint64_t nowNs) {
  bool found = false;
  for (auto& d : demands_) {
    if (d.who == who) {
      d.bps = demandBps;
      d.lastNs = nowNs;
      found = true;
    }
  }
  if (!found) demands_.push_back(Demand{who, demandBps, nowNs});
  demands_.erase(std::remove_if(demands_.begin(), demands_.end(), [&](const Demand& d) { return nowNs - d.lastNs > kDemandTimeoutNs; }),
                 demands_.end());
  uint64_t total = 0;
  for (auto& d : demands_) total += d.bps;
  const uint32_t previous = totalDemand_;
  totalDemand_ = static_cast<uint32_t>(std::min<uint64_t>(total, UINT32_MAX));
  if (!estimating_ && totalDemand_ != previous) {
    // Before any feedback, the estimate starts at what the senders ask for: a bot's link is
    // usually a data centre's, and a cut comes within a round trip or two of feedback.
    aimd_ = AimdRateControl(totalDemand_, kMinBps, std::max(totalDemand_, kMinBps));
    loss_ = LossBasedEstimator(totalDemand_);
  } else if (totalDemand_ != previous) {
    Bound();
    Publish();
  }
  if (remb_ && nowNs - rembNs_ > kRembTimeoutNs) {
    remb_ = 0;  // the peer stopped sending REMB
    Publish();
  }
  if (!estimating_ || available_ == 0 || totalDemand_ == 0) return 0;
  return static_cast<uint32_t>(static_cast<uint64_t>(available_) * demandBps / totalDemand_);
}

size_t CongestionController::BuildFeedback(uint64_t nowNs, uint32_t senderSsrc, uint32_t mediaSsrc, uint8_t* out,
                                           size_t capacity) {
  const size_t n = generator_.Build(nowNs, senderSsrc, mediaSsrc, out, capacity);
  if (n) {
    std::lock_guard<std::mutex> lock(statsMutex_);
    stats_.receive = generator_.Stats();
  }
  return n;
}

CongestionControlStats CongestionController::Stats() const {
  std::lock_guard<std::mutex> lock(statsMutex_);
  CongestionControlStats s = stats_;
  s.packetsStamped = stamped_.load(std::memory_order_relaxed);
  return s;
}

}  // namespace callmedia
