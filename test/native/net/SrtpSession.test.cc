#include "net/SrtpSession.h"

#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include "check.h"
#include "rtp/RtpBytes.h"

using callmedia::SrtpKeyLengths;
using callmedia::SrtpProfile;
using callmedia::SrtpProfileFromName;
using callmedia::SrtpProfileName;
using callmedia::SrtpSession;
using testrtp::BuildRtp;
using testrtp::ExactBuffer;
using testrtp::Put16;
using testrtp::Put32;
using testrtp::RtpSpec;
using Result = SrtpSession::Result;

namespace {

constexpr SrtpProfile kGcm = SrtpProfile::kAeadAes128Gcm;
constexpr SrtpProfile kCm80 = SrtpProfile::kAesCm128HmacSha1_80;

std::vector<uint8_t> TestKey(SrtpProfile profile, uint8_t seed) {
  size_t keyLength, saltLength;
  SrtpKeyLengths(profile, &keyLength, &saltLength);
  std::vector<uint8_t> key(keyLength + saltLength);
  for (size_t i = 0; i < key.size(); ++i) key[i] = static_cast<uint8_t>(seed * 37 + i * 11 + 1);
  return key;
}

std::unique_ptr<SrtpSession> MakeSession(SrtpProfile profile, SrtpSession::Direction direction,
                                         const std::vector<uint8_t>& key) {
  std::string error;
  std::unique_ptr<SrtpSession> session = SrtpSession::Create(profile, direction, key.data(), key.size(), &error);
  CHECK_MSG(session != nullptr, error);
  CHECK(error.empty());
  return session;
}

// Both ends of one direction of a transport, keyed alike.
struct SessionPair {
  std::unique_ptr<SrtpSession> out, in;
  bool ok() const { return out && in; }
};

SessionPair MakePair(SrtpProfile profile, uint8_t seed = 1) {
  const std::vector<uint8_t> key = TestKey(profile, seed);
  return {MakeSession(profile, SrtpSession::Direction::kOutbound, key),
          MakeSession(profile, SrtpSession::Direction::kInbound, key)};
}

// A packet in a heap block of exactly its size plus `room` bytes, so AddressSanitizer catches
// any write past the capacity handed to the session.
class Packet {
 public:
  explicit Packet(const std::vector<uint8_t>& bytes, size_t room = SrtpSession::kMaxOverhead)
      : buffer_(Padded(bytes, room)), size_(bytes.size()) {}
  uint8_t* data() { return buffer_.data(); }
  size_t* size() { return &size_; }
  size_t capacity() const { return buffer_.size(); }
  std::vector<uint8_t> bytes() const { return std::vector<uint8_t>(buffer_.data(), buffer_.data() + size_); }

 private:
  static std::vector<uint8_t> Padded(std::vector<uint8_t> bytes, size_t room) {
    bytes.resize(bytes.size() + room, 0);
    return bytes;
  }
  ExactBuffer buffer_;
  size_t size_;
};

std::vector<uint8_t> MediaPacket(uint32_t ssrc, uint16_t seq, size_t payloadSize = 120) {
  RtpSpec spec;
  spec.payloadType = 96;
  spec.seq = seq;
  spec.timestamp = 90000u + seq * 3000u;
  spec.ssrc = ssrc;
  for (size_t i = 0; i < payloadSize; ++i) spec.payload.push_back(static_cast<uint8_t>(seq + i * 3));
  return BuildRtp(spec);
}

// RFC 3550 section 6.4.2 receiver report with one report block, then an RFC 4585 section 6.3.1 PLI.
std::vector<uint8_t> ReceiverReportAndPli(uint32_t sender, uint32_t media) {
  std::vector<uint8_t> v;
  v.push_back(0x81);  // V=2, RC=1
  v.push_back(201);
  Put16(v, 7);
  Put32(v, sender);
  Put32(v, media);
  v.push_back(0x19);  // fraction lost
  v.push_back(0x00);  // cumulative lost, 24 bits
  v.push_back(0x00);
  v.push_back(0x03);
  Put32(v, 0x0001F00D);  // extended highest sequence number
  Put32(v, 42);          // jitter
  Put32(v, 0x12345678);  // LSR
  Put32(v, 0x00010000);  // DLSR
  v.push_back(0x81);     // V=2, FMT=1
  v.push_back(206);
  Put16(v, 2);
  Put32(v, sender);
  Put32(v, media);
  return v;
}

// An RFC 3550 receiver report with no report blocks: the shortest valid RTCP packet.
std::vector<uint8_t> EmptyReceiverReport(uint32_t sender) {
  std::vector<uint8_t> v = {0x80, 201};
  Put16(v, 1);
  Put32(v, sender);
  return v;
}

size_t CountDiffering(const uint8_t* a, const uint8_t* b, size_t size) {
  size_t n = 0;
  for (size_t i = 0; i < size; ++i) n += a[i] != b[i];
  return n;
}

}  // namespace

// One test body run once per profile, reported under two names.
#define PROFILE_TEST(name)                                                   \
  static void name(SrtpProfile profile);                                     \
  TEST(SrtpSession_Gcm_##name) { name(SrtpProfile::kAeadAes128Gcm); }        \
  TEST(SrtpSession_Cm80_##name) { name(SrtpProfile::kAesCm128HmacSha1_80); } \
  static void name(SrtpProfile profile)

TEST(SrtpSession_ProfileNamesMapBothWays) {
  CHECK_EQ(std::string(SrtpProfileName(kGcm)), std::string("SRTP_AEAD_AES_128_GCM"));
  CHECK_EQ(std::string(SrtpProfileName(kCm80)), std::string("SRTP_AES128_CM_SHA1_80"));
  for (SrtpProfile profile : {kGcm, kCm80}) {
    SrtpProfile parsed = profile == kGcm ? kCm80 : kGcm;
    CHECK(SrtpProfileFromName(SrtpProfileName(profile), &parsed));
    CHECK(parsed == profile);
  }
  SrtpProfile untouched = kCm80;
  for (const char* name : {"SRTP_AES128_CM_SHA1_32", "SRTP_AEAD_AES_256_GCM", "srtp_aead_aes_128_gcm",
                           "SRTP_AEAD_AES_128_GCM ", "", static_cast<const char*>(nullptr)}) {
    CHECK(!SrtpProfileFromName(name, &untouched));
  }
  CHECK(untouched == kCm80);
}

TEST(SrtpSession_KeyLengths) {
  size_t key = 0, salt = 0;
  SrtpKeyLengths(kGcm, &key, &salt);
  CHECK_EQ(key, 16);
  CHECK_EQ(salt, 12);
  SrtpKeyLengths(kCm80, &key, &salt);
  CHECK_EQ(key, 16);
  CHECK_EQ(salt, 14);
}

PROFILE_TEST(CreateRefusesWrongKeyLength) {
  const std::vector<uint8_t> key = TestKey(profile, 1);
  for (size_t length : {size_t{0}, key.size() - 1, key.size() + 1}) {
    std::vector<uint8_t> bytes(length + 1, 0x5A);
    std::string error;
    CHECK(!SrtpSession::Create(profile, SrtpSession::Direction::kInbound, bytes.data(), length, &error));
    CHECK(!error.empty());
  }
  std::string error;
  CHECK(!SrtpSession::Create(profile, SrtpSession::Direction::kOutbound, nullptr, key.size(), &error));
  CHECK(!error.empty());
}

PROFILE_TEST(AccessorsReportTheProfile) {
  SessionPair s = MakePair(profile);
  REQUIRE(s.ok());
  CHECK(s.out->profile() == profile);
  CHECK(s.in->profile() == profile);
  CHECK(s.out->direction() == SrtpSession::Direction::kOutbound);
  CHECK(s.in->direction() == SrtpSession::Direction::kInbound);
  CHECK_EQ(s.out->tagLength(), profile == kGcm ? 16 : 10);
}

// libsrtp's own validation vectors (its test driver, srtp_validate and srtp_validate_gcm): they pin
// the master key/salt order and the wire format, not just agreement between two of our sessions.
TEST(SrtpSession_Cm80_KnownAnswer) {
  const std::vector<uint8_t> key = {0xe1, 0xf9, 0x7a, 0x0d, 0x3e, 0x01, 0x8b, 0xe0, 0xd6, 0x4f,
                                    0xa3, 0x2c, 0x06, 0xde, 0x41, 0x39, 0x0e, 0xc6, 0x75, 0xad,
                                    0x49, 0x8a, 0xfe, 0xeb, 0xb6, 0x96, 0x0b, 0x3a, 0xab, 0xe6};
  std::vector<uint8_t> rtp = {0x80, 0x0f, 0x12, 0x34, 0xde, 0xca, 0xfb, 0xad, 0xca, 0xfe, 0xba, 0xbe};
  rtp.resize(28, 0xab);
  const std::vector<uint8_t> srtp = {0x80, 0x0f, 0x12, 0x34, 0xde, 0xca, 0xfb, 0xad, 0xca, 0xfe, 0xba, 0xbe, 0x4e,
                                     0x55, 0xdc, 0x4c, 0xe7, 0x99, 0x78, 0xd8, 0x8c, 0xa4, 0xd2, 0x15, 0x94, 0x9d,
                                     0x24, 0x02, 0xb7, 0x8d, 0x6a, 0xcc, 0x99, 0xea, 0x17, 0x9b, 0x8d, 0xbb};
  std::vector<uint8_t> rtcp = {0x81, 0xc8, 0x00, 0x0b, 0xca, 0xfe, 0xba, 0xbe};
  rtcp.resize(24, 0xab);
  const std::vector<uint8_t> srtcp = {0x81, 0xc8, 0x00, 0x0b, 0xca, 0xfe, 0xba, 0xbe, 0x71, 0x28, 0x03, 0x5b, 0xe4,
                                      0x87, 0xb9, 0xbd, 0xbe, 0xf8, 0x90, 0x41, 0xf9, 0x77, 0xa5, 0xa8, 0x80, 0x00,
                                      0x00, 0x01, 0x99, 0x3e, 0x08, 0xcd, 0x54, 0xd6, 0xc1, 0x23, 0x07, 0x98};
  std::unique_ptr<SrtpSession> out = MakeSession(kCm80, SrtpSession::Direction::kOutbound, key);
  std::unique_ptr<SrtpSession> in = MakeSession(kCm80, SrtpSession::Direction::kInbound, key);
  REQUIRE(out && in);

  Packet p(rtp);
  REQUIRE(out->ProtectRtp(p.data(), p.size(), p.capacity()));
  CHECK_EQ(p.bytes(), srtp);
  CHECK_EQ(in->UnprotectRtp(p.data(), p.size()), Result::kOk);
  CHECK_EQ(p.bytes(), rtp);

  Packet c(rtcp);
  REQUIRE(out->ProtectRtcp(c.data(), c.size(), c.capacity()));
  CHECK_EQ(c.bytes(), srtcp);
  CHECK_EQ(in->UnprotectRtcp(c.data(), c.size()), Result::kOk);
  CHECK_EQ(c.bytes(), rtcp);
}

TEST(SrtpSession_Gcm_KnownAnswer) {
  const std::vector<uint8_t> key = {0x00, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08, 0x09,
                                    0x0a, 0x0b, 0x0c, 0x0d, 0x0e, 0x0f, 0xa0, 0xa1, 0xa2, 0xa3,
                                    0xa4, 0xa5, 0xa6, 0xa7, 0xa8, 0xa9, 0xaa, 0xab};
  std::vector<uint8_t> rtp = {0x80, 0x0f, 0x12, 0x34, 0xde, 0xca, 0xfb, 0xad, 0xca, 0xfe, 0xba, 0xbe};
  rtp.resize(28, 0xab);
  const std::vector<uint8_t> srtp = {0x80, 0x0f, 0x12, 0x34, 0xde, 0xca, 0xfb, 0xad, 0xca, 0xfe, 0xba,
                                     0xbe, 0xc5, 0x00, 0x2e, 0xde, 0x04, 0xcf, 0xdd, 0x2e, 0xb9, 0x11,
                                     0x59, 0xe0, 0x88, 0x0a, 0xa0, 0x6e, 0xd2, 0x97, 0x68, 0x26, 0xf7,
                                     0x96, 0xb2, 0x01, 0xdf, 0x31, 0x31, 0xa1, 0x27, 0xe8, 0xa3, 0x92};
  std::vector<uint8_t> rtcp = {0x81, 0xc8, 0x00, 0x0b, 0xca, 0xfe, 0xba, 0xbe};
  rtcp.resize(24, 0xab);
  const std::vector<uint8_t> srtcp = {0x81, 0xc8, 0x00, 0x0b, 0xca, 0xfe, 0xba, 0xbe, 0xc9, 0x8b, 0x8b,
                                      0x5d, 0xf0, 0x39, 0x2a, 0x55, 0x85, 0x2b, 0x6c, 0x21, 0xac, 0x8e,
                                      0x70, 0x25, 0xc5, 0x2c, 0x6f, 0xbe, 0xa2, 0xb3, 0xb4, 0x46, 0xea,
                                      0x31, 0x12, 0x3b, 0xa8, 0x8c, 0xe6, 0x1e, 0x80, 0x00, 0x00, 0x01};
  std::unique_ptr<SrtpSession> out = MakeSession(kGcm, SrtpSession::Direction::kOutbound, key);
  std::unique_ptr<SrtpSession> in = MakeSession(kGcm, SrtpSession::Direction::kInbound, key);
  REQUIRE(out && in);

  Packet p(rtp);
  REQUIRE(out->ProtectRtp(p.data(), p.size(), p.capacity()));
  CHECK_EQ(p.bytes(), srtp);
  CHECK_EQ(in->UnprotectRtp(p.data(), p.size()), Result::kOk);
  CHECK_EQ(p.bytes(), rtp);

  Packet c(rtcp);
  REQUIRE(out->ProtectRtcp(c.data(), c.size(), c.capacity()));
  CHECK_EQ(c.bytes(), srtcp);
  CHECK_EQ(in->UnprotectRtcp(c.data(), c.size()), Result::kOk);
  CHECK_EQ(c.bytes(), rtcp);
}

PROFILE_TEST(RtpRoundTrip) {
  SessionPair s = MakePair(profile);
  REQUIRE(s.ok());
  const std::vector<uint8_t> plain = MediaPacket(0x11223344, 1000);
  Packet p(plain);
  REQUIRE(s.out->ProtectRtp(p.data(), p.size(), p.capacity()));
  CHECK_EQ(*p.size(), plain.size() + (profile == kGcm ? 16 : 10));
  // RFC 3711 section 3.1: the header goes in the clear, the payload is encrypted.
  CHECK_BYTES(p.data(), 12, std::vector<uint8_t>(plain.begin(), plain.begin() + 12));
  CHECK(CountDiffering(p.data() + 12, plain.data() + 12, plain.size() - 12) > (plain.size() - 12) / 2);

  CHECK_EQ(s.in->UnprotectRtp(p.data(), p.size()), Result::kOk);
  CHECK_EQ(p.bytes(), plain);
}

PROFILE_TEST(RtpRoundTripWithCsrcsExtensionAndPadding) {
  SessionPair s = MakePair(profile);
  REQUIRE(s.ok());
  RtpSpec spec;
  spec.seq = 7;
  spec.ssrc = 0xCAFEBABE;
  spec.csrcs = {0x01010101, 0x02020202};
  spec.extension = true;
  spec.extensionProfile = 0xBEDE;
  spec.extensionBody = {0x10, 0xAA, 0x21, 0xBB, 0xCC};
  spec.payload = {1, 2, 3, 4, 5, 6, 7};
  spec.padding = 4;
  const std::vector<uint8_t> plain = BuildRtp(spec);
  const size_t headerSize = 12 + 8 + 4 + 8;
  Packet p(plain);
  REQUIRE(s.out->ProtectRtp(p.data(), p.size(), p.capacity()));
  CHECK_EQ(*p.size(), plain.size() + s.out->tagLength());
  CHECK_BYTES(p.data(), headerSize, std::vector<uint8_t>(plain.begin(), plain.begin() + headerSize));
  CHECK(CountDiffering(p.data() + headerSize, plain.data() + headerSize, plain.size() - headerSize) > 0);
  CHECK_EQ(s.in->UnprotectRtp(p.data(), p.size()), Result::kOk);
  CHECK_EQ(p.bytes(), plain);
}

PROFILE_TEST(HeaderOnlyRtpRoundTrip) {
  SessionPair s = MakePair(profile);
  REQUIRE(s.ok());
  const std::vector<uint8_t> plain = MediaPacket(0x0BADF00D, 1, 0);
  REQUIRE(plain.size() == 12);
  Packet p(plain);
  REQUIRE(s.out->ProtectRtp(p.data(), p.size(), p.capacity()));
  CHECK_EQ(*p.size(), 12 + s.out->tagLength());
  CHECK_EQ(s.in->UnprotectRtp(p.data(), p.size()), Result::kOk);
  CHECK_EQ(p.bytes(), plain);
}

PROFILE_TEST(RtcpRoundTrip) {
  SessionPair s = MakePair(profile);
  REQUIRE(s.ok());
  const std::vector<uint8_t> plain = ReceiverReportAndPli(0xA1A2A3A4, 0xB1B2B3B4);
  REQUIRE(plain.size() == 44);
  Packet p(plain);
  REQUIRE(s.out->ProtectRtcp(p.data(), p.size(), p.capacity()));
  CHECK_EQ(*p.size(), plain.size() + 4 + s.out->tagLength());
  // RFC 3711 section 3.4: the first header stays in the clear, the rest is encrypted, and the
  // E flag and index follow the packet (for GCM, RFC 7714, the tag sits before them).
  CHECK_BYTES(p.data(), 8, std::vector<uint8_t>(plain.begin(), plain.begin() + 8));
  CHECK(CountDiffering(p.data() + 8, plain.data() + 8, plain.size() - 8) > (plain.size() - 8) / 2);
  const size_t indexAt = profile == kGcm ? *p.size() - 4 : plain.size();
  CHECK_BYTES(p.data() + indexAt, 4, (std::vector<uint8_t>{0x80, 0x00, 0x00, 0x01}));

  CHECK_EQ(s.in->UnprotectRtcp(p.data(), p.size()), Result::kOk);
  CHECK_EQ(p.bytes(), plain);
}

PROFILE_TEST(EmptyReceiverReportRoundTrip) {
  SessionPair s = MakePair(profile);
  REQUIRE(s.ok());
  const std::vector<uint8_t> plain = EmptyReceiverReport(0x01020304);
  Packet p(plain);
  REQUIRE(s.out->ProtectRtcp(p.data(), p.size(), p.capacity()));
  CHECK_EQ(*p.size(), 8 + 4 + s.out->tagLength());
  CHECK_EQ(s.in->UnprotectRtcp(p.data(), p.size()), Result::kOk);
  CHECK_EQ(p.bytes(), plain);
}

PROFILE_TEST(FlippedBitFailsAuthentication) {
  SessionPair s = MakePair(profile);
  REQUIRE(s.ok());
  Packet p(MediaPacket(0x11223344, 500));
  REQUIRE(s.out->ProtectRtp(p.data(), p.size(), p.capacity()));
  const std::vector<uint8_t> wire = p.bytes();
  const size_t flips[] = {20, wire.size() - 1, wire.size() - s.out->tagLength(), 5 /* timestamp, authenticated */};
  for (size_t at : flips) {
    std::vector<uint8_t> bytes = wire;
    bytes[at] ^= 0x04;
    ExactBuffer forged(bytes);
    size_t size = forged.size();
    CHECK_EQ(s.in->UnprotectRtp(forged.data(), &size), Result::kAuthFailed);
    CHECK_EQ(size, wire.size());
  }
  // The forgeries did not advance the replay window: the genuine packet still gets through.
  CHECK_EQ(s.in->UnprotectRtp(p.data(), p.size()), Result::kOk);

  Packet c(ReceiverReportAndPli(0xA1A2A3A4, 0x11223344));
  REQUIRE(s.out->ProtectRtcp(c.data(), c.size(), c.capacity()));
  const std::vector<uint8_t> rtcpWire = c.bytes();
  for (size_t at : {size_t{12}, rtcpWire.size() - 1, size_t{4} /* sender SSRC */}) {
    std::vector<uint8_t> bytes = rtcpWire;
    bytes[at] ^= 0x80;
    ExactBuffer forged(bytes);
    size_t size = forged.size();
    CHECK_EQ(s.in->UnprotectRtcp(forged.data(), &size), Result::kAuthFailed);
  }
  CHECK_EQ(s.in->UnprotectRtcp(c.data(), c.size()), Result::kOk);
}

PROFILE_TEST(KeyOfAnotherSessionFailsAuthentication) {
  SessionPair s = MakePair(profile, 1);
  SessionPair other = MakePair(profile, 2);
  REQUIRE(s.ok() && other.ok());
  Packet p(MediaPacket(0x11223344, 3));
  REQUIRE(s.out->ProtectRtp(p.data(), p.size(), p.capacity()));
  const std::vector<uint8_t> wire = p.bytes();
  CHECK_EQ(other.in->UnprotectRtp(p.data(), p.size()), Result::kAuthFailed);

  Packet c(ReceiverReportAndPli(1, 2));
  REQUIRE(s.out->ProtectRtcp(c.data(), c.size(), c.capacity()));
  const std::vector<uint8_t> rtcpWire = c.bytes();
  CHECK_EQ(other.in->UnprotectRtcp(c.data(), c.size()), Result::kAuthFailed);

  // The right key still opens the untouched copies.
  ExactBuffer rtp(wire), rtcp(rtcpWire);
  size_t size = rtp.size();
  CHECK_EQ(s.in->UnprotectRtp(rtp.data(), &size), Result::kOk);
  size = rtcp.size();
  CHECK_EQ(s.in->UnprotectRtcp(rtcp.data(), &size), Result::kOk);
}

PROFILE_TEST(SamePacketTwiceIsReplayed) {
  SessionPair s = MakePair(profile);
  REQUIRE(s.ok());
  Packet p(MediaPacket(0x11223344, 42));
  REQUIRE(s.out->ProtectRtp(p.data(), p.size(), p.capacity()));
  ExactBuffer again(p.bytes());
  CHECK_EQ(s.in->UnprotectRtp(p.data(), p.size()), Result::kOk);
  size_t size = again.size();
  CHECK_EQ(s.in->UnprotectRtp(again.data(), &size), Result::kReplayed);

  Packet c(ReceiverReportAndPli(0x11223344, 0x55667788));
  REQUIRE(s.out->ProtectRtcp(c.data(), c.size(), c.capacity()));
  ExactBuffer rtcpAgain(c.bytes());
  CHECK_EQ(s.in->UnprotectRtcp(c.data(), c.size()), Result::kOk);
  size = rtcpAgain.size();
  CHECK_EQ(s.in->UnprotectRtcp(rtcpAgain.data(), &size), Result::kReplayed);
}

PROFILE_TEST(ReplayWindowIs1024Packets) {
  SessionPair s = MakePair(profile);
  REQUIRE(s.ok());
  std::vector<std::vector<uint8_t>> wire;
  for (uint16_t seq = 0; seq <= 1500; ++seq) {
    Packet p(MediaPacket(0x11223344, seq, 20));
    REQUIRE(s.out->ProtectRtp(p.data(), p.size(), p.capacity()));
    wire.push_back(p.bytes());
  }
  auto deliver = [&](uint16_t seq) {
    ExactBuffer b(wire[seq]);
    size_t size = b.size();
    return s.in->UnprotectRtp(b.data(), &size);
  };
  CHECK_EQ(deliver(1500), Result::kOk);
  CHECK_EQ(deliver(1500 - 900), Result::kOk);     // late, but inside the window
  CHECK_EQ(deliver(1500 - 1023), Result::kOk);    // the oldest the window holds
  CHECK_EQ(deliver(1500 - 900), Result::kReplayed);
  CHECK_EQ(deliver(1500 - 1024), Result::kReplayed);  // just past it
  CHECK_EQ(deliver(100), Result::kReplayed);          // far older, never seen before
  CHECK_EQ(deliver(1499), Result::kOk);
}

PROFILE_TEST(RtcpFarOlderThanWindowIsReplayed) {
  SessionPair s = MakePair(profile);
  REQUIRE(s.ok());
  std::vector<std::vector<uint8_t>> wire;
  for (int i = 0; i < 300; ++i) {
    Packet c(EmptyReceiverReport(0x0A0B0C0D));
    REQUIRE(s.out->ProtectRtcp(c.data(), c.size(), c.capacity()));
    wire.push_back(c.bytes());
  }
  auto deliver = [&](size_t i) {
    ExactBuffer b(wire[i]);
    size_t size = b.size();
    return s.in->UnprotectRtcp(b.data(), &size);
  };
  CHECK_EQ(deliver(299), Result::kOk);
  CHECK_EQ(deliver(250), Result::kOk);
  CHECK_EQ(deliver(0), Result::kReplayed);
}

PROFILE_TEST(TruncatedInputNeverReachesLibsrtp) {
  SessionPair s = MakePair(profile);
  REQUIRE(s.ok());
  Packet p(MediaPacket(0x11223344, 9));
  REQUIRE(s.out->ProtectRtp(p.data(), p.size(), p.capacity()));
  const std::vector<uint8_t> wire = p.bytes();
  Packet c(ReceiverReportAndPli(1, 2));
  REQUIRE(s.out->ProtectRtcp(c.data(), c.size(), c.capacity()));
  const std::vector<uint8_t> rtcpWire = c.bytes();
  const uint64_t inCalls = s.in->libsrtpCalls();
  const uint64_t outCalls = s.out->libsrtpCalls();

  // Shorter than a header, and (inbound) shorter than a header and its tag.
  for (size_t n = 0; n < 12 + s.in->tagLength(); ++n) {
    ExactBuffer b(wire.data(), n);
    size_t size = n;
    CHECK_EQ(s.in->UnprotectRtp(b.data(), &size), Result::kMalformed);
    CHECK_EQ(size, n);
    if (n < 12) {
      Packet plain(std::vector<uint8_t>(wire.begin(), wire.begin() + n));
      CHECK(!s.out->ProtectRtp(plain.data(), plain.size(), plain.capacity()));
      CHECK_EQ(*plain.size(), n);
    }
  }
  for (size_t n = 0; n < 8 + 4 + s.in->tagLength(); ++n) {
    ExactBuffer b(rtcpWire.data(), n);
    size_t size = n;
    CHECK_EQ(s.in->UnprotectRtcp(b.data(), &size), Result::kMalformed);
    CHECK_EQ(size, n);
    if (n < 8) {
      Packet plain(std::vector<uint8_t>(rtcpWire.begin(), rtcpWire.begin() + n));
      CHECK(!s.out->ProtectRtcp(plain.data(), plain.size(), plain.capacity()));
      CHECK_EQ(*plain.size(), n);
    }
  }
  CHECK_EQ(s.in->libsrtpCalls(), inCalls);
  CHECK_EQ(s.out->libsrtpCalls(), outCalls);

  // Header and tag only (no SRTCP index for RTCP) do reach libsrtp, which refuses the forgery.
  ExactBuffer headerAndTag(wire.data(), 12 + s.in->tagLength());
  size_t size = headerAndTag.size();
  CHECK_EQ(s.in->UnprotectRtp(headerAndTag.data(), &size), Result::kAuthFailed);
  CHECK_EQ(s.in->libsrtpCalls(), inCalls + 1);
}

PROFILE_TEST(ProtectRefusesBufferWithoutRoom) {
  SessionPair s = MakePair(profile);
  REQUIRE(s.ok());
  const std::vector<uint8_t> plain = MediaPacket(0x11223344, 77);
  const size_t tag = s.out->tagLength();
  for (size_t room : {size_t{0}, tag - 1, tag, SrtpSession::kMaxOverhead - 1}) {
    Packet p(plain, room);
    CHECK(!s.out->ProtectRtp(p.data(), p.size(), p.capacity()));
    CHECK_EQ(p.bytes(), plain);
  }
  const std::vector<uint8_t> rtcp = ReceiverReportAndPli(3, 4);
  for (size_t room : {size_t{0}, tag + 3, SrtpSession::kMaxOverhead - 1}) {
    Packet c(rtcp, room);
    CHECK(!s.out->ProtectRtcp(c.data(), c.size(), c.capacity()));
    CHECK_EQ(c.bytes(), rtcp);
  }
  CHECK_EQ(s.out->libsrtpCalls(), 0);
  // A size past the capacity is a caller bug, refused the same way.
  Packet p(plain);
  size_t size = p.capacity() + 1;
  CHECK(!s.out->ProtectRtp(p.data(), &size, p.capacity()));

  // Exactly kMaxOverhead is enough.
  Packet fits(plain, SrtpSession::kMaxOverhead);
  REQUIRE(s.out->ProtectRtp(fits.data(), fits.size(), fits.capacity()));
  CHECK_EQ(s.in->UnprotectRtp(fits.data(), fits.size()), Result::kOk);
  CHECK_EQ(fits.bytes(), plain);
}

PROFILE_TEST(ProtectRefusesHeaderPastItsLength) {
  SessionPair s = MakePair(profile);
  REQUIRE(s.ok());
  std::vector<uint8_t> bytes = MediaPacket(0x11223344, 1, 8);
  bytes[0] |= 0x0F;  // 15 CSRCs claimed, 60 bytes, in a 20-byte packet
  Packet p(bytes);
  CHECK(!s.out->ProtectRtp(p.data(), p.size(), p.capacity()));
  CHECK_EQ(s.out->libsrtpCalls(), 1);
  CHECK_EQ(*p.size(), bytes.size());
}

PROFILE_TEST(SequenceWrapKeepsDecrypting) {
  SessionPair s = MakePair(profile);
  REQUIRE(s.ok());
  std::vector<uint8_t> heldBack;
  uint16_t seq = 65500;
  for (int i = 0; i < 200; ++i, ++seq) {
    const std::vector<uint8_t> plain = MediaPacket(0x11223344, seq, 40);
    Packet p(plain);
    REQUIRE(s.out->ProtectRtp(p.data(), p.size(), p.capacity()));
    if (seq == 65534) {  // arrives late, after the receiver has rolled over
      heldBack = p.bytes();
      continue;
    }
    CHECK_EQ(s.in->UnprotectRtp(p.data(), p.size()), Result::kOk);
    CHECK_EQ(p.bytes(), plain);
    if (seq == 3) {
      ExactBuffer late(heldBack);
      size_t size = late.size();
      CHECK_EQ(s.in->UnprotectRtp(late.data(), &size), Result::kOk);
      CHECK_EQ(std::vector<uint8_t>(late.data(), late.data() + size), MediaPacket(0x11223344, 65534, 40));
    }
  }
  CHECK_EQ(seq, 164);
  REQUIRE(!heldBack.empty());
}

PROFILE_TEST(ManySsrcsThroughOnePair) {
  SessionPair s = MakePair(profile);
  REQUIRE(s.ok());
  constexpr uint32_t kStreams = 64;
  std::vector<std::vector<uint8_t>> first(kStreams);
  for (uint16_t seq = 0; seq < 20; ++seq) {
    for (uint32_t i = 0; i < kStreams; ++i) {
      const uint32_t ssrc = 0x10000000u + i * 0x01010101u;
      // Every stream has its own sequence space: the same numbers in each.
      const std::vector<uint8_t> plain = MediaPacket(ssrc, static_cast<uint16_t>(seq + 1000), 30);
      Packet p(plain);
      REQUIRE(s.out->ProtectRtp(p.data(), p.size(), p.capacity()));
      if (seq == 0) first[i] = p.bytes();
      CHECK_EQ(s.in->UnprotectRtp(p.data(), p.size()), Result::kOk);
      CHECK_EQ(p.bytes(), plain);
    }
  }
  for (uint32_t i = 0; i < kStreams; ++i) {
    const uint32_t ssrc = 0x10000000u + i * 0x01010101u;
    const std::vector<uint8_t> plain = ReceiverReportAndPli(ssrc, 0x99999999);
    Packet c(plain);
    REQUIRE(s.out->ProtectRtcp(c.data(), c.size(), c.capacity()));
    CHECK_EQ(s.in->UnprotectRtcp(c.data(), c.size()), Result::kOk);
    CHECK_EQ(c.bytes(), plain);
  }
  ExactBuffer again(first[17]);
  size_t size = again.size();
  CHECK_EQ(s.in->UnprotectRtp(again.data(), &size), Result::kReplayed);
}

PROFILE_TEST(RetransmissionIsProtectedAgain) {
  SessionPair s = MakePair(profile);
  REQUIRE(s.ok());
  const std::vector<uint8_t> plain = MediaPacket(0x11223344, 300);
  Packet p(plain);
  REQUIRE(s.out->ProtectRtp(p.data(), p.size(), p.capacity()));
  Packet later(MediaPacket(0x11223344, 301));
  REQUIRE(s.out->ProtectRtp(later.data(), later.size(), later.capacity()));
  // Resent as is after a NACK: same sequence number, same bytes on the wire.
  Packet resent(plain);
  REQUIRE(s.out->ProtectRtp(resent.data(), resent.size(), resent.capacity()));
  CHECK_EQ(resent.bytes(), p.bytes());
  CHECK_EQ(s.in->UnprotectRtp(later.data(), later.size()), Result::kOk);
  CHECK_EQ(s.in->UnprotectRtp(resent.data(), resent.size()), Result::kOk);
  CHECK_EQ(resent.bytes(), plain);
  CHECK_EQ(s.in->UnprotectRtp(p.data(), p.size()), Result::kReplayed);
}

PROFILE_TEST(EachSessionIsOneDirection) {
  SessionPair s = MakePair(profile);
  REQUIRE(s.ok());
  const std::vector<uint8_t> plain = MediaPacket(0x11223344, 5);
  Packet p(plain);
  CHECK(!s.in->ProtectRtp(p.data(), p.size(), p.capacity()));
  Packet c(EmptyReceiverReport(1));
  CHECK(!s.in->ProtectRtcp(c.data(), c.size(), c.capacity()));
  REQUIRE(s.out->ProtectRtp(p.data(), p.size(), p.capacity()));
  REQUIRE(s.out->ProtectRtcp(c.data(), c.size(), c.capacity()));
  CHECK_EQ(s.out->UnprotectRtp(p.data(), p.size()), Result::kMalformed);
  CHECK_EQ(s.out->UnprotectRtcp(c.data(), c.size()), Result::kMalformed);
  CHECK_EQ(s.in->UnprotectRtp(p.data(), p.size()), Result::kOk);
  CHECK_EQ(s.in->UnprotectRtcp(c.data(), c.size()), Result::kOk);
}

TEST(SrtpSession_ProfilesDoNotInteroperate) {
  // Same 16-byte master key, different profiles: a GCM packet is not an HMAC-SHA1 one.
  SessionPair gcm = MakePair(kGcm, 3);
  std::vector<uint8_t> cmKey = TestKey(kCm80, 3);
  std::unique_ptr<SrtpSession> cmIn = MakeSession(kCm80, SrtpSession::Direction::kInbound, cmKey);
  REQUIRE(gcm.ok() && cmIn);
  Packet p(MediaPacket(0x11223344, 8));
  REQUIRE(gcm.out->ProtectRtp(p.data(), p.size(), p.capacity()));
  CHECK_EQ(cmIn->UnprotectRtp(p.data(), p.size()), Result::kAuthFailed);
}
