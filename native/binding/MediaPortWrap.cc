#include "binding/MediaPortWrap.h"

#include "binding/AddonData.h"
#include "binding/Errors.h"
#include "net/MediaThread.h"

namespace callmedia {

void MediaPortWrap::Init(Napi::Env env, Napi::Object exports) {
  Napi::Function ctor = DefineClass(env, "MediaPort", {
      InstanceMethod("localPort", &MediaPortWrap::LocalPort),
      InstanceMethod("fingerprint", &MediaPortWrap::Fingerprint),
      InstanceMethod("stats", &MediaPortWrap::Stats),
      InstanceMethod("close", &MediaPortWrap::Close),
  });
  AddonData::Of(env)->mediaPort = Napi::Persistent(ctor);
  exports.Set("MediaPort", ctor);
}

// new MediaPort({ address, port, certificatePem?, privateKeyPem? })
MediaPortWrap::MediaPortWrap(const Napi::CallbackInfo& info) : Napi::ObjectWrap<MediaPortWrap>(info) {
  Napi::Env env = info.Env();
  if (info.Length() < 1 || !info[0].IsObject()) {
    ThrowCodedError(env, "INVALID_ARGUMENT", "MediaPort(options)");
    return;
  }
  Napi::Object o = info[0].As<Napi::Object>();
  const std::string address = OptString(o, "address", "127.0.0.1");
  const int port = OptInt(o, "port", 0);
  if (port < 0 || port > 65535) {
    ThrowCodedError(env, "INVALID_ARGUMENT", "the media port must be in 0..65535");
    return;
  }
  std::string error;
  const std::string certificatePem = OptString(o, "certificatePem", "");
  const std::string privateKeyPem = OptString(o, "privateKeyPem", "");
  if (!certificatePem.empty() || !privateKeyPem.empty()) certificate_ = DtlsCertificate::FromPem(certificatePem, privateKeyPem, &error);
  else certificate_ = DtlsCertificate::Generate(&error);
  if (!certificate_) {
    ThrowCodedError(env, "INVALID_CERTIFICATE", error);
    return;
  }
  port_ = PortDemuxer::Open(address, port, &error);
  if (!port_) ThrowCodedError(env, error.rfind("cannot bind", 0) == 0 ? "BIND_FAILED" : "INVALID_ARGUMENT", error);
}

MediaPortWrap::~MediaPortWrap() {
  if (port_ && !closed_) {
    auto port = port_;
    MediaThread::Instance().Post([port] { port->Close([] {}); });
  }
}

Napi::Value MediaPortWrap::LocalPort(const Napi::CallbackInfo& info) {
  return Napi::Number::New(info.Env(), port_ ? port_->localPort() : 0);
}

Napi::Value MediaPortWrap::Fingerprint(const Napi::CallbackInfo& info) {
  return Napi::String::New(info.Env(), certificate_ ? certificate_->fingerprint() : "");
}

Napi::Value MediaPortWrap::Stats(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Napi::Object o = Napi::Object::New(env);
  if (!port_) return o;
  const PortDemuxerCounters c = port_->Counters();
  auto set = [&](const char* k, double v) { o.Set(k, Napi::Number::New(env, v)); };
  set("datagrams", c.datagrams);
  set("bytes", c.bytes);
  set("datagramsTruncated", c.truncated);
  set("stunMalformed", c.stunMalformed);
  set("stunUnknownUsername", c.stunUnknownUsername);
  set("unknownAddress", c.unknownAddress);
  set("unknownKind", c.unknownKind);
  return o;
}

void MediaPortWrap::Close(const Napi::CallbackInfo&) {
  if (closed_ || !port_) return;
  closed_ = true;
  auto port = port_;
  MediaThread::Instance().Post([port] { port->Close([] {}); });
}

}  // namespace callmedia
