#include "sfu/SimulcastStreams.h"

#include <string>
#include <vector>

#include "check.h"
#include "rtp/RtpBytes.h"

using callmedia::RtpPacket;
using callmedia::SimulcastStreams;
using testrtp::BuildRtp;
using testrtp::RtpSpec;

namespace {

constexpr uint8_t kRidId = 5;

// A packet of `ssrc` whose one-byte extension element kRidId holds `rid` ("" : no extension).
std::vector<uint8_t> PacketOf(uint32_t ssrc, const std::string& rid) {
  RtpSpec spec;
  spec.ssrc = ssrc;
  spec.payload = {1, 2, 3};
  if (!rid.empty()) {
    spec.extension = true;
    spec.extensionProfile = 0xBEDE;
    spec.extensionBody.push_back(static_cast<uint8_t>((kRidId << 4) | (rid.size() - 1)));
    spec.extensionBody.insert(spec.extensionBody.end(), rid.begin(), rid.end());
  }
  return BuildRtp(spec);
}

SimulcastStreams::Stream& Feed(SimulcastStreams& streams, uint32_t ssrc, const std::string& rid) {
  static std::vector<uint8_t> bytes;
  bytes = PacketOf(ssrc, rid);
  RtpPacket p;
  CHECK(RtpPacket::Parse(bytes.data(), bytes.size(), &p));
  return streams.Of(p);
}

}  // namespace

TEST(SimulcastStreams_EachSsrcNamedByTheFirstPacketThatCarriesItsRid) {
  SimulcastStreams streams;
  streams.SetExtensionId(kRidId);
  CHECK(std::string(Feed(streams, 1, "").rid).empty());  // not named yet
  CHECK(std::string(Feed(streams, 1, "h").rid) == "h");
  CHECK(std::string(Feed(streams, 1, "").rid) == "h");  // later packets need not repeat it
  CHECK(std::string(Feed(streams, 2, "l").rid) == "l");
  CHECK(std::string(Feed(streams, 1, "x").rid) == "h");  // a stream keeps the id it was given
  const auto seen = streams.Snapshot();
  CHECK_EQ(seen.size(), 2u);
  CHECK(seen[0].rid == "h" && seen[0].ssrc == 1u && seen[0].packets == 4u);
  CHECK(seen[1].rid == "l" && seen[1].ssrc == 2u && seen[1].packets == 1u);
}

TEST(SimulcastStreams_WithoutTheExtensionOrWithABadIdNothingIsNamed) {
  SimulcastStreams unnamed;
  CHECK(std::string(Feed(unnamed, 1, "h").rid).empty());
  SimulcastStreams streams;
  streams.SetExtensionId(kRidId);
  CHECK(std::string(Feed(streams, 1, "a b").rid).empty());  // not RFC 8851 rid-syntax
  CHECK(std::string(Feed(streams, 1, "ok-_9").rid) == "ok-_9");
}

TEST(SimulcastStreams_ANewSsrcPastTheTableTakesTheOldestSlot) {
  SimulcastStreams streams;
  streams.SetExtensionId(kRidId);
  for (uint32_t ssrc = 1; ssrc <= SimulcastStreams::kMaxStreams; ++ssrc) Feed(streams, ssrc, "r" + std::to_string(ssrc));
  CHECK_EQ(streams.size(), SimulcastStreams::kMaxStreams);
  CHECK(std::string(Feed(streams, 100, "new").rid) == "new");
  CHECK_EQ(streams.size(), SimulcastStreams::kMaxStreams);
  CHECK_EQ(streams.at(0).ssrc, 100u);  // the first stream's slot
  CHECK(std::string(Feed(streams, 2, "").rid) == "r2");  // the others stay
}
