// Errors cross into JavaScript as Error objects with a stable `code`; the TypeScript layer
// turns them into CallMediaError. Option readers fall back to defaults on absent values.
#pragma once
#include <napi.h>

#include <string>

namespace callmedia {

inline void ThrowCodedError(Napi::Env env, const char* code, const std::string& message) {
  Napi::Error error = Napi::Error::New(env, message);
  error.Set("code", Napi::String::New(env, code));
  error.ThrowAsJavaScriptException();
}

// Engine errors come as "CODE:message" (a plain message means INVALID_ARGUMENT).
inline void ThrowCodedMessage(Napi::Env env, const std::string& error) {
  const size_t colon = error.find(':');
  if (colon == std::string::npos) {
    ThrowCodedError(env, "INVALID_ARGUMENT", error);
    return;
  }
  ThrowCodedError(env, error.substr(0, colon).c_str(), error.substr(colon + 1));
}

inline int OptInt(const Napi::Object& o, const char* key, int fallback) {
  Napi::Value v = o.Get(key);
  return v.IsNumber() ? v.As<Napi::Number>().Int32Value() : fallback;
}

inline std::string OptString(const Napi::Object& o, const char* key, const char* fallback) {
  Napi::Value v = o.Get(key);
  return v.IsString() ? v.As<Napi::String>().Utf8Value() : std::string(fallback);
}

}  // namespace callmedia
