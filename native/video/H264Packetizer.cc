#include "video/H264Packetizer.h"

#include <algorithm>
#include <cstring>

#include "rtp/RtpPacket.h"

namespace callmedia {

namespace {
constexpr size_t kRtpHeader = 12;

}  // namespace

void H264Packetizer::SplitAnnexB(const uint8_t* data, size_t size, std::vector<std::pair<const uint8_t*, size_t>>* nals) {
  nals->clear();
  size_t i = 0, start = SIZE_MAX;
  while (i + 3 <= size) {
    if (data[i] == 0 && data[i + 1] == 0 && data[i + 2] == 1) {
      if (start != SIZE_MAX) {
        size_t end = i;
        while (end > start && data[end - 1] == 0) --end;  // trailing zeros belong to the next start code
        if (end > start) nals->emplace_back(data + start, end - start);
      }
      i += 3;
      start = i;
    } else {
      ++i;
    }
  }
  if (start != SIZE_MAX) {
    size_t end = size;
    while (end > start && data[end - 1] == 0) --end;  // trailing zero bytes are not part of the NAL
    if (end > start) nals->emplace_back(data + start, end - start);
  }
}

bool H264Packetizer::Packetize(const uint8_t* au, size_t size, const RtpHeaderFields& header, uint16_t* seq,
                               PacketBatch* batch) {
  SplitAnnexB(au, size, &nals_);
  if (nals_.empty()) return false;
  const size_t fragmentPayload = maxPayload_ - 2;  // FU indicator + FU header
  // Upper bound of the bytes written: every NAL, plus per packet a header and FU/STAP overhead.
  size_t packetsBound = 0;
  for (auto& nal : nals_) packetsBound += nal.second / fragmentPayload + 1;
  batch->block = PooledBuffer::Make(size + packetsBound * (kRtpHeader + 4) + 64);
  batch->packets.clear();
  batch->next = 0;
  batch->timestamp = header.timestamp;
  uint8_t* base = batch->block.data();
  size_t offset = 0;
  auto begin = [&](bool marker) {
    RtpPacket::WriteHeader(base + offset, header.payloadType, marker, (*seq)++, header.timestamp, header.ssrc);
    return base + offset + kRtpHeader;
  };
  auto finish = [&](uint8_t* end) {
    const size_t length = static_cast<size_t>(end - (base + offset));
    batch->packets.emplace_back(static_cast<uint32_t>(offset), static_cast<uint16_t>(length));
    offset += length;
  };

  for (size_t i = 0; i < nals_.size();) {
    const auto& nal = nals_[i];
    const bool last = i + 1 == nals_.size();
    // Aggregate a run of small NAL units (typically SPS, PPS) into one STAP-A.
    size_t run = 0, stapSize = 1;
    while (i + run < nals_.size() && stapSize + 2 + nals_[i + run].second <= maxPayload_) {
      stapSize += 2 + nals_[i + run].second;
      ++run;
    }
    if (run >= 2) {
      const bool endsAu = i + run == nals_.size();
      uint8_t* p = begin(endsAu);
      uint8_t nri = 0, f = 0;
      for (size_t k = 0; k < run; ++k) {
        nri = std::max<uint8_t>(nri, nals_[i + k].first[0] & 0x60);
        f |= nals_[i + k].first[0] & 0x80;
      }
      *p++ = static_cast<uint8_t>(f | nri | 24);
      for (size_t k = 0; k < run; ++k) {
        const auto& n = nals_[i + k];
        *p++ = static_cast<uint8_t>(n.second >> 8);
        *p++ = static_cast<uint8_t>(n.second & 0xFF);
        std::memcpy(p, n.first, n.second);
        p += n.second;
      }
      finish(p);
      i += run;
      continue;
    }
    if (nal.second <= maxPayload_) {  // single NAL unit packet
      uint8_t* p = begin(last);
      std::memcpy(p, nal.first, nal.second);
      finish(p + nal.second);
      ++i;
      continue;
    }
    // FU-A: the NAL header's F and NRI go in the indicator, its type in the FU header.
    const uint8_t indicator = static_cast<uint8_t>((nal.first[0] & 0xE0) | 28);
    const uint8_t type = nal.first[0] & 0x1F;
    const uint8_t* data = nal.first + 1;
    size_t remaining = nal.second - 1;
    // Even fragments: the last one is not a sliver.
    const size_t fragments = (remaining + fragmentPayload - 1) / fragmentPayload;
    const size_t chunk = (remaining + fragments - 1) / fragments;
    bool first = true;
    while (remaining > 0) {
      const size_t n = std::min(chunk, remaining);
      const bool end = n == remaining;
      uint8_t* p = begin(end && last);
      *p++ = indicator;
      *p++ = static_cast<uint8_t>((first ? 0x80 : 0) | (end ? 0x40 : 0) | type);
      std::memcpy(p, data, n);
      finish(p + n);
      data += n;
      remaining -= n;
      first = false;
    }
    ++i;
  }
  return true;
}

}  // namespace callmedia
