// Helpers shared by the RTP-level tests: building RTP packets byte by byte (so the tests do
// not depend on the parser they check) and holding bytes in an allocation of exactly their
// size, so AddressSanitizer reports any read one byte past the end.
#pragma once
#include <cstdint>
#include <cstring>
#include <memory>
#include <vector>

namespace testrtp {

struct RtpSpec {
  uint8_t version = 2;
  uint8_t payloadType = 96;
  bool marker = false;
  uint16_t seq = 0;
  uint32_t timestamp = 0;
  uint32_t ssrc = 0x11223344;
  std::vector<uint32_t> csrcs;
  bool extension = false;
  uint16_t extensionProfile = 0;
  std::vector<uint8_t> extensionBody;  // padded with zeros to a multiple of 4 by Build
  std::vector<uint8_t> payload;
  uint8_t padding = 0;                 // total padding bytes including the count byte; 0 = none
};

inline void Put16(std::vector<uint8_t>& v, uint16_t x) {
  v.push_back(static_cast<uint8_t>(x >> 8));
  v.push_back(static_cast<uint8_t>(x));
}
inline void Put32(std::vector<uint8_t>& v, uint32_t x) {
  Put16(v, static_cast<uint16_t>(x >> 16));
  Put16(v, static_cast<uint16_t>(x));
}

inline std::vector<uint8_t> BuildRtp(const RtpSpec& s) {
  std::vector<uint8_t> v;
  v.push_back(static_cast<uint8_t>((s.version << 6) | (s.padding ? 0x20 : 0) | (s.extension ? 0x10 : 0) |
                                   (s.csrcs.size() & 0x0F)));
  v.push_back(static_cast<uint8_t>((s.marker ? 0x80 : 0) | (s.payloadType & 0x7F)));
  Put16(v, s.seq);
  Put32(v, s.timestamp);
  Put32(v, s.ssrc);
  for (uint32_t c : s.csrcs) Put32(v, c);
  if (s.extension) {
    std::vector<uint8_t> body = s.extensionBody;
    while (body.size() % 4) body.push_back(0);
    Put16(v, s.extensionProfile);
    Put16(v, static_cast<uint16_t>(body.size() / 4));
    v.insert(v.end(), body.begin(), body.end());
  }
  v.insert(v.end(), s.payload.begin(), s.payload.end());
  if (s.padding) {
    for (int i = 0; i < s.padding - 1; ++i) v.push_back(0);
    v.push_back(s.padding);
  }
  return v;
}

// A heap block of exactly size bytes (std::vector may keep spare capacity that hides overreads).
class ExactBuffer {
 public:
  explicit ExactBuffer(const std::vector<uint8_t>& bytes) : ExactBuffer(bytes.data(), bytes.size()) {}
  ExactBuffer(const uint8_t* data, size_t size) : data_(new uint8_t[size]), size_(size) {
    if (size) std::memcpy(data_.get(), data, size);
  }
  uint8_t* data() { return data_.get(); }
  const uint8_t* data() const { return data_.get(); }
  size_t size() const { return size_; }

 private:
  std::unique_ptr<uint8_t[]> data_;
  size_t size_;
};

}  // namespace testrtp
