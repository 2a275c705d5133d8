#include "binding/VideoReceiverWrap.h"

#include "binding/Errors.h"

namespace callmedia {

void VideoReceiverWrap::Init(Napi::Env env, Napi::Object exports) {
  Napi::Function ctor = DefineClass(env, "VideoReceiver", {
      InstanceMethod("localPort", &VideoReceiverWrap::LocalPort),
      InstanceMethod("stats", &VideoReceiverWrap::Stats),
      InstanceMethod("requestKeyFrame", &VideoReceiverWrap::RequestKeyFrame),
      InstanceMethod("close", &VideoReceiverWrap::Close),
      InstanceMethod("ref", &VideoReceiverWrap::Ref),
      InstanceMethod("unref", &VideoReceiverWrap::Unref),
  });
  exports.Set("VideoReceiver", ctor);
}

// new VideoReceiver({ address, port, format, payloadType, reorderWindowMs, maxQueuedFrames, maxDecodeQueue }, callback)
VideoReceiverWrap::VideoReceiverWrap(const Napi::CallbackInfo& info) : Napi::ObjectWrap<VideoReceiverWrap>(info) {
  Napi::Env env = info.Env();
  if (info.Length() < 2 || !info[0].IsObject() || !info[1].IsFunction()) {
    ThrowCodedError(env, "INVALID_ARGUMENT", "VideoReceiver(options, callback)");
    return;
  }
  Napi::Object o = info[0].As<Napi::Object>();
  VideoReceiverOptions options;
  options.address = OptString(o, "address", "127.0.0.1");
  options.port = OptInt(o, "port", 0);
  options.format = static_cast<PixelFormat>(OptInt(o, "format", 0));
  options.payloadType = OptInt(o, "payloadType", -1);
  options.reorderWindowMs = static_cast<uint64_t>(OptInt(o, "reorderWindowMs", 50));
  options.maxDecodeQueue = static_cast<size_t>(OptInt(o, "maxDecodeQueue", 6));
  const size_t maxQueued = static_cast<size_t>(OptInt(o, "maxQueuedFrames", 4));
  if (options.port < 0 || options.port > 65535 || static_cast<int>(options.format) < 0 ||
      static_cast<int>(options.format) > static_cast<int>(PixelFormat::H264) || maxQueued < 1 ||
      options.maxDecodeQueue < 1) {
    ThrowCodedError(env, "INVALID_ARGUMENT", "VideoReceiver: option out of range");
    return;
  }
  sink_ = JsFrameSink::Create(env, info[1].As<Napi::Function>(), maxQueued);
  counters_ = sink_->counters();
  std::string error;
  receiver_ = VideoReceiver::Create(options, sink_, &error);
  if (!receiver_) {
    sink_->Abandon();  // releases the thread-safe function, which deletes the sink
    sink_ = nullptr;
    closed_ = true;
    ThrowCodedError(env, "BIND_FAILED", error);
  }
}

Napi::Value VideoReceiverWrap::LocalPort(const Napi::CallbackInfo& info) {
  return Napi::Number::New(info.Env(), receiver_ ? receiver_->localPort() : 0);
}

Napi::Value VideoReceiverWrap::Stats(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Napi::Object o = Napi::Object::New(env);
  if (!receiver_) return o;
  const VideoReceiverStats s = receiver_->Stats();
  auto set = [&](const char* k, double v) { o.Set(k, Napi::Number::New(env, v)); };
  set("datagrams", s.datagrams);
  set("bytes", s.bytes);
  set("packetsMalformed", s.packetsMalformed);
  set("packetsWrongPayloadType", s.packetsWrongPayloadType);
  set("packetsOtherSsrc", s.packetsOtherSsrc);
  set("rtpPackets", s.rtpPackets);
  set("packetsLost", s.packetsLost);
  set("packetsLate", s.packetsLate);
  set("packetsDuplicate", s.packetsDuplicate);
  set("packetsDiscarded", s.packetsDiscarded);
  set("rtcpPackets", s.rtcpPackets);
  set("pliSent", s.pliSent);
  set("firSent", s.firSent);
  set("receiverReportsSent", s.receiverReportsSent);
  set("framesAssembled", s.framesAssembled);
  set("framesIncomplete", s.framesIncomplete);
  set("framesMalformed", s.framesMalformed);
  set("framesWaitingKeyFrame", s.framesWaitingKeyFrame);
  set("framesDroppedDecodeQueue", s.framesDroppedDecodeQueue);
  set("framesDecoded", s.framesDecoded);
  set("decodeErrors", s.decodeErrors);
  set("jitterMs", s.jitterMs);
  set("ssrc", s.ssrc);
  set("framesDelivered", counters_->delivered.load(std::memory_order_relaxed));
  set("framesDroppedDelivery", counters_->dropped.load(std::memory_order_relaxed));
  return o;
}

void VideoReceiverWrap::RequestKeyFrame(const Napi::CallbackInfo&) {
  if (receiver_ && !closed_) receiver_->RequestKeyFrame();
}

void VideoReceiverWrap::Close(const Napi::CallbackInfo&) {
  if (closed_) return;
  closed_ = true;
  sink_ = nullptr;  // deleted once its thread-safe function drains
  receiver_->Close();
}

void VideoReceiverWrap::Ref(const Napi::CallbackInfo& info) {
  if (sink_ && !closed_) sink_->Ref(info.Env());
}

void VideoReceiverWrap::Unref(const Napi::CallbackInfo& info) {
  if (sink_ && !closed_) sink_->Unref(info.Env());
}

}  // namespace callmedia
