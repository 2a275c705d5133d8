#include "audio/AudioSource.h"

#include <opus/opus.h>

#include <algorithm>
#include <cmath>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "audio/Signals.h"
#include "check.h"
#include "rtp/RtpBytes.h"
#include "rtp/RtpPacket.h"

using callmedia::AudioCodec;
using callmedia::AudioSource;
using callmedia::AudioSourceStats;
using callmedia::RtpPacket;
using testrtp::BuildRtp;
using testrtp::ExactBuffer;
using testrtp::RtpSpec;
using Bytes = std::vector<uint8_t>;

namespace {

constexpr uint64_t kMs = 1000000;
constexpr uint64_t kT0 = 5000 * kMs;
constexpr uint32_t kSsrc = 0xA0D10000;
constexpr int kN = AudioSource::kFrameSamples;  // 20 ms at 16 kHz
constexpr double kToneHz = 1000;                // on a bin centre of a 320-sample block
constexpr double kToneAmplitude = 8000;

// 20 ms Opus packets of a sine, at a 48 kHz RTP clock (960 per packet).
class OpusTone {
 public:
  OpusTone(int rate, bool fec) : rate_(rate) {
    int error = 0;
    encoder_ = opus_encoder_create(rate, 1, OPUS_APPLICATION_VOIP, &error);
    if (error != OPUS_OK) encoder_ = nullptr;
    if (encoder_ && fec) {
      opus_encoder_ctl(encoder_, OPUS_SET_INBAND_FEC(1));
      opus_encoder_ctl(encoder_, OPUS_SET_PACKET_LOSS_PERC(20));
    }
  }
  ~OpusTone() {
    if (encoder_) opus_encoder_destroy(encoder_);
  }
  OpusTone(const OpusTone&) = delete;
  OpusTone& operator=(const OpusTone&) = delete;

  bool ok() const { return encoder_ != nullptr; }

  Bytes Next() {
    const size_t n = static_cast<size_t>(rate_ / 50);
    const std::vector<int16_t> pcm = testaudio::Sine(kToneHz, kToneAmplitude, rate_, n, offset_);
    offset_ += n;
    uint8_t out[1500];
    const int bytes = opus_encode(encoder_, pcm.data(), static_cast<int>(n), out, sizeof(out));
    if (bytes <= 0) return {};
    return Bytes(out, out + bytes);
  }

 private:
  int rate_;
  OpusEncoder* encoder_ = nullptr;
  size_t offset_ = 0;
};

Bytes Rtp(uint16_t seq, uint32_t ts, const Bytes& payload, uint8_t pt = 111) {
  RtpSpec spec;
  spec.payloadType = pt;
  spec.seq = seq;
  spec.timestamp = ts;
  spec.ssrc = kSsrc;
  spec.payload = payload;
  return BuildRtp(spec);
}

// Through the real parser, from an exact-size copy.
void Insert(AudioSource& s, const Bytes& packet, uint64_t nowNs, int level = -1) {
  ExactBuffer buf(packet);
  RtpPacket p;
  if (!RtpPacket::Parse(buf.data(), buf.size(), &p)) {
    CHECK_MSG(false, "test packet does not parse");
    return;
  }
  s.Insert(p, level, nowNs);
}

// Pulls into a block of exactly one frame, so a write past it is an ASan error.
struct Frame {
  bool played = false;
  std::vector<int16_t> pcm;
};
Frame Pull(AudioSource& s, uint64_t nowNs) {
  std::unique_ptr<int16_t[]> out(new int16_t[kN]);
  Frame f;
  f.played = s.Pull(out.get(), nowNs);
  if (f.played) f.pcm.assign(out.get(), out.get() + kN);
  return f;
}

bool HasTone(const Frame& f, double minAmplitude = kToneAmplitude * 0.5) {
  if (!f.played) return false;
  return testaudio::ToneAmplitude(f.pcm.data(), kN, kToneHz, AudioSource::kSampleRate) >= minAmplitude &&
         testaudio::TonePurity(f.pcm.data(), kN, kToneHz, AudioSource::kSampleRate) >= 0.9;
}

std::string Describe(const Frame& f) {
  if (!f.played) return "not played";
  return "tone " + std::to_string(testaudio::ToneAmplitude(f.pcm.data(), kN, kToneHz, AudioSource::kSampleRate)) +
         " purity " + std::to_string(testaudio::TonePurity(f.pcm.data(), kN, kToneHz, AudioSource::kSampleRate)) +
         " rms " + std::to_string(testaudio::Rms(f.pcm.data(), kN));
}

// A live Opus stream pulled every 20 ms (frame k at At(k)); each packet arrives a little ahead
// of its turn (packet k + 1 at Arrival(k + 1), just before frame k is pulled).
struct OpusRun {
  explicit OpusRun(int encoderRate = 48000, bool fec = false, uint16_t firstSeq = 100)
      : tone(encoderRate, fec), source(kSsrc, AudioCodec::Opus, 48000, &stats), firstSeq(firstSeq) {}
  OpusTone tone;
  AudioSourceStats stats;
  AudioSource source;
  uint16_t firstSeq;
  std::vector<Bytes> packets;

  void Encode(size_t count) {
    while (packets.size() < count)
      packets.push_back(Rtp(static_cast<uint16_t>(firstSeq + packets.size()),
                            static_cast<uint32_t>(960 * packets.size()), tone.Next()));
  }
  static uint64_t At(size_t k) { return kT0 + k * 20 * kMs; }
  static uint64_t Arrival(size_t packet) { return At(packet) - 30 * kMs; }
};

}  // namespace

TEST(AudioSource_ExtraDepthIsShed) {
  // A packet always waiting beyond the one played is 20 ms of latency nobody needs: after a
  // second of that, one packet is shed.
  OpusRun run;
  REQUIRE(run.tone.ok());
  run.Encode(120);
  Insert(run.source, run.packets[0], OpusRun::Arrival(0), 40);
  size_t played = 0;
  for (size_t k = 0; k < 110; ++k) {
    Insert(run.source, run.packets[k + 1], OpusRun::Arrival(k + 1), 40);
    if (Pull(run.source, OpusRun::At(k)).played) ++played;
  }
  CHECK_EQ(played, 110u);
  CHECK(run.stats.discarded.load() >= 1u);
  CHECK_EQ(run.stats.concealed.load(), 0u);
}

TEST(AudioSource_OpusToneComesOut) {
  for (int encoderRate : {48000, 16000}) {
    OpusRun run(encoderRate);
    REQUIRE(run.tone.ok());
    REQUIRE(run.source.ok());
    run.Encode(60);
    Frame f = Pull(run.source, OpusRun::Arrival(0) - kMs);
    CHECK(!f.played);  // nothing received yet
    // Each packet arrives before its tick, none waits longer than needed: all are played.
    for (size_t k = 0; k < 60; ++k) {
      Insert(run.source, run.packets[k], OpusRun::Arrival(k), 40);
      f = Pull(run.source, OpusRun::At(k));
      REQUIRE(f.played);
      CHECK_EQ(run.source.playedArrivalNs(), OpusRun::Arrival(k));
      CHECK_EQ(run.source.lastLevel(), 40);
      // The codec's delay and ramp-up take the first frames.
      if (k >= 4) CHECK_MSG(HasTone(f), "frame " + std::to_string(k) + ": " + Describe(f));
    }
    CHECK_EQ(run.stats.packets.load(), 60u);
    CHECK_EQ(run.stats.concealed.load(), 0u);
    CHECK_EQ(run.stats.concealedFec.load(), 0u);
    CHECK_EQ(run.stats.late.load(), 0u);
    CHECK_EQ(run.stats.duplicate.load(), 0u);
    CHECK_EQ(run.stats.decodeErrors.load(), 0u);
    CHECK_EQ(run.stats.discarded.load(), 0u);
  }
}

TEST(AudioSource_OpusLostPacketIsConcealedInStep) {
  for (bool fec : {true, false}) {
    OpusRun run(48000, fec);
    REQUIRE(run.tone.ok());
    run.Encode(60);
    const size_t lost = 30;
    Insert(run.source, run.packets[0], OpusRun::Arrival(0));
    for (size_t k = 0; k < 60; ++k) {
      if (k + 1 < 60 && k + 1 != lost) Insert(run.source, run.packets[k + 1], OpusRun::Arrival(k + 1));
      const uint64_t concealedBefore = run.stats.concealed.load();
      const Frame f = Pull(run.source, OpusRun::At(k));
      REQUIRE(f.played);
      if (k == lost) {
        CHECK_EQ(run.stats.concealed.load(), concealedBefore + 1);
        if (fec) CHECK_EQ(run.stats.concealedFec.load(), 1u);
        // The concealed frame carries on with the tone (FEC copy or extrapolation).
        CHECK_MSG(HasTone(f, kToneAmplitude * 0.3), Describe(f));
        // The lost packet turning up now has missed its moment.
        Insert(run.source, run.packets[lost], OpusRun::At(k) + kMs);
        CHECK_EQ(run.stats.late.load(), 1u);
      } else {
        CHECK_EQ(run.stats.concealed.load(), concealedBefore);
        // Still in step: frame k is packet k, not one behind.
        CHECK_EQ(run.source.playedArrivalNs(), OpusRun::Arrival(k));
        if (k >= 4) CHECK_MSG(HasTone(f), "frame " + std::to_string(k) + ": " + Describe(f));
      }
    }
    CHECK_EQ(run.stats.concealed.load(), 1u);
    CHECK_EQ(run.stats.late.load(), 1u);
    CHECK_EQ(run.stats.underruns.load(), 0u);
    CHECK_EQ(run.stats.packets.load(), 59u);
  }
}

TEST(AudioSource_OpusLateBurstIsConcealedThenCaughtUp) {
  // Two packets in a row do not come in time: the frames keep coming, 20 ms each.
  OpusRun run;
  REQUIRE(run.tone.ok());
  run.Encode(80);
  Insert(run.source, run.packets[0], OpusRun::Arrival(0));
  size_t played = 0, toneAfter = 0;
  for (size_t k = 0; k < 80; ++k) {
    if (k + 1 < 80 && k + 1 != 40 && k + 1 != 41) Insert(run.source, run.packets[k + 1], OpusRun::Arrival(k + 1));
    const Frame f = Pull(run.source, OpusRun::At(k));
    if (f.played) ++played;
    if (k >= 46 && HasTone(f)) ++toneAfter;
    // Extrapolated while the packets are missing, not silence.
    if (k >= 40 && k <= 42)
      CHECK_MSG(f.played && testaudio::Rms(f.pcm.data(), kN) > 1000, "frame " + std::to_string(k) + ": " + Describe(f));
  }
  CHECK_EQ(played, 80u);
  CHECK(run.stats.concealed.load() >= 2);
  CHECK(run.stats.concealed.load() <= 3);
  CHECK_EQ(toneAfter, 80u - 46u);  // playback resumed with the tone
  CHECK_EQ(run.stats.decodeErrors.load(), 0u);
}

TEST(AudioSource_DuplicatePacketsAreCounted) {
  OpusRun run;
  REQUIRE(run.tone.ok());
  run.Encode(20);
  Insert(run.source, run.packets[0], OpusRun::Arrival(0));
  for (size_t k = 0; k < 20; ++k) {
    if (k + 1 < 20) {
      Insert(run.source, run.packets[k + 1], OpusRun::Arrival(k + 1));
      if (k % 5 == 0) Insert(run.source, run.packets[k + 1], OpusRun::Arrival(k + 1) + kMs);
    }
    REQUIRE(Pull(run.source, OpusRun::At(k)).played);
    // The copy of the packet that arrived first is the one played.
    CHECK_EQ(run.source.playedArrivalNs(), OpusRun::Arrival(k));
  }
  CHECK_EQ(run.stats.duplicate.load(), 4u);
  CHECK_EQ(run.stats.packets.load(), 20u);
  CHECK_EQ(run.stats.late.load(), 0u);
  CHECK_EQ(run.stats.concealed.load(), 0u);
  // A copy of a packet already played is late, not a duplicate.
  Insert(run.source, run.packets[10], OpusRun::At(20));
  CHECK_EQ(run.stats.late.load(), 1u);
  CHECK_EQ(run.stats.duplicate.load(), 4u);
}

TEST(AudioSource_UnderrunConcealsAFewFramesThenStops) {
  OpusRun run;
  REQUIRE(run.tone.ok());
  run.Encode(60);
  Insert(run.source, run.packets[0], OpusRun::Arrival(0));
  size_t k = 0;
  for (; k < 30; ++k) {
    if (k + 1 < 30) Insert(run.source, run.packets[k + 1], OpusRun::Arrival(k + 1));
    REQUIRE(Pull(run.source, OpusRun::At(k)).played);
  }
  // The sender stops after packet 29.
  const uint64_t concealedBefore = run.stats.concealed.load();
  size_t concealedFrames = 0;
  for (; k < 60; ++k) {
    const Frame f = Pull(run.source, OpusRun::At(k));
    if (!f.played) break;
    ++concealedFrames;
  }
  CHECK_MSG(concealedFrames >= 1 && concealedFrames <= 5, std::to_string(concealedFrames) + " concealed frames");
  CHECK_EQ(run.stats.concealed.load() - concealedBefore, concealedFrames);
  CHECK(run.stats.underruns.load() >= concealedFrames);
  // Gone quiet: it stays so while nothing comes.
  for (int i = 0; i < 10; ++i) CHECK(!Pull(run.source, OpusRun::At(++k)).played);

  // The sender comes back (what it sent meanwhile lost): playback starts again from there,
  // with the tone, without concealing what was lost while the source was gone.
  const uint64_t concealedWhileGone = run.stats.concealed.load();
  size_t resumed = 0;
  bool toneBack = false;
  for (size_t p = 35; p < 60; ++p) {
    ++k;
    Insert(run.source, run.packets[p], OpusRun::At(k) - 10 * kMs);
    const Frame f = Pull(run.source, OpusRun::At(k));
    if (f.played && !resumed) resumed = p;
    if (f.played && resumed && p >= resumed + 3 && HasTone(f)) toneBack = true;
  }
  CHECK(resumed != 0);
  CHECK(resumed <= 35 + 11);  // the buffer target is at most 200 ms
  CHECK(toneBack);
  CHECK_EQ(run.stats.concealed.load(), concealedWhileGone);
}

TEST(AudioSource_PcmuAndPcmaDecodeEverySample) {
  for (AudioCodec codec : {AudioCodec::Pcmu, AudioCodec::Pcma}) {
    AudioSourceStats stats;
    AudioSource source(kSsrc, codec, 8000, &stats);
    REQUIRE(source.ok());
    // Two 20 ms packets (160 codes at 8 kHz) holding every code value.
    Bytes first(160), second(160);
    for (size_t i = 0; i < 160; ++i) {
      first[i] = static_cast<uint8_t>(i);
      second[i] = static_cast<uint8_t>(160 + i % 96);
    }
    const uint8_t pt = codec == AudioCodec::Pcmu ? 0 : 8;
    Insert(source, Rtp(7, 0, first, pt), kT0);
    Insert(source, Rtp(8, 160, second, pt), kT0 + 20 * kMs);
    auto linear = [codec](uint8_t c) {
      return codec == AudioCodec::Pcmu ? testaudio::MulawReference(c) : testaudio::AlawReference(c);
    };
    int previous = 0;
    for (const Bytes* payload : {&first, &second}) {
      const Frame f = Pull(source, kT0 + 20 * kMs);
      REQUIRE(f.played);
      size_t wrong = 0;
      std::string firstWrong;
      for (size_t i = 0; i < 160; ++i) {
        const int sample = linear((*payload)[i]);
        const int mid = (previous + sample) / 2;  // 8 -> 16 kHz: the midpoint, then the sample
        if (f.pcm[2 * i] != mid || f.pcm[2 * i + 1] != sample) {
          if (wrong++ == 0)
            firstWrong = "code " + std::to_string((*payload)[i]) + ": " + std::to_string(f.pcm[2 * i]) + " " +
                         std::to_string(f.pcm[2 * i + 1]) + " != " + std::to_string(mid) + " " + std::to_string(sample);
        }
        previous = sample;
      }
      CHECK_MSG(wrong == 0, firstWrong);
    }
    CHECK_EQ(stats.packets.load(), 2u);
    CHECK_EQ(stats.concealed.load(), 0u);
  }
}

TEST(AudioSource_PcmuLossIsSilenceAndKeepsStep) {
  AudioSourceStats stats;
  AudioSource source(kSsrc, AudioCodec::Pcmu, 8000, &stats);
  const Bytes loud(160, 0x80);  // +32124 throughout
  for (uint16_t s = 0; s < 5; ++s)
    if (s != 2) Insert(source, Rtp(s, s * 160u, loud, 0), kT0);
  for (int k = 0; k < 5; ++k) {
    const Frame f = Pull(source, kT0 + k * 20 * kMs);
    REQUIRE(f.played);
    const double rms = testaudio::Rms(f.pcm.data(), kN);
    if (k == 2) CHECK_MSG(rms == 0, "concealed frame rms " + std::to_string(rms));
    else if (k > 0) CHECK_MSG(rms > 30000, "frame " + std::to_string(k) + " rms " + std::to_string(rms));
  }
  CHECK_EQ(stats.concealed.load(), 1u);
}

TEST(AudioSource_ReorderedPacketsPlayInOrder) {
  // Each packet's samples tell which one is playing: PCMU code 0x80 + k decodes to a distinct
  // positive value for every k < 16.
  AudioSourceStats stats;
  AudioSource source(kSsrc, AudioCodec::Pcmu, 8000, &stats);
  auto packet = [](uint16_t k) { return Rtp(static_cast<uint16_t>(65530 + k), 160u * k, Bytes(160, static_cast<uint8_t>(0x80 + k)), 0); };
  auto playing = [](const Frame& f) {
    for (int k = 0; k < 16; ++k)
      if (f.played && f.pcm[kN - 1] == testaudio::MulawReference(static_cast<uint8_t>(0x80 + k))) return k;
    return -1;
  };
  // Before playback starts: the later packet first, across the sequence wrap.
  Insert(source, packet(1), kT0);
  Insert(source, packet(0), kT0 + kMs);
  // Then pairs swapped while playing.
  const int order[] = {3, 2, 5, 4, 7, 6, 9, 8};
  std::vector<int> got;
  got.push_back(playing(Pull(source, kT0 + 2 * kMs)));
  for (size_t i = 0; i < 8; i += 2) {
    Insert(source, packet(static_cast<uint16_t>(order[i])), kT0 + (i + 3) * kMs);
    Insert(source, packet(static_cast<uint16_t>(order[i + 1])), kT0 + (i + 4) * kMs);
    got.push_back(playing(Pull(source, kT0 + (i + 5) * kMs)));
    got.push_back(playing(Pull(source, kT0 + (i + 6) * kMs)));
  }
  got.push_back(playing(Pull(source, kT0 + 20 * kMs)));
  const std::vector<int> want = {0, 1, 2, 3, 4, 5, 6, 7, 8, 9};
  CHECK(got == want);
  CHECK_EQ(stats.concealed.load(), 0u);
  CHECK_EQ(stats.late.load(), 0u);
}

TEST(AudioSource_L16DecodesAtEveryClockRate) {
  std::mt19937 rng(16);
  // 16 kHz: sample for sample. 8 kHz: upsampled. 48 kHz: averaged in threes. 10 ms packets
  // (20 ms of 48 kHz L16 would not fit a datagram), so two of them make one frame.
  for (int rate : {16000, 8000, 48000}) {
    AudioSourceStats stats;
    AudioSource source(kSsrc, AudioCodec::L16, rate, &stats);
    REQUIRE(source.ok());
    const size_t perPacket = static_cast<size_t>(rate / 100);
    std::vector<int16_t> pcm(2 * perPacket);
    for (auto& s : pcm) s = static_cast<int16_t>(rng());
    pcm[0] = -32768;
    pcm[1] = 32767;
    for (size_t p = 0; p < 2; ++p) {
      Bytes payload;
      for (size_t i = p * perPacket; i < (p + 1) * perPacket; ++i) {
        payload.push_back(static_cast<uint8_t>(static_cast<uint16_t>(pcm[i]) >> 8));  // network order
        payload.push_back(static_cast<uint8_t>(pcm[i]));
      }
      Insert(source, Rtp(static_cast<uint16_t>(1 + p), static_cast<uint32_t>(p * perPacket), payload, 97), kT0);
    }
    const Frame f = Pull(source, kT0);
    REQUIRE(f.played);
    std::vector<int16_t> want(kN);
    for (size_t i = 0; i < static_cast<size_t>(kN); ++i) {
      if (rate == 16000) want[i] = pcm[i];
      if (rate == 8000) want[i] = i % 2 ? pcm[i / 2] : static_cast<int16_t>(((i ? pcm[i / 2 - 1] : 0) + pcm[i / 2]) / 2);
      if (rate == 48000) want[i] = static_cast<int16_t>((pcm[3 * i] + pcm[3 * i + 1] + pcm[3 * i + 2]) / 3);
    }
    CHECK_MSG(f.pcm == want, "rate " + std::to_string(rate));
    CHECK_EQ(stats.packets.load(), 2u);
    CHECK_EQ(stats.concealed.load(), 0u);
  }
}

TEST(AudioSource_SequenceJumpRestartsPlayback) {
  // A sender that restarts its numbering far ahead (more than the buffer holds) must be played
  // from its new packets on, not concealed until the old numbering catches up.
  AudioSourceStats stats;
  AudioSource source(kSsrc, AudioCodec::Pcmu, 8000, &stats);
  const Bytes before(160, 0x90), after(160, 0xA0);
  const int16_t afterSample = static_cast<int16_t>(testaudio::MulawReference(0xA0));
  uint64_t now = kT0;
  Insert(source, Rtp(1000, 0, before, 0), now - 20 * kMs);
  for (uint16_t k = 0; k < 20; ++k) {
    Insert(source, Rtp(static_cast<uint16_t>(1001 + k), 160u * (k + 1), before, 0), now - 10 * kMs);
    REQUIRE(Pull(source, now).played);
    now += 20 * kMs;
  }
  const uint64_t concealedBefore = stats.concealed.load();
  int firstNew = -1, framesNew = 0;
  for (uint16_t k = 0; k < 60; ++k) {
    Insert(source, Rtp(static_cast<uint16_t>(5000 + k), 900000u + 160u * k, after, 0), now - 10 * kMs);
    const Frame f = Pull(source, now);
    if (f.played && f.pcm[kN - 1] == afterSample) {
      if (firstNew < 0) firstNew = k;
      ++framesNew;
    }
    now += 20 * kMs;
  }
  CHECK_MSG(firstNew >= 0 && firstNew <= 3, "new packets first played at frame " + std::to_string(firstNew));
  CHECK_MSG(framesNew >= 55, std::to_string(framesNew) + " of 60 frames from the new packets");
  CHECK(stats.concealed.load() - concealedBefore <= 3);
}

TEST(AudioSource_FuzzInsertAndPullNeverCrash) {
  std::mt19937 rng(4733);
  // Real Opus packets to mutate.
  std::vector<Bytes> opus;
  {
    OpusTone tone(48000, true);
    REQUIRE(tone.ok());
    for (int i = 0; i < 50; ++i) opus.push_back(tone.Next());
  }
  struct Config {
    AudioCodec codec;
    int rate;
  };
  const Config configs[] = {{AudioCodec::Opus, 48000}, {AudioCodec::Pcmu, 8000}, {AudioCodec::Pcma, 8000},
                            {AudioCodec::L16, 8000},   {AudioCodec::L16, 16000}, {AudioCodec::L16, 48000},
                            {AudioCodec::L16, 44100}};
  size_t pulls = 0, played = 0;
  for (const Config& config : configs) {
    AudioSourceStats stats;
    AudioSource source(kSsrc, config.codec, config.rate, &stats);
    REQUIRE(source.ok());
    uint64_t now = kT0;
    uint16_t base = static_cast<uint16_t>(rng());
    const int iterations = config.codec == AudioCodec::Opus ? 30000 : 15000;
    for (int iter = 0; iter < iterations; ++iter) {
      const uint32_t op = rng() % 10;
      if (op < 6) {
        Bytes payload;
        const uint32_t kind = rng() % 6;
        if (kind < 3) {
          payload = opus[rng() % opus.size()];
          if (kind < 2) {
            const int flips = 1 + static_cast<int>(rng() % 4);
            for (int i = 0; i < flips; ++i) payload[rng() % payload.size()] = static_cast<uint8_t>(rng());
          }
          if (rng() % 8 == 0) payload.resize(rng() % (payload.size() + 1));
        } else if (kind < 5) {
          payload.resize(rng() % 1600);  // some beyond a datagram's worth
          for (auto& b : payload) b = static_cast<uint8_t>(rng());
        } else {
          payload.resize(rng() % 8);
          for (auto& b : payload) b = static_cast<uint8_t>(rng());
        }
        const uint32_t pick = rng() % 50;
        uint16_t seq;
        if (pick == 0) seq = static_cast<uint16_t>(rng());                          // anywhere
        else if (pick < 4) seq = static_cast<uint16_t>(base - 1 - rng() % 300);     // behind
        else seq = static_cast<uint16_t>(base + rng() % 12);                        // around the front
        if (rng() % 3 == 0) ++base;
        Insert(source, Rtp(seq, static_cast<uint32_t>(rng()), payload), now, static_cast<int>(rng() % 130) - 1);
      } else {
        const int count = 1 + static_cast<int>(rng() % 3);
        for (int i = 0; i < count; ++i) {
          const Frame f = Pull(source, now);
          ++pulls;
          if (f.played) ++played;
          now += 20 * kMs;
        }
      }
      now += rng() % (5 * kMs);
      const double depth = source.depthMs();
      if (!(depth >= 0 && depth < 1e7)) {
        CHECK_MSG(false, "depth " + std::to_string(depth));
        break;
      }
      CHECK(source.lastLevel() >= -1 && source.lastLevel() <= 128);
    }
  }
  // The run must have played a fair share, or it proves little.
  CHECK(played > pulls / 4);
}

TEST(AudioSource_FarAheadBeforePlayoutStartsOver) {
  // Before playout starts, a second packet thirty thousand numbers ahead must not count as
  // ten minutes buffered in a ring of 128: the buffer starts over from it, and plays it.
  AudioSourceStats stats;
  AudioSource source(kSsrc, AudioCodec::Pcmu, 8000, &stats);
  const Bytes first(160, 0x90), later(160, 0xA0);
  const int16_t laterSample = static_cast<int16_t>(testaudio::MulawReference(0xA0));
  uint64_t now = kT0;
  Insert(source, Rtp(1000, 0, first, 0), now);
  Insert(source, Rtp(31000, 4800000, later, 0), now);
  CHECK_MSG(source.depthMs() <= 20.0 * 128, std::to_string(source.depthMs()) + " ms buffered (the ring holds 128 packets)");
  CHECK_EQ(stats.discarded.load(), 1u);
  int played = 0, concealed = 0;
  for (uint16_t k = 1; k <= 40; ++k) {
    Insert(source, Rtp(static_cast<uint16_t>(31000 + k), 4800000u + 160u * k, later, 0), now);
    const Frame f = Pull(source, now);
    if (f.played && f.pcm[kN - 1] == laterSample) ++played;
    now += 20 * kMs;
  }
  concealed = static_cast<int>(stats.concealed.load());
  CHECK_MSG(played >= 35, std::to_string(played) + " of 40 frames played from the new numbering");
  CHECK_MSG(concealed <= 2, std::to_string(concealed) + " frames concealed");
  // The same far jump backwards before playout (a late first packet of another numbering).
  AudioSourceStats stats2;
  AudioSource source2(kSsrc, AudioCodec::Pcmu, 8000, &stats2);
  Insert(source2, Rtp(31000, 0, first, 0), now);
  Insert(source2, Rtp(1000, 160, later, 0), now);
  CHECK(source2.depthMs() <= 20.0 * 128);
}
