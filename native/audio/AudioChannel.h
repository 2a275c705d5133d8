// An audio channel: many received sources (one per SSRC) mixed every 20 ms on the engine's own
// clock into one 16 kHz mono frame, with the loudest sources unmixed beside it, the dominant
// speaker tracked, DTMF decoded; and, when configured, a send half.
#pragma once
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include "audio/AudioSender.h"
#include "audio/AudioSource.h"
#include "audio/DominantSpeaker.h"
#include "audio/DtmfReceiver.h"
#include "common/SampleRing.h"
#include "net/RtpChannel.h"

namespace callmedia {

struct AudioPayloadTypes {
  int opus = 111;
  int pcmu = 0;
  int pcma = 8;
  int l16 = -1;  // dynamic, none by default
  int l16Rate = 16000;
  int telephoneEvent = 101;
  int telephoneEventRate = 48000;  // 8000 beside G.711
  int audioLevelExtensionId = 1;  // RFC 6464
};

struct AudioChannelOptions {
  RtpChannelOptions channel;
  AudioPayloadTypes payloadTypes;
  size_t maxUnmixed = 0;  // 0..4 loudest sources delivered unmixed with each frame
  size_t maxSources = 64;
  bool send = false;
  AudioSenderOptions sendOptions;
};

// What one 20 ms tick hands to JavaScript.
struct AudioFrameOut {
  PooledBuffer mixed;
  uint64_t mixedNs = 0;            // the tick
  uint64_t newestArrivalNs = 0;    // arrival of the newest packet played in it (0: none)
  uint64_t sequence = 0;           // frame count since start: timestamp = sequence * 20 ms
  bool isSilence = true;
  std::vector<uint32_t> activeSpeakers;
  struct Unmixed { uint32_t source; int level; PooledBuffer pcm; };
  std::vector<Unmixed> unmixed;
};

class AudioSink : public ChannelSink {
 public:
  virtual void OnAudio(AudioFrameOut&& frame) = 0;
};

struct AudioChannelStats {
  RtpChannelStats transport;
  uint64_t framesMixed, framesSilence, packetsMalformed, packetsWrongPayloadType, sourcesRefused, sourcesRemoved;
  uint64_t packets, late, duplicate, concealed, concealedFec, underruns, discarded, decodeErrors, oversized, tones;
  size_t sourcesActive;
  double jitterMs, bufferDepthMs, bufferTargetMs;
  uint32_t dominantSpeaker;
  bool sending;
  AudioSenderStats send;
};

class AudioChannel : public RtpChannel {
 public:
  static std::shared_ptr<AudioChannel> Create(const AudioChannelOptions& options, std::shared_ptr<Transport> transport,
                                              TransportCloser closeTransport, AudioSink* sink, std::string* error);

  AudioSender* sender() { return sender_.get(); }
  // Node thread, posted: the payload types (and the sending ones) the session negotiated.
  void SetPayloadTypes(const AudioPayloadTypes& types, int sendPayloadType, int sendTelephoneEventPayloadType);
  AudioChannelStats Stats() const;
  const SampleRing& mixTimes() const { return mixUs_; }

 private:
  AudioChannel(const AudioChannelOptions& options, std::shared_ptr<Transport> transport, TransportCloser closeTransport,
               AudioSink* sink);
  bool OnRtpPacket(const uint8_t* data, size_t size, const RtpPacket& packet, uint64_t nowNs) override;
  void OnMalformedRtp() override { packetsMalformed_.fetch_add(1, std::memory_order_relaxed); }
  void FillRtcpHandlers(RtcpPacket::Handlers* handlers, uint64_t nowNs) override;
  void OnTick(uint64_t nowNs) override;
  void Finish(std::function<void()> done) override { done(); }
  void Mix(uint64_t nowNs);
  bool CodecOf(int payloadType, AudioCodec* codec, int* clockRate) const;

  const AudioChannelOptions options_;
  AudioSink* sink_;
  std::unique_ptr<AudioSender> sender_;

  // Media thread.
  AudioPayloadTypes payloadTypes_;
  std::unordered_map<uint32_t, std::unique_ptr<AudioSource>> sources_;
  // Per SSRC that sends telephone events, with when it last did: a source that sends only
  // events (no audio) is forgotten once silent, as audio sources are.
  struct DtmfSource {
    DtmfReceiver receiver;
    uint64_t lastNs;
  };
  std::unordered_map<uint32_t, DtmfSource> dtmf_;
  DominantSpeaker dominant_;
  uint64_t nextMixNs_ = 0;
  uint64_t sequence_ = 0;
  std::vector<int16_t> scratch_;
  std::vector<std::pair<int, AudioSource*>> ranked_;

  AudioSourceStats sourceStats_;
  SampleRing mixUs_;  // mixing, level, unmixed copies and speaker tracking; not decoding
  std::atomic<uint64_t> framesMixed_{0}, framesSilence_{0}, packetsMalformed_{0}, wrongPayloadType_{0};
  std::atomic<uint64_t> sourcesRefused_{0}, sourcesRemoved_{0}, tones_{0};
  std::atomic<uint32_t> dominantSpeaker_{0};
  std::atomic<size_t> sourcesActive_{0};
  std::atomic<double> jitterMs_{0}, depthMs_{0}, targetMs_{0};
};

}  // namespace callmedia
