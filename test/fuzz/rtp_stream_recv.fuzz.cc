// RtpStreamRecv (RFC 3550 A.1, A.3, A.8): sequence numbers, timestamps and arrival times of any
// value, the clock near its top included; loss stays within what was expected and the report
// block's fraction within a byte.
#include "FuzzRtp.h"
#include "rtp/RtpStreamRecv.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  FuzzedDataProvider in(data, size);
  static const uint32_t kRates[] = {8000, 16000, 48000, 90000};
  callmedia::RtpStreamRecv s(kRates[in.ConsumeIntegralInRange<int>(0, 3)]);
  uint64_t now = in.ConsumeIntegral<uint64_t>();
  while (in.remaining_bytes() >= 8) {
    callmedia::RtpPacket p;
    p.sequenceNumber = in.ConsumeIntegral<uint16_t>();
    p.timestamp = in.ConsumeIntegral<uint32_t>();
    p.ssrc = 0x1000 + in.ConsumeIntegralInRange<uint32_t>(0, 1);
    now += in.ConsumeIntegralInRange<uint64_t>(0, 1u << 30);
    s.ReceivePacket(p, now);
    if (in.ConsumeBool()) s.ReceiveSenderReport(in.ConsumeIntegral<uint32_t>(), now);
    const callmedia::ReportBlock b = s.MakeReportBlock(now);
    FUZZ_CHECK(b.fractionLost <= 255);
    (void)s.JitterMs();
  }
  return 0;
}
