#include "audio/AudioSender.h"

#include <algorithm>
#include <cstring>
#include <random>

#include "rtp/NtpTime.h"
#include "rtp/RtpPacket.h"

namespace callmedia {

namespace {
constexpr uint32_t kRtpSamplesPerFrame = 960;  // 20 ms at Opus's 48 kHz RTP clock
constexpr uint64_t kReportIntervalNs = 1000000000ull;
constexpr int kToneStepMs = 20;

uint32_t Random32() {
  std::random_device rd;
  return static_cast<uint32_t>(rd());
}

int ToneEvent(char tone) {
  static const char kTones[] = "0123456789*#ABCD";
  const char* p = std::strchr(kTones, tone);
  return (p && tone) ? static_cast<int>(p - kTones) : -1;
}
}  // namespace

AudioSender::AudioSender(const AudioSenderOptions& options, ChannelContext* context)
    : options_(options),
      context_(context),
      payloadType_(options.payloadType),
      telephoneEventPayloadType_(options.telephoneEventPayloadType),
      ssrc_(Random32() | 1u), seq_(static_cast<uint16_t>(Random32())),
      timestamp_(Random32()) {}

AudioSender::~AudioSender() {
  if (encoder_) opus_encoder_destroy(encoder_);
}

bool AudioSender::Init(std::string* error) {
  int err = 0;
  encoder_ = opus_encoder_create(16000, 1, OPUS_APPLICATION_VOIP, &err);
  if (err != OPUS_OK || !encoder_) {
    *error = std::string("cannot create the Opus encoder: ") + opus_strerror(err);
    encoder_ = nullptr;
    return false;
  }
  opus_encoder_ctl(encoder_, OPUS_SET_BITRATE(options_.bitrate));
  // In-band FEC lets the far end rebuild a lost packet from the next one.
  opus_encoder_ctl(encoder_, OPUS_SET_INBAND_FEC(1));
  opus_encoder_ctl(encoder_, OPUS_SET_PACKET_LOSS_PERC(5));
  return true;
}

bool AudioSender::Queue(const uint8_t* pcm, size_t size, std::string* error) {
  if (size != kFrameBytes) {
    *error = "INVALID_FRAME_SIZE:an audio frame is 20 ms of 16 kHz mono 16-bit PCM: 640 bytes, got " + std::to_string(size);
    return false;
  }
  PooledBuffer frame = PooledBuffer::Make(kFrameBytes);
  std::memcpy(frame.data(), pcm, kFrameBytes);
  std::lock_guard<std::mutex> lock(mutex_);
  if (queue_.size() >= options_.maxQueue) {
    queue_.pop_front();
    framesDroppedQueue_.fetch_add(1, std::memory_order_relaxed);
  }
  queue_.push_back(std::move(frame));
  framesIn_.fetch_add(1, std::memory_order_relaxed);
  return true;
}

bool AudioSender::QueueTone(char tone, int durationMs, std::string* error) {
  const int event = ToneEvent(tone);
  if (event < 0) {
    *error = std::string("INVALID_ARGUMENT:a tone is one of 0-9 * # A-D, got '") + tone + "'";
    return false;
  }
  if (durationMs < 40 || durationMs > 5000) {
    *error = "INVALID_ARGUMENT:a tone lasts 40..5000 ms";
    return false;
  }
  std::lock_guard<std::mutex> lock(mutex_);
  if (tones_.size() >= 64) {
    *error = "QUEUE_FULL:64 tones are already waiting";
    return false;
  }
  tones_.push_back(Tone{static_cast<uint8_t>(event), durationMs});
  return true;
}

void AudioSender::SendRtp(const uint8_t* payload, size_t size, int payloadType, bool marker, uint32_t timestamp) {
  if (size > sizeof(packet_) - RtpPacket::kFixedHeaderSize) return;  // never past the packet
  RtpPacket::WriteHeader(packet_, static_cast<uint8_t>(payloadType), marker, seq_, timestamp, ssrc_);
  std::memcpy(packet_ + 12, payload, size);
  ++seq_;
  if (context_->transport->SendPacket(packet_, size + 12)) {
    packetsSent_.fetch_add(1, std::memory_order_relaxed);
    bytesSent_.fetch_add(size + 12, std::memory_order_relaxed);
  }
}

void AudioSender::OnFrameClock(uint64_t nowNs) {
  (void)nowNs;
  PooledBuffer frame;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    if (!started_ && queue_.empty() && tones_.empty() && !toneActive_) return;  // nothing sent yet
    started_ = true;
    if (!queue_.empty()) {
      frame = std::move(queue_.front());
      queue_.pop_front();
    }
    if (!toneActive_ && !tones_.empty()) {
      tone_ = tones_.front();
      tones_.pop_front();
      toneActive_ = true;
      toneTimestamp_ = timestamp_;
      toneElapsedMs_ = 0;
      toneEndsSent_ = 0;
    }
  }
  if (!context_->transport->HasRemote()) {
    timestamp_ += kRtpSamplesPerFrame;
    return;
  }
  static const int16_t kSilence[320] = {};
  const int16_t* pcm = kSilence;
  if (frame.data()) pcm = reinterpret_cast<const int16_t*>(frame.data());
  else framesFilled_.fetch_add(1, std::memory_order_relaxed);  // the bot is late: silence keeps the stream going
  uint8_t encoded[1275];
  const int n = opus_encode(encoder_, pcm, 320, encoded, sizeof(encoded));
  if (n > 0) {
    SendRtp(encoded, static_cast<size_t>(n), payloadType_, false, timestamp_);
    framesSent_.fetch_add(1, std::memory_order_relaxed);
  }
  if (toneActive_) SendToneStep();
  timestamp_ += kRtpSamplesPerFrame;
}

// RFC 4733 2.5: one event, named by its start timestamp, updated with a growing duration; the
// end packet is sent three times so that a loss does not hide it.
void AudioSender::SendToneStep() {
  toneElapsedMs_ += kToneStepMs;
  const bool end = toneElapsedMs_ >= tone_.durationMs;
  const uint32_t duration = static_cast<uint32_t>(std::min(toneElapsedMs_, tone_.durationMs)) * 48;
  const uint8_t payload[4] = {tone_.event, static_cast<uint8_t>((end ? 0x80 : 0) | 10), static_cast<uint8_t>(duration >> 8),
                              static_cast<uint8_t>(duration & 0xFF)};
  SendRtp(payload, sizeof(payload), telephoneEventPayloadType_, toneElapsedMs_ == kToneStepMs, toneTimestamp_);
  if (end && ++toneEndsSent_ >= 3) {
    toneActive_ = false;
    tonesSent_.fetch_add(1, std::memory_order_relaxed);
  }
}

void AudioSender::OnTick(uint64_t nowNs) {
  if (!started_ || nowNs - lastReportNs_ < kReportIntervalNs || !context_->transport->HasRemote()) return;
  RtcpSenderReport sr;
  sr.ssrc = ssrc_;
  NtpNow(&sr.ntpSeconds, &sr.ntpFraction);
  sr.rtpTimestamp = timestamp_;
  sr.packetCount = static_cast<uint32_t>(packetsSent_.load(std::memory_order_relaxed));
  sr.octetCount = static_cast<uint32_t>(bytesSent_.load(std::memory_order_relaxed));
  uint8_t buffer[32];
  const size_t n = RtcpPacket::WriteSenderReport(buffer, sizeof(buffer), sr);
  if (context_->transport->SendPacket(buffer, n)) reportsSent_.fetch_add(1, std::memory_order_relaxed);
  lastReportNs_ = nowNs;
}

AudioSenderStats AudioSender::Stats() const {
  auto r = [](const std::atomic<uint64_t>& v) { return v.load(std::memory_order_relaxed); };
  AudioSenderStats s{};
  s.framesIn = r(framesIn_);
  s.framesDroppedQueue = r(framesDroppedQueue_);
  s.framesFilled = r(framesFilled_);
  s.framesSent = r(framesSent_);
  s.packetsSent = r(packetsSent_);
  s.bytesSent = r(bytesSent_);
  s.tonesSent = r(tonesSent_);
  s.senderReportsSent = r(reportsSent_);
  s.ssrc = ssrc_;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    s.queued = queue_.size();
  }
  return s;
}

}  // namespace callmedia
