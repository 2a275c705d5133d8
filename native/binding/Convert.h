#pragma once
#include <napi.h>

namespace callmedia {
void InitConvert(Napi::Env env, Napi::Object exports);
}
