// What the fuzz targets share: RTP packets made from fuzzer bytes (a header the fuzzer steers
// and a payload it writes), and a check that stops the run loudly when an invariant breaks.
#pragma once
#include <fuzzer/FuzzedDataProvider.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <vector>

#include "rtp/RtpPacket.h"

// An invariant beyond "no crash": a broken one is a finding, reported like a crash.
#define FUZZ_CHECK(cond)                                                          \
  do {                                                                            \
    if (!(cond)) {                                                                \
      std::fprintf(stderr, "fuzz invariant failed: %s (%s:%d)\n", #cond, __FILE__, __LINE__); \
      std::abort();                                                               \
    }                                                                             \
  } while (0)

namespace fuzz {

// One RTP packet: the fuzzer picks sequence number steps, timestamps, marker, SSRC (from a
// few) and the payload bytes; the header is valid so the packet reaches the code under test.
struct PacketStream {
  uint16_t seq = 1000;
  uint32_t timestamp = 90000;
  std::vector<uint8_t> bytes;

  bool Next(FuzzedDataProvider& in, uint8_t payloadType, callmedia::RtpPacket* out) {
    if (in.remaining_bytes() == 0) return false;
    seq = static_cast<uint16_t>(seq + in.ConsumeIntegralInRange<int>(-3, 5));
    if (in.ConsumeBool()) timestamp += in.ConsumeIntegralInRange<uint32_t>(0, 6000);
    const bool marker = in.ConsumeBool();
    const uint32_t ssrc = 0x1000 + in.ConsumeIntegralInRange<uint32_t>(0, 2);
    const std::vector<uint8_t> payload = in.ConsumeBytes<uint8_t>(in.ConsumeIntegralInRange<size_t>(0, 1300));
    bytes.assign(12, 0);
    callmedia::RtpPacket::WriteHeader(bytes.data(), payloadType, marker, seq, timestamp, ssrc);
    bytes.insert(bytes.end(), payload.begin(), payload.end());
    return callmedia::RtpPacket::Parse(bytes.data(), bytes.size(), out);
  }
};

}  // namespace fuzz
