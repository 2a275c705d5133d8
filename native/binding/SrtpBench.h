#pragma once
#include <napi.h>

namespace callmedia {
// benchSrtp(packetsPerFrame, packetSize, frames) → { protect, unprotect, memcpy } (Float64Array
// of ms per frame): what SRTP adds to one frame's packets, each way, with the real sessions.
void InitSrtpBench(Napi::Env env, Napi::Object exports);
}
