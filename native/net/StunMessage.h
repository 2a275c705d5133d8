// RFC 5389 STUN messages with the ICE attributes of RFC 8445 section 16.1: a zero-copy view for
// reading (Parse validates every length against the datagram before anything reads it) and a
// writer that builds one message into a caller's buffer. Short-term credentials only: the
// MESSAGE-INTEGRITY key is the ICE password as it stands.
#pragma once
#include <cstddef>
#include <cstdint>
#include <string>
#if defined(_WIN32)
#include <winsock2.h>
#include <ws2tcpip.h>
#else
#include <netinet/in.h>
#include <sys/socket.h>
#endif

namespace callmedia {

// ISO-HDLC CRC-32 (as STUN FINGERPRINT uses), table-based.
uint32_t Crc32(const uint8_t* data, size_t size);

class StunMessage {
 public:
  static constexpr uint32_t kMagicCookie = 0x2112A442;
  static constexpr size_t kHeaderSize = 20;
  // CheckIntegrity hashes a copy of the message on the stack; a message whose MESSAGE-INTEGRITY
  // starts further in than this fails the check. RFC 5389 section 7.1 keeps STUN over UDP under
  // the path MTU, and ICE checks are a few hundred bytes.
  static constexpr size_t kMaxIntegrityOffset = 4096;

  enum Method : uint16_t { kBinding = 0x0001 };
  enum Class : uint16_t { kRequest = 0x0000, kIndication = 0x0010, kSuccessResponse = 0x0100, kErrorResponse = 0x0110 };

  // RFC 7983: first byte 0..3, at least a header, the magic cookie in place.
  static bool LooksLikeStun(const uint8_t* data, size_t size);

  // Validates the header (top two bits zero, length a multiple of 4 and equal to size - 20, magic
  // cookie), every attribute's length and padding against the datagram, that MESSAGE-INTEGRITY is
  // followed only by FINGERPRINT, that FINGERPRINT is last, and that a FINGERPRINT's value is
  // right. The attributes read below must have the lengths their RFCs give. False on anything
  // else, leaving `out` unspecified. Of a repeated attribute the first is used (RFC 5389 section
  // 15). Unknown comprehension-optional attributes (0x8000-0xFFFF) are skipped; unknown
  // comprehension-required ones are remembered in unknownRequired (a server answers those with 420).
  static bool Parse(const uint8_t* data, size_t size, StunMessage* out);

  // HMAC-SHA1 (short-term credential: the key is the password) over the message up to
  // MESSAGE-INTEGRITY, with the header length as RFC 5389 15.4 says. False when there is no
  // MESSAGE-INTEGRITY or it does not match. Compares in constant time.
  bool CheckIntegrity(const uint8_t* key, size_t keyLength) const;

  uint16_t method = 0;
  uint16_t messageClass = 0;
  uint8_t transactionId[12] = {};
  const uint8_t* username = nullptr;  size_t usernameLength = 0;   // USERNAME 0x0006
  bool hasPriority = false;  uint32_t priority = 0;                 // PRIORITY 0x0024
  bool useCandidate = false;                                         // USE-CANDIDATE 0x0025
  bool hasIceControlling = false, hasIceControlled = false; uint64_t tieBreaker = 0;  // 0x802A / 0x8029
  bool hasXorMappedAddress = false; sockaddr_storage xorMappedAddress{};  // 0x0020, IPv4 and IPv6
  bool hasErrorCode = false; int errorCode = 0;                      // ERROR-CODE 0x0009 (class*100+number)
  const uint8_t* errorReason = nullptr; size_t errorReasonLength = 0;  // its reason phrase
  const uint8_t* software = nullptr; size_t softwareLength = 0;       // SOFTWARE 0x8022
  bool hasMessageIntegrity = false;                                  // 0x0008
  bool hasFingerprint = false;                                       // 0x8028
  bool unknownRequired = false;
  const uint8_t* data = nullptr; size_t size = 0;                    // the datagram (kept for CheckIntegrity)
  size_t integrityOffset = 0;                                        // where MESSAGE-INTEGRITY's attribute header starts
};

// Builds one message into the caller's buffer, no allocation. Attributes go in the order they are
// added; AddMessageIntegrity then AddFingerprint come last. Any method returns false (and ok()
// turns false) once the buffer is too small; nothing is written past capacity. An argument the
// wire format cannot carry, or an attribute after MESSAGE-INTEGRITY or FINGERPRINT, fails the
// same way. After each successful call the buffer holds a complete message of size() bytes.
class StunWriter {
 public:
  StunWriter(uint8_t* buffer, size_t capacity, uint16_t method, uint16_t messageClass, const uint8_t transactionId[12]);

  bool AddUsername(const char* value, size_t length);
  bool AddPriority(uint32_t priority);
  bool AddUseCandidate();
  bool AddIceControlling(uint64_t tieBreaker);
  bool AddIceControlled(uint64_t tieBreaker);
  bool AddXorMappedAddress(const sockaddr* address);   // AF_INET or AF_INET6
  bool AddErrorCode(int code, const char* reason);     // code 300..699; reason may be null
  bool AddSoftware(const char* value, size_t length);  // 0x8022, used by the RFC 5769 vectors
  bool AddMessageIntegrity(const uint8_t* key, size_t keyLength);
  bool AddFingerprint();                               // CRC-32 XOR 0x5354554E

  size_t size() const { return size_; }
  bool ok() const { return ok_; }

 private:
  // Appends an attribute header and zeroed padding for `length` value bytes and returns where the
  // value goes, or null (and ok_ false) when it does not fit or may not come here.
  uint8_t* Begin(uint16_t type, size_t length);
  bool Fail();

  uint8_t* buffer_;
  size_t capacity_;
  size_t size_ = 0;
  bool ok_ = true;
  bool hasIntegrity_ = false;
  bool hasFingerprint_ = false;
};

}  // namespace callmedia
