// RtpRewriter (the forwarder's consumer): packets of several SSRCs from several producers, with
// any CSRCs, extensions and padding the fuzzer writes. Every packet that fits comes out as one
// valid RTP packet under the consumer's SSRC, with the source it is given as its only CSRC, the
// payload type it is given and the payload bytes unchanged; a new incoming stream always starts
// at the sequence number after the newest one sent.
#include <cstring>

#include "FuzzRtp.h"
#include "rtp/SeqManager.h"
#include "sfu/RtpRewriter.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  FuzzedDataProvider in(data, size);
  callmedia::RtpRewriter rewriter(in.ConsumeIntegral<uint32_t>() | 1u, in.ConsumeIntegral<uint16_t>());
  static const int kProducers[3] = {0, 0, 0};
  uint8_t out[1600];
  while (in.remaining_bytes() > 0) {
    const int* producer = &kProducers[in.ConsumeIntegralInRange<int>(0, 2)];
    const std::vector<uint8_t> bytes = in.ConsumeBytes<uint8_t>(in.ConsumeIntegralInRange<size_t>(0, 1700));
    callmedia::RtpPacket packet;
    if (!callmedia::RtpPacket::Parse(bytes.data(), bytes.size(), &packet)) continue;
    const uint16_t startIfNew = rewriter.nextSeq();
    const uint64_t switches = rewriter.switches();
    const size_t capacity = in.ConsumeBool() ? sizeof(out) : in.ConsumeIntegralInRange<size_t>(0, sizeof(out));
    const uint32_t source = in.ConsumeBool() ? packet.sourceId() : in.ConsumeIntegral<uint32_t>();
    const uint8_t payloadType = in.ConsumeIntegralInRange<uint8_t>(0, 127);
    const size_t n = rewriter.Rewrite(packet, producer, source, payloadType, out, capacity);
    FUZZ_CHECK(n <= capacity);
    if (n == 0) continue;
    callmedia::RtpPacket written;
    FUZZ_CHECK(callmedia::RtpPacket::Parse(out, n, &written));
    FUZZ_CHECK(written.ssrc == rewriter.ssrc());
    FUZZ_CHECK(written.csrcCount == 1 && written.csrc(0) == source);
    FUZZ_CHECK(written.payloadType == payloadType && written.marker == packet.marker);
    FUZZ_CHECK(written.timestamp == packet.timestamp);
    FUZZ_CHECK(written.payloadSize == packet.payloadSize);
    FUZZ_CHECK(packet.payloadSize == 0 || std::memcmp(written.payload, packet.payload, packet.payloadSize) == 0);
    if (rewriter.switches() != switches) FUZZ_CHECK(written.sequenceNumber == startIfNew);
    FUZZ_CHECK(!callmedia::SeqManager::IsNewer(written.sequenceNumber, static_cast<uint16_t>(rewriter.nextSeq() - 1)));
  }
  return 0;
}
