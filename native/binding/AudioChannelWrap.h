// JavaScript handle of a native audio channel (used by src/media/AudioSocket.ts).
#pragma once
#include <napi.h>

#include <memory>

#include "audio/AudioChannel.h"
#include "binding/ChannelTransport.h"
#include "binding/JsAudioSink.h"

namespace callmedia {

class AudioChannelWrap : public Napi::ObjectWrap<AudioChannelWrap> {
 public:
  static void Init(Napi::Env env, Napi::Object exports);
  explicit AudioChannelWrap(const Napi::CallbackInfo& info);

 private:
  Napi::Value LocalPort(const Napi::CallbackInfo& info);
  Napi::Value Stats(const Napi::CallbackInfo& info);
  void SetRemote(const Napi::CallbackInfo& info);
  void Send(const Napi::CallbackInfo& info);
  void SendTone(const Napi::CallbackInfo& info);
  void SetRtpParameters(const Napi::CallbackInfo& info);
  void Close(const Napi::CallbackInfo& info);
  void Ref(const Napi::CallbackInfo& info);
  void Unref(const Napi::CallbackInfo& info);
  bool CheckSending(Napi::Env env);

  std::shared_ptr<AudioChannel> channel_;
  ChannelTransport transport_;
  JsAudioSink* sink_ = nullptr;  // owned by its thread-safe function; unusable after close()
  std::shared_ptr<DeliveryCounters> counters_;
  bool closed_ = false;
};

}  // namespace callmedia
