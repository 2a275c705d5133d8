#include "video/VideoDecoder.h"

#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include "check.h"
#include "video/EncodedClip.h"

using callmedia::DecodedPicture;
using callmedia::VideoDecoder;
using testvideo::Bytes;
using testvideo::EncodeClip;
using testvideo::kHeight;
using testvideo::kWidth;

namespace {

// Decodes with the padding the decoder asks for.
VideoDecoder::Result Feed(VideoDecoder& decoder, const Bytes& unit, int64_t pts, int* pictures) {
  Bytes padded(unit);
  padded.resize(unit.size() + VideoDecoder::kInputPadding, 0);
  return decoder.Decode(padded.data(), unit.size(), pts, [pictures](const DecodedPicture&) { ++*pictures; });
}

}  // namespace

TEST(VideoDecoder_EveryAccessUnitEndsInOneOutcome) {
  const auto clip = EncodeClip(6);
  REQUIRE(clip.size() == 6);
  VideoDecoder decoder;
  REQUIRE(decoder.ok());
  int pictures = 0;
  uint64_t fed = 0;
  VideoDecoder::Outcomes total;
  auto take = [&] {
    const auto o = decoder.TakeOutcomes();
    total.corrupt += o.corrupt;
    total.unsupported += o.unsupported;
    total.discarded += o.discarded;
  };
  int64_t pts = 0;
  for (const auto& unit : clip) {
    CHECK(Feed(decoder, unit, pts += 3000, &pictures) == VideoDecoder::Result::Ok);
    ++fed;
    take();
  }
  CHECK_EQ(pictures, 6);
  CHECK_EQ(total.discarded, 0u);
  CHECK_EQ(total.corrupt, 0u);

  // An access unit delimiter alone is valid H.264 that carries no picture: the decoder takes it
  // and says nothing, and it must still be counted somewhere.
  const Bytes delimiter = {0, 0, 0, 1, 0x09, 0xf0};
  Feed(decoder, delimiter, pts += 3000, &pictures);
  ++fed;
  take();
  // A slice whose header names a picture parameter set that was never sent.
  Bytes orphan = {0, 0, 0, 1, 0x21, 0x88, 0x84, 0x21, 0x08, 0x42};
  Feed(decoder, orphan, pts += 3000, &pictures);
  ++fed;
  take();
  // Then the stream goes on, and later frames decode again.
  CHECK(Feed(decoder, clip[0], pts += 3000, &pictures) == VideoDecoder::Result::Ok);
  ++fed;
  take();
  decoder.Drain([&pictures](const DecodedPicture&) { ++pictures; });
  take();
  CHECK_EQ(decoder.held(), 0);
  CHECK(total.discarded >= 1u);
  CHECK_EQ(static_cast<uint64_t>(pictures) + total.corrupt + total.unsupported + total.discarded, fed);
  CHECK_EQ(pictures, 7);
}

TEST(VideoDecoder_GarbageIsCountedNotLost) {
  const auto clip = EncodeClip(2);
  REQUIRE(clip.size() == 2);
  VideoDecoder decoder;
  int pictures = 0;
  uint64_t fed = 0;
  VideoDecoder::Outcomes total;
  int64_t pts = 0;
  Bytes garbage(700);
  uint32_t x = 12345;
  for (int round = 0; round < 40; ++round) {
    for (auto& b : garbage) b = static_cast<uint8_t>((x = x * 1664525u + 1013904223u) >> 24);
    if (round % 4 == 0) {
      garbage[0] = garbage[1] = garbage[2] = 0;
      garbage[3] = 1;
    }
    Feed(decoder, round % 5 == 0 ? clip[0] : garbage, pts += 3000, &pictures);
    ++fed;
    const auto o = decoder.TakeOutcomes();
    total.corrupt += o.corrupt;
    total.unsupported += o.unsupported;
    total.discarded += o.discarded;
    CHECK(decoder.held() >= 0);
  }
  decoder.Drain([&pictures](const DecodedPicture&) { ++pictures; });
  const auto o = decoder.TakeOutcomes();
  total.corrupt += o.corrupt;
  total.discarded += o.discarded;
  CHECK_EQ(static_cast<uint64_t>(pictures) + total.corrupt + total.unsupported + total.discarded, fed);
  CHECK(pictures >= 8);  // every key frame among the garbage
}
