// SimulcastStreams (how the service's forwarder tells a simulcast sender's layers apart):
// packets of a few SSRCs with any extensions the fuzzer writes, under any extension id. The
// table never holds more than its bound, the stream returned is the packet's, every stream id
// it keeps is 1..16 bytes of RFC 8851 rid-syntax and never changes once set, and no stream
// counts more packets than were fed.
#include <cstring>
#include <map>
#include <string>

#include "FuzzRtp.h"
#include "sfu/SimulcastStreams.h"

namespace {
bool RidSyntax(const char* rid) {
  const size_t n = std::strlen(rid);
  if (n == 0 || n > callmedia::SimulcastStreams::kMaxRid) return false;
  for (size_t i = 0; i < n; ++i) {
    const char c = rid[i];
    if (!((c >= '0' && c <= '9') || (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || c == '-' || c == '_')) return false;
  }
  return true;
}
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  FuzzedDataProvider in(data, size);
  callmedia::SimulcastStreams streams;
  streams.SetExtensionId(in.ConsumeIntegralInRange<int>(-1, 16));
  std::map<uint32_t, std::string> named;  // ssrc → the id it was given, while it keeps its slot
  uint64_t fed = 0;
  while (in.remaining_bytes() > 0) {
    std::vector<uint8_t> bytes = in.ConsumeBytes<uint8_t>(in.ConsumeIntegralInRange<size_t>(0, 200));
    // Few SSRCs, so streams repeat and the table fills and turns over.
    if (bytes.size() >= 12) {
      bytes[8] = bytes[9] = bytes[10] = 0;
      bytes[11] &= 0x0F;
    }
    callmedia::RtpPacket packet;
    if (!callmedia::RtpPacket::Parse(bytes.data(), bytes.size(), &packet)) continue;
    ++fed;
    const size_t before = streams.size();
    bool known = false;
    for (size_t i = 0; i < before; ++i) known = known || streams.at(i).ssrc == packet.ssrc;
    if (!known) named.erase(packet.ssrc);
    const callmedia::SimulcastStreams::Stream& s = streams.Of(packet);
    FUZZ_CHECK(s.ssrc == packet.ssrc);
    FUZZ_CHECK(streams.size() <= callmedia::SimulcastStreams::kMaxStreams);
    if (s.rid[0] != 0) {
      FUZZ_CHECK(RidSyntax(s.rid));
      auto it = named.find(packet.ssrc);
      if (it != named.end()) FUZZ_CHECK(it->second == s.rid);
      named[packet.ssrc] = s.rid;
    }
    for (const auto& seen : streams.Snapshot()) FUZZ_CHECK(seen.packets <= fed);
  }
  return 0;
}
