#include "audio/DtmfReceiver.h"

#include <string>
#include <vector>

#include "check.h"
#include "rtp/RtpBytes.h"

using callmedia::DtmfReceiver;
using callmedia::DtmfTone;
using testrtp::ExactBuffer;
using Bytes = std::vector<uint8_t>;

namespace {

// RFC 4733 2.3: event, E bit + reserved + volume, 16-bit duration in timestamp units.
Bytes Event(uint8_t event, bool end, uint16_t duration, uint8_t volume = 10) {
  return {event, static_cast<uint8_t>((end ? 0x80 : 0) | (volume & 0x3F)), static_cast<uint8_t>(duration >> 8),
          static_cast<uint8_t>(duration)};
}

bool Feed(DtmfReceiver& r, const Bytes& payload, uint32_t timestamp, DtmfTone* tone) {
  ExactBuffer buf(payload);
  return r.OnPacket(buf.data(), buf.size(), timestamp, tone);
}

// Sends one tone the way a sender does: updates every 20 ms while it lasts, then the end
// packet three times. Returns the tones reported.
std::vector<DtmfTone> SendTone(DtmfReceiver& r, uint8_t event, uint32_t timestamp, uint16_t duration,
                               uint16_t step = 960) {
  std::vector<DtmfTone> reported;
  DtmfTone tone{};
  for (uint32_t d = step; d < duration; d += step)
    if (Feed(r, Event(event, false, static_cast<uint16_t>(d)), timestamp, &tone)) reported.push_back(tone);
  for (int i = 0; i < 3; ++i)
    if (Feed(r, Event(event, true, duration), timestamp, &tone)) reported.push_back(tone);
  return reported;
}

}  // namespace

TEST(DtmfReceiver_OneReportPerToneAcrossRepeatedEnds) {
  DtmfReceiver r(48000);
  const auto reported = SendTone(r, 5, 160000, 4800);
  REQUIRE(reported.size() == 1);
  CHECK_EQ(reported[0].tone, '5');
  CHECK_EQ(reported[0].durationMs, 100u);
  // A fourth end packet, much later, is still the same tone.
  DtmfTone tone{};
  CHECK(!Feed(r, Event(5, true, 4800), 160000, &tone));
}

TEST(DtmfReceiver_NoReportWithoutAnEnd) {
  DtmfReceiver r(48000);
  DtmfTone tone{};
  for (uint16_t d = 960; d < 20000; d += 960) CHECK(!Feed(r, Event(1, false, d), 5000, &tone));
  // A new tone after it, ended: reported, and only that one.
  const auto reported = SendTone(r, 2, 30000, 2880);
  REQUIRE(reported.size() == 1);
  CHECK_EQ(reported[0].tone, '2');
  CHECK_EQ(reported[0].durationMs, 60u);
}

TEST(DtmfReceiver_EveryEventMapsToItsTone) {
  const std::string tones = "0123456789*#ABCD";
  DtmfReceiver r(48000);
  for (uint8_t e = 0; e < 16; ++e) {
    CHECK_EQ(DtmfReceiver::ToneOf(e), tones[e]);
    const auto reported = SendTone(r, e, 1000u + e * 10000u, 960);
    REQUIRE(reported.size() == 1);
    CHECK_EQ(reported[0].tone, tones[e]);
  }
  CHECK_EQ(DtmfReceiver::ToneOf(16), 0);
  CHECK_EQ(DtmfReceiver::ToneOf(255), 0);
}

TEST(DtmfReceiver_UnknownEventsAndShortPayloadsAreIgnored) {
  DtmfReceiver r(48000);
  DtmfTone tone{};
  CHECK(!Feed(r, Event(16, true, 960), 100, &tone));   // flash (RFC 4733 table 7): not a DTMF digit
  CHECK(!Feed(r, Event(40, true, 960), 200, &tone));
  CHECK(!Feed(r, Event(255, true, 960), 300, &tone));
  CHECK(!Feed(r, {3, 0x80, 0x03}, 400, &tone));         // three bytes: no duration
  CHECK(!Feed(r, {}, 500, &tone));
  // The ignored ones leave no trace: a real tone at one of their timestamps is reported.
  const auto reported = SendTone(r, 3, 100, 1920);
  REQUIRE(reported.size() == 1);
  CHECK_EQ(reported[0].tone, '3');
}

TEST(DtmfReceiver_DurationInMilliseconds) {
  DtmfReceiver r48(48000);
  DtmfTone tone{};
  REQUIRE(Feed(r48, Event(9, true, 480), 1, &tone));
  CHECK_EQ(tone.durationMs, 10u);
  REQUIRE(Feed(r48, Event(9, true, 65535), 2, &tone));  // the longest a duration field holds
  CHECK_EQ(tone.durationMs, 1365u);
  REQUIRE(Feed(r48, Event(9, true, 0), 3, &tone));
  CHECK_EQ(tone.durationMs, 0u);
  DtmfReceiver r8(8000);
  REQUIRE(Feed(r8, Event(9, true, 800), 1, &tone));
  CHECK_EQ(tone.durationMs, 100u);
  REQUIRE(Feed(r8, Event(9, true, 65535), 2, &tone));
  CHECK_EQ(tone.durationMs, 8191u);
}

TEST(DtmfReceiver_TwoTonesWithDifferentTimestamps) {
  DtmfReceiver r(48000);
  auto first = SendTone(r, 1, 96000, 4800);
  auto second = SendTone(r, 1, 96000 + 9600, 3840);  // the same digit again, a new event
  auto third = SendTone(r, 11, 96000 + 19200, 5760);
  REQUIRE(first.size() == 1);
  REQUIRE(second.size() == 1);
  REQUIRE(third.size() == 1);
  CHECK_EQ(first[0].tone, '1');
  CHECK_EQ(second[0].tone, '1');
  CHECK_EQ(second[0].durationMs, 80u);
  CHECK_EQ(third[0].tone, '#');
  CHECK_EQ(third[0].durationMs, 120u);
}

TEST(DtmfReceiver_EndPacketsWithoutUpdatesBefore) {
  // A short tone may come as end packets only (the start lost, or shorter than one update).
  DtmfReceiver r(48000);
  DtmfTone tone{};
  CHECK(Feed(r, Event(0, true, 1920), 0, &tone));  // timestamp 0 is a timestamp like any other
  CHECK_EQ(tone.tone, '0');
  CHECK(!Feed(r, Event(0, true, 1920), 0, &tone));
  CHECK(Feed(r, Event(4, true, 1920), 0xFFFFFF00u, &tone));
  CHECK_EQ(tone.tone, '4');
}

TEST(DtmfReceiver_AClockOfZeroNeverDividesByIt) {
  // A telephone-event clock nobody negotiated must not bring the process down (SIGFPE).
  DtmfReceiver r(0);
  DtmfTone tone{};
  REQUIRE(Feed(r, Event(5, true, 800), 1234, &tone));
  CHECK_EQ(tone.tone, '5');
  CHECK_EQ(tone.durationMs, 100u);  // 800 ticks of the 8 kHz clock
}
