#include "rtp/TransportFeedback.h"

#include <cstring>

#include "common/ByteOrder.h"

namespace callmedia {

namespace {
constexpr uint8_t kRtpfb = 205;
constexpr size_t kHeader = 20;  // common header, two SSRCs, base, count, reference time, fb count


// The symbol of a packet that arrived, from its delta in ticks: 1 small, 2 large (0 is not received).
int SymbolOf(int64_t ticks) { return ticks >= 0 && ticks <= 255 ? 1 : 2; }

}  // namespace

bool TransportFeedback::Parse(const uint8_t* data, size_t size, TransportFeedback* out) {
  if (size < kHeader || (data[0] >> 6) != 2 || data[1] != kRtpfb || (data[0] & 0x1F) != kFmt) return false;
  if ((static_cast<size_t>((data[2] << 8) | data[3]) + 1) * 4 != size) return false;
  size_t end = size;
  if (data[0] & 0x20) {  // RFC 3550 padding: its count is the last byte
    const uint8_t padding = data[size - 1];
    if (padding == 0 || padding > size - kHeader) return false;
    end -= padding;
  }
  out->senderSsrc = Read32(data + 4);
  out->mediaSsrc = Read32(data + 8);
  out->baseSequence = static_cast<uint16_t>((data[12] << 8) | data[13]);
  out->statusCount = static_cast<uint16_t>((data[14] << 8) | data[15]);
  const uint32_t reference = (static_cast<uint32_t>(data[16]) << 16) | (data[17] << 8) | data[18];
  out->referenceTime = static_cast<int32_t>(reference << 8) >> 8;  // sign-extend 24 bits
  out->feedbackCount = data[19];
  out->chunks_ = data + kHeader;
  out->end_ = data + end;
  if (out->statusCount == 0) return false;
  return out->Walk([](uint16_t, int, int64_t) {});
}

size_t TransportFeedback::Write(uint32_t senderSsrc, uint32_t mediaSsrc, uint16_t baseSequence, uint8_t feedbackCount,
                                const int64_t* arrivalUs, size_t count, uint8_t* out, size_t capacity, size_t* covered) {
  *covered = 0;
  if (count == 0 || capacity < kHeader + 8) return 0;
  if (count > kMaxPackets) count = kMaxPackets;
  size_t first = 0;
  while (first < count && arrivalUs[first] == kNotReceived) ++first;
  if (first == count) return 0;
  // The reference time: the first arrival, down to its 64 ms tick (so its first delta is small).
  const int64_t a0 = arrivalUs[first];
  const int64_t reference = a0 >= 0 ? a0 / kReferenceUs : (a0 - kReferenceUs + 1) / kReferenceUs;

  // Each packet's symbol and delta, up to the first one whose delta leaves 16 bits. Deltas
  // follow the rounded time, so their sum never drifts from the arrivals.
  uint8_t symbols[kMaxPackets];
  int16_t ticks[kMaxPackets];
  size_t n = 0;
  int64_t written = reference * kReferenceUs;
  for (; n < count; ++n) {
    if (arrivalUs[n] == kNotReceived) {
      symbols[n] = 0;
      continue;
    }
    const int64_t d = arrivalUs[n] - written;
    const int64_t t = (d >= 0 ? d + kDeltaUs / 2 : d - kDeltaUs / 2) / kDeltaUs;
    if (t < INT16_MIN || t > INT16_MAX) break;
    symbols[n] = static_cast<uint8_t>(SymbolOf(t));
    ticks[n] = static_cast<int16_t>(t);
    written += t * kDeltaUs;
  }

  // Trailing packets that did not arrive tell the sender nothing a later message will not.
  while (n > 0 && symbols[n - 1] == 0) --n;
  if (n == 0) return 0;

  // Chunks, greedily: a run of 7 or more of one symbol is a run-length chunk; else 14 small-or-lost
  // symbols fit a 1-bit vector; else 7 go in a 2-bit vector. Stop where the buffer is full.
  uint8_t* const limit = out + capacity;
  uint8_t* p = out + kHeader;
  size_t done = 0;       // packets the chunks so far cover
  size_t deltaBytes = 0;  // what their deltas take
  while (done < n) {
    size_t run = 1;
    while (done + run < n && run < 0x1FFF && symbols[done + run] == symbols[done]) ++run;
    size_t take;
    uint16_t c;
    const size_t left = n - done;
    bool oneBit = left >= 14;
    for (size_t k = 0; oneBit && k < 14; ++k) oneBit = symbols[done + k] <= 1;
    if (run >= 7 || run == left) {
      take = run;
      c = static_cast<uint16_t>((symbols[done] << 13) | run);
    } else if (oneBit) {
      take = 14;
      c = 0x8000;
      for (size_t k = 0; k < 14; ++k) c = static_cast<uint16_t>(c | (symbols[done + k] << (13 - k)));
    } else {
      take = left < 7 ? left : 7;
      c = 0xC000;
      for (size_t k = 0; k < take; ++k) c = static_cast<uint16_t>(c | (symbols[done + k] << (2 * (6 - k))));
    }
    size_t more = 0;
    for (size_t k = 0; k < take; ++k) more += symbols[done + k];
    // This chunk, every delta so far and after, and up to 3 bytes of padding must fit.
    if (p + 2 + deltaBytes + more + 3 > limit) break;
    Write16(p, c);
    p += 2;
    done += take;
    deltaBytes += more;
  }
  if (done == 0) return 0;
  n = done;  // what the buffer held
  for (size_t k = 0; k < n; ++k) {
    if (symbols[k] == 1) {
      *p++ = static_cast<uint8_t>(ticks[k]);
    } else if (symbols[k] == 2) {
      Write16(p, static_cast<uint16_t>(ticks[k]));
      p += 2;
    }
  }
  size_t length = static_cast<size_t>(p - out);
  const size_t padding = (4 - length % 4) % 4;
  for (size_t k = 0; k < padding; ++k) *p++ = 0;
  if (padding) out[length + padding - 1] = static_cast<uint8_t>(padding);
  length += padding;
  out[0] = static_cast<uint8_t>(0x80 | (padding ? 0x20 : 0) | kFmt);
  out[1] = kRtpfb;
  Write16(out + 2, static_cast<uint16_t>(length / 4 - 1));
  Write32(out + 4, senderSsrc);
  Write32(out + 8, mediaSsrc);
  Write16(out + 12, baseSequence);
  Write16(out + 14, static_cast<uint16_t>(n));
  const uint32_t ref24 = static_cast<uint32_t>(reference) & 0xFFFFFF;
  out[16] = static_cast<uint8_t>(ref24 >> 16);
  out[17] = static_cast<uint8_t>(ref24 >> 8);
  out[18] = static_cast<uint8_t>(ref24);
  out[19] = feedbackCount;
  *covered = n;
  return length;
}

}  // namespace callmedia
