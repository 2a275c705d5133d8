// H.264 (RFC 6184) and VP8 (RFC 7741) depacketizers: any run of payloads either assembles or
// is refused, and what comes out is no larger than what went in and the start codes written.
#include "FuzzRtp.h"
#include "video/H264Depacketizer.h"
#include "video/Vp8Depacketizer.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  FuzzedDataProvider in(data, size);
  const bool vp8 = in.ConsumeBool();
  std::unique_ptr<callmedia::RtpDepacketizer> d = callmedia::RtpDepacketizer::Create(vp8 ? callmedia::VideoCodec::kVp8 : callmedia::VideoCodec::kH264);
  std::vector<uint8_t> out;
  size_t inBytes = 0, payloads = 0;
  d->BeginFrame(&out);
  while (in.remaining_bytes() > 0) {
    const std::vector<uint8_t> payload = in.ConsumeBytes<uint8_t>(in.ConsumeIntegralInRange<size_t>(0, 1400));
    (void)d->StartsFrame(payload.data(), payload.size());
    (void)d->StartsKeyFrame(payload.data(), payload.size());
    inBytes += payload.size();
    ++payloads;
    if (!d->Append(payload.data(), payload.size())) break;
  }
  (void)d->EndFrame();
  // H.264 adds a 4-byte start code per NAL unit: one per payload, or one per three bytes of a
  // STAP-A (a 2-byte size and a 1-byte NAL at the least). VP8 only takes descriptors away.
  FUZZ_CHECK(out.size() <= 2 * inBytes + 4 * payloads);
  return 0;
}
