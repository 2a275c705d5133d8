#include "binding/JsFrameSink.h"

#include "common/BufferPool.h"
#include "common/Clock.h"

namespace callmedia {

uint64_t SinkNowNs() { return NowNs(); }

Napi::Buffer<uint8_t> PooledToJs(Napi::Env env, PooledBuffer& buffer) {
  const size_t size = buffer.size();
  const size_t capacity = buffer.capacity();
  uint8_t* data = buffer.Detach();
  return Napi::Buffer<uint8_t>::New(env, data, size, [capacity](Napi::Env, uint8_t* p) {
    BufferPool::Instance().Release(p, capacity);
  });
}

JsFrameSink* JsFrameSink::Create(Napi::Env env, Napi::Function callback, size_t maxQueuedFrames) {
  auto* sink = new JsFrameSink(maxQueuedFrames);
  Bind(sink, env, callback);
  return sink;
}

Napi::Value JsFrameSink::ToJs(Napi::Env env, DeliveredFrame& f, uint64_t nowNs) {
  f.stamps[kDelivered] = nowNs;
  Napi::Object o = Napi::Object::New(env);
  o.Set("data", PooledToJs(env, f.buffer));
  o.Set("format", static_cast<int>(f.format));
  o.Set("width", f.width);
  o.Set("height", f.height);
  o.Set("timestamp", f.timestamp);
  o.Set("ssrc", f.ssrc);
  o.Set("keyFrame", f.keyFrame);
  Napi::Float64Array stamps = Napi::Float64Array::New(env, kStampCount);
  for (int s = 0; s < kStampCount; ++s) stamps[s] = static_cast<double>(f.stamps[s]) / 1e6;  // ms
  o.Set("stamps", stamps);
  return o;
}

}  // namespace callmedia
