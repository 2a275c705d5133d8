#include "video/H264Depacketizer.h"

#include <vector>

#include "check.h"
#include "rtp/RtpBytes.h"

using callmedia::H264Depacketizer;
using testrtp::ExactBuffer;
using Bytes = std::vector<uint8_t>;

namespace {

// Appends through an exact-size copy so a read past the payload is an ASan error.
bool Append(H264Depacketizer& d, const Bytes& payload) {
  ExactBuffer buf(payload);
  return d.Append(buf.data(), buf.size());
}

bool StartsKey(const Bytes& payload) {
  ExactBuffer buf(payload);
  return callmedia::h264::PayloadStartsKeyFrame(buf.data(), buf.size());
}

bool StartsNal(const Bytes& payload) {
  ExactBuffer buf(payload);
  return callmedia::h264::PayloadStartsNal(buf.data(), buf.size());
}

uint32_t Types(const Bytes& annexB) {
  ExactBuffer buf(annexB);
  return callmedia::h264::NalTypesInAnnexB(buf.data(), buf.size());
}

// A single payload must be refused in a fresh frame.
bool RefusedAlone(const Bytes& payload) {
  H264Depacketizer d;
  Bytes out;
  d.BeginFrame(&out);
  return !Append(d, payload);
}

}  // namespace

TEST(H264Depacketizer_SingleNalUnit) {
  H264Depacketizer d;
  Bytes out;
  d.BeginFrame(&out);
  CHECK(Append(d, {0x65, 0xAA, 0xBB, 0xCC}));
  CHECK(d.EndFrame());
  CHECK_EQ(out, (Bytes{0, 0, 0, 1, 0x65, 0xAA, 0xBB, 0xCC}));
  CHECK(d.hasIdr());
  CHECK(!d.hasSps());
}

TEST(H264Depacketizer_SeveralSingleNalUnitsInOneFrame) {
  H264Depacketizer d;
  Bytes out;
  d.BeginFrame(&out);
  CHECK(Append(d, {0x67, 0x42, 0x00, 0x1F}));
  CHECK(Append(d, {0x68, 0xCE, 0x3C, 0x80}));
  CHECK(Append(d, {0x41, 0x9A}));  // a one-byte-payload slice (type 1)
  CHECK(d.EndFrame());
  CHECK_EQ(out, (Bytes{0, 0, 0, 1, 0x67, 0x42, 0x00, 0x1F, 0, 0, 0, 1, 0x68, 0xCE, 0x3C, 0x80, 0, 0, 0, 1, 0x41, 0x9A}));
  CHECK(d.hasSps());
  CHECK(!d.hasIdr());
}

TEST(H264Depacketizer_NalHeaderOnly) {
  H264Depacketizer d;
  Bytes out;
  d.BeginFrame(&out);
  CHECK(Append(d, {0x09}));  // an AUD's header with no payload is still one whole NAL unit
  CHECK_EQ(out, (Bytes{0, 0, 0, 1, 0x09}));
}

TEST(H264Depacketizer_StapA) {
  H264Depacketizer d;
  Bytes out;
  d.BeginFrame(&out);
  // STAP-A (NRI 3) holding SPS (3 bytes) and PPS (2 bytes).
  CHECK(Append(d, {0x78, 0x00, 0x03, 0x67, 0x42, 0x00, 0x00, 0x02, 0x68, 0xCE}));
  CHECK(d.EndFrame());
  CHECK_EQ(out, (Bytes{0, 0, 0, 1, 0x67, 0x42, 0x00, 0, 0, 0, 1, 0x68, 0xCE}));
  CHECK(d.hasSps());
  CHECK(!d.hasIdr());
}

TEST(H264Depacketizer_StapAWithIdr) {
  H264Depacketizer d;
  Bytes out;
  d.BeginFrame(&out);
  CHECK(Append(d, {0x78, 0x00, 0x01, 0x06, 0x00, 0x03, 0x65, 0x88, 0x84}));  // SEI (header only) + IDR
  CHECK_EQ(out, (Bytes{0, 0, 0, 1, 0x06, 0, 0, 0, 1, 0x65, 0x88, 0x84}));
  CHECK(d.hasIdr());
  CHECK(!d.hasSps());
}

TEST(H264Depacketizer_FuAReassembly) {
  H264Depacketizer d;
  Bytes out;
  d.BeginFrame(&out);
  // FU indicator: NRI 3 (0x60) | 28; FU header: S/E bits | original type 5.
  CHECK(Append(d, {0x7C, 0x85, 0x01, 0x02}));
  CHECK(!d.EndFrame());  // a frame may not end here
  CHECK(Append(d, {0x7C, 0x05, 0x03, 0x04}));
  CHECK(Append(d, {0x7C, 0x05, 0x05}));
  CHECK(Append(d, {0x7C, 0x45, 0x06, 0x07}));
  CHECK(d.EndFrame());
  // Start code, reconstructed header F|NRI from the indicator + type from the FU header, data.
  CHECK_EQ(out, (Bytes{0, 0, 0, 1, 0x65, 1, 2, 3, 4, 5, 6, 7}));
  CHECK(d.hasIdr());
}

TEST(H264Depacketizer_FuAKeepsTheIndicatorsNri) {
  H264Depacketizer d;
  Bytes out;
  d.BeginFrame(&out);
  CHECK(Append(d, {0x3C, 0x81, 0xAA}));  // NRI 1, slice
  CHECK(Append(d, {0x3C, 0x41, 0xBB}));
  CHECK_EQ(out, (Bytes{0, 0, 0, 1, 0x21, 0xAA, 0xBB}));
  CHECK(!d.hasIdr());
}

TEST(H264Depacketizer_MixedPacketsInOneAccessUnit) {
  H264Depacketizer d;
  Bytes out;
  d.BeginFrame(&out);
  CHECK(Append(d, {0x78, 0x00, 0x02, 0x67, 0x01, 0x00, 0x02, 0x68, 0x02}));
  CHECK(Append(d, {0x7C, 0x85, 0x10}));
  CHECK(Append(d, {0x7C, 0x45, 0x11}));
  CHECK(Append(d, {0x65, 0x20}));  // a second IDR slice sent whole
  CHECK(d.EndFrame());
  CHECK_EQ(out, (Bytes{0, 0, 0, 1, 0x67, 0x01, 0, 0, 0, 1, 0x68, 0x02, 0, 0, 0, 1, 0x65, 0x10, 0x11, 0, 0, 0, 1,
                       0x65, 0x20}));
  CHECK(d.hasIdr());
  CHECK(d.hasSps());
}

TEST(H264Depacketizer_BeginFrameResetsState) {
  H264Depacketizer d;
  Bytes first, second;
  d.BeginFrame(&first);
  CHECK(Append(d, {0x67, 0x01}));
  CHECK(Append(d, {0x7C, 0x85, 0x01}));  // left open
  CHECK(!d.EndFrame());
  d.BeginFrame(&second);
  CHECK(!d.hasSps());
  CHECK(!d.hasIdr());
  CHECK(d.EndFrame());
  CHECK(Append(d, {0x7C, 0x81, 0x09}));  // a new start is fine: the old fragment was abandoned
  CHECK(Append(d, {0x7C, 0x41, 0x0A}));
  CHECK_EQ(second, (Bytes{0, 0, 0, 1, 0x61, 0x09, 0x0A}));
  second.assign(3, 0xEE);
  d.BeginFrame(&second);
  CHECK(second.empty());  // the output is cleared, not appended to
}

TEST(H264Depacketizer_RefusesFuAContinuationWithoutStart) {
  CHECK(RefusedAlone({0x7C, 0x05, 0x01}));  // middle
  CHECK(RefusedAlone({0x7C, 0x45, 0x01}));  // end
}

TEST(H264Depacketizer_RefusesFuAOfAnotherTypeThanItsStart) {
  H264Depacketizer d;
  Bytes out;
  d.BeginFrame(&out);
  CHECK(Append(d, {0x7C, 0x85, 0x01}));
  CHECK(!Append(d, {0x7C, 0x41, 0x02}));
}

TEST(H264Depacketizer_RefusesStartWhileAFragmentIsOpen) {
  H264Depacketizer d;
  Bytes out;
  d.BeginFrame(&out);
  CHECK(Append(d, {0x7C, 0x85, 0x01}));
  CHECK(!Append(d, {0x7C, 0x85, 0x02}));
}

TEST(H264Depacketizer_RefusesStartAndEndTogether) {
  CHECK(RefusedAlone({0x7C, 0xC5, 0x01, 0x02}));
}

TEST(H264Depacketizer_RefusesFuAWithoutData) {
  CHECK(RefusedAlone({0x7C, 0x85}));
  CHECK(RefusedAlone({0x7C}));
}

TEST(H264Depacketizer_RefusesWholeNalInsideAnOpenFragment) {
  H264Depacketizer d;
  Bytes out;
  d.BeginFrame(&out);
  CHECK(Append(d, {0x7C, 0x85, 0x01}));
  CHECK(!Append(d, {0x41, 0x02}));
  H264Depacketizer d2;
  d2.BeginFrame(&out);
  CHECK(Append(d2, {0x7C, 0x85, 0x01}));
  CHECK(!Append(d2, {0x78, 0x00, 0x01, 0x06}));
}

TEST(H264Depacketizer_RefusesBadStapA) {
  CHECK(RefusedAlone({0x78}));                                  // no NAL units at all
  CHECK(RefusedAlone({0x78, 0x00, 0x00}));                      // zero-size unit
  CHECK(RefusedAlone({0x78, 0x00, 0x02, 0x67, 0x01, 0x00, 0x00}));  // zero size after a good one
  CHECK(RefusedAlone({0x78, 0x00, 0x05, 0x67, 0x01}));          // size past the end
  CHECK(RefusedAlone({0x78, 0x00, 0x02, 0x67, 0x01, 0x00}));    // half a size field left over
  CHECK(RefusedAlone({0x78, 0x00, 0x02, 0xE7, 0x01}));          // inner forbidden bit
  CHECK(RefusedAlone({0x78, 0xFF, 0xFF, 0x67}));                // 65535 claimed
}

TEST(H264Depacketizer_RefusesForbiddenBit) {
  CHECK(RefusedAlone({0xE5, 0x01}));        // single NAL unit
  CHECK(RefusedAlone({0xFC, 0x85, 0x01}));  // FU indicator
  CHECK(RefusedAlone({0xF8, 0x00, 0x02, 0x67, 0x01}));  // STAP-A header
}

TEST(H264Depacketizer_RefusesUnsupportedAndReservedTypes) {
  // 0 is unspecified; 25-27 (STAP-B, MTAP16, MTAP24) and 29 (FU-B) are interleaved mode only;
  // 30 and 31 are reserved (RFC 6184 table 3).
  for (uint8_t type : {0, 25, 26, 27, 29, 30, 31}) {
    CHECK_MSG(RefusedAlone({static_cast<uint8_t>(0x60 | type), 0x00, 0x02, 0x65, 0x01, 0x02, 0x03}),
              "type " + std::to_string(type));
  }
}

TEST(H264Depacketizer_RefusesEmptyPayload) {
  CHECK(RefusedAlone({}));
}

TEST(H264Depacketizer_EndFrameInsideFragmentIsFalse) {
  H264Depacketizer d;
  Bytes out;
  d.BeginFrame(&out);
  CHECK(Append(d, {0x67, 0x01}));
  CHECK(d.EndFrame());
  CHECK(Append(d, {0x7C, 0x85, 0x01}));
  CHECK(Append(d, {0x7C, 0x05, 0x02}));
  CHECK(!d.EndFrame());
}

TEST(H264_PayloadStartsKeyFrame) {
  CHECK(StartsKey({0x67, 0x42}));  // SPS
  CHECK(StartsKey({0x68, 0xCE}));  // PPS
  CHECK(StartsKey({0x09, 0xF0}));  // AUD
  CHECK(StartsKey({0x65, 0x88}));  // IDR
  CHECK(!StartsKey({0x41, 0x9A}));  // non-IDR slice
  CHECK(!StartsKey({0x06, 0x05}));  // SEI
  CHECK(!StartsKey({}));
  CHECK(StartsKey({0x78, 0x00, 0x02, 0x67, 0x42}));   // STAP-A opening with SPS
  CHECK(!StartsKey({0x78, 0x00, 0x02, 0x06, 0x05}));  // STAP-A opening with SEI
  CHECK(!StartsKey({0x78, 0x00, 0x02}));              // too short to see the first unit
  CHECK(StartsKey({0x7C, 0x85, 0x01}));   // FU-A start of an IDR
  CHECK(!StartsKey({0x7C, 0x05, 0x01}));  // FU-A middle of an IDR
  CHECK(!StartsKey({0x7C, 0x45, 0x01}));  // FU-A end of an IDR
  CHECK(!StartsKey({0x7C, 0x81, 0x01}));  // FU-A start of a non-IDR slice
  CHECK(!StartsKey({0x7C}));
}

TEST(H264_PayloadStartsNal) {
  for (uint8_t type = 1; type <= 23; ++type) CHECK_MSG(StartsNal({type, 0x00}), "type " + std::to_string(type));
  CHECK(StartsNal({0x78, 0x00, 0x01, 0x67}));  // STAP-A
  CHECK(StartsNal({0x7C, 0x81, 0x00}));        // FU-A start
  CHECK(!StartsNal({0x7C, 0x01, 0x00}));       // FU-A middle
  CHECK(!StartsNal({0x7C, 0x41, 0x00}));       // FU-A end
  CHECK(!StartsNal({0x7C}));
  CHECK(!StartsNal({}));
  for (uint8_t type : {0, 25, 26, 27, 29, 30, 31})
    CHECK_MSG(!StartsNal({type, 0x00}), "type " + std::to_string(type));
}

TEST(H264_NalTypesInAnnexB) {
  CHECK_EQ(Types({0, 0, 0, 1, 0x67, 0x42, 0, 0, 1, 0x68, 0xCE, 0, 0, 0, 1, 0x65, 0x88}),
           (1u << 7) | (1u << 8) | (1u << 5));
  CHECK_EQ(Types({0, 0, 0, 1, 0x41, 0x9A, 0x00, 0x00, 0x03, 0x01}), 1u << 1);  // emulation-prevented bytes
  CHECK_EQ(Types({}), 0u);
  CHECK_EQ(Types({0, 0, 1}), 0u);         // a start code with no header after it
  CHECK_EQ(Types({0x41, 0, 0, 1}), 0u);
  CHECK_EQ(Types({0, 0, 1, 0x09}), 1u << 9);  // header as the very last byte
}

TEST(H264Depacketizer_FuzzNeverReadsOutOfBounds) {
  // Random payload sequences, biased towards FU-A and STAP-A shapes.
  uint32_t state = 2463534242u;
  auto next = [&state] {
    state ^= state << 13;
    state ^= state >> 17;
    state ^= state << 5;
    return state;
  };
  H264Depacketizer d;
  Bytes out;
  size_t accepted = 0;
  for (int frame = 0; frame < 20000; ++frame) {
    d.BeginFrame(&out);
    const int packets = 1 + static_cast<int>(next() % 6);
    for (int i = 0; i < packets; ++i) {
      Bytes payload(next() % 40);
      for (auto& b : payload) b = static_cast<uint8_t>(next());
      if (!payload.empty()) {
        const uint32_t shape = next() % 4;
        if (shape == 0) payload[0] = static_cast<uint8_t>((payload[0] & 0x60) | 28);
        if (shape == 1) payload[0] = static_cast<uint8_t>((payload[0] & 0x60) | 24);
        if (shape == 1 && payload.size() > 2) payload[1] = 0;
      }
      if (Append(d, payload)) ++accepted;
      ExactBuffer view(payload);
      callmedia::h264::PayloadStartsKeyFrame(view.data(), view.size());
      callmedia::h264::PayloadStartsNal(view.data(), view.size());
    }
    d.EndFrame();
    const uint32_t types = Types(out);
    if (!out.empty()) CHECK(types != 0 || out.size() < 5);
  }
  CHECK(accepted > 1000);
}

// nal_ref_idc decides whether a frame may be dropped without breaking the reference chain:
// a frame is a reference when any of its slices has nal_ref_idc != 0, whatever its packets.
TEST(H264Depacketizer_ReferenceFramesByNalRefIdc) {
  auto reference = [](const std::vector<Bytes>& payloads) {
    H264Depacketizer d;
    Bytes out;
    d.BeginFrame(&out);
    for (const auto& p : payloads) CHECK(Append(d, p));
    CHECK(d.EndFrame());
    return d.isReference();
  };
  CHECK(reference({{0x41, 0x9A}}));            // P slice, nal_ref_idc 2
  CHECK(!reference({{0x01, 0x9A}}));           // disposable slice, nal_ref_idc 0
  CHECK(!reference({{0x06, 0x05, 0x01}, {0x01, 0x9E}}));  // SEI + disposable slice
  CHECK(reference({{0x67, 0x42}, {0x01, 0x9A}, {0x21, 0x9A}}));  // one referenced slice of two
  CHECK(reference({{0x7C, 0x85, 0xAA}, {0x7C, 0x45, 0xBB}}));  // FU-A of an IDR
  CHECK(!reference({{0x1C, 0x81, 0xAA}, {0x1C, 0x41, 0xBB}}));  // FU-A of a disposable slice
  CHECK(!reference({{0x18, 0x00, 0x02, 0x01, 0x9A, 0x00, 0x02, 0x06, 0x05}}));  // STAP-A: slice idc 0 + SEI
  CHECK(reference({{0x18, 0x00, 0x02, 0x67, 0x42, 0x00, 0x02, 0x65, 0x88}}));  // STAP-A: SPS + IDR
  // A parameter set alone is no picture to predict from.
  CHECK(!reference({{0x67, 0x42, 0x00, 0x1F}}));
}
