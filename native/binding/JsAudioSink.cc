#include "binding/JsAudioSink.h"

namespace callmedia {

JsAudioSink* JsAudioSink::Create(Napi::Env env, Napi::Function callback, size_t maxQueuedFrames) {
  auto* sink = new JsAudioSink(maxQueuedFrames);
  Bind(sink, env, callback);
  return sink;
}

Napi::Value JsAudioSink::ToJs(Napi::Env env, AudioFrameOut& f, uint64_t nowNs) {
  Napi::Object o = Napi::Object::New(env);
  o.Set("data", PooledToJs(env, f.mixed));
  o.Set("sequence", static_cast<double>(f.sequence));
  o.Set("isSilence", f.isSilence);
  Napi::Array speakers = Napi::Array::New(env, f.activeSpeakers.size());
  for (uint32_t i = 0; i < f.activeSpeakers.size(); ++i) speakers[i] = f.activeSpeakers[i];
  o.Set("activeSpeakers", speakers);
  Napi::Array unmixed = Napi::Array::New(env, f.unmixed.size());
  for (uint32_t i = 0; i < f.unmixed.size(); ++i) {
    Napi::Object u = Napi::Object::New(env);
    u.Set("sourceId", f.unmixed[i].source);
    u.Set("level", f.unmixed[i].level);
    u.Set("data", PooledToJs(env, f.unmixed[i].pcm));
    unmixed[i] = u;
  }
  o.Set("unmixed", unmixed);
  o.Set("mixedAt", f.mixedNs / 1e6);
  o.Set("newestPacketAt", f.newestArrivalNs / 1e6);
  o.Set("deliveredAt", nowNs / 1e6);
  return o;
}

}  // namespace callmedia
