// Per-environment state of the addon: the constructors whose instances other handles accept
// (a channel takes the session's WebRtcTransport, a transport the platform's MediaPort).
#pragma once
#include <napi.h>

namespace callmedia {

struct AddonData {
  Napi::FunctionReference mediaPort;
  Napi::FunctionReference webRtcTransport;
  Napi::FunctionReference forwarder;

  static AddonData* Of(Napi::Env env) { return env.GetInstanceData<AddonData>(); }
};

}  // namespace callmedia
