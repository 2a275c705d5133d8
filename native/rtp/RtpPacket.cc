#include "rtp/RtpPacket.h"

#include <cstring>

#include "common/ByteOrder.h"

namespace callmedia {

bool RtpPacket::LooksLikeRtcp(const uint8_t* data, size_t size) {
  return size >= 8 && (data[0] >> 6) == 2 && data[1] >= 192 && data[1] <= 223;
}

bool RtpPacket::Parse(const uint8_t* data, size_t size, RtpPacket* out) {
  if (size < kFixedHeaderSize || (data[0] >> 6) != 2) return false;
  const bool padding = data[0] & 0x20;
  const bool hasExtension = data[0] & 0x10;
  out->csrcCount = data[0] & 0x0F;
  out->marker = data[1] & 0x80;
  out->payloadType = data[1] & 0x7F;
  out->sequenceNumber = Read16(data + 2);
  out->timestamp = Read32(data + 4);
  out->ssrc = Read32(data + 8);

  size_t offset = kFixedHeaderSize + 4u * out->csrcCount;
  if (offset > size) return false;

  out->extension = nullptr;
  out->extensionSize = 0;
  out->extensionProfile = 0;
  if (hasExtension) {
    if (offset + 4 > size) return false;
    out->extensionProfile = Read16(data + offset);
    const size_t words = Read16(data + offset + 2);
    offset += 4;
    if (offset + 4 * words > size) return false;
    out->extension = data + offset;
    out->extensionSize = 4 * words;
    offset += 4 * words;
  }

  size_t end = size;
  out->paddingSize = 0;
  if (padding) {
    const uint8_t pad = data[size - 1];
    if (pad == 0 || pad > size - offset) return false;
    out->paddingSize = pad;
    end -= pad;
  }
  out->payload = data + offset;
  out->payloadSize = end - offset;
  out->data = data;
  out->size = size;
  return true;
}

void RtpPacket::WriteHeader(uint8_t* p, uint8_t payloadType, bool marker, uint16_t seq, uint32_t timestamp,
                            uint32_t ssrc) {
  p[0] = 0x80;
  p[1] = static_cast<uint8_t>((marker ? 0x80 : 0) | (payloadType & 0x7F));
  p[2] = seq >> 8;
  p[3] = seq & 0xFF;
  p[4] = timestamp >> 24;
  p[5] = (timestamp >> 16) & 0xFF;
  p[6] = (timestamp >> 8) & 0xFF;
  p[7] = timestamp & 0xFF;
  p[8] = ssrc >> 24;
  p[9] = (ssrc >> 16) & 0xFF;
  p[10] = (ssrc >> 8) & 0xFF;
  p[11] = ssrc & 0xFF;
}

bool RtpPacket::GetExtension(uint8_t id, const uint8_t** value, size_t* length) const {
  if (!extension) return false;
  const uint8_t* p = extension;
  const uint8_t* end = extension + extensionSize;
  if (extensionProfile == 0xBEDE) {  // one-byte header form
    while (p < end) {
      if (*p == 0) { ++p; continue; }  // padding byte
      const uint8_t elementId = *p >> 4;
      const size_t elementLength = (*p & 0x0F) + 1u;
      if (elementId == 15) return false;  // reserved: stop parsing (RFC 8285 section 4.2)
      if (p + 1 + elementLength > end) return false;
      if (elementId == id) { *value = p + 1; *length = elementLength; return true; }
      p += 1 + elementLength;
    }
  } else if ((extensionProfile & 0xFFF0) == 0x1000) {  // two-byte header form
    while (p < end) {
      if (*p == 0) { ++p; continue; }
      if (p + 2 > end) return false;
      const uint8_t elementId = p[0];
      const size_t elementLength = p[1];
      if (p + 2 + elementLength > end) return false;
      if (elementId == id) { *value = p + 2; *length = elementLength; return true; }
      p += 2 + elementLength;
    }
  }
  return false;
}

uint32_t RtpPacket::csrc(size_t i) const { return i < csrcCount ? Read32(data + kFixedHeaderSize + 4 * i) : 0; }

size_t RtpPacket::CopyAsForwarded(const ForwardedHeader& header, uint8_t* out, size_t capacity) const {
  const size_t csrcBytes = header.withSource ? 4 : 0;
  const size_t tail = payloadSize + paddingSize;  // payload and padding, as they were
  const size_t total = kFixedHeaderSize + csrcBytes + tail;
  if (total > capacity) return 0;
  WriteHeader(out, header.payloadType, marker, header.sequenceNumber, timestamp, header.ssrc);
  if (paddingSize) out[0] |= 0x20;
  if (header.withSource) {
    out[0] |= 1;  // one CSRC
    out[12] = header.source >> 24;
    out[13] = (header.source >> 16) & 0xFF;
    out[14] = (header.source >> 8) & 0xFF;
    out[15] = header.source & 0xFF;
  }
  std::memcpy(out + kFixedHeaderSize + csrcBytes, payload, tail);
  return total;
}

size_t RtpPacket::CopyWithExtension(uint8_t id, const uint8_t* value, size_t length, uint8_t* out,
                                    size_t capacity) const {
  const ExtensionElement element{id, value, length};
  return CopyWithExtensions(&element, 1, out, capacity);
}

size_t RtpPacket::CopyWithExtensions(const ExtensionElement* elements, size_t count, uint8_t* out, size_t capacity) const {
  const bool twoByte = extension && (extensionProfile & 0xFFF0) == 0x1000;
  if (extension && !twoByte && extensionProfile != 0xBEDE) return 0;  // a profile we cannot add to
  size_t added = 0;
  for (size_t i = 0; i < count; ++i) {
    const ExtensionElement& e = elements[i];
    if (twoByte ? (e.id == 0 || e.length > 255) : (e.id == 0 || e.id > 14 || e.length == 0 || e.length > 16)) return 0;
    added += (twoByte ? 2 : 1) + e.length;
  }
  const auto replaced = [&](size_t id) {
    for (size_t i = 0; i < count; ++i)
      if (elements[i].id == id) return true;
    return false;
  };
  const size_t headerSize = kFixedHeaderSize + 4u * csrcCount;
  const size_t tail = payloadSize + paddingSize;  // payload and padding, as they were
  // Worst case: every old element, the new ones, and padding to a word.
  const size_t extensionMax = extensionSize + added + 3;
  if (headerSize + 4 + extensionMax + tail > capacity) return 0;

  std::memcpy(out, data, headerSize);
  out[0] |= 0x10;  // X: there is an extension now
  uint8_t* body = out + headerSize + 4;
  size_t n = 0;
  // Every element but those being set, in their order; padding bytes are dropped.
  const uint8_t* p = extension;
  const uint8_t* end = extension ? extension + extensionSize : nullptr;
  while (p && p < end) {
    if (*p == 0) { ++p; continue; }
    size_t elementId, elementSize;
    if (twoByte) {
      if (p + 2 > end) break;
      elementId = p[0];
      elementSize = 2u + p[1];
    } else {
      elementId = *p >> 4;
      if (elementId == 15) break;  // reserved: the rest is not elements (RFC 8285 4.2)
      elementSize = 2u + (*p & 0x0F);
    }
    if (p + elementSize > end) break;
    if (!replaced(elementId)) {
      std::memcpy(body + n, p, elementSize);
      n += elementSize;
    }
    p += elementSize;
  }
  for (size_t i = 0; i < count; ++i) {
    const ExtensionElement& e = elements[i];
    if (twoByte) {
      body[n++] = e.id;
      body[n++] = static_cast<uint8_t>(e.length);
    } else {
      body[n++] = static_cast<uint8_t>((e.id << 4) | (e.length - 1));
    }
    std::memcpy(body + n, e.value, e.length);
    n += e.length;
  }
  while (n % 4) body[n++] = 0;

  uint8_t* header = out + headerSize;
  const uint16_t profile = twoByte ? extensionProfile : 0xBEDE;
  header[0] = profile >> 8;
  header[1] = profile & 0xFF;
  header[2] = static_cast<uint8_t>((n / 4) >> 8);
  header[3] = static_cast<uint8_t>(n / 4);
  std::memcpy(body + n, payload, tail);
  return headerSize + 4 + n + tail;
}

}  // namespace callmedia
