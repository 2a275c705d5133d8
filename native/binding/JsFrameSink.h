// Video frames to JavaScript: { data, format, width, height, timestamp, ssrc, keyFrame, stamps }.
#pragma once
#include "binding/JsQueueSink.h"
#include "net/ChannelContext.h"
#include "video/VideoReceiver.h"

namespace callmedia {

class JsFrameSink : public VideoSink, public JsQueueSink<DeliveredFrame> {
 public:
  static JsFrameSink* Create(Napi::Env env, Napi::Function callback, size_t maxQueuedFrames);

  void OnFrame(DeliveredFrame&& frame) override { PushItem(std::move(frame)); }
  void OnEvent(const char* kind, const char* code, const std::string& message) override { PushEvent(kind, code, message); }
  void OnClosed() override { PushClosed(); }

 private:
  explicit JsFrameSink(size_t maxQueued) : JsQueueSink<DeliveredFrame>("frames", maxQueued) {}
  Napi::Value ToJs(Napi::Env env, DeliveredFrame& frame, uint64_t nowNs) override;
};

}  // namespace callmedia
