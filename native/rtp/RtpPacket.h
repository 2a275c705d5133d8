// RFC 3550 section 5.1: a zero-copy view over one RTP packet, with the RFC 8285 header
// extensions (one-byte 0xBEDE and two-byte 0x100X forms). Parse() validates every length
// against the datagram so a malformed packet is refused before anything reads past it.
#pragma once
#include <cstddef>
#include <cstdint>

namespace callmedia {

class RtpPacket {
 public:
  static constexpr size_t kFixedHeaderSize = 12;

  // RFC 5761 section 4: RTP and RTCP on one port are told apart by the second byte.
  static bool LooksLikeRtcp(const uint8_t* data, size_t size);

  // Returns false (and leaves `out` unspecified) when the datagram is not a valid RTP packet.
  static bool Parse(const uint8_t* data, size_t size, RtpPacket* out);

  // Writes a 12-byte fixed header (no CSRC, no extension).
  static void WriteHeader(uint8_t* out, uint8_t payloadType, bool marker, uint16_t seq, uint32_t timestamp, uint32_t ssrc);

  // Finds an RFC 8285 extension element by id; false when absent.
  bool GetExtension(uint8_t id, const uint8_t** value, size_t* length) const;

  // The i-th contributing source (i < csrcCount).
  uint32_t csrc(size_t i) const;
  // The media source the packet carries: its first CSRC when a media server forwarded it under
  // an SSRC of its own (RFC 3550 7.1), else its SSRC.
  uint32_t sourceId() const { return csrcCount ? csrc(0) : ssrc; }

  // The header a media server gives a packet it forwards into another session.
  struct ForwardedHeader {
    uint32_t ssrc;
    uint16_t sequenceNumber;
    uint8_t payloadType;  // the codec's number in the session it goes to
    bool withSource;      // `source` becomes the only CSRC (RFC 3550 7.1); else there is none
    uint32_t source;
  };
  // Copies the packet into `out` with that header and no header extension: an extension's id
  // means something only in the session that negotiated it, and the sending transport adds its
  // own. Timestamp, marker, payload and padding stay. Returns the new size, or 0 when it does not
  // fit.
  size_t CopyAsForwarded(const ForwardedHeader& header, uint8_t* out, size_t capacity) const;

  // Copies the packet into `out` with the extension element `id` set to `value` (added, or
  // replacing one with that id); every other element, the CSRCs, payload and padding stay.
  // Uses the packet's form (one-byte unless it already has two-byte elements). Returns the new
  // size, or 0 when it does not fit or the element cannot be written in that form.
  size_t CopyWithExtension(uint8_t id, const uint8_t* value, size_t length, uint8_t* out, size_t capacity) const;
  // The same for several elements at once (each id once), in one copy.
  struct ExtensionElement {
    uint8_t id;
    const uint8_t* value;
    size_t length;
  };
  size_t CopyWithExtensions(const ExtensionElement* elements, size_t count, uint8_t* out, size_t capacity) const;

  const uint8_t* data = nullptr;  // the whole packet as parsed
  size_t size = 0;

  uint8_t payloadType = 0;
  bool marker = false;
  uint16_t sequenceNumber = 0;
  uint32_t timestamp = 0;
  uint32_t ssrc = 0;
  uint8_t csrcCount = 0;
  uint16_t extensionProfile = 0;
  const uint8_t* extension = nullptr;  // extension body, after the 4-byte extension header
  size_t extensionSize = 0;
  const uint8_t* payload = nullptr;
  size_t payloadSize = 0;
  size_t paddingSize = 0;
};

}  // namespace callmedia
