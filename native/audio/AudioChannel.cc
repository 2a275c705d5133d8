#include "audio/AudioChannel.h"

#include <algorithm>
#include <cstring>

#include "audio/AudioLevel.h"
#include "common/Clock.h"

namespace callmedia {

namespace {
constexpr uint64_t kFrameNs = 20000000;           // the mix clock: one frame per 20 ms
constexpr uint64_t kResyncNs = 200000000;         // behind by more than this: skip, do not burst
constexpr uint64_t kSourceTimeoutNs = 2000000000;  // a source silent this long is gone
constexpr int kActiveSpeakerLevel = 55;           // dBov: louder than this is speaking
}  // namespace

AudioChannel::AudioChannel(const AudioChannelOptions& options, std::shared_ptr<Transport> transport,
                           TransportCloser closeTransport, AudioSink* sink)
    : RtpChannel(std::move(transport), std::move(closeTransport), options.channel, sink),
      options_(options),
      sink_(sink),
      payloadTypes_(options.payloadTypes) {
  if (options.send) sender_ = std::make_unique<AudioSender>(options.sendOptions, &context_);
  scratch_.resize(options.maxSources * AudioSource::kFrameSamples);
  ranked_.reserve(options.maxSources);
}

std::shared_ptr<AudioChannel> AudioChannel::Create(const AudioChannelOptions& options, std::shared_ptr<Transport> transport,
                                                   TransportCloser closeTransport, AudioSink* sink, std::string* error) {
  if (options.maxUnmixed > 4) {
    *error = "at most 4 unmixed sources";
    return nullptr;
  }
  std::shared_ptr<AudioChannel> channel(new AudioChannel(options, std::move(transport), std::move(closeTransport), sink));
  if (channel->sender_ && !channel->sender_->Init(error)) return nullptr;
  if (!channel->Open(channel, error)) return nullptr;
  return channel;
}

void AudioChannel::SetPayloadTypes(const AudioPayloadTypes& types, int sendPayloadType, int sendTelephoneEventPayloadType) {
  PostToMedia([this, types, sendPayloadType, sendTelephoneEventPayloadType] {
    payloadTypes_ = types;
    if (sender_) sender_->SetPayloadTypes(sendPayloadType, sendTelephoneEventPayloadType);
  });
}

bool AudioChannel::CodecOf(int pt, AudioCodec* codec, int* clockRate) const {
  const AudioPayloadTypes& p = payloadTypes_;
  if (pt == p.opus) { *codec = AudioCodec::Opus; *clockRate = 48000; return true; }
  if (pt == p.pcmu) { *codec = AudioCodec::Pcmu; *clockRate = 8000; return true; }
  if (pt == p.pcma) { *codec = AudioCodec::Pcma; *clockRate = 8000; return true; }
  if (pt == p.l16 && p.l16 >= 0) { *codec = AudioCodec::L16; *clockRate = p.l16Rate; return true; }
  return false;
}

bool AudioChannel::OnRtpPacket(const uint8_t* data, size_t size, const RtpPacket& packet, uint64_t nowNs) {
  (void)data;
  (void)size;
  if (packet.payloadType == payloadTypes_.telephoneEvent) {
    auto it = dtmf_.find(packet.ssrc);
    if (it == dtmf_.end()) {
      if (dtmf_.size() >= options_.maxSources) return false;
      it = dtmf_.emplace(packet.ssrc, DtmfSource{DtmfReceiver(payloadTypes_.telephoneEventRate), nowNs}).first;
    }
    it->second.lastNs = nowNs;
    DtmfTone tone;
    if (it->second.receiver.OnPacket(packet.payload, packet.payloadSize, packet.timestamp, &tone)) {
      tones_.fetch_add(1, std::memory_order_relaxed);
      sink_->OnEvent("toneReceived", std::string(1, tone.tone).c_str(),
                     std::to_string(packet.ssrc) + " " + std::to_string(tone.durationMs));
    }
    return true;
  }
  AudioCodec codec;
  int clockRate;
  if (!CodecOf(packet.payloadType, &codec, &clockRate)) {
    wrongPayloadType_.fetch_add(1, std::memory_order_relaxed);
    return false;
  }
  auto it = sources_.find(packet.ssrc);
  if (it == sources_.end()) {
    if (sources_.size() >= options_.maxSources) {
      sourcesRefused_.fetch_add(1, std::memory_order_relaxed);
      return false;
    }
    auto source = std::make_unique<AudioSource>(packet.ssrc, codec, clockRate, &sourceStats_);
    if (!source->ok()) return false;
    it = sources_.emplace(packet.ssrc, std::move(source)).first;
  }
  int level = -1;
  const uint8_t* value;
  size_t length;
  if (payloadTypes_.audioLevelExtensionId > 0 &&
      packet.GetExtension(static_cast<uint8_t>(payloadTypes_.audioLevelExtensionId), &value, &length))
    level = ParseAudioLevel(value, length);
  it->second->Insert(packet, level, nowNs);
  return true;
}

void AudioChannel::FillRtcpHandlers(RtcpPacket::Handlers* handlers, uint64_t nowNs) {
  handlers->onSenderReport = [this, nowNs](const RtcpSenderReport& sr) {
    auto it = sources_.find(sr.ssrc);
    if (it != sources_.end()) it->second->stream().ReceiveSenderReport(sr.ntpMiddle, nowNs);
  };
}

void AudioChannel::OnTick(uint64_t nowNs) {
  if (nextMixNs_ == 0) nextMixNs_ = nowNs + kFrameNs;
  if (nowNs > nextMixNs_ + kResyncNs) nextMixNs_ = nowNs;  // the thread was held up: skip ahead
  while (nowNs >= nextMixNs_) {
    Mix(nextMixNs_);
    if (sender_) sender_->OnFrameClock(nextMixNs_);
    nextMixNs_ += kFrameNs;
  }
  if (sender_) sender_->OnTick(nowNs);
}

void AudioChannel::Mix(uint64_t tickNs) {
  const uint64_t started = NowNs();
  uint64_t decodeNs = 0;  // jitter buffer and decoding: measured apart from mixing
  constexpr int n = AudioSource::kFrameSamples;
  int32_t sum[n] = {};
  AudioFrameOut frame;
  frame.mixedNs = tickNs;
  frame.sequence = sequence_++;
  ranked_.clear();
  size_t index = 0;
  double jitter = 0, depth = 0, target = 0;
  for (auto it = sources_.begin(); it != sources_.end();) {
    AudioSource* source = it->second.get();
    if (tickNs > source->lastArrivalNs() + kSourceTimeoutNs) {
      dominant_.RemoveSource(source->ssrc());
      dtmf_.erase(source->ssrc());
      it = sources_.erase(it);
      sourcesRemoved_.fetch_add(1, std::memory_order_relaxed);
      continue;
    }
    jitter += source->stream().JitterMs();
    depth += source->depthMs();
    target += source->targetMs();
    int16_t* pcm = scratch_.data() + index * n;
    const uint64_t pullStart = NowNs();
    const bool pulled = source->Pull(pcm, tickNs);
    decodeNs += NowNs() - pullStart;
    if (pulled) {
      for (int i = 0; i < n; ++i) sum[i] += pcm[i];
      const int level = source->lastLevel() >= 0 ? source->lastLevel() : LevelDbov(pcm, n);
      dominant_.AddLevel(source->ssrc(), level);
      ranked_.emplace_back(level, source);
      if (level <= kActiveSpeakerLevel) frame.activeSpeakers.push_back(source->ssrc());
      frame.newestArrivalNs = std::max(frame.newestArrivalNs, source->playedArrivalNs());
      ++index;
    }
    ++it;
  }
  for (auto it = dtmf_.begin(); it != dtmf_.end();)
    it = tickNs > it->second.lastNs + kSourceTimeoutNs ? dtmf_.erase(it) : std::next(it);
  frame.isSilence = ranked_.empty();
  frame.mixed = PooledBuffer::Make(n * sizeof(int16_t));
  int16_t* out = reinterpret_cast<int16_t*>(frame.mixed.data());
  for (int i = 0; i < n; ++i) out[i] = static_cast<int16_t>(std::max(-32768, std::min(32767, sum[i])));  // saturate
  if (options_.maxUnmixed > 0 && !ranked_.empty()) {
    // Loudest first (lowest dBov); each source's buffer as it went into the mix.
    std::vector<std::pair<int, size_t>> order;
    order.reserve(ranked_.size());
    for (size_t i = 0; i < ranked_.size(); ++i) order.emplace_back(ranked_[i].first, i);
    std::stable_sort(order.begin(), order.end());
    for (size_t k = 0; k < order.size() && k < options_.maxUnmixed; ++k) {
      const size_t i = order[k].second;
      AudioFrameOut::Unmixed u{ranked_[i].second->ssrc(), ranked_[i].first, PooledBuffer::Make(n * sizeof(int16_t))};
      std::memcpy(u.pcm.data(), scratch_.data() + i * n, n * sizeof(int16_t));
      frame.unmixed.push_back(std::move(u));
    }
  }
  if (dominant_.Update()) {
    dominantSpeaker_.store(dominant_.current(), std::memory_order_relaxed);
    sink_->OnEvent("dominantSpeakerChanged", "", std::to_string(dominant_.current()));
  }
  const size_t count = sources_.size();
  sourcesActive_.store(count, std::memory_order_relaxed);
  jitterMs_.store(count ? jitter / count : 0, std::memory_order_relaxed);
  depthMs_.store(count ? depth / count : 0, std::memory_order_relaxed);
  targetMs_.store(count ? target / count : 0, std::memory_order_relaxed);
  framesMixed_.fetch_add(1, std::memory_order_relaxed);
  if (frame.isSilence) framesSilence_.fetch_add(1, std::memory_order_relaxed);
  mixUs_.Add((NowNs() - started - decodeNs) / 1000.0);
  sink_->OnAudio(std::move(frame));
}

AudioChannelStats AudioChannel::Stats() const {
  auto r = [](const std::atomic<uint64_t>& v) { return v.load(std::memory_order_relaxed); };
  AudioChannelStats s{};
  s.transport = TransportStats();
  s.framesMixed = r(framesMixed_);
  s.framesSilence = r(framesSilence_);
  s.packetsMalformed = r(packetsMalformed_);
  s.packetsWrongPayloadType = r(wrongPayloadType_);
  s.sourcesRefused = r(sourcesRefused_);
  s.sourcesRemoved = r(sourcesRemoved_);
  s.packets = r(sourceStats_.packets);
  s.late = r(sourceStats_.late);
  s.duplicate = r(sourceStats_.duplicate);
  s.concealed = r(sourceStats_.concealed);
  s.concealedFec = r(sourceStats_.concealedFec);
  s.underruns = r(sourceStats_.underruns);
  s.discarded = r(sourceStats_.discarded);
  s.decodeErrors = r(sourceStats_.decodeErrors);
  s.oversized = r(sourceStats_.oversized);
  s.tones = r(tones_);
  s.sourcesActive = sourcesActive_.load(std::memory_order_relaxed);
  s.jitterMs = jitterMs_.load(std::memory_order_relaxed);
  s.bufferDepthMs = depthMs_.load(std::memory_order_relaxed);
  s.bufferTargetMs = targetMs_.load(std::memory_order_relaxed);
  s.dominantSpeaker = dominantSpeaker_.load(std::memory_order_relaxed);
  s.sending = sender_ != nullptr;
  if (sender_) s.send = sender_->Stats();
  return s;
}

}  // namespace callmedia
