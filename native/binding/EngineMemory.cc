#include "binding/EngineMemory.h"

#include "common/BufferPool.h"
#include "common/WorkerPool.h"
#include "net/MediaThread.h"

namespace callmedia {

namespace {
Napi::Value EngineMemory(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  const BufferPool& pool = BufferPool::Instance();
  Napi::Object o = Napi::Object::New(env);
  o.Set("buffersOutstanding", Napi::Number::New(env, static_cast<double>(pool.Outstanding())));
  o.Set("bytesOutstanding", Napi::Number::New(env, static_cast<double>(pool.OutstandingBytes())));
  o.Set("freeBlocks", Napi::Number::New(env, static_cast<double>(pool.FreeBlocks())));
  o.Set("allocations", Napi::Number::New(env, static_cast<double>(pool.Allocations())));
  return o;
}

Napi::Value EngineLoad(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  WorkerPool& pool = WorkerPool::Instance();
  Napi::Object o = Napi::Object::New(env);
  o.Set("mediaThreadLagMs", Napi::Number::New(env, MediaThread::Instance().TakeMaxLagNs() / 1e6));
  o.Set("workerWaitMs", Napi::Number::New(env, pool.TakeMaxWaitNs() / 1e6));
  o.Set("workerQueue", Napi::Number::New(env, static_cast<double>(pool.Queued())));
  o.Set("workers", Napi::Number::New(env, pool.size()));
  return o;
}
}  // namespace

void InitEngineMemory(Napi::Env env, Napi::Object exports) {
  exports.Set("engineMemory", Napi::Function::New(env, EngineMemory, "engineMemory"));
  exports.Set("engineLoad", Napi::Function::New(env, EngineLoad, "engineLoad"));
}

}  // namespace callmedia
