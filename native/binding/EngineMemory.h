#pragma once
#include <napi.h>

namespace callmedia {
// engineMemory() → { buffersOutstanding, bytesOutstanding, freeBlocks, allocations }: the frame
// buffer pool, whose outstanding count returns to 0 once every frame handed out was collected.
void InitEngineMemory(Napi::Env env, Napi::Object exports);
}
