#include "rtp/RtpPacket.h"

#include <random>
#include <vector>

#include "check.h"
#include "rtp/RtpBytes.h"

using callmedia::RtpPacket;
using testrtp::BuildRtp;
using testrtp::ExactBuffer;
using testrtp::RtpSpec;

namespace {

bool ParseBytes(const std::vector<uint8_t>& bytes) {
  ExactBuffer buffer(bytes);
  RtpPacket packet;
  return RtpPacket::Parse(buffer.data(), buffer.size(), &packet);
}

}  // namespace

TEST(RtpPacket_ParsesFixedHeaderFields) {
  RtpSpec spec;
  spec.payloadType = 111;
  spec.marker = true;
  spec.seq = 0xABCD;
  spec.timestamp = 0xDEADBEEF;
  spec.ssrc = 0x01020304;
  spec.payload = {1, 2, 3, 4, 5};
  ExactBuffer buf(BuildRtp(spec));
  RtpPacket p;
  REQUIRE(RtpPacket::Parse(buf.data(), buf.size(), &p));
  CHECK_EQ(p.payloadType, 111);
  CHECK(p.marker);
  CHECK_EQ(p.sequenceNumber, 0xABCD);
  CHECK_EQ(p.timestamp, 0xDEADBEEFu);
  CHECK_EQ(p.ssrc, 0x01020304u);
  CHECK_EQ(p.csrcCount, 0);
  CHECK(p.payload == buf.data() + 12);
  CHECK_EQ(p.payloadSize, 5);
  CHECK_EQ(p.paddingSize, 0);
  CHECK(p.extension == nullptr);
}

TEST(RtpPacket_MarkerClearAndHeaderOnlyPacket) {
  RtpSpec spec;
  spec.payloadType = 0;
  ExactBuffer buf(BuildRtp(spec));
  REQUIRE(buf.size() == 12);
  RtpPacket p;
  REQUIRE(RtpPacket::Parse(buf.data(), buf.size(), &p));
  CHECK(!p.marker);
  CHECK_EQ(p.payloadType, 0);
  CHECK_EQ(p.payloadSize, 0);
}

TEST(RtpPacket_SkipsCsrcList) {
  RtpSpec spec;
  spec.csrcs = {0xAAAAAAAA, 0xBBBBBBBB, 0xCCCCCCCC};
  spec.payload = {9, 8, 7};
  ExactBuffer buf(BuildRtp(spec));
  RtpPacket p;
  REQUIRE(RtpPacket::Parse(buf.data(), buf.size(), &p));
  CHECK_EQ(p.csrcCount, 3);
  CHECK(p.payload == buf.data() + 12 + 12);
  CHECK_BYTES(p.payload, p.payloadSize, (std::vector<uint8_t>{9, 8, 7}));
}

TEST(RtpPacket_FifteenCsrcsFillTheHeader) {
  RtpSpec spec;
  for (uint32_t i = 0; i < 15; ++i) spec.csrcs.push_back(i);
  ExactBuffer buf(BuildRtp(spec));
  RtpPacket p;
  REQUIRE(RtpPacket::Parse(buf.data(), buf.size(), &p));
  CHECK_EQ(p.csrcCount, 15);
  CHECK_EQ(p.payloadSize, 0);
}

TEST(RtpPacket_StripsPadding) {
  RtpSpec spec;
  spec.payload = {1, 2, 3, 4, 5, 6};
  spec.padding = 4;
  ExactBuffer buf(BuildRtp(spec));
  RtpPacket p;
  REQUIRE(RtpPacket::Parse(buf.data(), buf.size(), &p));
  CHECK_EQ(p.paddingSize, 4);
  CHECK_BYTES(p.payload, p.payloadSize, (std::vector<uint8_t>{1, 2, 3, 4, 5, 6}));
}

TEST(RtpPacket_PaddingOnlyPacketIsValid) {
  // RFC 3550 5.1: the count includes itself, so a packet may be nothing but padding (probing).
  RtpSpec spec;
  spec.padding = 8;
  ExactBuffer buf(BuildRtp(spec));
  RtpPacket p;
  REQUIRE(RtpPacket::Parse(buf.data(), buf.size(), &p));
  CHECK_EQ(p.paddingSize, 8);
  CHECK_EQ(p.payloadSize, 0);
}

TEST(RtpPacket_OneByteExtensions) {
  RtpSpec spec;
  spec.extension = true;
  spec.extensionProfile = 0xBEDE;
  // id 1 len 1 (2 bytes), a padding byte, id 3 len 3 (4 bytes), id 14 len 16 (max)
  spec.extensionBody = {0x11, 0xA1, 0xA2, 0x00, 0x33, 0xB1, 0xB2, 0xB3, 0xB4, 0xEF};
  for (int i = 0; i < 16; ++i) spec.extensionBody.push_back(static_cast<uint8_t>(0xC0 + i));
  spec.payload = {0x55, 0x66};
  ExactBuffer buf(BuildRtp(spec));
  RtpPacket p;
  REQUIRE(RtpPacket::Parse(buf.data(), buf.size(), &p));
  CHECK_EQ(p.extensionProfile, 0xBEDE);
  CHECK(p.extension == buf.data() + 16);
  CHECK_EQ(p.extensionSize, 28);  // 26 body bytes rounded up to whole words
  CHECK_BYTES(p.payload, p.payloadSize, (std::vector<uint8_t>{0x55, 0x66}));

  const uint8_t* value = nullptr;
  size_t length = 0;
  REQUIRE(p.GetExtension(1, &value, &length));
  CHECK_BYTES(value, length, (std::vector<uint8_t>{0xA1, 0xA2}));
  REQUIRE(p.GetExtension(3, &value, &length));
  CHECK_BYTES(value, length, (std::vector<uint8_t>{0xB1, 0xB2, 0xB3, 0xB4}));
  REQUIRE(p.GetExtension(14, &value, &length));
  CHECK_EQ(length, 16);
  CHECK_EQ(value[0], 0xC0);
  CHECK_EQ(value[15], 0xCF);
  CHECK(!p.GetExtension(2, &value, &length));
}

TEST(RtpPacket_OneByteExtensionIdFifteenStopsParsing) {
  // RFC 8285 4.2: id 15 is reserved and "the receiver MUST ignore the rest of the extension".
  RtpSpec spec;
  spec.extension = true;
  spec.extensionProfile = 0xBEDE;
  spec.extensionBody = {0xF0, 0x00, 0x21, 0x77, 0x00, 0x00, 0x00, 0x00};
  ExactBuffer buf(BuildRtp(spec));
  RtpPacket p;
  REQUIRE(RtpPacket::Parse(buf.data(), buf.size(), &p));
  const uint8_t* value = nullptr;
  size_t length = 0;
  CHECK(!p.GetExtension(2, &value, &length));
}

TEST(RtpPacket_OneByteExtensionOverrunningItsBlockIsNotReturned) {
  RtpSpec spec;
  spec.extension = true;
  spec.extensionProfile = 0xBEDE;
  spec.extensionBody = {0x10, 0x01, 0x00, 0x2F};  // id 2 claims 16 bytes in a 4-byte block
  spec.payload = {0x99, 0x99, 0x99, 0x99, 0x99, 0x99, 0x99, 0x99, 0x99, 0x99, 0x99, 0x99, 0x99, 0x99, 0x99, 0x99};
  ExactBuffer buf(BuildRtp(spec));
  RtpPacket p;
  REQUIRE(RtpPacket::Parse(buf.data(), buf.size(), &p));
  const uint8_t* value = nullptr;
  size_t length = 0;
  REQUIRE(p.GetExtension(1, &value, &length));
  CHECK_EQ(length, 1);
  CHECK(!p.GetExtension(2, &value, &length));  // would reach into the payload
}

TEST(RtpPacket_TwoByteExtensions) {
  RtpSpec spec;
  spec.extension = true;
  spec.extensionProfile = 0x1003;  // the low 4 bits are "appbits", still the two-byte form
  // id 5 len 0, padding, id 200 len 3, id 7 len 2
  spec.extensionBody = {5, 0, 0, 200, 3, 0xD1, 0xD2, 0xD3, 7, 2, 0xE1, 0xE2};
  spec.payload = {0x42};
  ExactBuffer buf(BuildRtp(spec));
  RtpPacket p;
  REQUIRE(RtpPacket::Parse(buf.data(), buf.size(), &p));
  CHECK_EQ(p.extensionProfile, 0x1003);
  CHECK_EQ(p.extensionSize, 12);
  CHECK_BYTES(p.payload, p.payloadSize, (std::vector<uint8_t>{0x42}));
  const uint8_t* value = nullptr;
  size_t length = 99;
  REQUIRE(p.GetExtension(5, &value, &length));
  CHECK_EQ(length, 0);
  REQUIRE(p.GetExtension(200, &value, &length));
  CHECK_BYTES(value, length, (std::vector<uint8_t>{0xD1, 0xD2, 0xD3}));
  REQUIRE(p.GetExtension(7, &value, &length));
  CHECK_BYTES(value, length, (std::vector<uint8_t>{0xE1, 0xE2}));
  CHECK(!p.GetExtension(8, &value, &length));
}

TEST(RtpPacket_TwoByteExtensionOverrunIsNotReturned) {
  RtpSpec spec;
  spec.extension = true;
  spec.extensionProfile = 0x1000;
  spec.extensionBody = {9, 200, 1, 2};  // id 9 claims 200 bytes
  spec.payload = std::vector<uint8_t>(300, 0x77);
  ExactBuffer buf(BuildRtp(spec));
  RtpPacket p;
  REQUIRE(RtpPacket::Parse(buf.data(), buf.size(), &p));
  const uint8_t* value = nullptr;
  size_t length = 0;
  CHECK(!p.GetExtension(9, &value, &length));
}

TEST(RtpPacket_UnknownExtensionProfileIsSkippedNotInterpreted) {
  RtpSpec spec;
  spec.extension = true;
  spec.extensionProfile = 0x1234;
  spec.extensionBody = {0x10, 0xAA, 0x00, 0x00};  // would be id 1 in the one-byte form
  spec.payload = {1, 2};
  ExactBuffer buf(BuildRtp(spec));
  RtpPacket p;
  REQUIRE(RtpPacket::Parse(buf.data(), buf.size(), &p));
  CHECK_BYTES(p.payload, p.payloadSize, (std::vector<uint8_t>{1, 2}));
  const uint8_t* value = nullptr;
  size_t length = 0;
  CHECK(!p.GetExtension(1, &value, &length));
}

TEST(RtpPacket_CsrcsExtensionAndPaddingTogether) {
  RtpSpec spec;
  spec.csrcs = {1, 2};
  spec.extension = true;
  spec.extensionProfile = 0xBEDE;
  spec.extensionBody = {0x40, 0x5A};  // id 4 len 1
  spec.payload = {0x61, 0x62, 0x63};
  spec.padding = 3;
  ExactBuffer buf(BuildRtp(spec));
  RtpPacket p;
  REQUIRE(RtpPacket::Parse(buf.data(), buf.size(), &p));
  CHECK(p.extension == buf.data() + 12 + 8 + 4);
  CHECK(p.payload == buf.data() + 12 + 8 + 4 + 4);
  CHECK_BYTES(p.payload, p.payloadSize, (std::vector<uint8_t>{0x61, 0x62, 0x63}));
  const uint8_t* value = nullptr;
  size_t length = 0;
  REQUIRE(p.GetExtension(4, &value, &length));
  CHECK_BYTES(value, length, (std::vector<uint8_t>{0x5A}));
}

TEST(RtpPacket_RefusesTooShort) {
  RtpSpec spec;
  const std::vector<uint8_t> full = BuildRtp(spec);
  for (size_t n = 0; n < 12; ++n) {
    CHECK_MSG(!ParseBytes(std::vector<uint8_t>(full.begin(), full.begin() + n)), "size " + std::to_string(n));
  }
}

TEST(RtpPacket_RefusesVersionOtherThanTwo) {
  for (uint8_t version : {0, 1, 3}) {
    RtpSpec spec;
    spec.version = version;
    spec.payload = {1, 2, 3};
    CHECK_MSG(!ParseBytes(BuildRtp(spec)), "version " + std::to_string(version));
  }
}

TEST(RtpPacket_RefusesCsrcCountPastTheEnd) {
  RtpSpec spec;
  spec.csrcs = {1, 2, 3};
  std::vector<uint8_t> bytes = BuildRtp(spec);  // exactly 24 bytes: header + 3 CSRCs
  REQUIRE(ParseBytes(bytes));
  bytes.pop_back();
  CHECK(!ParseBytes(bytes));
  // A count of 15 with only 16 bytes of datagram.
  std::vector<uint8_t> lying = {0x8F, 96, 0, 1, 0, 0, 0, 1, 0, 0, 0, 2, 0xAA, 0xBB, 0xCC, 0xDD};
  CHECK(!ParseBytes(lying));
}

TEST(RtpPacket_RefusesExtensionPastTheEnd) {
  RtpSpec spec;
  spec.extension = true;
  spec.extensionProfile = 0xBEDE;
  spec.extensionBody = {0x10, 0x01, 0x00, 0x00, 0x20, 0x02, 0x00, 0x00};
  std::vector<uint8_t> bytes = BuildRtp(spec);
  REQUIRE(ParseBytes(bytes));
  // Cut into the extension body, then into its 4-byte header.
  for (size_t cut = 1; cut <= 12; ++cut) {
    CHECK_MSG(!ParseBytes(std::vector<uint8_t>(bytes.begin(), bytes.end() - cut)), "cut " + std::to_string(cut));
  }
  // An extension length word larger than the datagram, with payload bytes that would cover it.
  std::vector<uint8_t> lying = BuildRtp(spec);
  lying[12 + 2] = 0x01;
  lying[12 + 3] = 0x00;  // 256 words
  lying.resize(lying.size() + 100, 0);
  CHECK(!ParseBytes(lying));
}

TEST(RtpPacket_RefusesBadPadding) {
  RtpSpec spec;
  spec.payload = {1, 2, 3, 4};
  spec.padding = 1;
  std::vector<uint8_t> bytes = BuildRtp(spec);
  REQUIRE(ParseBytes(bytes));
  bytes.back() = 0;  // P bit set with a zero count
  CHECK(!ParseBytes(bytes));
  bytes.back() = 6;  // payload is 4 + 1 padding byte: 6 would eat into the header
  CHECK(!ParseBytes(bytes));
  bytes.back() = 5;  // exactly payload + padding: accepted, empty payload
  CHECK(ParseBytes(bytes));
  bytes.back() = 255;
  CHECK(!ParseBytes(bytes));
}

TEST(RtpPacket_RefusesPaddingReachingIntoExtension) {
  RtpSpec spec;
  spec.extension = true;
  spec.extensionProfile = 0xBEDE;
  spec.extensionBody = {0x10, 0x01, 0x00, 0x00};
  spec.payload = {7, 7};
  spec.padding = 2;
  std::vector<uint8_t> bytes = BuildRtp(spec);
  REQUIRE(ParseBytes(bytes));
  bytes.back() = 5;  // payload(2) + padding(2) = 4: 5 would cover the last extension byte
  CHECK(!ParseBytes(bytes));
}

TEST(RtpPacket_LooksLikeRtcp) {
  auto looks = [](uint8_t b0, uint8_t b1, size_t size) {
    std::vector<uint8_t> bytes(size, 0);
    if (size > 0) bytes[0] = b0;
    if (size > 1) bytes[1] = b1;
    ExactBuffer buf(bytes);
    return RtpPacket::LooksLikeRtcp(buf.data(), buf.size());
  };
  CHECK(looks(0x80, 200, 28));  // SR
  CHECK(looks(0x81, 201, 32));  // RR
  CHECK(looks(0x81, 205, 12));  // RTPFB
  CHECK(looks(0x81, 206, 12));  // PSFB
  CHECK(looks(0x80, 192, 8));   // lower edge of RFC 5761's reserved range
  CHECK(looks(0x80, 223, 8));   // upper edge
  CHECK(!looks(0x80, 191, 8));
  CHECK(!looks(0x80, 224, 8));       // RTP PT 96 with marker set
  CHECK(!looks(0x80, 96, 100));      // RTP PT 96
  CHECK(!looks(0x80, 0x80 | 0, 100));  // RTP PT 0 with marker set
  CHECK(!looks(0x40, 200, 28));      // version 1
  CHECK(!looks(0xC0, 200, 28));      // version 3
  CHECK(!looks(0x80, 200, 7));       // shorter than any RTCP header + SSRC
  CHECK(!looks(0x80, 200, 0));
}

TEST(RtpPacket_RealRtpIsNotRtcpAndViceVersa) {
  RtpSpec spec;
  spec.payloadType = 96;
  spec.marker = true;
  spec.payload = {1};
  ExactBuffer rtp(BuildRtp(spec));
  CHECK(!RtpPacket::LooksLikeRtcp(rtp.data(), rtp.size()));
  RtpPacket p;
  CHECK(RtpPacket::Parse(rtp.data(), rtp.size(), &p));
}

TEST(RtpPacket_FuzzRandomBuffersNeverReadOutOfBounds) {
  std::mt19937 rng(0xC0FFEE);
  std::uniform_int_distribution<int> sizeDist(0, 1500);
  std::uniform_int_distribution<int> byteDist(0, 255);
  size_t accepted = 0;
  uint64_t sink = 0;
  for (int iter = 0; iter < 200000; ++iter) {
    const size_t size = static_cast<size_t>(sizeDist(rng)) >> (iter % 4 == 0 ? 6 : 0);  // many tiny ones too
    std::vector<uint8_t> bytes(size);
    for (auto& b : bytes) b = static_cast<uint8_t>(byteDist(rng));
    // Bias half the buffers towards a valid version and header extensions, or Parse would
    // reject nearly everything on the first byte and the deeper paths would go untested.
    if (size > 0 && (iter & 1)) bytes[0] = static_cast<uint8_t>(0x80 | (bytes[0] & 0x3F));
    if (size > 16 && (iter & 2)) {
      bytes[0] = static_cast<uint8_t>((bytes[0] & 0xF0) | (bytes[0] & 0x03));  // 0-3 CSRCs
      const size_t extAt = 12 + 4u * (bytes[0] & 0x0F);
      if (extAt + 4 <= size) {
        const bool oneByte = iter & 4;
        bytes[extAt] = oneByte ? 0xBE : 0x10;
        bytes[extAt + 1] = oneByte ? 0xDE : static_cast<uint8_t>(bytes[extAt + 1] & 0x0F);
        bytes[extAt + 2] = 0;
        bytes[extAt + 3] = static_cast<uint8_t>(bytes[extAt + 3] % 16);
      }
    }
    ExactBuffer buf(bytes);
    RtpPacket p;
    if (!RtpPacket::Parse(buf.data(), buf.size(), &p)) continue;
    ++accepted;
    const uint8_t* begin = buf.data();
    const uint8_t* end = buf.data() + buf.size();
    REQUIRE(p.payload >= begin + 12 && p.payload <= end);
    REQUIRE(p.payload + p.payloadSize + p.paddingSize == end);
    for (size_t i = 0; i < p.payloadSize; ++i) sink += p.payload[i];  // ASan checks each read
    if (p.extension) {
      REQUIRE(p.extension >= begin + 16 && p.extension + p.extensionSize <= p.payload);
      for (uint8_t id = 0; id < 16; ++id) {
        const uint8_t* value = nullptr;
        size_t length = 0;
        if (p.GetExtension(id, &value, &length)) {
          REQUIRE(value >= p.extension && value + length <= p.extension + p.extensionSize);
          for (size_t i = 0; i < length; ++i) sink += value[i];
        }
      }
      const uint8_t* value = nullptr;
      size_t length = 0;
      if (p.GetExtension(static_cast<uint8_t>(byteDist(rng)), &value, &length))
        REQUIRE(value >= p.extension && value + length <= p.extension + p.extensionSize);
    }
  }
  // The bias above is meant to reach the accepting paths; make sure it really did.
  CHECK(accepted > 20000);
  CHECK(sink != 1);  // keeps the reads from being optimised away
}

TEST(RtpPacket_FuzzMutatedValidPacket) {
  RtpSpec spec;
  spec.csrcs = {0x01010101, 0x02020202};
  spec.extension = true;
  spec.extensionProfile = 0xBEDE;
  spec.extensionBody = {0x10, 0xAA, 0x21, 0xBB, 0xCC, 0x00, 0x30, 0xDD};
  spec.payload = std::vector<uint8_t>(200, 0x5C);
  spec.padding = 4;
  const std::vector<uint8_t> valid = BuildRtp(spec);
  std::mt19937 rng(1234567);
  size_t accepted = 0;
  uint64_t sink = 0;
  for (int iter = 0; iter < 100000; ++iter) {
    std::vector<uint8_t> bytes = valid;
    const int flips = 1 + static_cast<int>(rng() % 4);
    for (int f = 0; f < flips; ++f) {
      // Mutate the header area much more often than the payload: that is where lengths live.
      const size_t at = (rng() % 4) ? rng() % 40 : rng() % bytes.size();
      bytes[at] = static_cast<uint8_t>(rng());
    }
    if (rng() % 3 == 0) bytes.resize(rng() % (bytes.size() + 1));  // truncation
    if (rng() % 7 == 0 && !bytes.empty()) bytes.back() = static_cast<uint8_t>(rng());  // padding count
    ExactBuffer buf(bytes);
    RtpPacket p;
    if (!RtpPacket::Parse(buf.data(), buf.size(), &p)) continue;
    ++accepted;
    REQUIRE(p.payload + p.payloadSize + p.paddingSize == buf.data() + buf.size());
    for (size_t i = 0; i < p.payloadSize; ++i) sink += p.payload[i];
    for (uint8_t id = 0; id < 16; ++id) {
      const uint8_t* value = nullptr;
      size_t length = 0;
      if (p.GetExtension(id, &value, &length))
        for (size_t i = 0; i < length; ++i) sink += value[i];
    }
  }
  CHECK(accepted > 1000);
  CHECK(sink != 1);
}

namespace {

// Copies `spec`'s packet with extension `id` set to `value`; the copy must parse.
bool CopyWith(const RtpSpec& spec, uint8_t id, const std::vector<uint8_t>& value, RtpPacket* out,
              std::vector<uint8_t>* bytes, size_t capacity = 1500) {
  ExactBuffer in(BuildRtp(spec));
  RtpPacket p;
  if (!RtpPacket::Parse(in.data(), in.size(), &p)) return false;
  bytes->assign(capacity, 0xEE);
  const size_t n = p.CopyWithExtension(id, value.data(), value.size(), bytes->data(), bytes->size());
  if (n == 0) return false;
  bytes->resize(n);
  return RtpPacket::Parse(bytes->data(), bytes->size(), out);
}

}  // namespace

TEST(RtpPacket_CopyWithExtensionAddsToAPacketWithout) {
  RtpSpec spec;
  spec.marker = true;
  spec.seq = 7;
  spec.csrcs = {0xCAFE0001};
  spec.payload = {1, 2, 3, 4, 5};
  spec.padding = 3;
  RtpPacket p;
  std::vector<uint8_t> bytes;
  REQUIRE(CopyWith(spec, 4, {'0'}, &p, &bytes));
  CHECK_EQ(p.sequenceNumber, 7);
  CHECK(p.marker);
  CHECK_EQ(p.csrcCount, 1);
  CHECK_EQ(p.extensionProfile, 0xBEDE);
  CHECK_EQ(bytes.size() % 4, 0u);
  CHECK_BYTES(p.payload, p.payloadSize, (std::vector<uint8_t>{1, 2, 3, 4, 5}));
  CHECK_EQ(p.paddingSize, 3);
  const uint8_t* value;
  size_t length;
  REQUIRE(p.GetExtension(4, &value, &length));
  CHECK_BYTES(value, length, (std::vector<uint8_t>{'0'}));
}

// A transport stamps two elements in one copy (MID and the transport-wide sequence number):
// both are there, an old one of either id is replaced, the rest stays.
TEST(RtpPacket_CopyWithExtensionsSetsSeveralInOneCopy) {
  RtpSpec spec;
  spec.extension = true;
  spec.extensionProfile = 0xBEDE;
  spec.extensionBody = {0x10, 0x85, 0x31, 0xAA, 0xBB, 0x00};  // audio level (id 1), an old sequence (id 3)
  spec.payload = {7, 8, 9};
  const std::vector<uint8_t> in = BuildRtp(spec);
  RtpPacket original;
  REQUIRE(RtpPacket::Parse(in.data(), in.size(), &original));
  const uint8_t mid[] = {'v'};
  const uint8_t seq[] = {0x12, 0x34};
  const RtpPacket::ExtensionElement elements[] = {{4, mid, 1}, {3, seq, 2}};
  std::vector<uint8_t> out(in.size() + 16);
  const size_t n = original.CopyWithExtensions(elements, 2, out.data(), out.size());
  REQUIRE(n > 0);
  RtpPacket p;
  REQUIRE(RtpPacket::Parse(out.data(), n, &p));
  const uint8_t* value;
  size_t length;
  REQUIRE(p.GetExtension(1, &value, &length));
  CHECK_BYTES(value, length, (std::vector<uint8_t>{0x85}));
  REQUIRE(p.GetExtension(3, &value, &length));
  CHECK_BYTES(value, length, (std::vector<uint8_t>{0x12, 0x34}));
  REQUIRE(p.GetExtension(4, &value, &length));
  CHECK_BYTES(value, length, (std::vector<uint8_t>{'v'}));
  CHECK_BYTES(p.payload, p.payloadSize, (std::vector<uint8_t>{7, 8, 9}));
  CHECK_EQ(original.CopyWithExtensions(elements, 2, out.data(), in.size()), 0u);  // does not fit
}

TEST(RtpPacket_CopyWithExtensionKeepsOtherElementsAndReplacesItsOwn) {
  RtpSpec spec;
  spec.extension = true;
  spec.extensionProfile = 0xBEDE;
  spec.extensionBody = {0x10, 0x85, 0x00, 0x41, 'v', 'i'};  // audio level (id 1), padding, an old mid (id 4)
  spec.payload = {9, 9};
  RtpPacket p;
  std::vector<uint8_t> bytes;
  REQUIRE(CopyWith(spec, 4, {'v', 'i', 'd', 'e', 'o', '1'}, &p, &bytes));
  const uint8_t* value;
  size_t length;
  REQUIRE(p.GetExtension(1, &value, &length));
  CHECK_BYTES(value, length, (std::vector<uint8_t>{0x85}));
  REQUIRE(p.GetExtension(4, &value, &length));
  CHECK_BYTES(value, length, (std::vector<uint8_t>{'v', 'i', 'd', 'e', 'o', '1'}));
  CHECK_BYTES(p.payload, p.payloadSize, (std::vector<uint8_t>{9, 9}));
}

TEST(RtpPacket_CopyWithExtensionKeepsTheTwoByteForm) {
  RtpSpec spec;
  spec.extension = true;
  spec.extensionProfile = 0x1000;
  spec.extensionBody = {0x20, 0x00, 0x05, 0x02, 0xAA, 0xBB};  // id 32 empty, id 5 of 2 bytes
  spec.payload = {7};
  RtpPacket p;
  std::vector<uint8_t> bytes;
  REQUIRE(CopyWith(spec, 3, {'a', 'b'}, &p, &bytes));
  CHECK_EQ(p.extensionProfile, 0x1000);
  const uint8_t* value;
  size_t length;
  REQUIRE(p.GetExtension(5, &value, &length));
  CHECK_BYTES(value, length, (std::vector<uint8_t>{0xAA, 0xBB}));
  REQUIRE(p.GetExtension(32, &value, &length));
  CHECK_EQ(length, 0u);
  REQUIRE(p.GetExtension(3, &value, &length));
  CHECK_BYTES(value, length, (std::vector<uint8_t>{'a', 'b'}));
}

TEST(RtpPacket_CopyWithExtensionRefusesWhatItCannotWrite) {
  RtpSpec spec;
  spec.payload = std::vector<uint8_t>(100, 1);
  RtpPacket p;
  std::vector<uint8_t> bytes;
  CHECK(!CopyWith(spec, 15, {'x'}, &p, &bytes));                        // id 15 is reserved in one-byte form
  CHECK(!CopyWith(spec, 1, std::vector<uint8_t>(17, 'x'), &p, &bytes));  // longer than one-byte form allows
  CHECK(!CopyWith(spec, 1, {'x'}, &p, &bytes, 115));                    // no room
  RtpSpec other = spec;
  other.extension = true;
  other.extensionProfile = 0x1234;  // an unknown profile cannot be added to without losing it
  other.extensionBody = {1, 2, 3, 4};
  CHECK(!CopyWith(other, 1, {'x'}, &p, &bytes));
}

TEST(RtpPacket_CopyAsForwardedCarriesTheSourceAsItsCsrcAndNoExtension) {
  RtpSpec spec;
  spec.seq = 100;
  spec.ssrc = 0xAAAA0001;
  spec.timestamp = 12345;
  spec.marker = true;
  spec.payloadType = 102;
  spec.csrcs = {0x1, 0x2};  // whatever it had is replaced by the one source
  spec.extension = true;
  spec.extensionProfile = 0xBEDE;
  spec.extensionBody = {0x10, 0x42};
  spec.payload = {7, 8, 9};
  spec.padding = 4;
  ExactBuffer in(BuildRtp(spec));
  RtpPacket p;
  REQUIRE(RtpPacket::Parse(in.data(), in.size(), &p));
  CHECK_EQ(p.sourceId(), 0x1u);
  std::vector<uint8_t> out(1500);
  const RtpPacket::ForwardedHeader header{0xBBBB0002, 7, 96, true, 0xAAAA0001};
  const size_t n = p.CopyAsForwarded(header, out.data(), out.size());
  REQUIRE(n > 0);
  RtpPacket q;
  REQUIRE(RtpPacket::Parse(out.data(), n, &q));
  CHECK_EQ(q.ssrc, 0xBBBB0002u);
  CHECK_EQ(q.sequenceNumber, 7);
  CHECK_EQ(q.payloadType, 96);
  CHECK_EQ(q.timestamp, 12345u);
  CHECK(q.marker);
  CHECK_EQ(q.csrcCount, 1);
  CHECK_EQ(q.sourceId(), 0xAAAA0001u);
  CHECK(q.extension == nullptr);  // its ids meant something only where it came from
  CHECK_BYTES(q.payload, q.payloadSize, (std::vector<uint8_t>{7, 8, 9}));
  CHECK_EQ(q.paddingSize, 4);
  CHECK_EQ(p.CopyAsForwarded(header, out.data(), n - 1), 0u);  // one byte short
  // Without a source: no CSRC at all, the packet under the header's SSRC.
  const size_t m = p.CopyAsForwarded({0x77, 8, 111, false, 0}, out.data(), out.size());
  REQUIRE(m > 0);
  REQUIRE(RtpPacket::Parse(out.data(), m, &q));
  CHECK_EQ(q.csrcCount, 0);
  CHECK_EQ(q.sourceId(), 0x77u);
  CHECK_EQ(q.payloadType, 111);
  CHECK_EQ(q.paddingSize, 4);
  RtpSpec plain;
  plain.ssrc = 0x55;
  ExactBuffer in2(BuildRtp(plain));
  REQUIRE(RtpPacket::Parse(in2.data(), in2.size(), &p));
  CHECK_EQ(p.sourceId(), 0x55u);
}
