#include "audio/AudioSource.h"

#include <algorithm>
#include <cstring>

#include "audio/G711.h"
#include "rtp/SeqManager.h"

namespace callmedia {

namespace {
constexpr int kMaxTargetFrames = 10;   // 200 ms
constexpr int kMaxConcealedUnderrun = 5;  // 100 ms of concealment before a source counts as gone
constexpr int kDeepFramesBeforeDrop = 50;  // 1 s deeper than needed, then drop one frame
}  // namespace

AudioSource::AudioSource(uint32_t ssrc, AudioCodec codec, int clockRate, AudioSourceStats* stats)
    : ssrc_(ssrc), codec_(codec), clockRate_(clockRate), stats_(stats), stream_(clockRate), slots_(kSlots) {
  if (codec == AudioCodec::Opus) {
    int error = 0;
    decoder_ = opus_decoder_create(kSampleRate, 1, &error);  // Opus decodes straight to 16 kHz
    if (error != OPUS_OK) decoder_ = nullptr;
  }
  pcm_.reserve(8192);
}

AudioSource::~AudioSource() {
  if (decoder_) opus_decoder_destroy(decoder_);
}

AudioSource::Slot* AudioSource::Get(uint16_t seq) {
  Slot& s = slots_[seq % kSlots];
  return (s.used && s.seq == seq) ? &s : nullptr;
}

void AudioSource::Insert(const RtpPacket& packet, int audioLevel, uint64_t nowNs) {
  stream_.ReceivePacket(packet, nowNs);
  lastArrivalNs_ = nowNs;
  const uint16_t seq = packet.sequenceNumber;
  if (packet.payloadSize == 0 || packet.payloadSize > sizeof(Slot::data)) {
    stats_->oversized.fetch_add(1, std::memory_order_relaxed);  // more than one MTU: not a packet we sent for
    return;
  }
  if (started_ && SeqManager::Diff(seq, nextSeq_) < 0) {
    stats_->late.fetch_add(1, std::memory_order_relaxed);  // its moment has passed: it was concealed
    return;
  }
  // Too far from what is buffered to share the ring with it (the sender jumped, before or
  // after playout started): start over from this packet, so the buffer never counts more
  // than it holds.
  const bool farAhead = static_cast<size_t>(SeqManager::Diff(seq, nextSeq_)) >= kSlots && SeqManager::Diff(seq, nextSeq_) > 0;
  const bool farBehind = !started_ && static_cast<size_t>(SeqManager::Diff(highest_, seq)) >= kSlots &&
                         SeqManager::Diff(highest_, seq) > 0;
  if (havePackets_ && (farAhead || farBehind)) {
    for (auto& s : slots_) {
      if (s.used) stats_->discarded.fetch_add(1, std::memory_order_relaxed);
      s.used = false;
    }
    started_ = false;
    havePackets_ = false;
  }
  Slot& slot = slots_[seq % kSlots];
  if (slot.used && slot.seq == seq) {
    stats_->duplicate.fetch_add(1, std::memory_order_relaxed);
    return;
  }
  slot.used = true;
  slot.seq = seq;
  slot.ts = packet.timestamp;
  slot.level = audioLevel;
  slot.arrivalNs = nowNs;
  slot.size = static_cast<uint16_t>(packet.payloadSize);
  std::memcpy(slot.data, packet.payload, packet.payloadSize);
  stats_->packets.fetch_add(1, std::memory_order_relaxed);
  if (!havePackets_) {
    havePackets_ = true;
    highest_ = seq;
    if (!started_) nextSeq_ = seq;
  } else if (SeqManager::IsNewer(seq, highest_)) {
    highest_ = seq;
  }
  if (!started_ && SeqManager::IsNewer(nextSeq_, seq)) nextSeq_ = seq;  // an earlier packet arrived first
}

size_t AudioSource::Buffered() const {
  if (!havePackets_) return 0;
  const int32_t d = SeqManager::Diff(highest_, nextSeq_);
  return d < 0 ? 0 : static_cast<size_t>(d) + 1;
}

double AudioSource::depthMs() const {
  return Buffered() * (samplesPerPacket_ * 1000.0 / kSampleRate) +
         (pcm_.size() - pcmStart_) * 1000.0 / kSampleRate;
}

bool AudioSource::DecodeInto(const Slot& slot, bool fec) {
  const size_t before = pcm_.size();
  switch (codec_) {
    case AudioCodec::Opus: {
      int frameSize = fec ? samplesPerPacket_ : 5760 / 3;  // up to 120 ms at 16 kHz
      pcm_.resize(before + frameSize);
      const int n = opus_decode(decoder_, slot.data, slot.size, pcm_.data() + before, frameSize, fec ? 1 : 0);
      if (n < 0) {
        pcm_.resize(before);
        stats_->decodeErrors.fetch_add(1, std::memory_order_relaxed);
        return false;
      }
      pcm_.resize(before + n);
      if (!fec) samplesPerPacket_ = n;
      return true;
    }
    case AudioCodec::Pcmu:
    case AudioCodec::Pcma: {
      int16_t narrow[1500];
      for (size_t i = 0; i < slot.size; ++i)
        narrow[i] = codec_ == AudioCodec::Pcmu ? MulawToLinear(slot.data[i]) : AlawToLinear(slot.data[i]);
      pcm_.resize(before + 2 * slot.size);
      Upsample2x(narrow, slot.size, pcm_.data() + before, &last8k_);
      samplesPerPacket_ = 2 * slot.size;
      return true;
    }
    case AudioCodec::L16: {
      const size_t samples = slot.size / 2;
      int16_t decoded[750];
      for (size_t i = 0; i < samples; ++i) decoded[i] = static_cast<int16_t>((slot.data[2 * i] << 8) | slot.data[2 * i + 1]);
      if (clockRate_ == 8000) {
        pcm_.resize(before + 2 * samples);
        Upsample2x(decoded, samples, pcm_.data() + before, &last8k_);
      } else if (clockRate_ == 48000) {
        for (size_t i = 0; i + 2 < samples; i += 3) pcm_.push_back(static_cast<int16_t>((decoded[i] + decoded[i + 1] + decoded[i + 2]) / 3));
      } else {
        pcm_.insert(pcm_.end(), decoded, decoded + samples);
      }
      samplesPerPacket_ = static_cast<int>(pcm_.size() - before);
      return true;
    }
  }
  return false;
}

void AudioSource::Conceal(uint16_t missingSeq) {
  if (codec_ == AudioCodec::Opus) {
    // Opus carries a low-bitrate copy of a packet in the next one (in-band FEC) when the
    // sender enables it; otherwise packet loss concealment extrapolates.
    const Slot* next = Get(static_cast<uint16_t>(missingSeq + 1));
    if (next && DecodeInto(*next, true)) {
      stats_->concealedFec.fetch_add(1, std::memory_order_relaxed);
      return;
    }
    const size_t before = pcm_.size();
    pcm_.resize(before + samplesPerPacket_);
    const int n = opus_decode(decoder_, nullptr, 0, pcm_.data() + before, samplesPerPacket_, 0);
    pcm_.resize(before + std::max(0, n));
    return;
  }
  // G.711 / L16: repeat nothing, fade to silence (no codec state to extrapolate from).
  pcm_.resize(pcm_.size() + samplesPerPacket_, 0);
}

bool AudioSource::Pull(int16_t* out, uint64_t nowNs) {
  (void)nowNs;
  lastLevel_ = -1;
  if (!started_) {
    // Buffer up to the target before playing.
    if (Buffered() < static_cast<size_t>(targetFrames_)) return false;
    started_ = true;
    underrunFrames_ = 0;
  }
  int levels = 0, levelSum = 0;
  while (pcm_.size() - pcmStart_ < static_cast<size_t>(kFrameSamples)) {
    Slot* slot = Get(nextSeq_);
    if (slot) {
      if (!DecodeInto(*slot, false)) Conceal(nextSeq_);
      if (slot->level >= 0) { levelSum += slot->level; ++levels; }
      playedArrivalNs_ = slot->arrivalNs;
      slot->used = false;
      underrunFrames_ = 0;
    } else if (Buffered() > 0 && SeqManager::IsNewer(highest_, nextSeq_)) {
      stats_->concealed.fetch_add(1, std::memory_order_relaxed);  // lost, or later than we can wait
      Conceal(nextSeq_);
    } else {
      // Nothing buffered: the network is late (or the source stopped).
      stats_->underruns.fetch_add(1, std::memory_order_relaxed);
      if (++underrunFrames_ > kMaxConcealedUnderrun) {
        started_ = false;
        havePackets_ = false;
        pcm_.clear();
        pcmStart_ = 0;
        return false;
      }
      targetFrames_ = std::min(kMaxTargetFrames, targetFrames_ + 1);
      stats_->concealed.fetch_add(1, std::memory_order_relaxed);
      // Conceal this frame, and wait for the packet we expected: do not skip it.
      const size_t before = pcm_.size();
      if (codec_ == AudioCodec::Opus) {
        pcm_.resize(before + kFrameSamples);
        const int n = opus_decode(decoder_, nullptr, 0, pcm_.data() + before, kFrameSamples, 0);
        pcm_.resize(before + std::max(0, n));
      } else {
        pcm_.resize(before + kFrameSamples, 0);
      }
      break;
    }
    ++nextSeq_;
  }
  const size_t available = pcm_.size() - pcmStart_;
  const size_t n = std::min(available, static_cast<size_t>(kFrameSamples));
  std::memcpy(out, pcm_.data() + pcmStart_, n * sizeof(int16_t));
  if (n < static_cast<size_t>(kFrameSamples)) std::memset(out + n, 0, (kFrameSamples - n) * sizeof(int16_t));
  pcmStart_ += n;
  if (pcmStart_ == pcm_.size()) {
    pcm_.clear();
    pcmStart_ = 0;
  }
  lastLevel_ = levels ? levelSum / levels : -1;

  // Latency control: if for a whole second there was always a packet waiting beyond the one
  // just played, the buffer is a frame deeper than the network needs: shed one packet, so
  // latency goes back down after a burst of jitter has passed.
  minWaiting_ = std::min(minWaiting_, Buffered());
  if (++windowFrames_ >= kDeepFramesBeforeDrop) {
    if (minWaiting_ >= 1 && underrunFrames_ == 0) {
      if (Slot* drop = Get(nextSeq_)) drop->used = false;
      ++nextSeq_;
      stats_->discarded.fetch_add(1, std::memory_order_relaxed);
      if (targetFrames_ > 1) --targetFrames_;
    }
    windowFrames_ = 0;
    minWaiting_ = SIZE_MAX;
  }
  return true;
}

}  // namespace callmedia
