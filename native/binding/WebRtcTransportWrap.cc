#include "binding/WebRtcTransportWrap.h"

#include "binding/AddonData.h"
#include "binding/Errors.h"
#include "binding/MediaPortWrap.h"
#include "net/SocketAddress.h"

namespace callmedia {

Napi::Value JsTransportSink::ToJs(Napi::Env env, TransportStateEvent& e, uint64_t) {
  Napi::Object o = Napi::Object::New(env);
  o.Set("state", TransportStateName(e.state));
  o.Set("code", e.code);
  o.Set("reason", e.reason);
  return o;
}

void WebRtcTransportWrap::Init(Napi::Env env, Napi::Object exports) {
  Napi::Function ctor = DefineClass(env, "WebRtcTransport", {
      InstanceMethod("localParameters", &WebRtcTransportWrap::LocalParameters),
      InstanceMethod("setRemote", &WebRtcTransportWrap::SetRemote),
      InstanceMethod("stats", &WebRtcTransportWrap::Stats),
      InstanceMethod("close", &WebRtcTransportWrap::Close),
      InstanceMethod("ref", &WebRtcTransportWrap::Ref),
      InstanceMethod("unref", &WebRtcTransportWrap::Unref),
  });
  AddonData::Of(env)->webRtcTransport = Napi::Persistent(ctor);
  exports.Set("WebRtcTransport", ctor);
}

std::shared_ptr<WebRtcTransport> WebRtcTransportWrap::From(Napi::Env env, const Napi::Value& value) {
  if (!value.IsObject()) return nullptr;
  Napi::Object o = value.As<Napi::Object>();
  if (!o.InstanceOf(AddonData::Of(env)->webRtcTransport.Value())) return nullptr;
  WebRtcTransportWrap* wrap = Unwrap(o);
  return wrap && !wrap->closed_ ? wrap->transport_ : nullptr;
}

// new WebRtcTransport(mediaPort, { controlling, iceTimeoutMs, consentTimeoutMs }, callback)
WebRtcTransportWrap::WebRtcTransportWrap(const Napi::CallbackInfo& info) : Napi::ObjectWrap<WebRtcTransportWrap>(info) {
  Napi::Env env = info.Env();
  if (info.Length() < 3 || !info[0].IsObject() || !info[1].IsObject() || !info[2].IsFunction() ||
      !info[0].As<Napi::Object>().InstanceOf(AddonData::Of(env)->mediaPort.Value())) {
    ThrowCodedError(env, "INVALID_ARGUMENT", "WebRtcTransport(mediaPort, options, callback)");
    return;
  }
  MediaPortWrap* port = MediaPortWrap::Unwrap(info[0].As<Napi::Object>());
  if (!port || port->closed() || !port->port()) {
    ThrowCodedError(env, "PLATFORM_CLOSED", "the media platform's port is closed");
    return;
  }
  Napi::Object o = info[1].As<Napi::Object>();
  WebRtcTransportOptions options;
  options.controlling = o.Get("controlling").ToBoolean();
  options.iceTimeoutMs = static_cast<uint64_t>(std::max(100, OptInt(o, "iceTimeoutMs", 15000)));
  options.consentTimeoutMs = static_cast<uint64_t>(std::max(100, OptInt(o, "consentTimeoutMs", 30000)));
  sink_ = JsTransportSink::Create(env, info[2].As<Napi::Function>());
  std::string error;
  transport_ = WebRtcTransport::Create(port->port(), port->certificate(), options, sink_, &error);
  if (!transport_) {
    sink_->Abandon();
    sink_ = nullptr;
    closed_ = true;
    ThrowCodedError(env, "INVALID_ARGUMENT", error);
  }
}

WebRtcTransportWrap::~WebRtcTransportWrap() {
  if (transport_ && !closed_) transport_->Close();
}

Napi::Value WebRtcTransportWrap::LocalParameters(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Napi::Object o = Napi::Object::New(env);
  if (!transport_) return o;
  o.Set("usernameFragment", transport_->localUfrag());
  o.Set("password", transport_->localPwd());
  Napi::Object fp = Napi::Object::New(env);
  fp.Set("algorithm", "sha-256");
  fp.Set("value", transport_->fingerprint());
  o.Set("fingerprint", fp);
  o.Set("port", transport_->localPort());
  return o;
}

// setRemote({ usernameFragment, password, dtlsRole: 'client'|'server', fingerprint: { algorithm, value },
//   candidates: [{ address, port }], midExtensionId, transportCcExtensionId, ridExtensionId,
//   repairedRidExtensionId })
void WebRtcTransportWrap::SetRemote(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() < 1 || !info[0].IsObject()) {
    ThrowCodedError(env, "INVALID_ARGUMENT", "setRemote(parameters)");
    return;
  }
  if (closed_) {
    ThrowCodedError(env, "SESSION_CLOSED", "the session's transport is closed");
    return;
  }
  Napi::Object o = info[0].As<Napi::Object>();
  RemoteTransportParameters remote;
  remote.iceUfrag = OptString(o, "usernameFragment", "");
  remote.icePwd = OptString(o, "password", "");
  remote.dtlsClient = OptString(o, "dtlsRole", "server") == "client";
  Napi::Value fp = o.Get("fingerprint");
  if (fp.IsObject()) {
    remote.fingerprintAlgorithm = OptString(fp.As<Napi::Object>(), "algorithm", "");
    remote.fingerprint = OptString(fp.As<Napi::Object>(), "value", "");
  }
  remote.midExtensionId = OptInt(o, "midExtensionId", 0);
  remote.transportCcExtensionId = OptInt(o, "transportCcExtensionId", 0);
  remote.ridExtensionId = OptInt(o, "ridExtensionId", 0);
  remote.repairedRidExtensionId = OptInt(o, "repairedRidExtensionId", 0);
  Napi::Value candidates = o.Get("candidates");
  if (candidates.IsArray()) {
    Napi::Array a = candidates.As<Napi::Array>();
    for (uint32_t i = 0; i < a.Length(); ++i) {
      Napi::Value c = a.Get(i);
      if (!c.IsObject()) continue;
      sockaddr_storage addr;
      const int port = OptInt(c.As<Napi::Object>(), "port", 0);
      if (port > 0 && port <= 65535 && ParseSocketAddress(OptString(c.As<Napi::Object>(), "address", ""), port, &addr))
        remote.candidates.push_back(addr);
    }
  }
  if (remote.iceUfrag.empty() || remote.icePwd.empty() || remote.fingerprint.empty() || remote.midExtensionId < 0 ||
      remote.midExtensionId > 255 || remote.transportCcExtensionId < 0 || remote.transportCcExtensionId > 14 || remote.ridExtensionId < 0 ||
      remote.ridExtensionId > 14 || remote.repairedRidExtensionId < 0 || remote.repairedRidExtensionId > 14) {
    ThrowCodedError(env, "SDP_INVALID", "the remote description lacks ICE credentials or a DTLS fingerprint");
    return;
  }
  transport_->SetRemoteParameters(remote);
}

Napi::Value WebRtcTransportWrap::Stats(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Napi::Object o = Napi::Object::New(env);
  if (!transport_) return o;
  const WebRtcTransportStats s = transport_->Stats();
  auto set = [&](const char* k, double v) { o.Set(k, Napi::Number::New(env, v)); };
  o.Set("state", TransportStateName(s.state));
  o.Set("selectedRemote", s.selectedRemote);
  o.Set("dtlsState", s.dtlsState);
  o.Set("dtlsRole", s.dtlsRole);
  o.Set("srtpCipher", s.srtpProfile);
  set("stunRequests", s.stunRequests);
  set("stunAuthFailures", s.stunAuthFailures);
  set("stunRoleConflicts", s.stunRoleConflicts);
  set("checksSent", s.checksSent);
  set("checkResponses", s.checkResponses);
  set("dtlsRecordsDropped", s.dtlsRecordsDropped);
  set("srtpNotReady", s.srtpNotReady);
  set("srtpAuthFailures", s.srtpAuthFailures);
  set("srtpReplayFailures", s.srtpReplayFailures);
  set("srtpMalformed", s.srtpMalformed);
  set("rtpPacketsIn", s.rtpPacketsIn);
  set("rtcpPacketsIn", s.rtcpPacketsIn);
  set("rtpUnroutable", s.rtpUnroutable);
  set("rtcpUnroutable", s.rtcpUnroutable);
  set("rtpPacketsOut", s.rtpPacketsOut);
  set("rtcpPacketsOut", s.rtcpPacketsOut);
  set("bytesIn", s.bytesIn);
  set("bytesOut", s.bytesOut);
  set("sendFailures", s.sendFailures);
  set("connectedAfterMs", s.connectedAfterMs);
  // Transport-wide congestion control: what the estimate is and what it is made of.
  Napi::Object cc = Napi::Object::New(env);
  const CongestionControlStats& c = s.congestion;
  auto setc = [&](const char* k, double v) { cc.Set(k, Napi::Number::New(env, v)); };
  cc.Set("enabled", Napi::Boolean::New(env, s.congestionControl));
  setc("availableBitrate", c.availableBps);
  setc("delayBasedBitrate", c.delayBasedBps);
  setc("lossBasedBitrate", c.lossBasedBps);
  setc("rembBitrate", c.rembBps);
  setc("acknowledgedBitrate", c.acknowledgedBps);
  cc.Set("delayTrend", c.usage);
  setc("lossFraction", c.lossFraction);
  setc("feedbackReceived", c.feedbackReceived);
  setc("feedbackMalformed", c.feedbackMalformed);
  setc("packetsReported", c.packetsReported);
  setc("packetsReportedLost", c.packetsReportedLost);
  setc("packetsUnknown", c.packetsUnknown);
  setc("rembReceived", c.rembReceived);
  setc("decreases", c.decreases);
  setc("packetsStamped", c.packetsStamped);
  setc("roundTripMs", c.roundTripMs);
  setc("packetsWithSequence", c.receive.packets);
  setc("feedbackSent", c.receive.feedbackSent);
  setc("lateArrivals", c.receive.lateArrivals);
  o.Set("congestion", cc);
  return o;
}

void WebRtcTransportWrap::Close(const Napi::CallbackInfo&) {
  if (closed_ || !transport_) return;
  closed_ = true;
  sink_ = nullptr;  // deleted once its thread-safe function drains
  transport_->Close();
}

void WebRtcTransportWrap::Ref(const Napi::CallbackInfo& info) {
  if (sink_ && !closed_) sink_->Ref(info.Env());
}

void WebRtcTransportWrap::Unref(const Napi::CallbackInfo& info) {
  if (sink_ && !closed_) sink_->Unref(info.Env());
}

}  // namespace callmedia
