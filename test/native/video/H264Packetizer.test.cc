#include "video/H264Packetizer.h"

#include <algorithm>
#include <random>
#include <string>
#include <vector>

#include "check.h"
#include "rtp/RtpBytes.h"
#include "rtp/RtpPacket.h"
#include "video/FrameAssembler.h"

using callmedia::AssembledFrame;
using callmedia::FrameAssembler;
using callmedia::H264Packetizer;
using callmedia::PacketBatch;
using callmedia::RtpHeaderFields;
using callmedia::RtpPacket;
using testrtp::ExactBuffer;
using Bytes = std::vector<uint8_t>;

namespace {

constexpr uint64_t kMs = 1000000;

std::vector<Bytes> Split(const Bytes& annexB) {
  ExactBuffer buf(annexB);
  std::vector<std::pair<const uint8_t*, size_t>> nals;
  H264Packetizer::SplitAnnexB(buf.data(), buf.size(), &nals);
  std::vector<Bytes> out;
  for (const auto& n : nals) {
    // Every NAL must lie inside the input.
    if (n.first < buf.data() || n.first + n.second > buf.data() + buf.size()) {
      CHECK_MSG(false, "NAL outside the input");
      return {};
    }
    out.emplace_back(n.first, n.first + n.second);
  }
  return out;
}

// A NAL unit with a valid header and a body that can hold no start code, nor end in a zero.
Bytes Nal(uint8_t header, size_t size, uint32_t salt) {
  Bytes nal(size);
  nal[0] = header;
  for (size_t i = 1; i < size; ++i) nal[i] = static_cast<uint8_t>((i * 7 + salt * 13) % 255 + 1);
  return nal;
}

Bytes AnnexB(const std::vector<Bytes>& nals, bool fourByteStartCodes = true) {
  Bytes out;
  for (const Bytes& nal : nals) {
    if (fourByteStartCodes) out.push_back(0);
    out.insert(out.end(), {0, 0, 1});
    out.insert(out.end(), nal.begin(), nal.end());
  }
  return out;
}

struct Packet {
  Bytes bytes;  // the whole RTP packet
  bool marker;
  uint8_t payloadType;
  uint16_t seq;
  uint32_t timestamp;
  uint32_t ssrc;
  Bytes payload;
};

// Packetizes through an exact-size copy of the access unit and reads the header fields back
// byte by byte (independently of RtpPacket::Parse).
bool Packetize(H264Packetizer& p, const Bytes& au, const RtpHeaderFields& header, uint16_t* seq,
               std::vector<Packet>* out, PacketBatch* reuse = nullptr) {
  ExactBuffer buf(au);
  PacketBatch local;
  PacketBatch* batch = reuse ? reuse : &local;
  out->clear();
  if (!p.Packetize(buf.data(), buf.size(), header, seq, batch)) return false;
  CHECK_EQ(batch->next, 0u);
  CHECK_EQ(batch->timestamp, header.timestamp);
  for (const auto& entry : batch->packets) {
    const uint32_t offset = entry.first;
    const uint16_t length = entry.second;
    if (length < 12 || offset + length > batch->block.size()) {
      CHECK_MSG(false, "packet outside the batch block");
      return false;
    }
    const uint8_t* d = batch->block.data() + offset;
    Packet pk;
    pk.bytes.assign(d, d + length);
    CHECK_EQ(d[0], 0x80);  // version 2, no padding, extension or CSRC
    pk.marker = d[1] & 0x80;
    pk.payloadType = d[1] & 0x7F;
    pk.seq = static_cast<uint16_t>((d[2] << 8) | d[3]);
    pk.timestamp = (uint32_t{d[4]} << 24) | (uint32_t{d[5]} << 16) | (uint32_t{d[6]} << 8) | d[7];
    pk.ssrc = (uint32_t{d[8]} << 24) | (uint32_t{d[9]} << 16) | (uint32_t{d[10]} << 8) | d[11];
    pk.payload.assign(d + 12, d + length);
    out->push_back(pk);
  }
  // Packets lie back to back in the block, in order.
  for (size_t i = 1; i < batch->packets.size(); ++i)
    CHECK_EQ(batch->packets[i].first, batch->packets[i - 1].first + batch->packets[i - 1].second);
  return true;
}

// Reverses RFC 6184 by hand: the NAL units carried by a list of payloads.
std::vector<Bytes> Unpack(const std::vector<Packet>& packets) {
  std::vector<Bytes> nals;
  bool inFragment = false;
  for (const Packet& p : packets) {
    const Bytes& pl = p.payload;
    if (pl.empty()) {
      CHECK_MSG(false, "empty payload");
      return {};
    }
    const uint8_t type = pl[0] & 0x1F;
    if (type == 24) {
      for (size_t at = 1; at + 2 <= pl.size();) {
        const size_t n = (size_t{pl[at]} << 8) | pl[at + 1];
        at += 2;
        if (at + n > pl.size()) {
          CHECK_MSG(false, "STAP-A entry overruns the payload");
          return {};
        }
        nals.emplace_back(pl.begin() + at, pl.begin() + at + n);
        at += n;
      }
    } else if (type == 28) {
      if (pl[1] & 0x80) {
        nals.push_back({static_cast<uint8_t>((pl[0] & 0xE0) | (pl[1] & 0x1F))});
        inFragment = true;
      }
      if (!inFragment) {
        CHECK_MSG(false, "FU-A continuation without a start");
        return {};
      }
      nals.back().insert(nals.back().end(), pl.begin() + 2, pl.end());
      if (pl[1] & 0x40) inFragment = false;
    } else {
      nals.push_back(pl);
    }
  }
  CHECK(!inFragment);
  return nals;
}

}  // namespace

TEST(H264Packetizer_SplitAnnexBFourAndThreeByteStartCodes) {
  const Bytes au = {0, 0, 0, 1, 0x67, 0x42, 0x1F,  // SPS after a 4-byte start code
                    0, 0, 1, 0x68, 0xCE,           // PPS after a 3-byte one
                    0, 0, 0, 1, 0x65, 0x88, 0x84, 0x21};
  const auto nals = Split(au);
  REQUIRE(nals.size() == 3);
  CHECK_EQ(nals[0], (Bytes{0x67, 0x42, 0x1F}));
  CHECK_EQ(nals[1], (Bytes{0x68, 0xCE}));
  CHECK_EQ(nals[2], (Bytes{0x65, 0x88, 0x84, 0x21}));
}

TEST(H264Packetizer_SplitAnnexBKeepsSingleZerosInsideANal) {
  // 00 00 02 and 00 01 are not start codes; only 00 00 01 is.
  const auto nals = Split({0, 0, 1, 0x41, 0x00, 0x01, 0x00, 0x00, 0x02, 0x07, 0, 0, 1, 0x41, 0x05});
  REQUIRE(nals.size() == 2);
  CHECK_EQ(nals[0], (Bytes{0x41, 0x00, 0x01, 0x00, 0x00, 0x02, 0x07}));
  CHECK_EQ(nals[1], (Bytes{0x41, 0x05}));
}

TEST(H264Packetizer_SplitAnnexBZerosBetweenNalsBelongToNoNal) {
  // trailing_zero_8bits (H.264 B.1) before the next start code, and leading zeros in front of
  // the first: neither is part of a NAL unit.
  const auto nals = Split({0, 0, 0, 0, 0, 1, 0x09, 0xF0, 0, 0, 0, 0, 0, 0, 1, 0x41, 0xAA, 0, 0, 0, 1, 0x41, 0xBB});
  REQUIRE(nals.size() == 3);
  CHECK_EQ(nals[0], (Bytes{0x09, 0xF0}));
  CHECK_EQ(nals[1], (Bytes{0x41, 0xAA}));
  CHECK_EQ(nals[2], (Bytes{0x41, 0xBB}));
}

TEST(H264Packetizer_SplitAnnexBTrailingZerosAtTheEnd) {
  // H.264 7.4.1: the last byte of a NAL unit is never 0x00, so zeros after the last NAL unit of
  // the access unit are trailing_zero_8bits too and must not be sent as part of it.
  const auto nals = Split({0, 0, 0, 1, 0x65, 0x88, 0x80, 0, 0, 0});
  REQUIRE(nals.size() == 1);
  CHECK_EQ(nals[0], (Bytes{0x65, 0x88, 0x80}));
}

TEST(H264Packetizer_SplitAnnexBWithoutNalUnits) {
  CHECK(Split({}).empty());
  CHECK(Split({0x65, 0x88, 0x84}).empty());    // no start code at all
  CHECK(Split({0, 0, 0, 1}).empty());          // a start code and nothing after it
  CHECK(Split({0, 0, 1, 0, 0, 1}).empty());    // empty NAL units
  const auto nals = Split({0, 0, 1, 0, 0, 0, 1, 0x41, 0x01});  // an empty one, then a real one
  REQUIRE(nals.size() == 1);
  CHECK_EQ(nals[0], (Bytes{0x41, 0x01}));

  H264Packetizer p;
  uint16_t seq = 77;
  std::vector<Packet> packets;
  CHECK(!Packetize(p, {0, 0, 0, 1}, RtpHeaderFields{}, &seq, &packets));
  CHECK(!Packetize(p, {0x41, 0x02, 0x03}, RtpHeaderFields{}, &seq, &packets));
  CHECK_EQ(seq, 77);
}

TEST(H264Packetizer_SpsAndPpsGoInOneStapA) {
  H264Packetizer p(1200);
  const Bytes sps = Nal(0x67, 10, 1), pps = Nal(0x68, 4, 2), idr = Nal(0x65, 3000, 3);
  RtpHeaderFields h;
  h.payloadType = 102;
  h.ssrc = 0xDEADBEEF;
  h.timestamp = 0x01020304;
  uint16_t seq = 500;
  std::vector<Packet> packets;
  REQUIRE(Packetize(p, AnnexB({sps, pps, idr}), h, &seq, &packets));
  REQUIRE(packets.size() == 4);  // STAP-A, then the IDR in three FU-A fragments

  Bytes stap = {0x78};  // F=0, NRI = the larger of SPS and PPS (3), type 24
  stap.insert(stap.end(), {0x00, 10});
  stap.insert(stap.end(), sps.begin(), sps.end());
  stap.insert(stap.end(), {0x00, 4});
  stap.insert(stap.end(), pps.begin(), pps.end());
  CHECK_EQ(packets[0].payload, stap);
  CHECK(!packets[0].marker);

  // 2999 bytes after the NAL header, at most 1198 per fragment: three even fragments.
  const size_t sizes[3] = {1000, 1000, 999};
  const uint8_t fuHeaders[3] = {0x85, 0x05, 0x45};
  size_t at = 1;
  for (size_t i = 0; i < 3; ++i) {
    const Packet& pk = packets[i + 1];
    REQUIRE(pk.payload.size() == 2 + sizes[i]);
    CHECK_EQ(pk.payload[0], 0x7C);  // NRI of the IDR, type 28
    CHECK_EQ(pk.payload[1], fuHeaders[i]);
    CHECK(std::equal(pk.payload.begin() + 2, pk.payload.end(), idr.begin() + at));
    CHECK_EQ(pk.marker, i == 2);
    at += sizes[i];
  }
  for (size_t i = 0; i < packets.size(); ++i) {
    CHECK_EQ(packets[i].seq, 500 + i);
    CHECK_EQ(packets[i].payloadType, 102);
    CHECK_EQ(packets[i].ssrc, 0xDEADBEEFu);
    CHECK_EQ(packets[i].timestamp, 0x01020304u);
  }
  CHECK_EQ(seq, 504);
}

TEST(H264Packetizer_StapAHeaderTakesTheLargestNri) {
  H264Packetizer p(1200);
  const Bytes sei = Nal(0x06, 20, 1);   // NRI 0
  const Bytes pps = Nal(0x48, 6, 2);    // NRI 2
  const Bytes slice = Nal(0x21, 30, 3); // NRI 1, type 1
  uint16_t seq = 0;
  std::vector<Packet> packets;
  REQUIRE(Packetize(p, AnnexB({sei, pps, slice}), RtpHeaderFields{}, &seq, &packets));
  REQUIRE(packets.size() == 1);  // all three fit one STAP-A, which also ends the access unit
  CHECK_EQ(packets[0].payload[0], 0x58);
  CHECK(packets[0].marker);
  CHECK_EQ(packets[0].payload.size(), 1 + 3 * 2 + 20 + 6 + 30);
  const auto nals = Unpack(packets);
  REQUIRE(nals.size() == 3);
  CHECK_EQ(nals[0], sei);
  CHECK_EQ(nals[1], pps);
  CHECK_EQ(nals[2], slice);
}

TEST(H264Packetizer_StapAFillsThePayloadExactly) {
  constexpr size_t kMax = 100;
  H264Packetizer p(kMax);
  uint16_t seq = 0;
  std::vector<Packet> packets;
  // 1 + (2 + 40) + (2 + 55) = 100: one STAP-A of exactly the maximum payload.
  REQUIRE(Packetize(p, AnnexB({Nal(0x67, 40, 1), Nal(0x68, 55, 2)}), RtpHeaderFields{}, &seq, &packets));
  REQUIRE(packets.size() == 1);
  CHECK_EQ(packets[0].payload.size(), kMax);
  CHECK_EQ(packets[0].payload[0] & 0x1F, 24);
  // One byte more and they no longer fit together: two single NAL unit packets.
  REQUIRE(Packetize(p, AnnexB({Nal(0x67, 40, 1), Nal(0x68, 56, 2)}), RtpHeaderFields{}, &seq, &packets));
  REQUIRE(packets.size() == 2);
  CHECK_EQ(packets[0].payload, Nal(0x67, 40, 1));
  CHECK_EQ(packets[1].payload, Nal(0x68, 56, 2));
  CHECK(!packets[0].marker);
  CHECK(packets[1].marker);
}

TEST(H264Packetizer_NalThatFitsGoesAlone) {
  constexpr size_t kMax = 1200;
  H264Packetizer p(kMax);
  uint16_t seq = 9;
  std::vector<Packet> packets;
  const Bytes exact = Nal(0x41, kMax, 5);
  REQUIRE(Packetize(p, AnnexB({exact}), RtpHeaderFields{}, &seq, &packets));
  REQUIRE(packets.size() == 1);
  CHECK_EQ(packets[0].payload, exact);
  CHECK(packets[0].marker);
  CHECK_EQ(packets[0].bytes.size(), 12 + kMax);

  const Bytes tiny = Nal(0x41, 1, 6);  // a lone NAL header
  REQUIRE(Packetize(p, AnnexB({tiny}, false), RtpHeaderFields{}, &seq, &packets));
  REQUIRE(packets.size() == 1);
  CHECK_EQ(packets[0].payload, tiny);

  // One byte over: two FU-A fragments.
  const Bytes over = Nal(0x41, kMax + 1, 7);
  REQUIRE(Packetize(p, AnnexB({over}), RtpHeaderFields{}, &seq, &packets));
  REQUIRE(packets.size() == 2);
  CHECK_EQ(packets[0].payload[0] & 0x1F, 28);
  CHECK_EQ(Unpack(packets), std::vector<Bytes>{over});

  // Two NAL units too big to share a packet but each small enough to go alone.
  const Bytes a = Nal(0x41, 700, 8), b = Nal(0x41, 700, 9);
  REQUIRE(Packetize(p, AnnexB({a, b}), RtpHeaderFields{}, &seq, &packets));
  REQUIRE(packets.size() == 2);
  CHECK_EQ(packets[0].payload, a);
  CHECK_EQ(packets[1].payload, b);
  CHECK(!packets[0].marker);
  CHECK(packets[1].marker);
}

TEST(H264Packetizer_FuAFragmentsAreEvenAndWithinTheLimit) {
  for (size_t maxPayload : {100u, 1200u, 1400u}) {
    H264Packetizer p(maxPayload);
    const size_t perFragment = maxPayload - 2;
    for (size_t size : {maxPayload + 1, maxPayload + 2, 2 * perFragment, 2 * perFragment + 1, 2 * perFragment + 2,
                        3 * perFragment + 1, size_t{10001}, size_t{20000}}) {
      const std::string where = "max " + std::to_string(maxPayload) + " size " + std::to_string(size);
      const Bytes nal = Nal(0x65, size, static_cast<uint32_t>(size));
      uint16_t seq = 1;
      std::vector<Packet> packets;
      REQUIRE(Packetize(p, AnnexB({nal}), RtpHeaderFields{}, &seq, &packets));
      const size_t body = size - 1;
      const size_t fragments = (body + perFragment - 1) / perFragment;  // no more than needed
      CHECK_MSG(packets.size() == fragments, where);
      size_t smallest = SIZE_MAX, largest = 0;
      for (size_t i = 0; i < packets.size(); ++i) {
        const Bytes& pl = packets[i].payload;
        CHECK_MSG(pl.size() <= maxPayload && pl.size() > 2, where);
        CHECK_MSG(pl[0] == 0x7C, where);
        const uint8_t expectedHeader = static_cast<uint8_t>((i == 0 ? 0x80 : 0) | (i + 1 == packets.size() ? 0x40 : 0) | 5);
        CHECK_MSG(pl[1] == expectedHeader, where + " fragment " + std::to_string(i));
        CHECK_MSG(packets[i].marker == (i + 1 == packets.size()), where);
        smallest = std::min(smallest, pl.size() - 2);
        largest = std::max(largest, pl.size() - 2);
      }
      // Even: sizes differ by less than the fragment count, so no sliver at the end.
      CHECK_MSG(largest - smallest < packets.size(), where + ": " + std::to_string(smallest) + ".." + std::to_string(largest));
      CHECK_MSG(Unpack(packets) == std::vector<Bytes>{nal}, where);
    }
  }
}

TEST(H264Packetizer_MarkerOnlyOnTheLastPacketOfTheAccessUnit) {
  H264Packetizer p(500);
  // STAP-A (SPS, PPS), a single NAL, a fragmented one (four FU-A), a single one last.
  const Bytes au = AnnexB({Nal(0x67, 12, 1), Nal(0x68, 4, 2), Nal(0x65, 490, 3), Nal(0x65, 1800, 4), Nal(0x65, 300, 5)});
  uint16_t seq = 0;
  std::vector<Packet> packets;
  REQUIRE(Packetize(p, au, RtpHeaderFields{}, &seq, &packets));
  REQUIRE(packets.size() == 1 + 1 + 4 + 1);
  CHECK_EQ(packets[0].payload[0] & 0x1F, 24);
  CHECK_EQ(packets[1].payload, Nal(0x65, 490, 3));
  CHECK_EQ(packets[2].payload[0] & 0x1F, 28);
  for (size_t i = 0; i < packets.size(); ++i) CHECK_EQ(packets[i].marker, i + 1 == packets.size());
  // A fragmented NAL last: its end fragment carries the marker.
  REQUIRE(Packetize(p, AnnexB({Nal(0x41, 300, 6), Nal(0x41, 1800, 7)}), RtpHeaderFields{}, &seq, &packets));
  REQUIRE(packets.size() == 5);
  for (size_t i = 0; i < packets.size(); ++i) CHECK_EQ(packets[i].marker, i + 1 == packets.size());
  CHECK_EQ(packets.back().payload[1] & 0x40, 0x40);
}

TEST(H264Packetizer_SequenceNumbersAreConsecutiveAndWrap) {
  H264Packetizer p(1000);
  RtpHeaderFields h;
  h.payloadType = 96;
  h.ssrc = 42;
  uint16_t seq = 65533;
  PacketBatch batch;  // reused from frame to frame, as the sender does
  std::vector<uint16_t> seqs;
  for (uint32_t frame = 0; frame < 3; ++frame) {
    h.timestamp = 0xFFFFF000u + frame * 3000;  // the timestamp wraps too
    std::vector<Packet> packets;
    REQUIRE(Packetize(p, AnnexB({Nal(0x41, 2500, frame)}), h, &seq, &packets, &batch));
    REQUIRE(packets.size() == 3);
    CHECK_EQ(batch.packets.size(), 3u);
    for (const Packet& pk : packets) {
      seqs.push_back(pk.seq);
      CHECK_EQ(pk.timestamp, h.timestamp);
      CHECK_EQ(pk.ssrc, 42u);
      CHECK_EQ(pk.payloadType, 96);
    }
  }
  const std::vector<uint16_t> want = {65533, 65534, 65535, 0, 1, 2, 3, 4, 5};
  CHECK(seqs == want);
  CHECK_EQ(seq, 6);
}

TEST(H264Packetizer_PayloadTypeIsMaskedToSevenBits) {
  H264Packetizer p;
  RtpHeaderFields h;
  h.payloadType = 0xFF;  // must not leak into the marker bit
  uint16_t seq = 0;
  std::vector<Packet> packets;
  REQUIRE(Packetize(p, AnnexB({Nal(0x41, 100, 1), Nal(0x41, 1200, 2)}), h, &seq, &packets));
  REQUIRE(packets.size() == 2);
  CHECK(!packets[0].marker);
  CHECK_EQ(packets[0].payloadType, 0x7F);
}

namespace {

struct Collector : FrameAssembler::Listener {
  std::vector<Bytes> frames;
  std::vector<uint32_t> timestamps;
  int keyFrameRequests = 0;
  void OnFrameAssembled(const AssembledFrame& f) override {
    frames.emplace_back(f.data, f.data + f.size);
    timestamps.push_back(f.timestamp);
  }
  void OnKeyFrameNeeded() override { ++keyFrameRequests; }
};

// A random body for a NAL unit: single zeros allowed, never two in a row nor one at the end,
// so no start code can appear inside.
Bytes RandomNal(std::mt19937& rng, uint8_t header, size_t size) {
  Bytes nal(size);
  nal[0] = header;
  for (size_t i = 1; i < size; ++i) {
    uint8_t b = static_cast<uint8_t>(rng());
    if (b == 0 && (nal[i - 1] == 0 || i + 1 == size)) b = 0x5A;
    nal[i] = b;
  }
  return nal;
}

}  // namespace

TEST(H264Packetizer_RoundTripThroughTheFrameAssembler) {
  std::mt19937 rng(2024);
  H264Packetizer packetizer(1200);
  Collector c;
  FrameAssembler assembler(&c, 1024, 50 * kMs);
  RtpHeaderFields h;
  h.payloadType = 96;
  h.ssrc = 0x0BADCAFE;
  h.timestamp = 123456;
  uint16_t seq = 64000;  // wraps after about a hundred frames
  uint64_t now = 1000 * kMs;
  std::vector<Bytes> expected;
  std::vector<uint32_t> expectedTs;
  size_t packetsSent = 0;
  bool wrapped = false;
  PacketBatch batch;
  for (int frame = 0; frame < 300; ++frame) {
    std::vector<Bytes> nals;
    const bool key = frame % 60 == 0;
    if (key) {
      nals.push_back(RandomNal(rng, 0x67, 4 + rng() % 30));
      nals.push_back(RandomNal(rng, 0x68, 1 + rng() % 8));
    }
    if (rng() % 4 == 0) nals.push_back(RandomNal(rng, 0x06, 1 + rng() % 200));
    const size_t slices = 1 + rng() % 3;
    for (size_t s = 0; s < slices; ++s)
      nals.push_back(RandomNal(rng, key ? 0x65 : 0x41, 1 + rng() % 20000));
    // Mixed start code lengths in; the depacketizer writes 4-byte ones out.
    Bytes au, normalised;
    for (const Bytes& nal : nals) {
      if (rng() % 2) au.push_back(0);
      au.insert(au.end(), {0, 0, 1});
      au.insert(au.end(), nal.begin(), nal.end());
      normalised.insert(normalised.end(), {0, 0, 0, 1});
      normalised.insert(normalised.end(), nal.begin(), nal.end());
    }
    expected.push_back(normalised);
    expectedTs.push_back(h.timestamp);

    ExactBuffer buf(au);
    const uint16_t before = seq;
    REQUIRE(packetizer.Packetize(buf.data(), buf.size(), h, &seq, &batch));
    if (seq < before) wrapped = true;
    for (const auto& entry : batch.packets) {
      ExactBuffer packet(batch.block.data() + entry.first, entry.second);
      RtpPacket parsed;
      REQUIRE(RtpPacket::Parse(packet.data(), packet.size(), &parsed));
      CHECK(parsed.payloadSize <= 1200);
      assembler.Insert(parsed, now);
      now += kMs / 4;
      ++packetsSent;
    }
    assembler.OnTimer(now);
    h.timestamp += 3000;
  }
  CHECK(wrapped);
  CHECK(packetsSent > 2000);
  REQUIRE(c.frames.size() == expected.size());
  size_t mismatches = 0;
  std::string first;
  for (size_t i = 0; i < expected.size(); ++i) {
    if (c.frames[i] != expected[i] || c.timestamps[i] != expectedTs[i]) {
      if (mismatches++ == 0)
        first = "frame " + std::to_string(i) + ": " + check::Show(c.frames[i]) + " != " + check::Show(expected[i]);
    }
  }
  CHECK_MSG(mismatches == 0, first);
  const auto& st = assembler.stats();
  CHECK_EQ(st.framesMalformed.load(), 0u);
  CHECK_EQ(st.framesIncomplete.load(), 0u);
  CHECK_EQ(st.packetsMalformed.load(), 0u);
  CHECK_EQ(c.keyFrameRequests, 0);
}
