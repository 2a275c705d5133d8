#include "video/Vp8Packetizer.h"

#include <algorithm>
#include <random>
#include <string>
#include <vector>

#include "check.h"
#include "rtp/RtpBytes.h"
#include "rtp/RtpPacket.h"
#include "video/FrameAssembler.h"
#include "video/Vp8Depacketizer.h"

using callmedia::AssembledFrame;
using callmedia::FrameAssembler;
using callmedia::PacketBatch;
using callmedia::RtpHeaderFields;
using callmedia::RtpPacket;
using callmedia::VideoCodec;
using callmedia::Vp8Packetizer;
using testrtp::ExactBuffer;
using Bytes = std::vector<uint8_t>;

namespace {

constexpr uint64_t kMs = 1000000;

struct Packet {
  bool marker;
  uint8_t payloadType;
  uint16_t seq;
  uint32_t timestamp;
  uint32_t ssrc;
  Bytes payload;
  // The descriptor, read back byte by byte (independently of vp8::ParseDescriptor).
  bool start;
  uint8_t partitionId;
  uint16_t pictureId;
  Bytes data;  // after the descriptor
};

// Packetizes through an exact-size copy of the frame and reads the packets back by hand.
bool Packetize(Vp8Packetizer& p, const Bytes& frame, bool key, const RtpHeaderFields& header, uint16_t* seq,
               std::vector<Packet>* out, PacketBatch* reuse = nullptr) {
  ExactBuffer buf(frame);
  PacketBatch local;
  PacketBatch* batch = reuse ? reuse : &local;
  out->clear();
  if (!p.Packetize(buf.data(), buf.size(), key, header, seq, batch)) return false;
  CHECK_EQ(batch->next, 0u);
  CHECK_EQ(batch->timestamp, header.timestamp);
  for (const auto& entry : batch->packets) {
    const uint32_t offset = entry.first;
    const uint16_t length = entry.second;
    if (length < 12 + 4 || offset + length > batch->block.size()) {
      CHECK_MSG(false, "packet outside the batch block, or without a descriptor");
      return false;
    }
    const uint8_t* d = batch->block.data() + offset;
    Packet pk;
    CHECK_EQ(d[0], 0x80);  // version 2, no padding, extension or CSRC
    pk.marker = d[1] & 0x80;
    pk.payloadType = d[1] & 0x7F;
    pk.seq = static_cast<uint16_t>((d[2] << 8) | d[3]);
    pk.timestamp = (uint32_t{d[4]} << 24) | (uint32_t{d[5]} << 16) | (uint32_t{d[6]} << 8) | d[7];
    pk.ssrc = (uint32_t{d[8]} << 24) | (uint32_t{d[9]} << 16) | (uint32_t{d[10]} << 8) | d[11];
    pk.payload.assign(d + 12, d + length);
    const uint8_t* v = d + 12;
    CHECK_EQ(v[0] & 0xE8, 0x80);  // X=1, R=0, N=0, R=0
    CHECK_EQ(v[1], 0x80);         // I only
    CHECK_EQ(v[2] & 0x80, 0x80);  // M: 15-bit PictureID
    pk.start = v[0] & 0x10;
    pk.partitionId = v[0] & 0x07;
    pk.pictureId = static_cast<uint16_t>(((v[2] & 0x7F) << 8) | v[3]);
    pk.data.assign(v + 4, d + length);
    out->push_back(pk);
  }
  // Packets lie back to back in the block, in order.
  for (size_t i = 1; i < batch->packets.size(); ++i)
    CHECK_EQ(batch->packets[i].first, batch->packets[i - 1].first + batch->packets[i - 1].second);
  return true;
}

Bytes Pattern(size_t size, uint32_t salt) {
  Bytes f(size);
  for (size_t i = 0; i < size; ++i) f[i] = static_cast<uint8_t>((i * 31 + salt * 17) % 251);
  return f;
}

// A key frame: frame tag with P=0, start code, width and height (RFC 6386 9.1), then a pattern.
Bytes KeyFrame(size_t size, uint32_t salt) {
  Bytes f = Pattern(size, salt);
  const uint8_t header[10] = {0x50, 0x2A, 0x01, 0x9D, 0x01, 0x2A, 0x00, 0x05, 0xD0, 0x02};  // 1280x720
  std::copy(header, header + std::min<size_t>(size, 10), f.begin());
  return f;
}

// A delta frame: frame tag with P=1.
Bytes DeltaFrame(size_t size, uint32_t salt) {
  Bytes f = Pattern(size, salt);
  if (!f.empty()) f[0] = static_cast<uint8_t>(f[0] | 0x01);
  return f;
}

}  // namespace

TEST(Vp8Packetizer_SinglePacketFrame) {
  Vp8Packetizer p(1200, 0x1234);
  RtpHeaderFields h;
  h.payloadType = 100;
  h.ssrc = 0xDEADBEEF;
  h.timestamp = 0x01020304;
  uint16_t seq = 7;
  std::vector<Packet> packets;
  const Bytes frame = KeyFrame(50, 1);
  REQUIRE(Packetize(p, frame, true, h, &seq, &packets));
  REQUIRE(packets.size() == 1);
  CHECK_EQ(packets[0].payload, ([&] {
             Bytes want = {0x90, 0x80, 0x92, 0x34};
             want.insert(want.end(), frame.begin(), frame.end());
             return want;
           }()));
  CHECK(packets[0].marker);
  CHECK_EQ(packets[0].seq, 7);
  CHECK_EQ(packets[0].payloadType, 100);
  CHECK_EQ(packets[0].ssrc, 0xDEADBEEFu);
  CHECK_EQ(packets[0].timestamp, 0x01020304u);
  CHECK_EQ(seq, 8);
  CHECK_EQ(p.nextPictureId(), 0x1235);

  // One byte: still a packet of its own.
  REQUIRE(Packetize(p, {0x01}, false, h, &seq, &packets));
  REQUIRE(packets.size() == 1);
  CHECK_EQ(packets[0].payload, (Bytes{0x90, 0x80, 0x92, 0x35, 0x01}));
}

TEST(Vp8Packetizer_SplitsEvenlyIntoTheFewestPacketsWithinTheLimit) {
  for (size_t maxPayload : {5u, 100u, 1200u, 1400u}) {
    Vp8Packetizer p(maxPayload, 0x0100);
    const size_t perPacket = maxPayload - Vp8Packetizer::kDescriptorSize;
    for (size_t size : {size_t{1}, perPacket - 1, perPacket, perPacket + 1, 2 * perPacket, 2 * perPacket + 1,
                        3 * perPacket - 1, size_t{1199}, size_t{1200}, size_t{5000}, size_t{20011}}) {
      if (size == 0) continue;
      const std::string where = "max " + std::to_string(maxPayload) + " size " + std::to_string(size);
      const Bytes frame = Pattern(size, static_cast<uint32_t>(size));
      uint16_t seq = 1;
      const uint16_t pictureId = p.nextPictureId();
      std::vector<Packet> packets;
      REQUIRE(Packetize(p, frame, false, RtpHeaderFields{}, &seq, &packets));
      CHECK_MSG(packets.size() == (size + perPacket - 1) / perPacket, where);
      size_t smallest = SIZE_MAX, largest = 0;
      Bytes joined;
      for (size_t i = 0; i < packets.size(); ++i) {
        const Packet& pk = packets[i];
        CHECK_MSG(pk.payload.size() <= maxPayload && !pk.data.empty(), where);
        CHECK_MSG(pk.start == (i == 0), where + " packet " + std::to_string(i));
        CHECK_MSG(pk.marker == (i + 1 == packets.size()), where + " packet " + std::to_string(i));
        CHECK_MSG(pk.partitionId == 0, where);
        CHECK_MSG(pk.pictureId == pictureId, where);
        smallest = std::min(smallest, pk.data.size());
        largest = std::max(largest, pk.data.size());
        joined.insert(joined.end(), pk.data.begin(), pk.data.end());
      }
      CHECK_MSG(largest - smallest <= 1, where + ": " + std::to_string(smallest) + ".." + std::to_string(largest));
      CHECK_MSG(joined == frame, where);
      CHECK_MSG(seq == 1 + packets.size(), where);
    }
  }
}

TEST(Vp8Packetizer_PictureIdIncrementsPerFrameAndWraps) {
  Vp8Packetizer p(300, 0x7FFD);
  uint16_t seq = 0;
  std::vector<uint16_t> ids;
  for (int frame = 0; frame < 5; ++frame) {
    std::vector<Packet> packets;
    REQUIRE(Packetize(p, Pattern(700, frame), frame == 0, RtpHeaderFields{}, &seq, &packets));
    REQUIRE(packets.size() == 3);
    for (const Packet& pk : packets) CHECK_EQ(pk.pictureId, packets[0].pictureId);  // one per frame
    ids.push_back(packets[0].pictureId);
  }
  CHECK(ids == (std::vector<uint16_t>{0x7FFD, 0x7FFE, 0x7FFF, 0x0000, 0x0001}));
  CHECK_EQ(p.nextPictureId(), 0x0002);
  CHECK_EQ(Vp8Packetizer(300, 0xFFFF).nextPictureId(), 0x7FFF);  // 15 bits
}

TEST(Vp8Packetizer_PictureIdStartsAtRandom) {
  bool differ = false;
  const uint16_t first = Vp8Packetizer(1200).nextPictureId();
  for (int i = 0; i < 8; ++i) {
    const uint16_t id = Vp8Packetizer(1200).nextPictureId();
    CHECK(id <= 0x7FFF);
    if (id != first) differ = true;
  }
  CHECK(differ);
}

TEST(Vp8Packetizer_SequenceNumbersAreConsecutiveAndWrap) {
  Vp8Packetizer p(1000, 5);
  RtpHeaderFields h;
  h.payloadType = 96;
  h.ssrc = 42;
  uint16_t seq = 65533;
  PacketBatch batch;  // reused from frame to frame, as the sender does
  std::vector<uint16_t> seqs;
  for (uint32_t frame = 0; frame < 3; ++frame) {
    h.timestamp = 0xFFFFF000u + frame * 3000;  // the timestamp wraps too
    std::vector<Packet> packets;
    REQUIRE(Packetize(p, DeltaFrame(2500, frame), false, h, &seq, &packets, &batch));
    REQUIRE(packets.size() == 3);
    CHECK_EQ(batch.packets.size(), 3u);
    for (const Packet& pk : packets) {
      seqs.push_back(pk.seq);
      CHECK_EQ(pk.timestamp, h.timestamp);
      CHECK_EQ(pk.ssrc, 42u);
      CHECK_EQ(pk.payloadType, 96);
    }
  }
  CHECK(seqs == (std::vector<uint16_t>{65533, 65534, 65535, 0, 1, 2, 3, 4, 5}));
  CHECK_EQ(seq, 6);
}

TEST(Vp8Packetizer_PayloadTypeIsMaskedToSevenBits) {
  Vp8Packetizer p(1200, 0);
  RtpHeaderFields h;
  h.payloadType = 0xFF;  // must not leak into the marker bit
  uint16_t seq = 0;
  std::vector<Packet> packets;
  REQUIRE(Packetize(p, Pattern(2000, 1), false, h, &seq, &packets));
  REQUIRE(packets.size() == 2);
  CHECK(!packets[0].marker);
  CHECK_EQ(packets[0].payloadType, 0x7F);
  CHECK(packets[1].marker);
}

TEST(Vp8Packetizer_RefusesAnEmptyFrameOrANoRoomLimit) {
  Vp8Packetizer p(1200, 9);
  uint16_t seq = 77;
  std::vector<Packet> packets;
  CHECK(!Packetize(p, {}, true, RtpHeaderFields{}, &seq, &packets));
  CHECK_EQ(seq, 77);
  CHECK_EQ(p.nextPictureId(), 9);  // a refused frame takes no PictureID
  Vp8Packetizer tight(Vp8Packetizer::kDescriptorSize, 9);
  CHECK(!Packetize(tight, Pattern(10, 1), false, RtpHeaderFields{}, &seq, &packets));
  CHECK_EQ(seq, 77);
}

TEST(Vp8Packetizer_FactoryMakesVp8) {
  auto p = callmedia::RtpPacketizer::Create(VideoCodec::kVp8, 500);
  REQUIRE(dynamic_cast<Vp8Packetizer*>(p.get()) != nullptr);
  const Bytes frame = Pattern(1000, 3);
  PacketBatch batch;
  uint16_t seq = 0;
  REQUIRE(p->Packetize(frame.data(), frame.size(), false, RtpHeaderFields{}, &seq, &batch));
  CHECK_EQ(batch.packets.size(), 3u);  // 496 bytes a packet after the 4-byte descriptor
}

namespace {

struct Collector : FrameAssembler::Listener {
  std::vector<Bytes> frames;
  std::vector<uint32_t> timestamps;
  std::vector<bool> keys, references;
  int keyFrameRequests = 0;
  void OnFrameAssembled(const AssembledFrame& f) override {
    frames.emplace_back(f.data, f.data + f.size);
    timestamps.push_back(f.timestamp);
    keys.push_back(f.keyFrame);
    references.push_back(f.reference);
  }
  void OnKeyFrameNeeded() override { ++keyFrameRequests; }
};

}  // namespace

TEST(Vp8Packetizer_RoundTripThroughTheFrameAssembler) {
  std::mt19937 rng(7741);
  constexpr size_t kMax = 1200;
  Vp8Packetizer packetizer(kMax, 0x7F00);  // the PictureID wraps on the way
  Collector c;
  FrameAssembler assembler(&c, 1024, 50 * kMs, VideoCodec::kVp8);
  RtpHeaderFields h;
  h.payloadType = 96;
  h.ssrc = 0x0BADCAFE;
  h.timestamp = 123456;
  uint16_t seq = 64000;  // wraps on the way too
  uint64_t now = 1000 * kMs;
  std::vector<Bytes> expected;
  std::vector<bool> expectedKey;
  std::vector<uint32_t> expectedTs;
  // Sizes around the packet boundaries (1196 bytes after the descriptor), then random ones.
  // A key frame needs its 10-byte header, a delta frame its 3-byte frame tag.
  const std::vector<size_t> fixed = {10, 3, 1195, 1196, 1197, 1199, 1200, 2392, 2393, 5000, 5000, 20000};
  PacketBatch batch;
  bool seqWrapped = false;
  for (int frame = 0; frame < 400; ++frame) {
    const bool key = frame % 50 == 0 || (frame < static_cast<int>(fixed.size()) && frame % 2 == 0);
    const size_t size =
        frame < static_cast<int>(fixed.size()) ? std::max<size_t>(fixed[frame], key ? 10 : 3) : 3 + rng() % 12000;
    const Bytes f = key ? KeyFrame(size, frame) : DeltaFrame(size, frame);
    expected.push_back(f);
    expectedKey.push_back(key);
    expectedTs.push_back(h.timestamp);

    ExactBuffer buf(f);
    const uint16_t before = seq;
    REQUIRE(packetizer.Packetize(buf.data(), buf.size(), key, h, &seq, &batch));
    if (seq < before) seqWrapped = true;
    for (const auto& entry : batch.packets) {
      ExactBuffer packet(batch.block.data() + entry.first, entry.second);
      RtpPacket parsed;
      REQUIRE(RtpPacket::Parse(packet.data(), packet.size(), &parsed));
      CHECK(parsed.payloadSize <= kMax);
      assembler.Insert(parsed, now);
      now += kMs / 4;
    }
    assembler.OnTimer(now);
    h.timestamp += 3000;
  }
  CHECK(seqWrapped);
  CHECK(packetizer.nextPictureId() < 0x7F00);
  REQUIRE(c.frames.size() == expected.size());
  size_t mismatches = 0;
  std::string first;
  for (size_t i = 0; i < expected.size(); ++i) {
    if (c.frames[i] != expected[i] || c.timestamps[i] != expectedTs[i] || c.keys[i] != expectedKey[i] ||
        !c.references[i]) {
      if (mismatches++ == 0)
        first = "frame " + std::to_string(i) + ": " + check::Show(c.frames[i]) + " != " + check::Show(expected[i]);
    }
  }
  CHECK_MSG(mismatches == 0, first);
  const auto& st = assembler.stats();
  CHECK_EQ(st.framesMalformed.load(), 0u);
  CHECK_EQ(st.framesIncomplete.load(), 0u);
  CHECK_EQ(st.framesWaitingKeyFrame.load(), 0u);
  CHECK_EQ(st.packetsMalformed.load(), 0u);
  CHECK_EQ(c.keyFrameRequests, 0);
}

TEST(Vp8Packetizer_AssemblerWaitsForAKeyFrame) {
  // A delta frame first is held back; the key frame after it comes out, and so on.
  Vp8Packetizer packetizer(500, 1);
  Collector c;
  FrameAssembler assembler(&c, 256, 50 * kMs, VideoCodec::kVp8);
  RtpHeaderFields h;
  uint16_t seq = 10;
  uint64_t now = 1000 * kMs;
  PacketBatch batch;
  const std::vector<Bytes> frames = {DeltaFrame(1800, 1), KeyFrame(1800, 2), DeltaFrame(900, 3)};
  for (const Bytes& f : frames) {
    REQUIRE(packetizer.Packetize(f.data(), f.size(), false, h, &seq, &batch));
    for (const auto& entry : batch.packets) {
      RtpPacket parsed;
      REQUIRE(RtpPacket::Parse(batch.block.data() + entry.first, entry.second, &parsed));
      assembler.Insert(parsed, now);
      now += kMs;
    }
    h.timestamp += 3000;
  }
  REQUIRE(c.frames.size() == 2);
  CHECK_EQ(c.frames[0], frames[1]);
  CHECK(c.keys[0]);
  CHECK_EQ(c.frames[1], frames[2]);
  CHECK(!c.keys[1]);
}
