#include "video/Vp8Depacketizer.h"

#include <memory>
#include <string>
#include <vector>

#include "check.h"
#include "rtp/RtpBytes.h"

using callmedia::Vp8Depacketizer;
using callmedia::vp8::PayloadDescriptor;
using testrtp::ExactBuffer;
using Bytes = std::vector<uint8_t>;

namespace {

// Every call goes through an exact-size copy so a read past the payload is an ASan error.
bool Parse(const Bytes& payload, PayloadDescriptor* d) {
  ExactBuffer buf(payload);
  return callmedia::vp8::ParseDescriptor(buf.data(), buf.size(), d);
}

bool Append(Vp8Depacketizer& d, const Bytes& payload) {
  ExactBuffer buf(payload);
  return d.Append(buf.data(), buf.size());
}

bool StartsFrame(const Bytes& payload) {
  ExactBuffer buf(payload);
  return Vp8Depacketizer().StartsFrame(buf.data(), buf.size());
}

bool StartsKey(const Bytes& payload) {
  ExactBuffer buf(payload);
  const bool free = callmedia::vp8::PayloadStartsKeyFrame(buf.data(), buf.size());
  CHECK_EQ(Vp8Depacketizer().StartsKeyFrame(buf.data(), buf.size()), free);
  return free;
}

// A single payload must be refused as the first of a fresh frame.
bool RefusedAlone(const Bytes& payload) {
  Vp8Depacketizer d;
  Bytes out;
  d.BeginFrame(&out);
  return !Append(d, payload);
}

Bytes Cat(Bytes a, const Bytes& b) {
  a.insert(a.end(), b.begin(), b.end());
  return a;
}

// RFC 6386 9.1: frame tag (P=0, version 0, show_frame, first partition size), start code,
// 14-bit width and height with no scaling; then the body.
Bytes KeyFrame(size_t bodySize, uint8_t salt = 0) {
  Bytes f = {0x10, 0x02, 0x00, 0x9D, 0x01, 0x2A, 0x80, 0x02, 0xE0, 0x01};  // 640x480
  for (size_t i = 0; i < bodySize; ++i) f.push_back(static_cast<uint8_t>(i * 7 + salt));
  return f;
}

// An interframe: only the 3-byte frame tag, P=1.
Bytes DeltaFrame(size_t bodySize, uint8_t salt = 0) {
  Bytes f = {0x31, 0x01, 0x00};
  for (size_t i = 0; i < bodySize; ++i) f.push_back(static_cast<uint8_t>(i * 5 + salt));
  return f;
}

}  // namespace

TEST(Vp8Depacketizer_DescriptorWithoutExtensions) {
  PayloadDescriptor d;
  REQUIRE(Parse({0x10, 0xAB}, &d));
  CHECK_EQ(d.size, 1u);
  CHECK(d.startOfPartition);
  CHECK_EQ(d.partitionId, 0);
  CHECK(!d.nonReference);
  CHECK(!d.hasPictureId);
  CHECK(!d.hasTl0PicIdx);
  CHECK(!d.hasTid);
  CHECK(!d.hasKeyIdx);

  REQUIRE(Parse({0x25, 0xAB}, &d));  // N=1, S=0, PID 5
  CHECK(d.nonReference);
  CHECK(!d.startOfPartition);
  CHECK_EQ(d.partitionId, 5);
}

TEST(Vp8Depacketizer_SevenBitPictureId) {
  PayloadDescriptor d;
  REQUIRE(Parse({0x90, 0x80, 0x25, 0xAB}, &d));
  CHECK_EQ(d.size, 3u);
  CHECK(d.hasPictureId);
  CHECK(!d.longPictureId);
  CHECK_EQ(d.pictureId, 0x25);
}

TEST(Vp8Depacketizer_FifteenBitPictureId) {
  PayloadDescriptor d;
  REQUIRE(Parse({0x90, 0x80, 0xF2, 0x34, 0xAB}, &d));
  CHECK_EQ(d.size, 4u);
  CHECK(d.longPictureId);
  CHECK_EQ(d.pictureId, 0x7234);
}

TEST(Vp8Depacketizer_Tl0PicIdxTidAndKeyIdx) {
  PayloadDescriptor d;
  // I, L, T, K: PictureID 0x0123, TL0PICIDX 0x45, then TID 2, Y, KEYIDX 23.
  REQUIRE(Parse({0x90, 0xF0, 0x81, 0x23, 0x45, 0xB7, 0xAB}, &d));
  CHECK_EQ(d.size, 6u);
  CHECK_EQ(d.pictureId, 0x0123);
  CHECK(d.hasTl0PicIdx);
  CHECK_EQ(d.tl0PicIdx, 0x45);
  CHECK(d.hasTid);
  CHECK_EQ(d.tid, 2);
  CHECK(d.layerSync);
  CHECK(d.hasKeyIdx);
  CHECK_EQ(d.keyIdx, 23);

  REQUIRE(Parse({0x90, 0x60, 0x45, 0x40, 0xAB}, &d));  // L and T, no PictureID
  CHECK_EQ(d.size, 4u);
  CHECK(!d.hasPictureId);
  CHECK_EQ(d.tl0PicIdx, 0x45);
  CHECK_EQ(d.tid, 1);
  CHECK(!d.layerSync);
  CHECK(!d.hasKeyIdx);

  REQUIRE(Parse({0x90, 0x10, 0xFF, 0xAB}, &d));  // K alone: the byte is there, TID unused
  CHECK_EQ(d.size, 3u);
  CHECK(!d.hasTid);
  CHECK_EQ(d.tid, 0);
  CHECK_EQ(d.keyIdx, 31);

  REQUIRE(Parse({0x90, 0x00, 0xAB}, &d));  // X with nothing in it
  CHECK_EQ(d.size, 2u);
}

TEST(Vp8Depacketizer_ReservedBitsAreIgnored) {
  PayloadDescriptor d;
  REQUIRE(Parse({0xD8, 0x8F, 0x12, 0xAB}, &d));  // both R bits, and RSV in the X byte
  CHECK_EQ(d.size, 3u);
  CHECK(d.startOfPartition);
  CHECK_EQ(d.partitionId, 0);
  CHECK_EQ(d.pictureId, 0x12);
  CHECK(!d.hasTl0PicIdx);
  CHECK(StartsFrame(Cat({0x58}, KeyFrame(4))));
  CHECK(StartsKey(Cat({0x58}, KeyFrame(4))));
}

TEST(Vp8Depacketizer_TruncatedDescriptorsAreRefused) {
  // Each descriptor followed by a whole key frame header; cut anywhere up to and including the
  // descriptor's last byte, nothing is left for the VP8 payload.
  const std::vector<Bytes> descriptors = {
      {0x10},
      {0x90, 0x00},
      {0x90, 0x80, 0x25},
      {0x90, 0x80, 0x92, 0x34},
      {0x90, 0x40, 0x45},
      {0x90, 0x20, 0x40},
      {0x90, 0x10, 0x05},
      {0x90, 0xF0, 0x81, 0x23, 0x45, 0xB7},
      {0x90, 0xE0, 0x12, 0x45, 0x80},
  };
  for (const Bytes& descriptor : descriptors) {
    const Bytes whole = Cat(descriptor, KeyFrame(0));
    const std::string where = check::HexBytes(descriptor.data(), descriptor.size());
    PayloadDescriptor d;
    CHECK_MSG(Parse(whole, &d) && d.size == descriptor.size(), where);
    CHECK_MSG(StartsFrame(whole) && StartsKey(whole) && !RefusedAlone(whole), where);
    for (size_t cut = 0; cut <= descriptor.size(); ++cut) {
      const Bytes part(whole.begin(), whole.begin() + cut);
      const std::string at = where + " cut " + std::to_string(cut);
      CHECK_MSG(!Parse(part, &d), at);
      CHECK_MSG(!StartsFrame(part), at);
      CHECK_MSG(!StartsKey(part), at);
      CHECK_MSG(RefusedAlone(part), at);
    }
  }
}

TEST(Vp8Depacketizer_StartsFrameOnlyAtPartitionZeroStart) {
  CHECK(StartsFrame({0x10, 0x31, 0x01, 0x00}));
  CHECK(StartsFrame({0x90, 0x80, 0x80, 0x01, 0x31}));
  CHECK(StartsFrame({0x30, 0x31}));         // N=1 changes nothing
  CHECK(!StartsFrame({0x00, 0x31, 0x01}));  // a middle packet
  CHECK(!StartsFrame({0x11, 0x31, 0x01}));  // start of partition 1
  CHECK(!StartsFrame({0x80, 0x80, 0x80, 0x01, 0x31}));
}

TEST(Vp8Depacketizer_StartsKeyFrame) {
  CHECK(StartsKey(Cat({0x10}, KeyFrame(20))));
  CHECK(StartsKey(Cat({0x90, 0x80, 0x80, 0x01}, KeyFrame(0))));  // exactly the 10-byte header
  CHECK(!StartsKey(Cat({0x10}, DeltaFrame(20))));                // P=1
  CHECK(!StartsKey(Cat({0x00}, KeyFrame(20))));                  // middle packet, S=0
  CHECK(!StartsKey(Cat({0x80, 0x80, 0x80, 0x01}, KeyFrame(20))));  // S=0 with extensions
  CHECK(!StartsKey(Cat({0x12}, KeyFrame(20))));  // S=1 but partition 2

  // P=0 without the start code: not a key frame header.
  Bytes noStartCode = Cat({0x10}, KeyFrame(20));
  noStartCode[1 + 4] = 0x02;
  CHECK(!StartsKey(noStartCode));
  // The header cut short of its 10 bytes.
  const Bytes key = Cat({0x10}, KeyFrame(0));
  for (size_t cut = 2; cut < key.size(); ++cut) CHECK_MSG(!StartsKey(Bytes(key.begin(), key.begin() + cut)), std::to_string(cut));

  // The same answers from StartsFrame where they overlap.
  CHECK(StartsFrame(Cat({0x10}, DeltaFrame(20))));
  CHECK(!StartsFrame(Cat({0x00}, KeyFrame(20))));
}

TEST(Vp8Depacketizer_AssemblesAMultiPacketKeyFrameInOrder) {
  const Bytes frame = KeyFrame(40, 3);
  const Bytes a(frame.begin(), frame.begin() + 15), b(frame.begin() + 15, frame.begin() + 30),
      c(frame.begin() + 30, frame.end());
  Vp8Depacketizer d;
  Bytes out;
  d.BeginFrame(&out);
  CHECK(Append(d, Cat({0x90, 0x80, 0x81, 0x02}, a)));
  CHECK(Append(d, Cat({0x80, 0x80, 0x81, 0x02}, b)));
  CHECK(Append(d, Cat({0x00}, c)));  // descriptor forms may differ between packets
  CHECK(d.EndFrame());
  CHECK_EQ(out, frame);
  CHECK(d.isKeyFrame());
  CHECK(d.isReference());
}

TEST(Vp8Depacketizer_DeltaFrame) {
  const Bytes frame = DeltaFrame(10, 1);
  Vp8Depacketizer d;
  Bytes out;
  d.BeginFrame(&out);
  CHECK(Append(d, Cat({0x10}, Bytes(frame.begin(), frame.begin() + 5))));
  CHECK(Append(d, Cat({0x00}, Bytes(frame.begin() + 5, frame.end()))));
  CHECK(d.EndFrame());
  CHECK_EQ(out, frame);
  CHECK(!d.isKeyFrame());
  CHECK(d.isReference());
}

TEST(Vp8Depacketizer_FrameThatDoesNotStartAtPartitionZeroIsMalformed) {
  CHECK(RefusedAlone(Cat({0x00}, KeyFrame(4))));               // S=0
  CHECK(RefusedAlone(Cat({0x11}, KeyFrame(4))));               // S=1, PID 1
  CHECK(RefusedAlone(Cat({0x80, 0x80, 0x05}, DeltaFrame(4))));  // S=0 with extensions
}

TEST(Vp8Depacketizer_FirstPacketMustHoldThePayloadHeader) {
  Bytes noStartCode = Cat({0x10}, KeyFrame(4));
  noStartCode[1 + 3] = 0x00;
  CHECK(RefusedAlone(noStartCode));
  const Bytes key = Cat({0x10}, KeyFrame(0));
  CHECK(!RefusedAlone(key));
  CHECK(RefusedAlone(Bytes(key.begin(), key.end() - 1)));  // 9 of the 10 key frame header bytes
  CHECK(!RefusedAlone(Cat({0x10}, DeltaFrame(0))));
  CHECK(RefusedAlone({0x10, 0x31, 0x01}));  // 2 of the 3 frame tag bytes
}

TEST(Vp8Depacketizer_LaterPartitionStartsInsideTheFrame) {
  // RFC 7741 lets a sender set S on each partition's first packet with PID kept at 0.
  Vp8Depacketizer d;
  Bytes out;
  d.BeginFrame(&out);
  CHECK(Append(d, Cat({0x10}, DeltaFrame(2))));
  CHECK(Append(d, {0x11, 0xAA, 0xBB}));
  CHECK(Append(d, {0x10, 0xCC}));
  CHECK(d.EndFrame());
  CHECK_EQ(out, Cat(DeltaFrame(2), {0xAA, 0xBB, 0xCC}));
  CHECK(!d.isKeyFrame());
}

TEST(Vp8Depacketizer_NBitMakesANonReferenceFrame) {
  Vp8Depacketizer d;
  Bytes out;
  d.BeginFrame(&out);
  CHECK(Append(d, Cat({0x30}, DeltaFrame(4))));
  CHECK(Append(d, {0x00, 0x01}));  // the first packet's N decides
  CHECK(d.EndFrame());
  CHECK(!d.isReference());

  d.BeginFrame(&out);
  CHECK(Append(d, Cat({0xB0, 0x80, 0x07}, DeltaFrame(4))));
  CHECK(!d.isReference());

  d.BeginFrame(&out);
  CHECK(Append(d, Cat({0x10}, DeltaFrame(4))));
  CHECK(Append(d, {0x20, 0x01}));
  CHECK(d.isReference());
}

TEST(Vp8Depacketizer_EndFrameWithNothingAppendedFails) {
  Vp8Depacketizer d;
  Bytes out = {1, 2, 3};
  d.BeginFrame(&out);
  CHECK(out.empty());
  CHECK(!d.EndFrame());
  CHECK(!Append(d, {0x00, 0x01}));  // refused: still nothing in the frame
  CHECK(!d.EndFrame());
}

TEST(Vp8Depacketizer_BeginFrameStartsOver) {
  Vp8Depacketizer d;
  Bytes out;
  d.BeginFrame(&out);
  CHECK(Append(d, Cat({0x10}, KeyFrame(3))));
  CHECK(d.isKeyFrame());
  d.BeginFrame(&out);
  CHECK(out.empty());
  CHECK(!d.isKeyFrame());
  CHECK(!d.isReference());
  CHECK(!Append(d, {0x00, 0x01}));  // a fresh frame needs its own start
  CHECK(Append(d, Cat({0x30}, DeltaFrame(1))));
  CHECK(d.EndFrame());
  CHECK_EQ(out, DeltaFrame(1));
  CHECK(!d.isKeyFrame());
}

TEST(Vp8Depacketizer_FactoryMakesVp8) {
  auto d = callmedia::RtpDepacketizer::Create(callmedia::VideoCodec::kVp8);
  CHECK(dynamic_cast<Vp8Depacketizer*>(d.get()) != nullptr);
  auto h = callmedia::RtpDepacketizer::Create(callmedia::VideoCodec::kH264);
  CHECK(dynamic_cast<Vp8Depacketizer*>(h.get()) == nullptr);
}

TEST(Vp8Depacketizer_FuzzNeverReadsOutOfBounds) {
  // Random payloads, and valid ones mutated: a bit flipped, cut short, or descriptor bits set.
  uint32_t state = 2463534242u;
  auto next = [&state] {
    state ^= state << 13;
    state ^= state >> 17;
    state ^= state << 5;
    return state;
  };
  const std::vector<Bytes> seeds = {
      Cat({0x10}, KeyFrame(6)),
      Cat({0x90, 0x80, 0x92, 0x34}, KeyFrame(2)),
      Cat({0x90, 0xF0, 0x81, 0x23, 0x45, 0xB7}, KeyFrame(0)),
      Cat({0x90, 0x80, 0x25}, DeltaFrame(8)),
      {0x80, 0x80, 0x80, 0x01, 0xAA, 0xBB},
      {0x90, 0x70, 0x01, 0x02},
  };
  Vp8Depacketizer d;
  Bytes out;
  size_t accepted = 0, keyStarts = 0;
  for (int frame = 0; frame < 20000; ++frame) {
    d.BeginFrame(&out);
    size_t appended = 0, packetsIn = 0;
    const int packets = 1 + static_cast<int>(next() % 5);
    for (int i = 0; i < packets; ++i) {
      Bytes payload;
      if (next() % 2) {
        payload.resize(next() % 24);
        for (auto& b : payload) b = static_cast<uint8_t>(next());
        if (!payload.empty() && next() % 2) payload[0] |= 0x90;  // favour extended first packets
      } else {
        payload = seeds[next() % seeds.size()];
        const uint32_t how = next() % 3;
        if (how == 0) payload[next() % payload.size()] ^= static_cast<uint8_t>(1u << (next() % 8));
        if (how == 1) payload.resize(next() % (payload.size() + 1));
        if (how == 2 && payload.size() > 1) payload[1] |= static_cast<uint8_t>(next() & 0xF0);
      }
      ExactBuffer view(payload);
      const bool startsFrame = d.StartsFrame(view.data(), view.size());
      const bool startsKey = d.StartsKeyFrame(view.data(), view.size());
      if (startsKey) {
        ++keyStarts;
        CHECK(startsFrame);
        Vp8Depacketizer fresh;
        Bytes freshOut;
        fresh.BeginFrame(&freshOut);
        CHECK(fresh.Append(view.data(), view.size()));
        CHECK(fresh.isKeyFrame());
      }
      PayloadDescriptor desc;
      const bool parsed = callmedia::vp8::ParseDescriptor(view.data(), view.size(), &desc);
      if (parsed) CHECK(desc.size < view.size());
      if (!d.Append(view.data(), view.size())) {
        CHECK(out.size() == appended);  // a refused payload adds nothing
        break;                          // the frame is malformed: the assembler drops it
      }
      CHECK(parsed);
      appended += view.size() - desc.size;
      ++packetsIn;
      ++accepted;
    }
    CHECK_EQ(d.EndFrame(), packetsIn > 0);
    CHECK_EQ(out.size(), appended);
  }
  CHECK(accepted > 1000);
  CHECK(keyStarts > 100);
}
