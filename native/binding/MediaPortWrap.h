// JavaScript handle of the instance's media port (used by src/media/MediaPlatform.ts): the UDP
// port every WebRTC session of the platform shares, and the DTLS certificate it answers with.
#pragma once
#include <napi.h>

#include <memory>

#include "net/DtlsCertificate.h"
#include "net/PortDemuxer.h"

namespace callmedia {

class MediaPortWrap : public Napi::ObjectWrap<MediaPortWrap> {
 public:
  static void Init(Napi::Env env, Napi::Object exports);
  explicit MediaPortWrap(const Napi::CallbackInfo& info);
  ~MediaPortWrap() override;

  const std::shared_ptr<PortDemuxer>& port() const { return port_; }
  const std::shared_ptr<DtlsCertificate>& certificate() const { return certificate_; }
  bool closed() const { return closed_; }

 private:
  Napi::Value LocalPort(const Napi::CallbackInfo& info);
  Napi::Value Fingerprint(const Napi::CallbackInfo& info);
  Napi::Value Stats(const Napi::CallbackInfo& info);
  void Close(const Napi::CallbackInfo& info);

  std::shared_ptr<PortDemuxer> port_;
  std::shared_ptr<DtlsCertificate> certificate_;
  bool closed_ = false;
};

}  // namespace callmedia
