// Events only (a forwarder's 'subscription' and 'keyFrameRequested', 'closed'): no frames go up.
#pragma once
#include "binding/JsQueueSink.h"
#include "net/ChannelContext.h"

namespace callmedia {

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

}  // namespace callmedia
