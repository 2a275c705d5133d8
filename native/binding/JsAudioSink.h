// Mixed audio frames to JavaScript: { data, sequence, isSilence, activeSpeakers, unmixed,
// mixedAt, newestPacketAt, deliveredAt }.
#pragma once
#include "audio/AudioChannel.h"
#include "binding/JsQueueSink.h"

namespace callmedia {

class JsAudioSink : public AudioSink, public JsQueueSink<AudioFrameOut> {
 public:
  static JsAudioSink* Create(Napi::Env env, Napi::Function callback, size_t maxQueuedFrames);

  void OnAudio(AudioFrameOut&& frame) override { PushItem(std::move(frame)); }
  void OnEvent(const char* kind, const char* code, const std::string& message) override { PushEvent(kind, code, message); }
  void OnClosed() override { PushClosed(); }

 private:
  explicit JsAudioSink(size_t maxQueued) : JsQueueSink<AudioFrameOut>("audio", maxQueued) {}
  Napi::Value ToJs(Napi::Env env, AudioFrameOut& frame, uint64_t nowNs) override;
};

}  // namespace callmedia
