// DtmfReceiver (RFC 4733): any payloads on any clock, 0 included; a reported tone is one of the
// sixteen, with a duration its 16-bit field can carry.
#include <cstring>

#include "FuzzRtp.h"
#include "audio/DtmfReceiver.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  FuzzedDataProvider in(data, size);
  const uint32_t rate = in.ConsumeIntegralInRange<uint32_t>(0, 96000);
  callmedia::DtmfReceiver r(rate);
  const uint64_t clock = rate ? rate : 8000;  // what the receiver counts on
  while (in.remaining_bytes() > 0) {
    const uint32_t timestamp = in.ConsumeIntegral<uint32_t>();
    const std::vector<uint8_t> payload = in.ConsumeBytes<uint8_t>(in.ConsumeIntegralInRange<size_t>(0, 12));
    callmedia::DtmfTone tone{};
    if (r.OnPacket(payload.data(), payload.size(), timestamp, &tone)) {
      FUZZ_CHECK(std::strchr("0123456789*#ABCD", tone.tone) != nullptr && tone.tone != '\0');
      FUZZ_CHECK(tone.durationMs <= 65535u * 1000u / clock);
    }
  }
  return 0;
}
