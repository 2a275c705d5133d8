#include "binding/ForwarderWrap.h"

#include "binding/AddonData.h"
#include "binding/Errors.h"
#include "binding/VideoChannelWrap.h"

namespace callmedia {

void ForwarderWrap::Init(Napi::Env env, Napi::Object exports) {
  Napi::Function ctor = DefineClass(env, "Forwarder", {
      InstanceMethod("localPort", &ForwarderWrap::LocalPort),
      InstanceMethod("stats", &ForwarderWrap::Stats),
      InstanceMethod("addTarget", &ForwarderWrap::AddTarget),
      InstanceMethod("removeTarget", &ForwarderWrap::RemoveTarget),
      InstanceMethod("requestKeyFrame", &ForwarderWrap::RequestKeyFrame),
      InstanceMethod("announce", &ForwarderWrap::Announce),
      InstanceMethod("setRoute", &ForwarderWrap::SetRoute),
      InstanceMethod("addConsumer", &ForwarderWrap::AddConsumer),
      InstanceMethod("removeConsumer", &ForwarderWrap::RemoveConsumer),
      InstanceMethod("setStreamIdExtension", &ForwarderWrap::SetStreamIdExtension),
      InstanceMethod("setPayloadTypes", &ForwarderWrap::SetPayloadTypes),
      InstanceMethod("setSourceId", &ForwarderWrap::SetSourceId),
      InstanceMethod("close", &ForwarderWrap::Close),
      InstanceMethod("unref", &ForwarderWrap::Unref),
  });
  AddonData::Of(env)->forwarder = Napi::Persistent(ctor);
  exports.Set("Forwarder", ctor);
}

// new Forwarder({ address, port, video, rewrite, transport?, route? }, callback)
ForwarderWrap::ForwarderWrap(const Napi::CallbackInfo& info) : Napi::ObjectWrap<ForwarderWrap>(info) {
  Napi::Env env = info.Env();
  if (info.Length() < 2 || !info[0].IsObject() || !info[1].IsFunction()) {
    ThrowCodedError(env, "INVALID_ARGUMENT", "Forwarder(options, callback)");
    return;
  }
  Napi::Object o = info[0].As<Napi::Object>();
  ForwarderOptions options;
  options.channel.route = ReadRoute(o.Get("route"));
  options.channel.tickMs = 100;
  options.video = o.Get("video").ToBoolean();
  options.rewrite = o.Get("rewrite").ToBoolean();
  if (!OpenChannelTransport(env, o, &transport_)) {
    closed_ = true;
    return;
  }
  sink_ = JsForwarderSink::Create(env, info[1].As<Napi::Function>());
  std::string error;
  channel_ = ForwarderChannel::Create(options, transport_.transport, transport_.closer, sink_, sink_, &error);
  if (!channel_) {
    sink_->Abandon();
    sink_ = nullptr;
    closed_ = true;
    transport_.Abandon();
    ThrowCodedError(env, "INVALID_ARGUMENT", error);
  }
}

Napi::Value ForwarderWrap::LocalPort(const Napi::CallbackInfo& info) {
  return Napi::Number::New(info.Env(), transport_.localPort());
}

Napi::Value ForwarderWrap::Stats(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Napi::Object o = Napi::Object::New(env);
  if (!channel_) return o;
  const ForwarderStats s = channel_->Stats();
  SetTransportStats(env, o, s.transport);
  o.Set("packetsIn", Napi::Number::New(env, s.packetsIn));
  o.Set("bytesIn", Napi::Number::New(env, static_cast<double>(s.bytesIn)));
  o.Set("packetsForwarded", Napi::Number::New(env, s.packetsForwarded));
  o.Set("packetsGated", Napi::Number::New(env, s.packetsGated));
  o.Set("packetsConsumed", Napi::Number::New(env, s.packetsConsumed));
  o.Set("ssrc", Napi::Number::New(env, s.ssrc));
  o.Set("targets", Napi::Number::New(env, static_cast<double>(s.targets)));
  o.Set("lastSsrc", Napi::Number::New(env, s.lastSsrc));
  o.Set("packetsOtherLayer", Napi::Number::New(env, s.packetsOtherLayer));
  o.Set("packetsNoCodec", Napi::Number::New(env, s.packetsNoCodec));
  Napi::Array streams = Napi::Array::New(env, s.streams.size());
  for (size_t i = 0; i < s.streams.size(); ++i) {
    Napi::Object l = Napi::Object::New(env);
    l.Set("rid", Napi::String::New(env, s.streams[i].rid));
    l.Set("ssrc", Napi::Number::New(env, s.streams[i].ssrc));
    l.Set("packets", Napi::Number::New(env, static_cast<double>(s.streams[i].packets)));
    streams.Set(static_cast<uint32_t>(i), l);
  }
  o.Set("streams", streams);
  return o;
}

// addTarget(address, port, layer?, payloadTypes?): payloadTypes as for setPayloadTypes, the
// numbers the plain port expects.
void ForwarderWrap::AddTarget(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() < 2 || !info[0].IsString() || !info[1].IsNumber()) {
    ThrowCodedError(env, "INVALID_ARGUMENT", "addTarget(address, port, layer?, payloadTypes?)");
    return;
  }
  PayloadTypeMap receives;
  if (info.Length() >= 4 && info[3].IsArray() && !ReadPayloadTypes(env, info[3].As<Napi::Array>(), "addTarget", &receives)) return;
  if (closed_) return;
  std::string error;
  const std::string layer = info.Length() >= 3 && info[2].IsString() ? info[2].As<Napi::String>().Utf8Value() : "";
  channel_->AddTarget(info[0].As<Napi::String>().Utf8Value(), info[1].As<Napi::Number>().Int32Value(), layer, receives, &error);
  if (!error.empty()) ThrowCodedError(env, "INVALID_ARGUMENT", error);
}

void ForwarderWrap::RemoveTarget(const Napi::CallbackInfo& info) {
  if (closed_ || info.Length() < 2 || !info[0].IsString() || !info[1].IsNumber()) return;
  channel_->RemoveTarget(info[0].As<Napi::String>().Utf8Value(), info[1].As<Napi::Number>().Int32Value());
}

void ForwarderWrap::RequestKeyFrame(const Napi::CallbackInfo&) {
  if (!closed_) channel_->RequestKeyFrame();
}

void ForwarderWrap::Announce(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() < 2 || !info[0].IsString() || !info[1].IsNumber()) {
    ThrowCodedError(env, "INVALID_ARGUMENT", "announce(address, port)");
    return;
  }
  if (closed_ || !transport_.plain) return;
  std::string error;
  if (!transport_.plain->Announce(info[0].As<Napi::String>().Utf8Value(), info[1].As<Napi::Number>().Int32Value(), &error))
    ThrowCodedError(env, "INVALID_ARGUMENT", error);
}

void ForwarderWrap::SetRoute(const Napi::CallbackInfo& info) {
  if (!closed_ && info.Length() >= 1) channel_->SetRoute(ReadRoute(info[0]));
}

std::shared_ptr<ForwarderChannel> ForwarderWrap::ChannelOf(Napi::Env env, const Napi::Value& value) {
  if (!value.IsObject() || !value.As<Napi::Object>().InstanceOf(AddonData::Of(env)->forwarder.Value())) return nullptr;
  ForwarderWrap* wrap = Unwrap(value.As<Napi::Object>());
  return wrap && !wrap->closed_ ? wrap->channel_ : nullptr;
}

// addConsumer(forwarder, layer?): what arrives here (of that simulcast layer) also goes to that
// forwarder, on its transport.
void ForwarderWrap::AddConsumer(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  auto consumer = info.Length() >= 1 ? ChannelOf(env, info[0]) : nullptr;
  if (!consumer) {
    ThrowCodedError(env, "INVALID_ARGUMENT", "addConsumer(forwarder): an open Forwarder");
    return;
  }
  const std::string layer = info.Length() >= 2 && info[1].IsString() ? info[1].As<Napi::String>().Utf8Value() : "";
  if (!closed_) channel_->AddConsumer(consumer, layer);
}

// setStreamIdExtension(id): the RFC 8852 rtp-stream-id extension id of the sender's packets.
void ForwarderWrap::SetStreamIdExtension(const Napi::CallbackInfo& info) {
  if (!closed_ && info.Length() >= 1 && info[0].IsNumber()) channel_->SetStreamIdExtension(info[0].As<Napi::Number>().Int32Value());
}

// setPayloadTypes([{ payloadType, codec }]): what this session's numbers mean; codec is one of
// PayloadTypeMap's names. An unknown name or a number out of range is refused.
void ForwarderWrap::SetPayloadTypes(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() < 1 || !info[0].IsArray()) {
    ThrowCodedError(env, "INVALID_ARGUMENT", "setPayloadTypes([{ payloadType, codec }])");
    return;
  }
  PayloadTypeMap map;
  if (!ReadPayloadTypes(env, info[0].As<Napi::Array>(), "setPayloadTypes", &map)) return;
  if (!closed_) channel_->SetPayloadTypes(map);
}

// [{ payloadType, codec }] into a map; false (and a JS error thrown) for an entry that is not one.
bool ForwarderWrap::ReadPayloadTypes(Napi::Env env, Napi::Array list, const char* method, PayloadTypeMap* map) {
  for (uint32_t i = 0; i < list.Length(); ++i) {
    Napi::Value item = list.Get(i);
    if (!item.IsObject()) continue;
    Napi::Object e = item.As<Napi::Object>();
    Napi::Value pt = e.Get("payloadType"), codec = e.Get("codec");
    const ForwardedCodec c = codec.IsString() ? ForwardedCodecByName(codec.As<Napi::String>().Utf8Value()) : ForwardedCodec::None;
    const int n = pt.IsNumber() ? pt.As<Napi::Number>().Int32Value() : -1;
    if (c == ForwardedCodec::None || n < 0 || n > 127) {
      ThrowCodedError(env, "INVALID_ARGUMENT", std::string(method) + ": entry " + std::to_string(i) + " is not a payload type (0-127) of a codec the forwarder knows");
      return false;
    }
    map->Set(static_cast<uint8_t>(n), c);
  }
  return true;
}

// setSourceId(id): the roster source id of whoever sends to this point (0: their own SSRC).
void ForwarderWrap::SetSourceId(const Napi::CallbackInfo& info) {
  if (!closed_ && info.Length() >= 1 && info[0].IsNumber()) channel_->SetSourceId(info[0].As<Napi::Number>().Uint32Value());
}

void ForwarderWrap::RemoveConsumer(const Napi::CallbackInfo& info) {
  auto consumer = info.Length() >= 1 ? ChannelOf(info.Env(), info[0]) : nullptr;
  if (consumer && !closed_) channel_->RemoveConsumer(consumer);
}

void ForwarderWrap::Close(const Napi::CallbackInfo&) {
  if (closed_) return;
  closed_ = true;
  sink_ = nullptr;
  channel_->Close();
}

void ForwarderWrap::Unref(const Napi::CallbackInfo& info) {
  if (sink_ && !closed_) sink_->Unref(info.Env());
}

}  // namespace callmedia
