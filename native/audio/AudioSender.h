// The send half of an audio channel: 20 ms frames of 16 kHz mono PCM from bot code, Opus
// encoded and sent as RTP (RFC 7587, 48 kHz clock) on the engine's own 20 ms clock. A frame
// that is late or missing is filled with silence so the far end hears no stutter; DTMF tones
// go out as RFC 4733 telephone events.
#pragma once
#include <opus/opus.h>

#include <atomic>
#include <cstdint>
#include <deque>
#include <mutex>
#include <string>

#include "common/BufferPool.h"
#include "rtp/RtcpPacket.h"
#include "net/ChannelContext.h"

namespace callmedia {

struct AudioSenderOptions {
  int payloadType = 111;
  int telephoneEventPayloadType = 101;
  int bitrate = 32000;
  size_t maxQueue = 16;  // 320 ms of frames waiting; the oldest drops first
};

struct AudioSenderStats {
  uint64_t framesIn, framesDroppedQueue, framesFilled, framesSent, packetsSent, bytesSent, tonesSent, senderReportsSent;
  uint32_t ssrc;
  size_t queued;
};

class AudioSender {
 public:
  static constexpr size_t kFrameBytes = 640;

  AudioSender(const AudioSenderOptions& options, ChannelContext* context);
  ~AudioSender();
  bool Init(std::string* error);

  // Node thread.
  bool Queue(const uint8_t* pcm, size_t size, std::string* error);
  bool QueueTone(char tone, int durationMs, std::string* error);

  // Media thread: the payload types the session negotiated.
  void SetPayloadTypes(int audio, int telephoneEvent) {
    payloadType_ = audio;
    telephoneEventPayloadType_ = telephoneEvent;
  }
  // Media thread: called every 20 ms by the channel's clock.
  void OnFrameClock(uint64_t nowNs);
  void OnTick(uint64_t nowNs);  // sender reports
  AudioSenderStats Stats() const;

 private:
  void SendRtp(const uint8_t* payload, size_t size, int payloadType, bool marker, uint32_t timestamp);
  void SendToneStep();

  const AudioSenderOptions options_;
  ChannelContext* context_;
  int payloadType_;
  int telephoneEventPayloadType_;
  OpusEncoder* encoder_ = nullptr;
  const uint32_t ssrc_;
  uint16_t seq_;
  uint32_t timestamp_;
  bool started_ = false;
  uint64_t lastReportNs_ = 0;

  mutable std::mutex mutex_;
  std::deque<PooledBuffer> queue_;
  struct Tone { uint8_t event; int durationMs; };
  std::deque<Tone> tones_;

  // Tone in progress (media thread).
  bool toneActive_ = false;
  Tone tone_{};
  uint32_t toneTimestamp_ = 0;
  int toneElapsedMs_ = 0;
  int toneEndsSent_ = 0;

  uint8_t packet_[1500];
  std::atomic<uint64_t> framesIn_{0}, framesDroppedQueue_{0}, framesFilled_{0}, framesSent_{0};
  std::atomic<uint64_t> packetsSent_{0}, bytesSent_{0}, tonesSent_{0}, reportsSent_{0};
};

}  // namespace callmedia
