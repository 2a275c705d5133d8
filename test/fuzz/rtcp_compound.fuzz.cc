// RtcpPacket: a compound parses part by part or stops at the first malformed part; every report
// block, feedback message, NACK item and subscription handed on came from inside the datagram.
// A REMB parses to a bitrate the writer gives back.
#include "FuzzRtp.h"
#include "rtp/RtcpPacket.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  size_t parts = 0;
  callmedia::RtcpPacket::Handlers h;
  h.onSenderReport = [&](const callmedia::RtcpSenderReport&) { ++parts; };
  h.onReportBlock = [&](const callmedia::ReportBlock&) { ++parts; };
  h.onFeedback = [&](const callmedia::RtcpFeedback& fb) {
    ++parts;
    // A NACK's items lie inside the datagram, and name at most 17 packets each.
    if (fb.kind != callmedia::RtcpFeedback::Kind::Nack) return;
    FUZZ_CHECK(fb.nackItemCount > 0 && fb.nackItems >= data && fb.nackItems + 4 * fb.nackItemCount <= data + size);
    size_t named = 0;
    fb.ForEachNacked([&](uint16_t) { ++named; });
    FUZZ_CHECK(named >= fb.nackItemCount && named <= 17 * fb.nackItemCount);
  };
  h.onSubscription = [&](const callmedia::RtcpSubscription&) { ++parts; };
  callmedia::RtcpPacket::Parse(data, size, h);
  // Each part takes at least 8 bytes (a report block 24): never more parts than that.
  FUZZ_CHECK(parts <= size / 8 + 1);
  // REMB: the datagram as one packet; a bitrate it gives round-trips through the writer to
  // within its 18-bit mantissa.
  uint32_t bps = 0;
  if (callmedia::RtcpPacket::ParseRemb(data, size, &bps) && bps != UINT32_MAX) {
    uint8_t out[20];
    uint32_t again = 0;
    const size_t n = callmedia::RtcpPacket::WriteRemb(out, sizeof(out), 1, bps, nullptr, 0);
    FUZZ_CHECK(n == 20 && callmedia::RtcpPacket::ParseRemb(out, n, &again));
    FUZZ_CHECK(again <= bps && bps - again <= bps / (1u << 17) + 1);
  }
  return 0;
}
