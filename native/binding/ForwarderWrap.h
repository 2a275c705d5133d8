// JavaScript handle of a forwarding port of the local service (used by src/service media).
#pragma once
#include <napi.h>

#include <memory>

#include "binding/JsQueueSink.h"
#include "sfu/ForwarderChannel.h"

namespace callmedia {

// Events only ('subscription', 'keyFrameRequested', 'closed'): a forwarder hands no frames up.
class JsEventSink : public ChannelSink, public JsQueueSink<int> {
 public:
  static JsEventSink* Create(Napi::Env env, Napi::Function callback) {
    auto* sink = new JsEventSink();
    Bind(sink, env, callback);
    return sink;
  }
  void OnEvent(const char* kind, const char* code, const std::string& message) override { PushEvent(kind, code, message); }
  void OnClosed() override { PushClosed(); }

 private:
  JsEventSink() : JsQueueSink<int>("items", 1) {}
  Napi::Value ToJs(Napi::Env env, int&, uint64_t) override { return env.Undefined(); }
};

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
  void Close(const Napi::CallbackInfo& info);
  void Unref(const Napi::CallbackInfo& info);

  std::shared_ptr<ForwarderChannel> channel_;
  JsEventSink* sink_ = nullptr;
  bool closed_ = false;
};

}  // namespace callmedia
