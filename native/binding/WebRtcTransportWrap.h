// JavaScript handle of a media session's WebRTC transport (used by src/media). Channels of the
// session take it as their `transport` option; state changes come to its callback as
// 'state' items ({ state, code, reason }), then 'closed'.
#pragma once
#include <napi.h>

#include <memory>

#include "binding/JsQueueSink.h"
#include "net/WebRtcTransport.h"

namespace callmedia {

struct TransportStateEvent {
  TransportState state;
  std::string code, reason;
};

class JsTransportSink : public TransportSink, public JsQueueSink<TransportStateEvent> {
 public:
  static JsTransportSink* Create(Napi::Env env, Napi::Function callback) {
    auto* sink = new JsTransportSink();
    Bind(sink, env, callback);
    return sink;
  }
  void OnTransportState(TransportState state, const char* code, const std::string& reason) override {
    PushItem(TransportStateEvent{state, code, reason});
  }
  void OnTransportClosed() override { PushClosed(); }

 private:
  JsTransportSink() : JsQueueSink<TransportStateEvent>("state", 64) {}
  Napi::Value ToJs(Napi::Env env, TransportStateEvent& e, uint64_t) override;
};

class WebRtcTransportWrap : public Napi::ObjectWrap<WebRtcTransportWrap> {
 public:
  static void Init(Napi::Env env, Napi::Object exports);
  explicit WebRtcTransportWrap(const Napi::CallbackInfo& info);
  ~WebRtcTransportWrap() override;

  // The transport of a handle passed from JavaScript, or null when it is not one (or closed).
  static std::shared_ptr<WebRtcTransport> From(Napi::Env env, const Napi::Value& value);

 private:
  Napi::Value LocalParameters(const Napi::CallbackInfo& info);
  void SetRemote(const Napi::CallbackInfo& info);
  Napi::Value Stats(const Napi::CallbackInfo& info);
  void Close(const Napi::CallbackInfo& info);
  void Ref(const Napi::CallbackInfo& info);
  void Unref(const Napi::CallbackInfo& info);

  std::shared_ptr<WebRtcTransport> transport_;
  JsTransportSink* sink_ = nullptr;  // owned by its thread-safe function
  bool closed_ = false;
};

}  // namespace callmedia
