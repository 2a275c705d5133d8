// One received audio source (one SSRC): an adaptive jitter buffer in front of its decoder.
//
// Packets wait in a ring indexed by sequence number. Every 20 ms the mixer pulls one frame of
// 16 kHz mono: the next packet in sequence is decoded; a packet that is not there in time is
// concealed (Opus FEC from the packet after it when present, else Opus PLC; silence-shaped
// fade for G.711/L16) and counted; if it arrives later it is dropped as late. The buffer's
// target depth follows the measured jitter: an underrun deepens it by a frame, a buffer that
// stays deeper than needed drops a frame to bring latency back down.
#pragma once
#include <opus/opus.h>

#include <atomic>
#include <cstdint>
#include <cstddef>
#include <vector>

#include "rtp/RtpPacket.h"
#include "rtp/RtpStreamRecv.h"

namespace callmedia {

enum class AudioCodec { Opus, Pcmu, Pcma, L16 };

struct AudioSourceStats {
  std::atomic<uint64_t> packets{0}, late{0}, duplicate{0}, concealed{0}, concealedFec{0}, underruns{0};
  std::atomic<uint64_t> discarded{0}, decodeErrors{0}, oversized{0};
};

class AudioSource {
 public:
  static constexpr int kSampleRate = 16000;
  static constexpr int kFrameSamples = 320;  // 20 ms at 16 kHz

  AudioSource(uint32_t ssrc, AudioCodec codec, int clockRate, AudioSourceStats* stats);
  ~AudioSource();
  AudioSource(const AudioSource&) = delete;
  AudioSource& operator=(const AudioSource&) = delete;

  bool ok() const { return codec_ != AudioCodec::Opus || decoder_ != nullptr; }
  uint32_t ssrc() const { return ssrc_; }
  void Insert(const RtpPacket& packet, int audioLevel, uint64_t nowNs);
  // Fills `out` with 20 ms; false when the source has nothing to play (not started or gone quiet).
  bool Pull(int16_t* out, uint64_t nowNs);
  // RFC 6464 level of the packets played in the last Pull (-1 when none carried one).
  int lastLevel() const { return lastLevel_; }
  uint64_t lastArrivalNs() const { return lastArrivalNs_; }
  uint64_t playedArrivalNs() const { return playedArrivalNs_; }
  double depthMs() const;
  // Packets waiting from the next one to play on: never more than the ring holds.
  size_t bufferedPackets() const { return Buffered(); }
  static constexpr size_t kSlots = 128;
  // The longest packet a source can hold: 1500 bytes of G.711 (187.5 ms; Opus stops at 120).
  static constexpr double kMaxPacketMs = 1500 / 8.0;
  double targetMs() const { return targetFrames_ * 20.0; }
  RtpStreamRecv& stream() { return stream_; }

 private:
  struct Slot {
    bool used = false;
    uint16_t seq = 0;
    uint32_t ts = 0;
    int level = -1;
    uint64_t arrivalNs = 0;
    uint16_t size = 0;
    uint8_t data[1500];
  };
  Slot* Get(uint16_t seq);
  bool DecodeInto(const Slot& slot, bool fec);  // appends to pcm_
  void Conceal(uint16_t missingSeq);
  size_t Buffered() const;  // packets waiting from nextSeq_ on

  const uint32_t ssrc_;
  const AudioCodec codec_;
  const int clockRate_;
  AudioSourceStats* stats_;
  OpusDecoder* decoder_ = nullptr;
  RtpStreamRecv stream_;
  std::vector<Slot> slots_;

  bool started_ = false;
  bool havePackets_ = false;
  uint16_t nextSeq_ = 0;
  uint16_t highest_ = 0;
  int targetFrames_ = 1;
  int underrunFrames_ = 0;
  int windowFrames_ = 0;
  size_t minWaiting_ = SIZE_MAX;  // fewest packets waiting after a pull, this window
  int samplesPerPacket_ = kFrameSamples;
  int16_t last8k_ = 0;
  int lastLevel_ = -1;
  uint64_t lastArrivalNs_ = 0;
  uint64_t playedArrivalNs_ = 0;
  // Decoded samples not played yet (a packet may hold more than 20 ms).
  std::vector<int16_t> pcm_;
  size_t pcmStart_ = 0;
};

}  // namespace callmedia
