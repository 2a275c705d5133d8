// VideoFrame.convert() and the conversion micro-benchmark hooks used by bench/.
#include "binding/Convert.h"

#include <libyuv.h>

#include <cstring>
#include <vector>

#include "binding/Errors.h"
#include "common/BufferPool.h"
#include "common/Clock.h"
#include "video/FrameConverter.h"

namespace callmedia {

namespace {

Napi::Buffer<uint8_t> PooledExternal(Napi::Env env, PooledBuffer buffer) {
  const size_t size = buffer.size(), capacity = buffer.capacity();
  return Napi::Buffer<uint8_t>::New(env, buffer.Detach(), size,
                                    [capacity](Napi::Env, uint8_t* p) { BufferPool::Instance().Release(p, capacity); });
}

bool ReadFormat(const Napi::Value& v, PixelFormat* out) {
  if (!v.IsNumber()) return false;
  const int f = v.As<Napi::Number>().Int32Value();
  if (f < 0 || f > static_cast<int>(PixelFormat::BGRA)) return false;
  *out = static_cast<PixelFormat>(f);
  return true;
}

// convert(srcFormat, data, width, height, dstFormat) → Buffer
Napi::Value ConvertFrame(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  PixelFormat src, dst;
  if (info.Length() < 5 || !ReadFormat(info[0], &src) || !info[1].IsBuffer() || !info[2].IsNumber() ||
      !info[3].IsNumber() || !ReadFormat(info[4], &dst)) {
    ThrowCodedError(env, "INVALID_ARGUMENT", "convert(srcFormat, data, width, height, dstFormat): raw formats only");
    return env.Undefined();
  }
  auto data = info[1].As<Napi::Buffer<uint8_t>>();
  const int w = info[2].As<Napi::Number>().Int32Value(), h = info[3].As<Napi::Number>().Int32Value();
  const size_t inSize = FrameSize(src, w, h), outSize = FrameSize(dst, w, h);
  if (inSize == 0 || outSize == 0) {
    ThrowCodedError(env, "INVALID_ARGUMENT", "convert: width and height must be 1..16384");
    return env.Undefined();
  }
  if (data.Length() != inSize) {
    ThrowCodedError(env, "INVALID_FRAME_SIZE", "convert: expected " + std::to_string(inSize) + " bytes for " +
                                                   std::to_string(w) + "x" + std::to_string(h) + ", got " +
                                                   std::to_string(data.Length()));
    return env.Undefined();
  }
  PooledBuffer out = PooledBuffer::Make(outSize);
  PooledBuffer scratch;
  if (src != PixelFormat::I420 && dst != PixelFormat::I420) scratch = PooledBuffer::Make(FrameSize(PixelFormat::I420, w, h));
  if (!FrameConverter::Convert(src, data.Data(), dst, w, h, out.data(), scratch.data())) {
    ThrowCodedError(env, "CONVERSION_FAILED", "convert: libyuv refused the conversion");
    return env.Undefined();
  }
  return PooledExternal(env, std::move(out));
}

// A smooth synthetic picture: conversion cost does not depend on content, but keep it real.
std::vector<uint8_t> SyntheticI420(int w, int h) {
  std::vector<uint8_t> frame(FrameSize(PixelFormat::I420, w, h));
  for (int y = 0; y < h; ++y)
    for (int x = 0; x < w; ++x) frame[static_cast<size_t>(y) * w + x] = static_cast<uint8_t>((x + y) & 0xFF);
  std::memset(frame.data() + static_cast<size_t>(w) * h, 128, frame.size() - static_cast<size_t>(w) * h);
  return frame;
}

// The libyuv call the engine makes for `dst`, with nothing around it: the benchmark's peer.
void RawLibyuv(PixelFormat dst, const I420Planes& s, int w, int h, uint8_t* out) {
  const int cw = (w + 1) / 2, ch = (h + 1) / 2;
  switch (dst) {
    case PixelFormat::I420:
      libyuv::I420Copy(s.y, s.strideY, s.u, s.strideU, s.v, s.strideV, out, w, out + w * h, cw,
                       out + w * h + cw * ch, cw, w, h);
      break;
    case PixelFormat::NV12:
      libyuv::I420ToNV12(s.y, s.strideY, s.u, s.strideU, s.v, s.strideV, out, w, out + w * h, 2 * cw, w, h);
      break;
    case PixelFormat::RGB24:
      libyuv::I420ToRAW(s.y, s.strideY, s.u, s.strideU, s.v, s.strideV, out, w * 3, w, h);
      break;
    case PixelFormat::RGBA:
      libyuv::I420ToABGR(s.y, s.strideY, s.u, s.strideU, s.v, s.strideV, out, w * 4, w, h);
      break;
    default:
      libyuv::I420ToARGB(s.y, s.strideY, s.u, s.strideU, s.v, s.strideV, out, w * 4, w, h);
      break;
  }
}

// benchConvert(dstFormat, width, height, iterations) → { engine, libyuv, memcpy } (Float64Array of ms)
Napi::Value BenchConvert(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  PixelFormat dst;
  if (info.Length() < 4 || !ReadFormat(info[0], &dst) || !info[1].IsNumber() || !info[2].IsNumber() || !info[3].IsNumber()) {
    ThrowCodedError(env, "INVALID_ARGUMENT", "benchConvert(dstFormat, width, height, iterations)");
    return env.Undefined();
  }
  const int w = info[1].As<Napi::Number>().Int32Value(), h = info[2].As<Napi::Number>().Int32Value();
  const int n = info[3].As<Napi::Number>().Int32Value();
  if (FrameSize(dst, w, h) == 0 || n <= 0 || n > 100000) {
    ThrowCodedError(env, "INVALID_ARGUMENT", "benchConvert: bad size or iteration count");
    return env.Undefined();
  }
  const std::vector<uint8_t> src = SyntheticI420(w, h);
  const I420Planes planes = FrameConverter::PackedI420(src.data(), w, h);
  const size_t outSize = FrameSize(dst, w, h);
  std::vector<uint8_t> raw(outSize), copy(src.size());
  Napi::Float64Array engine = Napi::Float64Array::New(env, n);
  Napi::Float64Array peer = Napi::Float64Array::New(env, n);
  Napi::Float64Array memcpyTimes = Napi::Float64Array::New(env, n);
  for (int i = 0; i < n; ++i) {
    // What the decode worker does per frame: take a pooled block, convert into it, hand it on.
    uint64_t t0 = NowNs();
    {
      PooledBuffer out = PooledBuffer::Make(outSize);
      FrameConverter::FromI420(planes, w, h, false, ColorMatrix::Bt601, dst, out.data());
    }
    uint64_t t1 = NowNs();
    RawLibyuv(dst, planes, w, h, raw.data());
    uint64_t t2 = NowNs();
    std::memcpy(copy.data(), src.data(), src.size());
    uint64_t t3 = NowNs();
    engine[i] = (t1 - t0) / 1e6;
    peer[i] = (t2 - t1) / 1e6;
    memcpyTimes[i] = (t3 - t2) / 1e6;
  }
  Napi::Object result = Napi::Object::New(env);
  result.Set("engine", engine);
  result.Set("libyuv", peer);
  result.Set("memcpy", memcpyTimes);
  return result;
}

}  // namespace

void InitConvert(Napi::Env env, Napi::Object exports) {
  exports.Set("convert", Napi::Function::New(env, ConvertFrame, "convert"));
  exports.Set("benchConvert", Napi::Function::New(env, BenchConvert, "benchConvert"));
}

}  // namespace callmedia
