#include "binding/ChannelTransport.h"

#include "binding/Errors.h"
#include "binding/WebRtcTransportWrap.h"
#include "net/MediaThread.h"

namespace callmedia {

bool OpenChannelTransport(Napi::Env env, const Napi::Object& o, ChannelTransport* out) {
  Napi::Value shared = o.Get("transport");
  if (!shared.IsUndefined() && !shared.IsNull()) {
    auto webrtc = WebRtcTransportWrap::From(env, shared);
    if (!webrtc) {
      ThrowCodedError(env, "INVALID_ARGUMENT", "transport must be an open session transport");
      return false;
    }
    out->sharedPort = webrtc->localPort();
    out->transport = std::move(webrtc);
    return true;
  }
  PlainRtpTransportOptions t;
  t.address = OptString(o, "address", "127.0.0.1");
  t.port = OptInt(o, "port", 0);
  t.remoteAddress = OptString(o, "remoteAddress", "");
  t.remotePort = OptInt(o, "remotePort", 0);
  t.followRemote = o.Get("followRemote").ToBoolean();
  if (t.port < 0 || t.port > 65535) {
    ThrowCodedError(env, "INVALID_ARGUMENT", "port must be in 0..65535");
    return false;
  }
  std::string error;
  auto plain = PlainRtpTransport::Open(t, &error);
  if (!plain) {
    ThrowCodedError(env, error.rfind("cannot bind", 0) == 0 ? "BIND_FAILED" : "INVALID_ARGUMENT", error);
    return false;
  }
  out->plain = plain;
  out->transport = plain;
  out->closer = [plain](std::function<void()> done) { plain->Close(std::move(done)); };
  return true;
}

void ChannelTransport::Abandon() {
  if (closer) MediaThread::Instance().Post([close = closer] { close([] {}); });
  closer = nullptr;
  plain.reset();
  transport.reset();
}

ChannelRoute ReadRoute(const Napi::Value& value) {
  ChannelRoute route;
  if (!value.IsObject()) return route;
  Napi::Object o = value.As<Napi::Object>();
  route.mid = OptString(o, "mid", "");
  Napi::Value pts = o.Get("payloadTypes");
  if (pts.IsArray()) {
    Napi::Array a = pts.As<Napi::Array>();
    for (uint32_t i = 0; i < a.Length(); ++i) {
      Napi::Value v = a.Get(i);
      if (v.IsNumber()) route.payloadTypes.push_back(static_cast<uint8_t>(v.As<Napi::Number>().Uint32Value() & 0x7F));
    }
  }
  Napi::Value ssrcs = o.Get("remoteSsrcs");
  if (ssrcs.IsArray()) {
    Napi::Array a = ssrcs.As<Napi::Array>();
    for (uint32_t i = 0; i < a.Length(); ++i) {
      Napi::Value v = a.Get(i);
      if (v.IsNumber()) route.remoteSsrcs.push_back(v.As<Napi::Number>().Uint32Value());
    }
  }
  // [{ ssrc, rid, repair? }]: RFC 8852 stream ids (at most 16 bytes, as one header element holds).
  Napi::Value streams = o.Get("sendStreams");
  if (streams.IsArray()) {
    Napi::Array a = streams.As<Napi::Array>();
    for (uint32_t i = 0; i < a.Length() && route.sendStreams.size() < 32; ++i) {
      Napi::Value v = a.Get(i);
      if (!v.IsObject()) continue;
      Napi::Object e = v.As<Napi::Object>();
      const std::string rid = OptString(e, "rid", "");
      Napi::Value ssrc = e.Get("ssrc");
      if (rid.empty() || rid.size() > 16 || !ssrc.IsNumber()) continue;
      route.sendStreams.push_back({ssrc.As<Napi::Number>().Uint32Value(), rid, e.Get("repair").ToBoolean()});
    }
  }
  return route;
}

void SetChannelRemote(const Napi::CallbackInfo& info, const ChannelTransport& transport, bool closed, const char* kind) {
  Napi::Env env = info.Env();
  if (info.Length() < 2 || !info[0].IsString() || !info[1].IsNumber()) {
    ThrowCodedError(env, "INVALID_ARGUMENT", "setRemote(address, port)");
    return;
  }
  if (closed) {
    ThrowCodedError(env, "SOCKET_CLOSED", std::string("the ") + kind + " socket is closed");
    return;
  }
  if (!transport.plain) {
    ThrowCodedError(env, "INVALID_ARGUMENT", "the socket is on its session's transport: its remote comes from ICE");
    return;
  }
  std::string error;
  if (!transport.plain->SetRemote(info[0].As<Napi::String>().Utf8Value(), info[1].As<Napi::Number>().Int32Value(), &error))
    ThrowCodedError(env, "INVALID_ARGUMENT", error);
}

}  // namespace callmedia
