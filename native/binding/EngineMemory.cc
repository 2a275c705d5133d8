#include "binding/EngineMemory.h"

#include "common/BufferPool.h"

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
}  // namespace

void InitEngineMemory(Napi::Env env, Napi::Object exports) {
  exports.Set("engineMemory", Napi::Function::New(env, EngineMemory, "engineMemory"));
}

}  // namespace callmedia
