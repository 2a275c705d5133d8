#include "video/VideoSender.h"

#include <algorithm>
#include <cstring>
#include <random>

#include "common/Clock.h"
#include "net/MediaThread.h"
#include "rtp/NtpTime.h"

namespace callmedia {

namespace {
constexpr uint64_t kMs = 1000000;
constexpr uint64_t kReportIntervalNs = 1000 * kMs;
constexpr size_t kBurstPackets = 12;  // sent at once on top of the paced share
// Of what congestion control allocates, the share retransmissions may use; the encoder gets the rest.
constexpr double kRetransmissionShare = 0.15;

uint32_t Random32() {
  std::random_device rd;
  return static_cast<uint32_t>(rd());
}

}  // namespace

VideoSender::VideoSender(const VideoSenderOptions& options, ChannelContext* context)
    : options_(options),
      context_(context),
      strand_(std::make_shared<Strand>()),
      ssrc_(Random32() | 1u),
      rtxSsrc_(Random32() | 1u),
      payloadType_(options.payloadType),
      seq_(static_cast<uint16_t>(Random32())),
      rtxSeq_(static_cast<uint16_t>(Random32())),
      targetBitrate_(static_cast<uint32_t>(options.encoderConfig.bitrateKbps) * 1000) {}

VideoSender::~VideoSender() = default;

bool VideoSender::Init(std::string* error) {
  encoder_ = VideoEncoder::Create(options_.encoder, options_.encoderConfig, error);
  if (!encoder_) return false;
  packetizer_ = RtpPacketizer::Create(encoder_->codec(), options_.maxPayload);
  codec_.store(encoder_->codec());
  accessUnit_.reserve(512 * 1024);
  return true;
}

void VideoSender::SetCodec(VideoCodec codec, int payloadType) {
  payloadType_.store(payloadType & 0x7F);
  if (codec_.exchange(codec) == codec) return;
  auto keep = context_->owner.lock();
  strand_->Post([this, keep, codec] {
    // The configured H.264 encoder for H.264, libvpx for VP8.
    const std::string name = codec == VideoCodec::kVp8 ? "vp8" : options_.encoder == "vp8" ? "openh264" : options_.encoder;
    std::string error;
    auto encoder = VideoEncoder::Create(name, options_.encoderConfig, &error);
    if (!encoder) {
      encodeErrors_.fetch_add(1, std::memory_order_relaxed);
      context_->sink->OnEvent("error", "ENCODER_FAILED", error);
      return;
    }
    encoder_ = std::move(encoder);
    // The new encoder starts at the configured rate; congestion control may have said less.
    const uint32_t target = targetBitrate_.load(std::memory_order_relaxed);
    if (target != static_cast<uint32_t>(options_.encoderConfig.bitrateKbps) * 1000) encoder_->SetBitrate(static_cast<int>(target));
    packetizer_ = RtpPacketizer::Create(codec, options_.maxPayload);
    keyFrameRequested_.store(true);
  });
}

void VideoSender::Start(uv_loop_t* loop) {
  paceTimer_ = new uv_timer_t;
  uv_timer_init(loop, paceTimer_);
  paceTimer_->data = this;
}

void VideoSender::Stop() {
  if (!paceTimer_) return;
  uv_timer_stop(paceTimer_);
  uv_close(reinterpret_cast<uv_handle_t*>(paceTimer_), [](uv_handle_t* h) { delete reinterpret_cast<uv_timer_t*>(h); });
  paceTimer_ = nullptr;
}

bool VideoSender::CheckRaw(PixelFormat format, size_t size, int width, int height, std::string* error) const {
  const EncoderConfig& c = options_.encoderConfig;
  const size_t expected = FrameSize(format, width, height);
  if (!IsRawFormat(format) || expected == 0) {
    *error = "INVALID_ARGUMENT:a raw frame needs a raw format and a size of 1..16384 pixels";
    return false;
  }
  if (size != expected) {
    *error = "INVALID_FRAME_SIZE:" + std::to_string(width) + "x" + std::to_string(height) + " needs " +
             std::to_string(expected) + " bytes, got " + std::to_string(size);
    return false;
  }
  if ((width != c.width || height != c.height) && !options_.scale) {
    *error = "INVALID_FRAME_SIZE:the socket sends " + std::to_string(c.width) + "x" + std::to_string(c.height) +
             ", the frame is " + std::to_string(width) + "x" + std::to_string(height) + " (open it with scale: true to scale)";
    return false;
  }
  return true;
}

bool VideoSender::QueueRaw(PixelFormat format, const uint8_t* data, size_t size, int width, int height,
                           uint32_t rtpTimestamp, std::string* error) {
  if (!CheckRaw(format, size, width, height, error)) return false;
  auto copy = std::make_shared<PooledBuffer>(PooledBuffer::Make(size));
  std::memcpy(copy->data(), data, size);
  QueueShared(std::move(copy), format, width, height, rtpTimestamp);
  return true;
}

void VideoSender::QueueShared(std::shared_ptr<const PooledBuffer> data, PixelFormat format, int width, int height,
                              uint32_t rtpTimestamp) {
  framesIn_.fetch_add(1, std::memory_order_relaxed);
  if (!active_.load(std::memory_order_relaxed)) return;
  Enqueue(RawFrame{std::move(data), format, width, height, rtpTimestamp, NowNs(), false});
}

bool VideoSender::QueueAccessUnit(const uint8_t* data, size_t size, uint32_t rtpTimestamp, std::string* error) {
  if (codec_.load() != VideoCodec::kH264) {
    *error = std::string("INVALID_ARGUMENT:the socket sends ") + VideoCodecName(codec_.load()) +
             ": H.264 access units cannot pass through";
    return false;
  }
  if (size < 4) {
    *error = "INVALID_FRAME_SIZE:an H.264 access unit needs at least one NAL unit with its start code";
    return false;
  }
  auto copy = std::make_shared<PooledBuffer>(PooledBuffer::Make(size));
  std::memcpy(copy->data(), data, size);
  RawFrame frame{std::move(copy), PixelFormat::H264, 0, 0, rtpTimestamp, NowNs(), true};
  accessUnitsIn_.fetch_add(1, std::memory_order_relaxed);
  Enqueue(std::move(frame));
  return true;
}

void VideoSender::Enqueue(RawFrame frame) {
  {
    std::lock_guard<std::mutex> lock(queueMutex_);
    if (queue_.size() >= options_.maxSendQueue && !frame.accessUnit) {
      // The encoder is behind: the oldest raw picture is the one nobody needs any more.
      // Access units are never dropped here: losing one would break the far end's decoding.
      for (auto it = queue_.begin(); it != queue_.end(); ++it) {
        if (!it->accessUnit) {
          queue_.erase(it);
          framesDroppedQueue_.fetch_add(1, std::memory_order_relaxed);
          break;
        }
      }
    }
    queue_.push_back(std::move(frame));
  }
  auto keep = context_->owner.lock();
  strand_->Post([this, keep] { ProcessNext(); });
}

void VideoSender::ProcessNext() {
  RawFrame frame;
  {
    std::lock_guard<std::mutex> lock(queueMutex_);
    if (queue_.empty()) return;  // its frame was dropped for a newer one
    frame = std::move(queue_.front());
    queue_.pop_front();
  }
  if (frame.accessUnit) {
    Ship(frame.data->data(), frame.data->size(), false, frame.timestamp, frame.queuedNs);
    return;
  }
  const uint64_t startNs = NowNs();
  const EncoderConfig& c = options_.encoderConfig;
  I420Target target;
  bool converted = encoder_->PrepareInput(&target);
  if (converted && frame.width == c.width && frame.height == c.height) {
    converted = FrameConverter::ToI420(frame.format, frame.data->data(), frame.width, frame.height, target);
  } else if (converted) {
    const size_t scratchSize = FrameSize(PixelFormat::I420, frame.width, frame.height);
    if (scratch_.size() != scratchSize) scratch_ = PooledBuffer::Make(scratchSize);
    converted = FrameConverter::ScaleToI420(frame.format, frame.data->data(), frame.width, frame.height, target, c.width,
                                            c.height, scratch_.data());
  }
  frame.data.reset();
  bool keyFrame = false;
  const bool force = keyFrameRequested_.exchange(false);
  // Encoders want a pts that starts near zero and only grows; RTP timestamps start anywhere and wrap.
  if (!havePts_) {
    havePts_ = true;
    lastPtsTimestamp_ = frame.timestamp;
  }
  pts_ += static_cast<int32_t>(frame.timestamp - lastPtsTimestamp_) > 0 ? frame.timestamp - lastPtsTimestamp_ : 1;
  lastPtsTimestamp_ = frame.timestamp;
  if (!converted || !encoder_->Encode(pts_, force, &accessUnit_, &keyFrame)) {
    encodeErrors_.fetch_add(1, std::memory_order_relaxed);
    if (force) keyFrameRequested_.store(true);
    return;
  }
  encodeMs_.Add((NowNs() - startNs) / 1e6);
  if (accessUnit_.empty()) {
    framesSkipped_.fetch_add(1, std::memory_order_relaxed);
    if (force) keyFrameRequested_.store(true);
    return;
  }
  framesEncoded_.fetch_add(1, std::memory_order_relaxed);
  if (keyFrame) keyFramesEncoded_.fetch_add(1, std::memory_order_relaxed);
  Ship(accessUnit_.data(), accessUnit_.size(), keyFrame, frame.timestamp, frame.queuedNs);
}

void VideoSender::Ship(const uint8_t* frame, size_t size, bool keyFrame, uint32_t timestamp, uint64_t queuedNs) {
  auto batch = std::make_shared<PacketBatch>();
  RtpHeaderFields header{static_cast<uint8_t>(payloadType_.load(std::memory_order_relaxed)), ssrc_, timestamp};
  if (!packetizer_->Packetize(frame, size, keyFrame, header, &seq_, batch.get())) {
    encodeErrors_.fetch_add(1, std::memory_order_relaxed);
    return;
  }
  auto keep = context_->owner.lock();
  MediaThread::Instance().Post([this, keep, batch, queuedNs] {
    if (!context_->closing) StartPacing(batch, queuedNs);
  });
}

void VideoSender::StartPacing(std::shared_ptr<PacketBatch> batch, uint64_t queuedNs) {
  const uint64_t now = NowNs();
  if (pacing_) PaceOut(UINT64_MAX);  // the previous frame goes out whole before this one starts
  pacing_ = std::move(batch);
  pacingStartNs_ = now;
  pacingQueuedNs_ = queuedNs;
  lastTimestamp_ = pacing_->timestamp;
  lastTimestampNs_ = now;
  PaceOut(now);
  if (pacing_ && paceTimer_) {
    uv_timer_start(paceTimer_, [](uv_timer_t* t) { static_cast<VideoSender*>(t->data)->PaceOut(NowNs()); }, 1, 1);
  }
}

// Spreads a large frame (a key frame is many packets) over a quarter of the frame interval,
// so its burst does not overflow queues on the way; small frames leave at once.
void VideoSender::PaceOut(uint64_t nowNs) {
  if (!pacing_) return;
  PacketBatch& b = *pacing_;
  const size_t total = b.packets.size();
  const double windowNs = 1e9 / options_.encoderConfig.fps / 4;
  size_t allowed = total;
  if (nowNs != UINT64_MAX) {
    // A burst goes at once, the rest spreads over the window: a typical frame leaves whole,
    // only a key frame is spread.
    const double elapsed = static_cast<double>(nowNs - pacingStartNs_) + 1e6;  // one tick ahead
    allowed = kBurstPackets + static_cast<size_t>(total * std::min(1.0, elapsed / windowNs) + 0.999);
    allowed = std::min(allowed, total);
  }
  const bool canSend = context_->transport->HasRemote();
  const uint64_t sentNs = nowNs == UINT64_MAX ? NowNs() : nowNs;  // a flush has no tick time
  for (; b.next < allowed; ++b.next) {
    const auto& p = b.packets[b.next];
    const uint8_t* packet = b.block.data() + p.first;
    if (canSend && context_->transport->SendPacket(packet, p.second)) {
      packetsSent_.fetch_add(1, std::memory_order_relaxed);
      bytesSent_.fetch_add(p.second, std::memory_order_relaxed);
      if (p.second >= RtpPacket::kFixedHeaderSize) {
        sent_.Store(packet, p.second, static_cast<uint16_t>((packet[2] << 8) | packet[3]), sentNs);
      }
    } else {
      sendErrors_.fetch_add(1, std::memory_order_relaxed);
    }
  }
  if (b.next == total) {
    sendMs_.Add((NowNs() - pacingQueuedNs_) / 1e6);
    pacing_.reset();
    if (paceTimer_) uv_timer_stop(paceTimer_);
  }
}

void VideoSender::OnFeedback(const RtcpFeedback& feedback) {
  if (feedback.mediaSsrc != ssrc_ && feedback.mediaSsrc != 0) return;
  if (feedback.kind == RtcpFeedback::Kind::Nack) {
    Retransmit(feedback);
    return;
  }
  if (feedback.kind == RtcpFeedback::Kind::Pli) pliReceived_.fetch_add(1, std::memory_order_relaxed);
  else if (feedback.kind == RtcpFeedback::Kind::Fir) firReceived_.fetch_add(1, std::memory_order_relaxed);
  else return;
  keyFrameRequested_.store(true);
  context_->sink->OnEvent("keyFrameNeeded", "", feedback.kind == RtcpFeedback::Kind::Pli ? "PLI" : "FIR");
}

// Each packet the NACK names goes out again: as an RFC 4588 RTX packet when the session
// negotiated one (its own SSRC and sequence, so the receiver's loss statistics and replay
// protection see a stream of its own), else as it was sent (same sequence number and bytes, so
// the receiver's frame assembly takes it like the original). Not when it is no longer held (the
// receiver's key-frame request will follow) or was sent again just now.
void VideoSender::Retransmit(const RtcpFeedback& nack) {
  nackReceived_.fetch_add(1, std::memory_order_relaxed);
  const uint64_t now = NowNs();
  const int rtx = rtxPayloadType_.load(std::memory_order_relaxed);
  const uint32_t allocated = allocatedBitrate_.load(std::memory_order_relaxed);
  if (allocated > 0) {
    const double rate = allocated * kRetransmissionShare / 8.0;  // bytes per second
    resendTokens_ = std::min(rate * 0.5, resendTokens_ + rate * (now - resendTokensNs_) / 1e9);
  }
  resendTokensNs_ = now;
  nack.ForEachNacked([&](uint16_t seq) {
    if (allocated > 0 && resendTokens_ <= 0) {
      retransmissionsThrottled_.fetch_add(1, std::memory_order_relaxed);
      return;
    }
    size_t size = 0;
    const uint8_t* packet = sent_.TakeForResend(seq, now, &size);
    if (packet && rtx >= 0) {
      RtpPacket original;
      size = RtpPacket::Parse(packet, size, &original)
                 ? RtxPacket::Wrap(original, static_cast<uint8_t>(rtx), rtxSeq_, rtxSsrc_, rtxBuffer_, sizeof(rtxBuffer_))
                 : 0;
      packet = size ? rtxBuffer_ : nullptr;
      if (packet) ++rtxSeq_;
    }
    if (packet && context_->transport->SendPacket(packet, size)) {
      resendTokens_ -= static_cast<double>(size);
      packetsRetransmitted_.fetch_add(1, std::memory_order_relaxed);
      bytesSent_.fetch_add(size, std::memory_order_relaxed);
    } else {
      retransmissionsMissed_.fetch_add(1, std::memory_order_relaxed);
    }
  });
}

void VideoSender::OnReportBlock(const ReportBlock& block, uint64_t nowNs) {
  if (block.ssrc != ssrc_) return;
  remoteFractionLost_.store(block.fractionLost, std::memory_order_relaxed);
  remoteJitter_.store(block.jitter, std::memory_order_relaxed);
  if (block.lastSr != 0) {
    // RFC 3550 6.4.1: round trip = now − LSR − DLSR, in 1/65536 s.
    uint32_t seconds, fraction;
    NtpNow(&seconds, &fraction);
    const uint32_t middle = (seconds << 16) | (fraction >> 16);
    const uint32_t rtt = middle - block.lastSr - block.delaySinceLastSr;
    if (rtt < 65536u * 10) {
      const double ms = rtt * 1000.0 / 65536.0;
      roundTripMs_.store(ms, std::memory_order_relaxed);
      context_->transport->ReportRoundTrip(ms);
    }
  }
}

// Congestion control's share for this socket, less the retransmissions' part, at most what it
// was opened with, at least the estimator's floor. The encoder moves when the target changes by
// more than 5 %, so its rate control is not disturbed by every small step of the estimate.
void VideoSender::FollowEstimate(uint64_t nowNs) {
  constexpr uint64_t kIntervalNs = 100 * kMs;
  constexpr uint32_t kFloorBps = 50'000;
  if (nowNs - lastAllocationNs_ < kIntervalNs || lastTimestampNs_ == 0 || nowNs - lastTimestampNs_ > 1000 * kMs) return;
  lastAllocationNs_ = nowNs;
  const uint32_t demand = static_cast<uint32_t>(options_.encoderConfig.bitrateKbps) * 1000;
  const uint32_t allowed = context_->transport->AllocateSendBitrate(this, demand, nowNs);
  allocatedBitrate_.store(allowed, std::memory_order_relaxed);
  const uint32_t media = static_cast<uint32_t>(allowed * (1 - kRetransmissionShare));
  const uint32_t target = allowed == 0 ? demand : std::max(kFloorBps, std::min(demand, media));
  const uint32_t current = targetBitrate_.load(std::memory_order_relaxed);
  if (target == current || (target > current * 0.95 && target < current * 1.05 && target != demand)) return;
  targetBitrate_.store(target, std::memory_order_relaxed);
  bitrateChanges_.fetch_add(1, std::memory_order_relaxed);
  auto keep = context_->owner.lock();
  strand_->Post([this, keep, target] {
    if (encoder_) encoder_->SetBitrate(static_cast<int>(target));
  });
}

void VideoSender::OnTick(uint64_t nowNs) {
  FollowEstimate(nowNs);
  if (nowNs - lastReportNs_ < kReportIntervalNs || lastTimestampNs_ == 0 || !context_->transport->HasRemote()) return;
  RtcpSenderReport sr;
  sr.ssrc = ssrc_;
  NtpNow(&sr.ntpSeconds, &sr.ntpFraction);
  // The RTP time that corresponds to now, extrapolated from the last frame sent.
  sr.rtpTimestamp = lastTimestamp_ + static_cast<uint32_t>((nowNs - lastTimestampNs_) * 90 / 1000000);
  sr.packetCount = static_cast<uint32_t>(packetsSent_.load(std::memory_order_relaxed));
  sr.octetCount = static_cast<uint32_t>(bytesSent_.load(std::memory_order_relaxed));
  const size_t n = RtcpPacket::WriteSenderReport(rtcpBuffer_, sizeof(rtcpBuffer_), sr);
  if (context_->transport->SendPacket(rtcpBuffer_, n)) reportsSent_.fetch_add(1, std::memory_order_relaxed);
  lastReportNs_ = nowNs;
}

void VideoSender::Finish(std::function<void()> done) {
  strand_->Post(std::move(done));
}

VideoSenderStats VideoSender::Stats() const {
  auto r = [](const std::atomic<uint64_t>& v) { return v.load(std::memory_order_relaxed); };
  VideoSenderStats s{};
  s.framesIn = r(framesIn_);
  s.framesDroppedQueue = r(framesDroppedQueue_);
  s.framesEncoded = r(framesEncoded_);
  s.keyFramesEncoded = r(keyFramesEncoded_);
  s.framesSkipped = r(framesSkipped_);
  s.encodeErrors = r(encodeErrors_);
  s.accessUnitsIn = r(accessUnitsIn_);
  s.packetsSent = r(packetsSent_);
  s.bytesSent = r(bytesSent_);
  s.sendErrors = r(sendErrors_);
  s.senderReportsSent = r(reportsSent_);
  s.pliReceived = r(pliReceived_);
  s.firReceived = r(firReceived_);
  s.nackReceived = r(nackReceived_);
  s.packetsRetransmitted = r(packetsRetransmitted_);
  s.retransmissionsMissed = r(retransmissionsMissed_);
  s.remoteFractionLost = remoteFractionLost_.load(std::memory_order_relaxed) / 256.0;
  s.remoteJitterMs = remoteJitter_.load(std::memory_order_relaxed) / 90.0;
  s.roundTripMs = roundTripMs_.load(std::memory_order_relaxed);
  s.bitrateChanges = r(bitrateChanges_);
  s.retransmissionsThrottled = r(retransmissionsThrottled_);
  s.targetBitrate = targetBitrate_.load(std::memory_order_relaxed);
  s.allocatedBitrate = allocatedBitrate_.load(std::memory_order_relaxed);
  s.ssrc = ssrc_;
  s.rtxSsrc = rtxSsrc_;
  s.rtxPayloadType = rtxPayloadType_.load(std::memory_order_relaxed);
  s.rid = options_.rid;
  s.width = options_.encoderConfig.width;
  s.height = options_.encoderConfig.height;
  s.active = active_.load(std::memory_order_relaxed);
  return s;
}

}  // namespace callmedia
