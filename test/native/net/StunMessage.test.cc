#include "net/StunMessage.h"

#include <cstring>
#include <string>
#include <utility>
#include <vector>

#include "check.h"
#include "rtp/RtpBytes.h"

using callmedia::Crc32;
using callmedia::StunMessage;
using callmedia::StunWriter;
using testrtp::ExactBuffer;

namespace {

const char kPassword[] = "VOkJxbRl1RmTxUk/WvJxBt";  // RFC 5769 section 2
const uint8_t kTransactionId[12] = {0xb7, 0xe7, 0xa7, 0x01, 0xbc, 0x34, 0xd6, 0x86, 0xfa, 0x87, 0xdf, 0xae};

std::vector<uint8_t> Hex(const char* text) {
  std::vector<uint8_t> out;
  int high = -1;
  for (const char* p = text; *p; ++p) {
    int nibble;
    if (*p >= '0' && *p <= '9') nibble = *p - '0';
    else if (*p >= 'a' && *p <= 'f') nibble = *p - 'a' + 10;
    else continue;
    if (high < 0) {
      high = nibble;
    } else {
      out.push_back(static_cast<uint8_t>(high << 4 | nibble));
      high = -1;
    }
  }
  return out;
}

// RFC 5769 section 2.1, Sample Request.
const std::vector<uint8_t> kSampleRequest = Hex(
    "00 01 00 58  21 12 a4 42  b7 e7 a7 01 bc 34 d6 86 fa 87 df ae"  // header
    "80 22 00 10  53 54 55 4e 20 74 65 73 74 20 63 6c 69 65 6e 74"  // SOFTWARE "STUN test client"
    "00 24 00 04  6e 00 01 ff"                                      // PRIORITY
    "80 29 00 08  93 2f f9 b1 51 26 3b 36"                          // ICE-CONTROLLED
    "00 06 00 09  65 76 74 6a 3a 68 36 76 59  20 20 20"             // USERNAME "evtj:h6vY", padding 0x20
    "00 08 00 14  9a ea a7 0c bf d8 cb 56 78 1e f2 b5 b2 d3 f2 49 c1 b5 71 a2"  // MESSAGE-INTEGRITY
    "80 28 00 04  e5 7a 3b cf");                                    // FINGERPRINT

// RFC 5769 section 2.2, Sample IPv4 Response.
const std::vector<uint8_t> kSampleIpv4Response = Hex(
    "01 01 00 3c  21 12 a4 42  b7 e7 a7 01 bc 34 d6 86 fa 87 df ae"
    "80 22 00 0b  74 65 73 74 20 76 65 63 74 6f 72  20"  // SOFTWARE "test vector", padding 0x20
    "00 20 00 08  00 01 a1 47 e1 12 a6 43"                // XOR-MAPPED-ADDRESS 192.0.2.1:32853
    "00 08 00 14  2b 91 f5 99 fd 9e 90 c3 8c 74 89 f9 2a f9 ba 53 f0 6b e7 d7"
    "80 28 00 04  c0 7d 4c 96");

// RFC 5769 section 2.3, Sample IPv6 Response.
const std::vector<uint8_t> kSampleIpv6Response = Hex(
    "01 01 00 48  21 12 a4 42  b7 e7 a7 01 bc 34 d6 86 fa 87 df ae"
    "80 22 00 0b  74 65 73 74 20 76 65 63 74 6f 72  20"
    "00 20 00 14  00 02 a1 47 01 13 a9 fa a5 d3 f1 79 bc 25 f4 b5 be d2 b9 d9"  // [2001:db8:1234:5678:11:2233:4455:6677]:32853
    "00 08 00 14  a3 82 95 4e 4b e6 7b f1 17 84 c9 7c 82 92 c2 75 bf e3 ed 41"
    "80 28 00 04  c8 fb 0b 4c");

const uint8_t kIpv4[4] = {192, 0, 2, 1};
const uint8_t kIpv6[16] = {0x20, 0x01, 0x0d, 0xb8, 0x12, 0x34, 0x56, 0x78,
                           0x00, 0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77};

const uint8_t* Key(const char* password) { return reinterpret_cast<const uint8_t*>(password); }

sockaddr_storage Ipv4(const uint8_t address[4], uint16_t port) {
  sockaddr_storage s{};
  sockaddr_in* in = reinterpret_cast<sockaddr_in*>(&s);
  in->sin_family = AF_INET;
  in->sin_port = htons(port);
  std::memcpy(&in->sin_addr, address, 4);
  return s;
}

sockaddr_storage Ipv6(const uint8_t address[16], uint16_t port) {
  sockaddr_storage s{};
  sockaddr_in6* in6 = reinterpret_cast<sockaddr_in6*>(&s);
  in6->sin6_family = AF_INET6;
  in6->sin6_port = htons(port);
  std::memcpy(&in6->sin6_addr, address, 16);
  return s;
}

std::string Text(const uint8_t* p, size_t n) { return std::string(reinterpret_cast<const char*>(p), n); }

bool ParseBytes(const std::vector<uint8_t>& bytes) {
  ExactBuffer buffer(bytes);
  StunMessage m;
  return StunMessage::Parse(buffer.data(), buffer.size(), &m);
}

// Parse, and when that succeeds, CheckIntegrity with `password`.
bool Accepted(const std::vector<uint8_t>& bytes, const char* password) {
  ExactBuffer buffer(bytes);
  StunMessage m;
  return StunMessage::Parse(buffer.data(), buffer.size(), &m) && m.CheckIntegrity(Key(password), std::strlen(password));
}

void Put16(std::vector<uint8_t>& v, size_t at, uint16_t x) {
  v[at] = static_cast<uint8_t>(x >> 8);
  v[at + 1] = static_cast<uint8_t>(x);
}

// A header followed by `attributes` (already padded), with the length field set to match.
std::vector<uint8_t> Message(uint16_t type, const std::vector<uint8_t>& attributes) {
  std::vector<uint8_t> v = {0, 0, 0, 0, 0x21, 0x12, 0xa4, 0x42};
  v.insert(v.end(), kTransactionId, kTransactionId + 12);
  Put16(v, 0, type);
  v.insert(v.end(), attributes.begin(), attributes.end());
  Put16(v, 2, static_cast<uint16_t>(v.size() - 20));
  return v;
}

void AppendFingerprint(std::vector<uint8_t>& v) {
  const size_t at = v.size();
  v.resize(at + 8);
  Put16(v, 2, static_cast<uint16_t>(v.size() - 20));
  const uint32_t crc = Crc32(v.data(), at) ^ 0x5354554E;
  v[at] = 0x80;
  v[at + 1] = 0x28;
  v[at + 3] = 4;
  for (int i = 0; i < 4; ++i) v[at + 4 + i] = static_cast<uint8_t>(crc >> (24 - 8 * i));
}

// An ICE connectivity check as RFC 8445 section 7.1.1 has the controlling agent send it.
std::vector<uint8_t> BuildCheck(bool withFingerprint = true) {
  uint8_t buffer[256];
  StunWriter w(buffer, sizeof(buffer), StunMessage::kBinding, StunMessage::kRequest, kTransactionId);
  w.AddUsername("remote:local", 12);
  w.AddPriority(0x6e7f1eff);
  w.AddUseCandidate();
  w.AddIceControlling(0x0123456789abcdefull);
  w.AddMessageIntegrity(Key(kPassword), std::strlen(kPassword));
  if (withFingerprint) w.AddFingerprint();
  return w.ok() ? std::vector<uint8_t>(buffer, buffer + w.size()) : std::vector<uint8_t>();
}

// Everything StunWriter can put in one message; `buffer` may be too small.
StunWriter BuildEverything(uint8_t* buffer, size_t capacity) {
  StunWriter w(buffer, capacity, StunMessage::kBinding, StunMessage::kErrorResponse, kTransactionId);
  const sockaddr_storage v6 = Ipv6(kIpv6, 32853);
  w.AddUsername("remote:local", 12);
  w.AddPriority(1);
  w.AddUseCandidate();
  w.AddIceControlled(2);
  w.AddXorMappedAddress(reinterpret_cast<const sockaddr*>(&v6));
  w.AddErrorCode(487, "Role Conflict");
  w.AddSoftware("callmedia", 9);
  w.AddMessageIntegrity(Key(kPassword), std::strlen(kPassword));
  w.AddFingerprint();
  return w;
}

// mulberry32: small, seeded, and the same generator the TypeScript tests use.
class Mulberry32 {
 public:
  explicit Mulberry32(uint32_t seed) : state_(seed) {}
  uint32_t Next() {
    state_ += 0x6D2B79F5u;
    uint32_t t = state_;
    t = (t ^ (t >> 15)) * (t | 1u);
    t ^= t + (t ^ (t >> 7)) * (t | 61u);
    return t ^ (t >> 14);
  }
  uint32_t Below(uint32_t n) { return Next() % n; }

 private:
  uint32_t state_;
};

}  // namespace

TEST(Stun_Crc32MatchesTheIsoHdlcCheckValue) {
  const char* check = "123456789";
  CHECK_EQ(Crc32(reinterpret_cast<const uint8_t*>(check), 9), 0xCBF43926u);
  CHECK_EQ(Crc32(nullptr, 0), 0u);
}

TEST(Stun_Rfc5769SampleRequestParses) {
  ExactBuffer buf(kSampleRequest);
  StunMessage m;
  REQUIRE(StunMessage::Parse(buf.data(), buf.size(), &m));
  CHECK_EQ(m.method, StunMessage::kBinding);
  CHECK_EQ(m.messageClass, StunMessage::kRequest);
  CHECK_BYTES(m.transactionId, 12, std::vector<uint8_t>(kTransactionId, kTransactionId + 12));
  REQUIRE(m.username != nullptr);
  CHECK_EQ(Text(m.username, m.usernameLength), std::string("evtj:h6vY"));
  REQUIRE(m.software != nullptr);
  CHECK_EQ(Text(m.software, m.softwareLength), std::string("STUN test client"));
  CHECK(m.hasPriority);
  CHECK_EQ(m.priority, 0x6e0001ffu);
  CHECK(m.hasIceControlled);
  CHECK(!m.hasIceControlling);
  CHECK_EQ(m.tieBreaker, 0x932ff9b151263b36ull);
  CHECK(!m.useCandidate);
  CHECK(!m.hasXorMappedAddress);
  CHECK(!m.hasErrorCode);
  CHECK(m.hasMessageIntegrity);
  CHECK(m.hasFingerprint);
  CHECK(!m.unknownRequired);
  CHECK_EQ(m.integrityOffset, 76);
  CHECK(m.data == buf.data());
  CHECK_EQ(m.size, 108);
  CHECK(StunMessage::LooksLikeStun(buf.data(), buf.size()));
}

TEST(Stun_Rfc5769SampleRequestIntegrity) {
  ExactBuffer buf(kSampleRequest);
  StunMessage m;
  REQUIRE(StunMessage::Parse(buf.data(), buf.size(), &m));
  CHECK(m.CheckIntegrity(Key(kPassword), std::strlen(kPassword)));
  const char* other = "VOkJxbRl1RmTxUk/WvJxBu";
  CHECK(!m.CheckIntegrity(Key(other), std::strlen(other)));
  CHECK(!m.CheckIntegrity(Key(kPassword), std::strlen(kPassword) - 1));
  CHECK(!m.CheckIntegrity(nullptr, 0));
}

TEST(Stun_Rfc5769SampleRequestWrittenByteForByte) {
  // The vector pads USERNAME with 0x20 where StunWriter writes zeros; the padding is under both the
  // HMAC and the CRC, so the test puts the vector's padding in before those two are computed.
  uint8_t buffer[128];
  StunWriter w(buffer, sizeof(buffer), StunMessage::kBinding, StunMessage::kRequest, kTransactionId);
  CHECK(w.AddSoftware("STUN test client", 16));
  CHECK(w.AddPriority(0x6e0001ff));
  CHECK(w.AddIceControlled(0x932ff9b151263b36ull));
  CHECK(w.AddUsername("evtj:h6vY", 9));
  REQUIRE(w.size() == 76);
  CHECK_BYTES(buffer + 73, 3, (std::vector<uint8_t>{0, 0, 0}));
  std::memset(buffer + 73, 0x20, 3);
  CHECK(w.AddMessageIntegrity(Key(kPassword), std::strlen(kPassword)));
  CHECK(w.AddFingerprint());
  CHECK(w.ok());
  CHECK_BYTES(buffer, w.size(), kSampleRequest);
}

TEST(Stun_Rfc5769SampleRequestWrittenWithZeroPadding) {
  uint8_t buffer[128];
  StunWriter w(buffer, sizeof(buffer), StunMessage::kBinding, StunMessage::kRequest, kTransactionId);
  w.AddSoftware("STUN test client", 16);
  w.AddPriority(0x6e0001ff);
  w.AddIceControlled(0x932ff9b151263b36ull);
  w.AddUsername("evtj:h6vY", 9);
  w.AddMessageIntegrity(Key(kPassword), std::strlen(kPassword));
  w.AddFingerprint();
  REQUIRE(w.ok());
  REQUIRE(w.size() == kSampleRequest.size());
  // Everything but the padding and the two values computed over it is the vector's.
  CHECK_BYTES(buffer, 73, std::vector<uint8_t>(kSampleRequest.begin(), kSampleRequest.begin() + 73));
  CHECK_BYTES(buffer + 73, 3, (std::vector<uint8_t>{0, 0, 0}));
  CHECK_BYTES(buffer + 76, 4, std::vector<uint8_t>(kSampleRequest.begin() + 76, kSampleRequest.begin() + 80));
  CHECK_BYTES(buffer + 100, 4, std::vector<uint8_t>(kSampleRequest.begin() + 100, kSampleRequest.begin() + 104));
  CHECK(Accepted(std::vector<uint8_t>(buffer, buffer + w.size()), kPassword));
}

TEST(Stun_Rfc5769Ipv4ResponseParses) {
  ExactBuffer buf(kSampleIpv4Response);
  StunMessage m;
  REQUIRE(StunMessage::Parse(buf.data(), buf.size(), &m));
  CHECK_EQ(m.method, StunMessage::kBinding);
  CHECK_EQ(m.messageClass, StunMessage::kSuccessResponse);
  CHECK_BYTES(m.transactionId, 12, std::vector<uint8_t>(kTransactionId, kTransactionId + 12));
  REQUIRE(m.software != nullptr);
  CHECK_EQ(Text(m.software, m.softwareLength), std::string("test vector"));
  REQUIRE(m.hasXorMappedAddress);
  REQUIRE(m.xorMappedAddress.ss_family == AF_INET);
  const sockaddr_in* in = reinterpret_cast<const sockaddr_in*>(&m.xorMappedAddress);
  CHECK_EQ(ntohs(in->sin_port), 32853);
  CHECK_BYTES(reinterpret_cast<const uint8_t*>(&in->sin_addr), 4, std::vector<uint8_t>(kIpv4, kIpv4 + 4));
  CHECK(m.username == nullptr);
  CHECK(!m.hasPriority);
  CHECK(!m.hasIceControlled && !m.hasIceControlling);
  CHECK(m.hasMessageIntegrity);
  CHECK(m.hasFingerprint);
  CHECK(!m.unknownRequired);
  CHECK_EQ(m.integrityOffset, 48);
  CHECK(m.CheckIntegrity(Key(kPassword), std::strlen(kPassword)));
  CHECK(!m.CheckIntegrity(Key("VOkJxbRl1RmTxUk/WvJxB"), 21));
}

TEST(Stun_Rfc5769Ipv4ResponseWrittenByteForByte) {
  const sockaddr_storage address = Ipv4(kIpv4, 32853);
  uint8_t buffer[128];
  StunWriter w(buffer, sizeof(buffer), StunMessage::kBinding, StunMessage::kSuccessResponse, kTransactionId);
  CHECK(w.AddSoftware("test vector", 11));
  CHECK(w.AddXorMappedAddress(reinterpret_cast<const sockaddr*>(&address)));
  CHECK_EQ(buffer[35], 0);
  buffer[35] = 0x20;  // the vector's SOFTWARE padding
  CHECK(w.AddMessageIntegrity(Key(kPassword), std::strlen(kPassword)));
  CHECK(w.AddFingerprint());
  CHECK(w.ok());
  CHECK_BYTES(buffer, w.size(), kSampleIpv4Response);
}

TEST(Stun_Rfc5769Ipv6ResponseParses) {
  ExactBuffer buf(kSampleIpv6Response);
  StunMessage m;
  REQUIRE(StunMessage::Parse(buf.data(), buf.size(), &m));
  CHECK_EQ(m.method, StunMessage::kBinding);
  CHECK_EQ(m.messageClass, StunMessage::kSuccessResponse);
  REQUIRE(m.software != nullptr);
  CHECK_EQ(Text(m.software, m.softwareLength), std::string("test vector"));
  REQUIRE(m.hasXorMappedAddress);
  REQUIRE(m.xorMappedAddress.ss_family == AF_INET6);
  const sockaddr_in6* in6 = reinterpret_cast<const sockaddr_in6*>(&m.xorMappedAddress);
  CHECK_EQ(ntohs(in6->sin6_port), 32853);
  CHECK_BYTES(reinterpret_cast<const uint8_t*>(&in6->sin6_addr), 16, std::vector<uint8_t>(kIpv6, kIpv6 + 16));
  CHECK_EQ(in6->sin6_flowinfo, 0u);
  CHECK_EQ(in6->sin6_scope_id, 0u);
  CHECK(m.hasMessageIntegrity);
  CHECK(m.hasFingerprint);
  CHECK_EQ(m.integrityOffset, 60);
  CHECK(m.CheckIntegrity(Key(kPassword), std::strlen(kPassword)));
  CHECK(!m.CheckIntegrity(Key("password"), 8));
}

TEST(Stun_Rfc5769Ipv6ResponseWrittenByteForByte) {
  const sockaddr_storage address = Ipv6(kIpv6, 32853);
  uint8_t buffer[128];
  StunWriter w(buffer, sizeof(buffer), StunMessage::kBinding, StunMessage::kSuccessResponse, kTransactionId);
  CHECK(w.AddSoftware("test vector", 11));
  CHECK(w.AddXorMappedAddress(reinterpret_cast<const sockaddr*>(&address)));
  buffer[35] = 0x20;
  CHECK(w.AddMessageIntegrity(Key(kPassword), std::strlen(kPassword)));
  CHECK(w.AddFingerprint());
  CHECK(w.ok());
  CHECK_BYTES(buffer, w.size(), kSampleIpv6Response);
}

TEST(Stun_WrittenCheckRoundTrips) {
  const std::vector<uint8_t> bytes = BuildCheck();
  REQUIRE(!bytes.empty());
  ExactBuffer buf(bytes);
  StunMessage m;
  REQUIRE(StunMessage::Parse(buf.data(), buf.size(), &m));
  CHECK_EQ(m.method, StunMessage::kBinding);
  CHECK_EQ(m.messageClass, StunMessage::kRequest);
  CHECK_EQ(Text(m.username, m.usernameLength), std::string("remote:local"));
  CHECK(m.hasPriority);
  CHECK_EQ(m.priority, 0x6e7f1effu);
  CHECK(m.useCandidate);
  CHECK(m.hasIceControlling);
  CHECK(!m.hasIceControlled);
  CHECK_EQ(m.tieBreaker, 0x0123456789abcdefull);
  CHECK(m.hasMessageIntegrity);
  CHECK(m.hasFingerprint);
  CHECK(m.CheckIntegrity(Key(kPassword), std::strlen(kPassword)));
  CHECK(!m.CheckIntegrity(Key("wrong"), 5));
}

TEST(Stun_WrittenErrorResponseRoundTrips) {
  uint8_t buffer[256];
  StunWriter w = BuildEverything(buffer, sizeof(buffer));
  REQUIRE(w.ok());
  ExactBuffer buf(buffer, w.size());
  StunMessage m;
  REQUIRE(StunMessage::Parse(buf.data(), buf.size(), &m));
  CHECK_EQ(m.messageClass, StunMessage::kErrorResponse);
  CHECK(m.hasErrorCode);
  CHECK_EQ(m.errorCode, 487);
  CHECK_EQ(Text(m.errorReason, m.errorReasonLength), std::string("Role Conflict"));
  CHECK_EQ(Text(m.software, m.softwareLength), std::string("callmedia"));
  CHECK(m.hasIceControlled);
  CHECK_EQ(m.tieBreaker, 2u);
  REQUIRE(m.hasXorMappedAddress);
  REQUIRE(m.xorMappedAddress.ss_family == AF_INET6);
  const sockaddr_in6* in6 = reinterpret_cast<const sockaddr_in6*>(&m.xorMappedAddress);
  CHECK_EQ(ntohs(in6->sin6_port), 32853);
  CHECK_BYTES(reinterpret_cast<const uint8_t*>(&in6->sin6_addr), 16, std::vector<uint8_t>(kIpv6, kIpv6 + 16));
  CHECK(m.CheckIntegrity(Key(kPassword), std::strlen(kPassword)));
}

TEST(Stun_MessageTypeKeepsClassBitsBetweenMethodBits) {
  // RFC 5389 section 6: a Binding error response is 0x0111; the largest method 0xFFF with the
  // indication class is 0x3EFF.
  uint8_t buffer[20];
  StunWriter error(buffer, sizeof(buffer), StunMessage::kBinding, StunMessage::kErrorResponse, kTransactionId);
  CHECK(error.ok());
  CHECK_BYTES(buffer, 2, (std::vector<uint8_t>{0x01, 0x11}));
  StunWriter largest(buffer, sizeof(buffer), 0x0FFF, StunMessage::kIndication, kTransactionId);
  CHECK(largest.ok());
  CHECK_BYTES(buffer, 4, (std::vector<uint8_t>{0x3E, 0xFF, 0x00, 0x00}));
  StunMessage m;
  REQUIRE(StunMessage::Parse(buffer, largest.size(), &m));
  CHECK_EQ(m.method, 0x0FFF);
  CHECK_EQ(m.messageClass, StunMessage::kIndication);
  StunWriter tooBig(buffer, sizeof(buffer), 0x1000, StunMessage::kRequest, kTransactionId);
  CHECK(!tooBig.ok());
}

TEST(Stun_IntegrityWithoutFingerprint) {
  const std::vector<uint8_t> bytes = BuildCheck(false);
  REQUIRE(!bytes.empty());
  ExactBuffer buf(bytes);
  StunMessage m;
  REQUIRE(StunMessage::Parse(buf.data(), buf.size(), &m));
  CHECK(!m.hasFingerprint);
  CHECK(m.CheckIntegrity(Key(kPassword), std::strlen(kPassword)));

  uint8_t plain[64];
  StunWriter w(plain, sizeof(plain), StunMessage::kBinding, StunMessage::kRequest, kTransactionId);
  w.AddFingerprint();
  REQUIRE(w.ok());
  REQUIRE(StunMessage::Parse(plain, w.size(), &m));
  CHECK(!m.hasMessageIntegrity);
  CHECK(!m.CheckIntegrity(Key(kPassword), std::strlen(kPassword)));
}

TEST(Stun_FlippingAnyByteIsCaught) {
  for (bool withFingerprint : {true, false}) {
    const std::vector<uint8_t> valid = BuildCheck(withFingerprint);
    REQUIRE(!valid.empty());
    REQUIRE(Accepted(valid, kPassword));
    for (size_t i = 0; i < valid.size(); ++i) {
      for (int mask = 1; mask <= 0x100; mask <<= 1) {
        std::vector<uint8_t> bytes = valid;
        bytes[i] ^= static_cast<uint8_t>(mask == 0x100 ? 0xFF : mask);
        CHECK_MSG(!Accepted(bytes, kPassword), "byte " + std::to_string(i) + " mask " + std::to_string(mask));
      }
    }
  }
  for (const std::vector<uint8_t>* vector : {&kSampleRequest, &kSampleIpv4Response, &kSampleIpv6Response}) {
    for (size_t i = 0; i < vector->size(); ++i) {
      std::vector<uint8_t> bytes = *vector;
      bytes[i] ^= 0xFF;
      CHECK_MSG(!ParseBytes(bytes), "byte " + std::to_string(i));  // the fingerprint covers every byte
    }
  }
}

TEST(Stun_EveryTruncationIsRefused) {
  uint8_t everything[256];
  StunWriter w = BuildEverything(everything, sizeof(everything));
  REQUIRE(w.ok());
  const std::vector<uint8_t> written(everything, everything + w.size());
  for (const std::vector<uint8_t>* valid :
       {&kSampleRequest, &kSampleIpv4Response, &kSampleIpv6Response, &written}) {
    for (size_t n = 0; n < valid->size(); ++n) {
      ExactBuffer buf(valid->data(), n);
      StunMessage m;
      CHECK_MSG(!StunMessage::Parse(buf.data(), buf.size(), &m), "size " + std::to_string(n));
    }
  }
}

TEST(Stun_TruncationWithMatchingHeaderLengthIsRefused) {
  // Cut inside an attribute on a 4-byte boundary and fix the header length: now the attribute's
  // own length points past the end.
  const std::vector<uint8_t> valid = BuildCheck(false);
  REQUIRE(!valid.empty());
  const size_t boundaries[] = {36, 44, 48, 60};  // where PRIORITY, USE-CANDIDATE, ICE-CONTROLLING, MI start
  REQUIRE(valid.size() == 84);
  for (size_t n = 24; n < valid.size(); n += 4) {
    bool atBoundary = false;
    for (size_t b : boundaries) atBoundary |= b == n;
    std::vector<uint8_t> bytes(valid.begin(), valid.begin() + n);
    Put16(bytes, 2, static_cast<uint16_t>(n - 20));
    CHECK_MSG(ParseBytes(bytes) == atBoundary, "size " + std::to_string(n));
  }
}

TEST(Stun_RefusesAttributeLengthPastTheEnd) {
  std::vector<uint8_t> bytes = kSampleRequest;
  Put16(bytes, 62, 0x00FF);  // USERNAME
  CHECK(!ParseBytes(bytes));
  bytes = kSampleRequest;
  Put16(bytes, 102, 8);  // FINGERPRINT claims 8 bytes where 4 remain
  CHECK(!ParseBytes(bytes));
  // The padding of the last attribute must be there too.
  bytes = Message(0x0001, {0x80, 0x22, 0x00, 0x05, 'a', 'b', 'c', 'd'});
  CHECK(!ParseBytes(bytes));
  bytes = Message(0x0001, {0x80, 0x22, 0x00, 0x05, 'a', 'b', 'c', 'd', 'e', 0, 0, 0});
  CHECK(ParseBytes(bytes));
}

TEST(Stun_RefusesAttributesAfterFingerprint) {
  // Each FINGERPRINT here is right for the bytes before it, so only the order is wrong.
  const auto fix = [](std::vector<uint8_t>& v, size_t at) {
    const uint32_t crc = Crc32(v.data(), at) ^ 0x5354554E;
    for (int i = 0; i < 4; ++i) v[at + 4 + i] = static_cast<uint8_t>(crc >> (24 - 8 * i));
  };
  std::vector<uint8_t> bytes = Message(0x0001, {0x80, 0x28, 0x00, 0x04, 0, 0, 0, 0,  //
                                                0x80, 0x22, 0x00, 0x04, 't', 'e', 's', 't'});
  fix(bytes, 20);
  CHECK(!ParseBytes(bytes));
  bytes = Message(0x0001, {0x80, 0x28, 0x00, 0x04, 0, 0, 0, 0, 0x80, 0x28, 0x00, 0x04, 0, 0, 0, 0});
  fix(bytes, 20);
  fix(bytes, 28);
  CHECK(!ParseBytes(bytes));
  // The same FINGERPRINT, last, is accepted.
  bytes = Message(0x0001, {0x80, 0x22, 0x00, 0x04, 't', 'e', 's', 't', 0x80, 0x28, 0x00, 0x04, 0, 0, 0, 0});
  fix(bytes, 28);
  CHECK(ParseBytes(bytes));
}

TEST(Stun_RefusesAttributesAfterIntegrityOtherThanFingerprint) {
  std::vector<uint8_t> bytes = BuildCheck(false);
  REQUIRE(!bytes.empty());
  const std::vector<uint8_t> useCandidate = {0x00, 0x25, 0x00, 0x00};
  bytes.insert(bytes.end(), useCandidate.begin(), useCandidate.end());
  Put16(bytes, 2, static_cast<uint16_t>(bytes.size() - 20));
  CHECK(!ParseBytes(bytes));
  AppendFingerprint(bytes);
  CHECK(!ParseBytes(bytes));
}

TEST(Stun_RefusesWrongFingerprint) {
  std::vector<uint8_t> bytes = kSampleIpv4Response;
  bytes.back() ^= 0x01;
  CHECK(!ParseBytes(bytes));
  bytes = Message(0x0001, {0x80, 0x28, 0x00, 0x04, 0, 0, 0, 0});
  CHECK(!ParseBytes(bytes));
  bytes = Message(0x0001, {});
  AppendFingerprint(bytes);
  CHECK(ParseBytes(bytes));
}

TEST(Stun_RefusesBadHeaders) {
  std::vector<uint8_t> bytes = Message(0x0001, {});
  CHECK(ParseBytes(bytes));
  for (uint8_t top : {0x40, 0x80, 0xC0}) {
    bytes = Message(0x0001, {});
    bytes[0] |= top;
    CHECK(!ParseBytes(bytes));
  }
  bytes = Message(0x0001, {});
  bytes[7] ^= 0x01;  // magic cookie
  CHECK(!ParseBytes(bytes));
  bytes = Message(0x0001, {0x80, 0x22, 0x00, 0x00});
  Put16(bytes, 2, 2);  // not a multiple of 4
  CHECK(!ParseBytes(bytes));
  bytes = Message(0x0001, {0x80, 0x22, 0x00, 0x00});
  bytes.push_back(0);  // trailing bytes the header does not count
  bytes.push_back(0);
  bytes.push_back(0);
  bytes.push_back(0);
  CHECK(!ParseBytes(bytes));
  bytes = Message(0x0001, {0x80, 0x22, 0x00, 0x00});
  Put16(bytes, 2, 8);  // counts bytes that are not there
  CHECK(!ParseBytes(bytes));
}

TEST(Stun_RefusesMalformedKnownAttributes) {
  CHECK(!ParseBytes(Message(0x0001, {0x00, 0x24, 0x00, 0x03, 1, 2, 3, 0})));           // PRIORITY of 3
  CHECK(!ParseBytes(Message(0x0001, {0x00, 0x25, 0x00, 0x04, 0, 0, 0, 0})));           // USE-CANDIDATE with a value
  CHECK(!ParseBytes(Message(0x0001, {0x80, 0x2A, 0x00, 0x04, 0, 0, 0, 0})));           // ICE-CONTROLLING of 4
  CHECK(!ParseBytes(Message(0x0101, {0x00, 0x20, 0x00, 0x08, 0, 3, 0, 0, 0, 0, 0, 0})));  // family 3
  CHECK(!ParseBytes(Message(0x0101, {0x00, 0x20, 0x00, 0x08, 0, 2, 0, 0, 0, 0, 0, 0})));  // IPv6 in 8 bytes
  CHECK(!ParseBytes(Message(0x0111, {0x00, 0x09, 0x00, 0x04, 0, 0, 2, 0})));           // error class 2
  CHECK(!ParseBytes(Message(0x0111, {0x00, 0x09, 0x00, 0x04, 0, 0, 4, 100})));         // number 100
  CHECK(!ParseBytes(Message(0x0001, {0x00, 0x08, 0x00, 0x10, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0})));
  CHECK(ParseBytes(Message(0x0111, {0x00, 0x09, 0x00, 0x04, 0, 0, 4, 20})));
}

TEST(Stun_UnknownAttributes) {
  ExactBuffer optional(Message(0x0001, {0xC0, 0x01, 0x00, 0x03, 1, 2, 3, 0, 0x00, 0x24, 0x00, 0x04, 0, 0, 0, 7}));
  StunMessage m;
  REQUIRE(StunMessage::Parse(optional.data(), optional.size(), &m));
  CHECK(!m.unknownRequired);
  CHECK(m.hasPriority);
  CHECK_EQ(m.priority, 7u);

  ExactBuffer required(Message(0x0001, {0x7F, 0xFF, 0x00, 0x01, 9, 0, 0, 0, 0x00, 0x24, 0x00, 0x04, 0, 0, 0, 7}));
  REQUIRE(StunMessage::Parse(required.data(), required.size(), &m));
  CHECK(m.unknownRequired);
  CHECK(m.hasPriority);

  // MAPPED-ADDRESS is RFC 5389's own and comes with XOR-MAPPED-ADDRESS from older servers.
  ExactBuffer mapped(Message(0x0101, {0x00, 0x01, 0x00, 0x08, 0, 1, 0, 1, 192, 0, 2, 1}));
  REQUIRE(StunMessage::Parse(mapped.data(), mapped.size(), &m));
  CHECK(!m.unknownRequired);
  CHECK(!m.hasXorMappedAddress);
}

TEST(Stun_FirstOfARepeatedAttributeIsUsed) {
  ExactBuffer buf(Message(0x0001, {0x00, 0x24, 0x00, 0x04, 0, 0, 0, 1, 0x00, 0x24, 0x00, 0x04, 0, 0, 0, 2,
                                   0x00, 0x06, 0x00, 0x01, 'a', 0, 0, 0, 0x00, 0x06, 0x00, 0x01, 'b', 0, 0, 0}));
  StunMessage m;
  REQUIRE(StunMessage::Parse(buf.data(), buf.size(), &m));
  CHECK_EQ(m.priority, 1u);
  CHECK_EQ(Text(m.username, m.usernameLength), std::string("a"));
}

TEST(Stun_LooksLikeStun) {
  ExactBuffer stun(kSampleRequest);
  CHECK(StunMessage::LooksLikeStun(stun.data(), stun.size()));
  for (int first = 0; first <= 255; ++first) {
    std::vector<uint8_t> bytes = kSampleRequest;
    bytes[0] = static_cast<uint8_t>(first);
    ExactBuffer buf(bytes);
    // RFC 7983 section 7: 0..3 STUN, 20..63 DTLS, 128..191 RTP and RTCP.
    CHECK_MSG(StunMessage::LooksLikeStun(buf.data(), buf.size()) == (first <= 3), std::to_string(first));
  }
  std::vector<uint8_t> rtp = {0x80, 0x60, 0x00, 0x01, 0x21, 0x12, 0xa4, 0x42, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0};
  ExactBuffer rtpBuf(rtp);
  CHECK(!StunMessage::LooksLikeStun(rtpBuf.data(), rtpBuf.size()));
  std::vector<uint8_t> dtls = {22, 0xfe, 0xfd, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0};
  ExactBuffer dtlsBuf(dtls);
  CHECK(!StunMessage::LooksLikeStun(dtlsBuf.data(), dtlsBuf.size()));
  std::vector<uint8_t> noCookie = kSampleRequest;
  noCookie[4] = 0;
  ExactBuffer noCookieBuf(noCookie);
  CHECK(!StunMessage::LooksLikeStun(noCookieBuf.data(), noCookieBuf.size()));
  for (size_t n = 0; n < 20; ++n) {
    ExactBuffer shortBuf(kSampleRequest.data(), n);
    CHECK(!StunMessage::LooksLikeStun(shortBuf.data(), shortBuf.size()));
  }
}

TEST(Stun_WriterRefusesAttributesAfterIntegrityAndFingerprint) {
  uint8_t buffer[128];
  StunWriter afterIntegrity(buffer, sizeof(buffer), StunMessage::kBinding, StunMessage::kRequest, kTransactionId);
  CHECK(afterIntegrity.AddMessageIntegrity(Key(kPassword), std::strlen(kPassword)));
  CHECK(!afterIntegrity.AddPriority(1));
  CHECK(!afterIntegrity.ok());
  CHECK(!afterIntegrity.AddFingerprint());

  StunWriter afterFingerprint(buffer, sizeof(buffer), StunMessage::kBinding, StunMessage::kRequest, kTransactionId);
  CHECK(afterFingerprint.AddFingerprint());
  const size_t size = afterFingerprint.size();
  CHECK(!afterFingerprint.AddMessageIntegrity(Key(kPassword), std::strlen(kPassword)));
  CHECK(!afterFingerprint.ok());
  CHECK_EQ(afterFingerprint.size(), size);

  StunWriter badArguments(buffer, sizeof(buffer), StunMessage::kBinding, StunMessage::kRequest, kTransactionId);
  CHECK(!badArguments.AddErrorCode(700, "x"));
  CHECK(!badArguments.ok());
  sockaddr_storage unspecified{};
  StunWriter badFamily(buffer, sizeof(buffer), StunMessage::kBinding, StunMessage::kRequest, kTransactionId);
  CHECK(!badFamily.AddXorMappedAddress(reinterpret_cast<const sockaddr*>(&unspecified)));
  CHECK(!badFamily.ok());
}

TEST(Stun_WriterPadsWithZeros) {
  uint8_t buffer[64];
  std::memset(buffer, 0xAA, sizeof(buffer));
  StunWriter w(buffer, sizeof(buffer), StunMessage::kBinding, StunMessage::kRequest, kTransactionId);
  CHECK(w.AddUsername("abcde", 5));
  CHECK(w.AddErrorCode(420, "U"));
  CHECK_EQ(w.size(), 20 + 12 + 12);
  CHECK_BYTES(buffer + 20, 24,
              (std::vector<uint8_t>{0x00, 0x06, 0x00, 0x05, 'a', 'b', 'c', 'd', 'e', 0, 0, 0,  //
                                    0x00, 0x09, 0x00, 0x05, 0, 0, 4, 20, 'U', 0, 0, 0}));
  CHECK_BYTES(buffer + 2, 2, (std::vector<uint8_t>{0x00, 24}));
  CHECK_EQ(buffer[44], 0xAA);
}

TEST(Stun_WriterNeverWritesPastCapacity) {
  uint8_t full[256];
  const StunWriter reference = BuildEverything(full, sizeof(full));
  REQUIRE(reference.ok());
  const size_t n = reference.size();
  for (size_t capacity = 0; capacity < n; ++capacity) {
    // An exact-size heap block: ASan reports any write past capacity.
    ExactBuffer exact(full, capacity);
    StunWriter w = BuildEverything(exact.data(), exact.size());
    CHECK_MSG(!w.ok(), "capacity " + std::to_string(capacity));
    CHECK(w.size() <= capacity);
    // And a guarded one, for the same promise without a sanitizer.
    uint8_t guarded[256 + 16];
    std::memset(guarded, 0xA5, sizeof(guarded));
    StunWriter g = BuildEverything(guarded, capacity);
    CHECK(!g.ok());
    bool untouched = true;
    for (size_t i = capacity; i < sizeof(guarded); ++i) untouched &= guarded[i] == 0xA5;
    CHECK_MSG(untouched, "capacity " + std::to_string(capacity));
    // What was written is a whole message of size() bytes.
    if (g.size() >= 20) {
      StunMessage m;
      CHECK_MSG(StunMessage::Parse(guarded, g.size(), &m), "capacity " + std::to_string(capacity));
    }
  }

  // One byte short: everything fits but FINGERPRINT, which fails and leaves the rest intact.
  ExactBuffer oneShort(full, n - 1);
  StunWriter w(oneShort.data(), oneShort.size(), StunMessage::kBinding, StunMessage::kRequest, kTransactionId);
  const sockaddr_storage v6 = Ipv6(kIpv6, 32853);
  CHECK(w.AddUsername("remote:local", 12));
  CHECK(w.AddPriority(1));
  CHECK(w.AddUseCandidate());
  CHECK(w.AddIceControlled(2));
  CHECK(w.AddXorMappedAddress(reinterpret_cast<const sockaddr*>(&v6)));
  CHECK(w.AddErrorCode(487, "Role Conflict"));
  CHECK(w.AddSoftware("callmedia", 9));
  CHECK(w.AddMessageIntegrity(Key(kPassword), std::strlen(kPassword)));
  CHECK(w.ok());
  CHECK(!w.AddFingerprint());
  CHECK(!w.ok());
  CHECK_EQ(w.size(), n - 8);
  StunMessage m;
  REQUIRE(StunMessage::Parse(oneShort.data(), w.size(), &m));
  CHECK(!m.hasFingerprint);
  CHECK(m.CheckIntegrity(Key(kPassword), std::strlen(kPassword)));
}

TEST(Stun_IntegrityBeyondTheCheckedSizeFails) {
  std::vector<uint8_t> buffer(StunMessage::kMaxIntegrityOffset + 256);
  StunWriter w(buffer.data(), buffer.size(), StunMessage::kBinding, StunMessage::kRequest, kTransactionId);
  const std::string software(StunMessage::kMaxIntegrityOffset - 20 - 4 + 4, 's');  // MI starts 4 bytes too far
  CHECK(w.AddSoftware(software.data(), software.size()));
  CHECK(w.AddMessageIntegrity(Key(kPassword), std::strlen(kPassword)));
  CHECK(w.AddFingerprint());
  REQUIRE(w.ok());
  ExactBuffer buf(buffer.data(), w.size());
  StunMessage m;
  REQUIRE(StunMessage::Parse(buf.data(), buf.size(), &m));
  CHECK_EQ(m.integrityOffset, StunMessage::kMaxIntegrityOffset + 4);
  CHECK(!m.CheckIntegrity(Key(kPassword), std::strlen(kPassword)));

  StunWriter justFits(buffer.data(), buffer.size(), StunMessage::kBinding, StunMessage::kRequest, kTransactionId);
  CHECK(justFits.AddSoftware(software.data(), software.size() - 4));
  CHECK(justFits.AddMessageIntegrity(Key(kPassword), std::strlen(kPassword)));
  REQUIRE(justFits.ok());
  ExactBuffer fits(buffer.data(), justFits.size());
  REQUIRE(StunMessage::Parse(fits.data(), fits.size(), &m));
  CHECK_EQ(m.integrityOffset, StunMessage::kMaxIntegrityOffset);
  CHECK(m.CheckIntegrity(Key(kPassword), std::strlen(kPassword)));
}

TEST(Stun_FuzzRandomAndMutatedMessages) {
  static const uint16_t kTypes[] = {0x0001, 0x0006, 0x0008, 0x0009, 0x000A, 0x0020, 0x0024, 0x0025,
                                    0x8022, 0x8028, 0x8029, 0x802A, 0x7FFF, 0xC001};
  uint8_t everything[256];
  const StunWriter built = BuildEverything(everything, sizeof(everything));
  REQUIRE(built.ok());
  const std::vector<uint8_t> written(everything, everything + built.size());
  const std::vector<uint8_t> check = BuildCheck(false);
  const std::vector<const std::vector<uint8_t>*> seeds = {&kSampleRequest, &kSampleIpv4Response,
                                                          &kSampleIpv6Response, &written, &check};
  Mulberry32 rng(0x5EED5);
  size_t accepted = 0;
  size_t integrityPassed = 0;
  uint64_t sink = 0;
  for (int iter = 0; iter < 20000; ++iter) {
    std::vector<uint8_t> bytes;
    switch (iter % 3) {
      case 0: {  // random bytes, mostly behind a plausible header
        bytes.resize(rng.Below(4) == 0 ? rng.Below(24) : rng.Below(200));
        for (auto& b : bytes) b = static_cast<uint8_t>(rng.Next());
        if (bytes.size() >= 20 && rng.Below(4) != 0) {
          bytes.resize(20 + ((bytes.size() - 20) & ~size_t{3}));
          bytes[0] &= 0x3F;
          Put16(bytes, 2, static_cast<uint16_t>(bytes.size() - 20));
          const uint8_t cookie[4] = {0x21, 0x12, 0xa4, 0x42};
          std::memcpy(bytes.data() + 4, cookie, 4);
        }
        break;
      }
      case 1: {  // well-framed attributes of the types Parse reads, with random lengths and values
        std::vector<uint8_t> attributes;
        const uint32_t count = rng.Below(6);
        for (uint32_t a = 0; a < count; ++a) {
          const uint16_t type = kTypes[rng.Below(sizeof(kTypes) / sizeof(kTypes[0]))];
          const size_t length = rng.Below(3) == 0 ? rng.Below(40) : (type == 0x0020 ? 8 + 12 * rng.Below(2) : rng.Below(24));
          const size_t padded = rng.Below(8) == 0 ? length : (length + 3) & ~size_t{3};  // sometimes unpadded
          attributes.push_back(static_cast<uint8_t>(type >> 8));
          attributes.push_back(static_cast<uint8_t>(type));
          attributes.push_back(static_cast<uint8_t>(length >> 8));
          attributes.push_back(static_cast<uint8_t>(length));
          for (size_t i = 0; i < padded; ++i) attributes.push_back(static_cast<uint8_t>(rng.Below(4) ? rng.Below(8) : rng.Next()));
        }
        while (attributes.size() % 4) attributes.push_back(0);
        bytes = Message(static_cast<uint16_t>(rng.Next() & 0x3FFF), attributes);
        if (rng.Below(2)) AppendFingerprint(bytes);
        break;
      }
      default: {  // a valid message with a few bytes changed, cut or grown, its header length fixed or not
        bytes = *seeds[rng.Below(static_cast<uint32_t>(seeds.size()))];
        const uint32_t edits = 1 + rng.Below(4);
        for (uint32_t e = 0; e < edits; ++e) {
          switch (rng.Below(4)) {
            case 0: bytes[rng.Below(static_cast<uint32_t>(bytes.size()))] = static_cast<uint8_t>(rng.Next()); break;
            case 1: bytes[rng.Below(static_cast<uint32_t>(bytes.size()))] ^= static_cast<uint8_t>(1u << rng.Below(8)); break;
            case 2: bytes.resize(20 + rng.Below(static_cast<uint32_t>(bytes.size() - 19))); break;
            default: bytes.resize(bytes.size() + rng.Below(9)); break;
          }
        }
        if (bytes.size() >= 20 && rng.Below(2)) Put16(bytes, 2, static_cast<uint16_t>(bytes.size() - 20));
        break;
      }
    }
    ExactBuffer buf(bytes);
    StunMessage m;
    StunMessage::LooksLikeStun(buf.data(), buf.size());
    if (!StunMessage::Parse(buf.data(), buf.size(), &m)) continue;
    ++accepted;
    const uint8_t* begin = buf.data() + 20;
    const uint8_t* end = buf.data() + buf.size();
    REQUIRE(m.data == buf.data() && m.size == buf.size());
    for (auto field : {std::make_pair(m.username, m.usernameLength), std::make_pair(m.software, m.softwareLength),
                       std::make_pair(m.errorReason, m.errorReasonLength)}) {
      if (!field.first) continue;
      REQUIRE(field.first >= begin && field.first + field.second <= end);
      for (size_t i = 0; i < field.second; ++i) sink += field.first[i];  // ASan checks each read
    }
    if (m.hasMessageIntegrity) REQUIRE(m.integrityOffset >= 20 && m.integrityOffset + 24 <= buf.size());
    if (m.hasErrorCode) REQUIRE(m.errorCode >= 300 && m.errorCode <= 699);
    if (m.hasXorMappedAddress) REQUIRE(m.xorMappedAddress.ss_family == AF_INET || m.xorMappedAddress.ss_family == AF_INET6);
    if (m.CheckIntegrity(Key(kPassword), std::strlen(kPassword))) ++integrityPassed;
  }
  // The framing above is meant to reach the accepting paths; make sure it really did.
  CHECK(accepted > 2000);
  CHECK(integrityPassed > 0);
  CHECK(sink != 1);
}
