// JavaScript handle of a native video receiver (used by src/media/VideoSocket.ts).
#pragma once
#include <napi.h>

#include <memory>

#include "binding/JsFrameSink.h"
#include "video/VideoReceiver.h"

namespace callmedia {

class VideoReceiverWrap : public Napi::ObjectWrap<VideoReceiverWrap> {
 public:
  static void Init(Napi::Env env, Napi::Object exports);
  explicit VideoReceiverWrap(const Napi::CallbackInfo& info);

 private:
  Napi::Value LocalPort(const Napi::CallbackInfo& info);
  Napi::Value Stats(const Napi::CallbackInfo& info);
  void RequestKeyFrame(const Napi::CallbackInfo& info);
  void Close(const Napi::CallbackInfo& info);
  void Ref(const Napi::CallbackInfo& info);
  void Unref(const Napi::CallbackInfo& info);

  std::shared_ptr<VideoReceiver> receiver_;
  JsFrameSink* sink_ = nullptr;  // owned by its thread-safe function; unusable after close()
  std::shared_ptr<DeliveryCounters> counters_;
  bool closed_ = false;
};

}  // namespace callmedia
