#pragma once
#include <napi.h>

namespace callmedia {
// engineMemory() → { buffersOutstanding, bytesOutstanding, freeBlocks, allocations }: the frame
// buffer pool, whose outstanding count returns to 0 once every frame handed out was collected.
// engineLoad() → { mediaThreadLagMs, workerWaitMs, workerQueue, workers }: the longest the media
// thread ran late and the longest a task waited for a worker since the last call, and the tasks
// waiting now; what the platform's health is judged on, with the event loop's own delay.
void InitEngineMemory(Napi::Env env, Napi::Object exports);
}
