// What the frame assembler needs of a codec's RTP payload format (RFC 6184 H.264, RFC 7741
// VP8): where frames start, whether a decoder can start on one, and how a frame's payloads
// become the one buffer the decoder reads.
#pragma once
#include <cstddef>
#include <cstdint>
#include <memory>
#include <vector>

#include "video/VideoCodec.h"

namespace callmedia {

class RtpDepacketizer {
 public:
  static std::unique_ptr<RtpDepacketizer> Create(VideoCodec codec);
  virtual ~RtpDepacketizer() = default;

  // The payload is the first of a frame, if the packet before it ended one.
  virtual bool StartsFrame(const uint8_t* payload, size_t size) const = 0;
  // The payload opens a frame a decoder can start on (a key frame), whatever came before.
  virtual bool StartsKeyFrame(const uint8_t* payload, size_t size) const = 0;
  // The payload can only be a frame's first packet, whatever came before: nothing of its
  // frame precedes it (an H.264 SPS or access unit delimiter; a VP8 key frame's start). A key
  // frame that opens otherwise may still have its parameter sets in an earlier packet.
  virtual bool OpensAccessUnit(const uint8_t* payload, size_t size) const = 0;

  // One frame: Begin, then Append each payload in order, then End.
  virtual void BeginFrame(std::vector<uint8_t>* out) = 0;
  // False when the payload breaks the payload format's rules: the frame is malformed.
  virtual bool Append(const uint8_t* payload, size_t size) = 0;
  // False when the frame ended inside an unfinished unit.
  virtual bool EndFrame() = 0;
  // The frame is a key frame (H.264 IDR, VP8 key frame).
  virtual bool isKeyFrame() const = 0;
  // Later frames may predict from it: a frame that is not can be dropped without breaking them.
  virtual bool isReference() const = 0;
};

}  // namespace callmedia
