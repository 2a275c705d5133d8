// A forwarder's events, typed, up to JavaScript: subscriptions and key-frame requests as
// objects with numbers (no frames go up). A bounded drop-oldest queue, counted like the others.
#pragma once
#include "binding/JsQueueSink.h"
#include "net/ChannelContext.h"
#include "sfu/ForwarderChannel.h"

namespace callmedia {

struct ForwarderEvent {
  enum class Type { Subscription, KeyFrameRequested } type;
  uint32_t sourceId, width, height;  // a subscription
  uint32_t mediaSsrc;                // a key-frame request
};

class JsForwarderSink : public ChannelSink, public ForwarderListener, public JsQueueSink<ForwarderEvent> {
 public:
  static JsForwarderSink* Create(Napi::Env env, Napi::Function callback) {
    auto* sink = new JsForwarderSink();
    Bind(sink, env, callback);
    return sink;
  }
  void OnEvent(const char* kind, const char* code, const std::string& message) override { PushEvent(kind, code, message); }
  void OnClosed() override { PushClosed(); }
  void OnSubscription(uint32_t sourceId, uint32_t width, uint32_t height) override {
    PushItem(ForwarderEvent{ForwarderEvent::Type::Subscription, sourceId, width, height, 0});
  }
  void OnKeyFrameRequested(uint32_t mediaSsrc) override {
    PushItem(ForwarderEvent{ForwarderEvent::Type::KeyFrameRequested, 0, 0, 0, mediaSsrc});
  }

 private:
  // Subscriptions come one per socket change, key-frame requests a few a second: 64 is room
  // for a burst from ten sockets.
  JsForwarderSink() : JsQueueSink<ForwarderEvent>("events", 64) {}
  Napi::Value ToJs(Napi::Env env, ForwarderEvent& e, uint64_t) override {
    Napi::Object o = Napi::Object::New(env);
    if (e.type == ForwarderEvent::Type::Subscription) {
      o.Set("type", "subscription");
      o.Set("sourceId", Napi::Number::New(env, e.sourceId));
      o.Set("width", Napi::Number::New(env, e.width));
      o.Set("height", Napi::Number::New(env, e.height));
    } else {
      o.Set("type", "keyFrameRequested");
      o.Set("mediaSsrc", Napi::Number::New(env, e.mediaSsrc));
    }
    return o;
  }
};

}  // namespace callmedia
