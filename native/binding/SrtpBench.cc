#include "binding/SrtpBench.h"

#include <openssl/rand.h>

#include <cstring>
#include <vector>

#include "binding/Errors.h"
#include "common/Clock.h"
#include "net/SrtpSession.h"
#include "rtp/RtpPacket.h"

namespace callmedia {

namespace {

Napi::Value BenchSrtp(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() < 3 || !info[0].IsNumber() || !info[1].IsNumber() || !info[2].IsNumber()) {
    ThrowCodedError(env, "INVALID_ARGUMENT", "benchSrtp(packetsPerFrame, packetSize, frames)");
    return env.Undefined();
  }
  const int packets = info[0].As<Napi::Number>().Int32Value();
  const int size = info[1].As<Napi::Number>().Int32Value();
  const int frames = info[2].As<Napi::Number>().Int32Value();
  if (packets < 1 || packets > 4096 || size < 16 || size > 1400 || frames < 1 || frames > 100000) {
    ThrowCodedError(env, "INVALID_ARGUMENT", "benchSrtp: 1..4096 packets of 16..1400 bytes, 1..100000 frames");
    return env.Undefined();
  }
  // The profile browsers negotiate first, keyed as DTLS would.
  uint8_t key[28];
  RAND_bytes(key, sizeof(key));
  std::string error;
  auto out = SrtpSession::Create(SrtpProfile::kAeadAes128Gcm, SrtpSession::Direction::kOutbound, key, sizeof(key), &error);
  auto in = SrtpSession::Create(SrtpProfile::kAeadAes128Gcm, SrtpSession::Direction::kInbound, key, sizeof(key), &error);
  if (!out || !in) {
    ThrowCodedError(env, "INTERNAL", error);
    return env.Undefined();
  }
  const size_t capacity = static_cast<size_t>(size) + SrtpSession::kMaxOverhead;
  std::vector<uint8_t> buffers(static_cast<size_t>(packets) * capacity);
  std::vector<size_t> sizes(packets);
  std::vector<uint8_t> copy(buffers.size());
  Napi::Float64Array protect = Napi::Float64Array::New(env, frames);
  Napi::Float64Array unprotect = Napi::Float64Array::New(env, frames);
  Napi::Float64Array memcpyTimes = Napi::Float64Array::New(env, frames);
  uint16_t seq = 1;
  for (int f = 0; f < frames; ++f) {
    for (int p = 0; p < packets; ++p) {
      uint8_t* b = buffers.data() + p * capacity;
      RtpPacket::WriteHeader(b, 96, p == packets - 1, seq++, 3000u * f, 0x11223344);
      std::memset(b + 12, f & 0xFF, size - 12);
      sizes[p] = size;
    }
    uint64_t t0 = NowNs();
    for (int p = 0; p < packets; ++p) out->ProtectRtp(buffers.data() + p * capacity, &sizes[p], capacity);
    uint64_t t1 = NowNs();
    for (int p = 0; p < packets; ++p) in->UnprotectRtp(buffers.data() + p * capacity, &sizes[p]);
    uint64_t t2 = NowNs();
    std::memcpy(copy.data(), buffers.data(), static_cast<size_t>(packets) * size);  // the frame's bytes once
    uint64_t t3 = NowNs();
    protect[f] = (t1 - t0) / 1e6;
    unprotect[f] = (t2 - t1) / 1e6;
    memcpyTimes[f] = (t3 - t2) / 1e6;
  }
  Napi::Object result = Napi::Object::New(env);
  result.Set("protect", protect);
  result.Set("unprotect", unprotect);
  result.Set("memcpy", memcpyTimes);
  return result;
}

}  // namespace

void InitSrtpBench(Napi::Env env, Napi::Object exports) {
  exports.Set("benchSrtp", Napi::Function::New(env, BenchSrtp, "benchSrtp"));
}

}  // namespace callmedia
