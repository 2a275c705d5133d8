// JavaScript handle of a forwarding port of the local service (used by src/service media).
#pragma once
#include <napi.h>

#include <memory>

#include "binding/ChannelTransport.h"
#include "binding/JsForwarderSink.h"
#include "sfu/ForwarderChannel.h"

namespace callmedia {

class ForwarderWrap : public Napi::ObjectWrap<ForwarderWrap> {
 public:
  static void Init(Napi::Env env, Napi::Object exports);
  explicit ForwarderWrap(const Napi::CallbackInfo& info);

 private:
  Napi::Value LocalPort(const Napi::CallbackInfo& info);
  Napi::Value Stats(const Napi::CallbackInfo& info);
  void AddTarget(const Napi::CallbackInfo& info);
  void RemoveTarget(const Napi::CallbackInfo& info);
  void RequestKeyFrame(const Napi::CallbackInfo& info);
  void Announce(const Napi::CallbackInfo& info);
  void SetRoute(const Napi::CallbackInfo& info);
  void AddConsumer(const Napi::CallbackInfo& info);
  void RemoveConsumer(const Napi::CallbackInfo& info);
  void SetStreamIdExtension(const Napi::CallbackInfo& info);
  void SetPayloadTypes(const Napi::CallbackInfo& info);
  void SetSourceId(const Napi::CallbackInfo& info);
  static bool ReadPayloadTypes(Napi::Env env, Napi::Array list, const char* method, PayloadTypeMap* map);
  // The channel of a Forwarder handle passed from JavaScript (null when it is not one, or closed).
  static std::shared_ptr<ForwarderChannel> ChannelOf(Napi::Env env, const Napi::Value& value);
  void Close(const Napi::CallbackInfo& info);
  void Unref(const Napi::CallbackInfo& info);

  std::shared_ptr<ForwarderChannel> channel_;
  ChannelTransport transport_;
  JsForwarderSink* sink_ = nullptr;
  bool closed_ = false;
};

}  // namespace callmedia
