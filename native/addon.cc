// The callmedia native addon: the media engine behind src/media.
#include <napi.h>

#include "binding/AudioChannelWrap.h"
#include "binding/Convert.h"
#include "binding/ForwarderWrap.h"
#include "binding/VideoChannelWrap.h"

namespace {

Napi::Object Init(Napi::Env env, Napi::Object exports) {
  callmedia::VideoChannelWrap::Init(env, exports);
  callmedia::AudioChannelWrap::Init(env, exports);
  callmedia::ForwarderWrap::Init(env, exports);
  callmedia::InitConvert(env, exports);
  return exports;
}

}  // namespace

NODE_API_MODULE(callmedia, Init)
