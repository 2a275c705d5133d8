// JavaScript handle of a native video channel (used by src/media/VideoSocket.ts).
#pragma once
#include <napi.h>

#include <memory>

#include "binding/ChannelTransport.h"
#include "binding/JsFrameSink.h"
#include "video/VideoChannel.h"

namespace callmedia {

void SetTransportStats(Napi::Env env, Napi::Object& o, const RtpChannelStats& t);

class VideoChannelWrap : public Napi::ObjectWrap<VideoChannelWrap> {
 public:
  static void Init(Napi::Env env, Napi::Object exports);
  explicit VideoChannelWrap(const Napi::CallbackInfo& info);

 private:
  Napi::Value LocalPort(const Napi::CallbackInfo& info);
  Napi::Value Stats(const Napi::CallbackInfo& info);
  void SetRemote(const Napi::CallbackInfo& info);
  void SendFrame(const Napi::CallbackInfo& info);
  void SendAccessUnit(const Napi::CallbackInfo& info);
  void RequestKeyFrame(const Napi::CallbackInfo& info);
  void SetShedding(const Napi::CallbackInfo& info);
  void Subscribe(const Napi::CallbackInfo& info);
  void SetRtpParameters(const Napi::CallbackInfo& info);
  void Close(const Napi::CallbackInfo& info);
  void Ref(const Napi::CallbackInfo& info);
  void Unref(const Napi::CallbackInfo& info);
  bool CheckSending(Napi::Env env);
  static Napi::Object SendStats(Napi::Env env, const VideoSenderStats& stats);

  std::shared_ptr<VideoChannel> channel_;
  ChannelTransport transport_;
  JsFrameSink* sink_ = nullptr;  // owned by its thread-safe function; unusable after close()
  std::shared_ptr<DeliveryCounters> counters_;
  bool closed_ = false;
};

}  // namespace callmedia
