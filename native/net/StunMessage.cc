#include "net/StunMessage.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <climits>
#include <cstring>

#include "common/ByteOrder.h"

namespace callmedia {

namespace {

// RFC 5389 section 18.2, and RFC 8445 section 16.1 for the ICE attributes.
constexpr uint16_t kAttrMappedAddress = 0x0001;
constexpr uint16_t kAttrUsername = 0x0006;
constexpr uint16_t kAttrMessageIntegrity = 0x0008;
constexpr uint16_t kAttrErrorCode = 0x0009;
constexpr uint16_t kAttrUnknownAttributes = 0x000A;
constexpr uint16_t kAttrXorMappedAddress = 0x0020;
constexpr uint16_t kAttrPriority = 0x0024;
constexpr uint16_t kAttrUseCandidate = 0x0025;
constexpr uint16_t kAttrSoftware = 0x8022;
constexpr uint16_t kAttrFingerprint = 0x8028;
constexpr uint16_t kAttrIceControlled = 0x8029;
constexpr uint16_t kAttrIceControlling = 0x802A;

constexpr uint32_t kFingerprintXor = 0x5354554E;  // RFC 5389 section 15.5: "STUN"
constexpr size_t kIntegritySize = 20;              // HMAC-SHA1
constexpr size_t kMaxMessageLength = 0xFFFC;       // the 16-bit length field, kept a multiple of 4
constexpr uint8_t kFamilyIpv4 = 0x01;
constexpr uint8_t kFamilyIpv6 = 0x02;

inline size_t Padded(size_t length) { return (length + 3) & ~static_cast<size_t>(3); }

// RFC 5389 section 6: the class bits C1 C0 sit at 0x0100 and 0x0010, between the method bits.
inline uint16_t MessageType(uint16_t method, uint16_t messageClass) {
  return static_cast<uint16_t>(((method & 0x0F80) << 2) | ((method & 0x0070) << 1) | (method & 0x000F) |
                               (messageClass & 0x0110));
}
inline uint16_t MethodOf(uint16_t type) {
  return static_cast<uint16_t>(((type & 0x3E00) >> 2) | ((type & 0x00E0) >> 1) | (type & 0x000F));
}

struct Crc32Table {
  uint32_t entries[256] = {};
  constexpr Crc32Table() {
    for (uint32_t i = 0; i < 256; ++i) {
      uint32_t c = i;
      for (int k = 0; k < 8; ++k) c = (c & 1) ? 0xEDB88320u ^ (c >> 1) : c >> 1;  // reflected 0x04C11DB7
      entries[i] = c;
    }
  }
};
constexpr Crc32Table kCrc32Table;

// Port XOR the top 16 bits of the cookie; the address XOR the cookie (IPv4) or the cookie followed
// by the transaction id (IPv6). RFC 5389 section 15.2. `header` is the message's first 20 bytes.
inline void XorAddress(uint8_t* address, size_t length, const uint8_t* header) {
  for (size_t i = 0; i < length; ++i) address[i] ^= header[4 + i];
}

bool ParseXorMappedAddress(const uint8_t* value, size_t length, const uint8_t* header, sockaddr_storage* out) {
  if (length < 4) return false;
  const uint8_t family = value[1];
  const uint16_t port = static_cast<uint16_t>(Read16(value + 2) ^ (StunMessage::kMagicCookie >> 16));
  std::memset(out, 0, sizeof(*out));
  if (family == kFamilyIpv4 && length == 8) {
    sockaddr_in* in = reinterpret_cast<sockaddr_in*>(out);
    uint8_t address[4];
    std::memcpy(address, value + 4, 4);
    XorAddress(address, 4, header);
#ifdef SIN6_LEN
    in->sin_len = sizeof(*in);  // as libuv fills it, so the addresses compare equal
#endif
    in->sin_family = AF_INET;
    in->sin_port = htons(port);
    std::memcpy(&in->sin_addr, address, 4);
    return true;
  }
  if (family == kFamilyIpv6 && length == 20) {
    sockaddr_in6* in6 = reinterpret_cast<sockaddr_in6*>(out);
    uint8_t address[16];
    std::memcpy(address, value + 4, 16);
    XorAddress(address, 16, header);
#ifdef SIN6_LEN
    in6->sin6_len = sizeof(*in6);
#endif
    in6->sin6_family = AF_INET6;
    in6->sin6_port = htons(port);
    std::memcpy(&in6->sin6_addr, address, 16);
    return true;
  }
  return false;
}

}  // namespace

uint32_t Crc32(const uint8_t* data, size_t size) {
  uint32_t c = 0xFFFFFFFFu;
  for (size_t i = 0; i < size; ++i) c = kCrc32Table.entries[(c ^ data[i]) & 0xFF] ^ (c >> 8);
  return c ^ 0xFFFFFFFFu;
}

bool StunMessage::LooksLikeStun(const uint8_t* data, size_t size) {
  return size >= kHeaderSize && data[0] <= 3 && Read32(data + 4) == kMagicCookie;
}

bool StunMessage::Parse(const uint8_t* data, size_t size, StunMessage* out) {
  if (size < kHeaderSize || (data[0] & 0xC0) != 0) return false;
  const size_t length = Read16(data + 2);
  if (length % 4 != 0 || length != size - kHeaderSize || Read32(data + 4) != kMagicCookie) return false;

  *out = StunMessage();
  const uint16_t type = Read16(data);
  out->method = MethodOf(type);
  out->messageClass = type & 0x0110;
  std::memcpy(out->transactionId, data + 8, 12);
  out->data = data;
  out->size = size;

  size_t offset = kHeaderSize;
  while (offset < size) {
    // Attributes start on 4-byte boundaries and size - offset is a multiple of 4, so a header fits;
    // checked anyway so the loop never depends on that reasoning.
    if (size - offset < 4) return false;
    const uint16_t attrType = Read16(data + offset);
    const size_t attrLength = Read16(data + offset + 2);
    if (Padded(attrLength) > size - offset - 4) return false;
    const uint8_t* value = data + offset + 4;

    // RFC 5389 section 15.5: FINGERPRINT is last; 15.4: only FINGERPRINT follows MESSAGE-INTEGRITY.
    if (out->hasFingerprint) return false;
    if (out->hasMessageIntegrity && attrType != kAttrFingerprint) return false;

    switch (attrType) {
      case kAttrUsername:
        if (!out->username) {
          out->username = value;
          out->usernameLength = attrLength;
        }
        break;
      case kAttrPriority:
        if (attrLength != 4) return false;
        if (!out->hasPriority) {
          out->hasPriority = true;
          out->priority = Read32(value);
        }
        break;
      case kAttrUseCandidate:
        if (attrLength != 0) return false;
        out->useCandidate = true;
        break;
      case kAttrIceControlling:
      case kAttrIceControlled:
        if (attrLength != 8) return false;
        if (!out->hasIceControlling && !out->hasIceControlled) out->tieBreaker = Read64(value);
        if (attrType == kAttrIceControlling) {
          out->hasIceControlling = true;
        } else {
          out->hasIceControlled = true;
        }
        break;
      case kAttrXorMappedAddress: {
        sockaddr_storage address;
        if (!ParseXorMappedAddress(value, attrLength, data, &address)) return false;
        if (!out->hasXorMappedAddress) {
          out->hasXorMappedAddress = true;
          out->xorMappedAddress = address;
        }
        break;
      }
      case kAttrErrorCode: {
        if (attrLength < 4) return false;
        const int errorClass = value[2] & 0x07;
        const int number = value[3];
        if (errorClass < 3 || errorClass > 6 || number > 99) return false;  // RFC 5389 section 15.6
        if (!out->hasErrorCode) {
          out->hasErrorCode = true;
          out->errorCode = errorClass * 100 + number;
          out->errorReason = value + 4;
          out->errorReasonLength = attrLength - 4;
        }
        break;
      }
      case kAttrSoftware:
        if (!out->software) {
          out->software = value;
          out->softwareLength = attrLength;
        }
        break;
      case kAttrMessageIntegrity:
        if (attrLength != kIntegritySize) return false;
        out->hasMessageIntegrity = true;
        out->integrityOffset = offset;
        break;
      case kAttrFingerprint:
        if (attrLength != 4) return false;
        // The CRC covers everything before this attribute, with the header length as received:
        // FINGERPRINT is last, so that length already counts it.
        if (Read32(value) != (Crc32(data, offset) ^ kFingerprintXor)) return false;
        out->hasFingerprint = true;
        break;
      case kAttrMappedAddress:       // understood; XOR-MAPPED-ADDRESS carries the same address
      case kAttrUnknownAttributes:  // understood; only meaningful next to a 420, which ERROR-CODE says
        break;
      default:
        if (attrType < 0x8000) out->unknownRequired = true;
        break;
    }
    offset += 4 + Padded(attrLength);
  }
  return true;
}

bool StunMessage::CheckIntegrity(const uint8_t* key, size_t keyLength) const {
  if (!hasMessageIntegrity || !data || integrityOffset > kMaxIntegrityOffset || keyLength > INT_MAX) return false;
  if (integrityOffset < kHeaderSize || integrityOffset + 4 + kIntegritySize > size) return false;
  // RFC 5389 section 15.4: the header length is taken to end at MESSAGE-INTEGRITY, as it did when
  // the sender computed the HMAC, whatever (FINGERPRINT) follows it now.
  uint8_t text[kMaxIntegrityOffset];
  std::memcpy(text, data, integrityOffset);
  Write16(text + 2, static_cast<uint16_t>(integrityOffset + 4 + kIntegritySize - kHeaderSize));
  static const uint8_t kNoKey = 0;
  uint8_t mac[EVP_MAX_MD_SIZE];
  unsigned int macLength = 0;
  if (!HMAC(EVP_sha1(), keyLength ? key : &kNoKey, static_cast<int>(keyLength), text, integrityOffset, mac,
            &macLength) ||
      macLength != kIntegritySize)
    return false;
  return CRYPTO_memcmp(mac, data + integrityOffset + 4, kIntegritySize) == 0;
}

StunWriter::StunWriter(uint8_t* buffer, size_t capacity, uint16_t method, uint16_t messageClass,
                       const uint8_t transactionId[12])
    : buffer_(buffer), capacity_(capacity) {
  if (!buffer || capacity < StunMessage::kHeaderSize || method > 0x0FFF) {
    ok_ = false;
    return;
  }
  Write16(buffer_, MessageType(method, messageClass));
  Write16(buffer_ + 2, 0);
  Write32(buffer_ + 4, StunMessage::kMagicCookie);
  std::memcpy(buffer_ + 8, transactionId, 12);
  size_ = StunMessage::kHeaderSize;
}

bool StunWriter::Fail() {
  ok_ = false;
  return false;
}

uint8_t* StunWriter::Begin(uint16_t type, size_t length) {
  if (!ok_ || hasFingerprint_ || (hasIntegrity_ && type != kAttrFingerprint) || length > 0xFFFF) {
    ok_ = false;
    return nullptr;
  }
  const size_t total = 4 + Padded(length);
  if (total > capacity_ - size_ || size_ - StunMessage::kHeaderSize + total > kMaxMessageLength) {
    ok_ = false;
    return nullptr;
  }
  uint8_t* p = buffer_ + size_;
  Write16(p, type);
  Write16(p + 2, static_cast<uint16_t>(length));
  std::memset(p + 4 + length, 0, Padded(length) - length);
  size_ += total;
  Write16(buffer_ + 2, static_cast<uint16_t>(size_ - StunMessage::kHeaderSize));
  return p + 4;
}

bool StunWriter::AddUsername(const char* value, size_t length) {
  if (!value && length) return Fail();
  uint8_t* p = Begin(kAttrUsername, length);
  if (!p) return false;
  if (length) std::memcpy(p, value, length);
  return true;
}

bool StunWriter::AddPriority(uint32_t priority) {
  uint8_t* p = Begin(kAttrPriority, 4);
  if (!p) return false;
  Write32(p, priority);
  return true;
}

bool StunWriter::AddUseCandidate() { return Begin(kAttrUseCandidate, 0) != nullptr; }

bool StunWriter::AddIceControlling(uint64_t tieBreaker) {
  uint8_t* p = Begin(kAttrIceControlling, 8);
  if (!p) return false;
  Write64(p, tieBreaker);
  return true;
}

bool StunWriter::AddIceControlled(uint64_t tieBreaker) {
  uint8_t* p = Begin(kAttrIceControlled, 8);
  if (!p) return false;
  Write64(p, tieBreaker);
  return true;
}

bool StunWriter::AddXorMappedAddress(const sockaddr* address) {
  if (!address) return Fail();
  uint16_t port = 0;
  uint8_t bytes[16];
  size_t addressLength = 0;
  uint8_t family = 0;
  if (address->sa_family == AF_INET) {
    const sockaddr_in* in = reinterpret_cast<const sockaddr_in*>(address);
    port = ntohs(in->sin_port);
    std::memcpy(bytes, &in->sin_addr, 4);
    addressLength = 4;
    family = kFamilyIpv4;
  } else if (address->sa_family == AF_INET6) {
    const sockaddr_in6* in6 = reinterpret_cast<const sockaddr_in6*>(address);
    port = ntohs(in6->sin6_port);
    std::memcpy(bytes, &in6->sin6_addr, 16);
    addressLength = 16;
    family = kFamilyIpv6;
  } else {
    return Fail();
  }
  uint8_t* p = Begin(kAttrXorMappedAddress, 4 + addressLength);
  if (!p) return false;
  p[0] = 0;
  p[1] = family;
  Write16(p + 2, static_cast<uint16_t>(port ^ (StunMessage::kMagicCookie >> 16)));
  XorAddress(bytes, addressLength, buffer_);
  std::memcpy(p + 4, bytes, addressLength);
  return true;
}

bool StunWriter::AddErrorCode(int code, const char* reason) {
  if (code < 300 || code > 699) return Fail();  // RFC 5389 section 15.6: class 3..6
  const size_t reasonLength = reason ? std::strlen(reason) : 0;
  uint8_t* p = Begin(kAttrErrorCode, 4 + reasonLength);
  if (!p) return false;
  p[0] = 0;
  p[1] = 0;
  p[2] = static_cast<uint8_t>(code / 100);
  p[3] = static_cast<uint8_t>(code % 100);
  if (reasonLength) std::memcpy(p + 4, reason, reasonLength);
  return true;
}

bool StunWriter::AddSoftware(const char* value, size_t length) {
  if (!value && length) return Fail();
  uint8_t* p = Begin(kAttrSoftware, length);
  if (!p) return false;
  if (length) std::memcpy(p, value, length);
  return true;
}

bool StunWriter::AddMessageIntegrity(const uint8_t* key, size_t keyLength) {
  if (keyLength > INT_MAX || (!key && keyLength)) return Fail();
  const size_t offset = size_;
  // Begin already sets the header length to end after this attribute, as RFC 5389 15.4 wants
  // while the HMAC is computed over the bytes before it.
  uint8_t* p = Begin(kAttrMessageIntegrity, kIntegritySize);
  if (!p) return false;
  static const uint8_t kNoKey = 0;
  uint8_t mac[EVP_MAX_MD_SIZE];
  unsigned int macLength = 0;
  if (!HMAC(EVP_sha1(), keyLength ? key : &kNoKey, static_cast<int>(keyLength), buffer_, offset, mac, &macLength) ||
      macLength != kIntegritySize) {
    size_ = offset;  // leave the message as it was before this call
    Write16(buffer_ + 2, static_cast<uint16_t>(size_ - StunMessage::kHeaderSize));
    return Fail();
  }
  std::memcpy(p, mac, kIntegritySize);
  hasIntegrity_ = true;
  return true;
}

bool StunWriter::AddFingerprint() {
  const size_t offset = size_;
  uint8_t* p = Begin(kAttrFingerprint, 4);  // the header length now counts FINGERPRINT, as the CRC wants
  if (!p) return false;
  Write32(p, Crc32(buffer_, offset) ^ kFingerprintXor);
  hasFingerprint_ = true;
  return true;
}

}  // namespace callmedia
