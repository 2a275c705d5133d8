// The callmedia native addon: the media engine behind src/media.
#include <napi.h>

#include "binding/AddonData.h"
#include "binding/AudioChannelWrap.h"
#include "binding/Convert.h"
#include "binding/EngineMemory.h"
#include "binding/ForwarderWrap.h"
#include "binding/MediaPortWrap.h"
#include "binding/SrtpBench.h"
#include "binding/VideoChannelWrap.h"
#include "binding/WebRtcTransportWrap.h"

namespace {

Napi::Object Init(Napi::Env env, Napi::Object exports) {
  env.SetInstanceData(new callmedia::AddonData());
  callmedia::MediaPortWrap::Init(env, exports);
  callmedia::WebRtcTransportWrap::Init(env, exports);
  callmedia::VideoChannelWrap::Init(env, exports);
  callmedia::AudioChannelWrap::Init(env, exports);
  callmedia::ForwarderWrap::Init(env, exports);
  callmedia::InitConvert(env, exports);
  callmedia::InitSrtpBench(env, exports);
  callmedia::InitEngineMemory(env, exports);
  return exports;
}

}  // namespace

NODE_API_MODULE(callmedia, Init)
