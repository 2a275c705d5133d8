// Conversion between raw layouts with libyuv. Every conversion goes from or to I420 planes, the
// decoder's and encoder's own layout, so decode → delivery costs exactly one pass over the frame.
#pragma once
#include <cstdint>

#include "video/PixelFormat.h"

namespace callmedia {

struct I420Planes {
  const uint8_t* y; int strideY;
  const uint8_t* u; int strideU;
  const uint8_t* v; int strideV;
};

// Writable I420 planes, e.g. an encoder's input picture.
struct I420Target {
  uint8_t* y; int strideY;
  uint8_t* u; int strideU;
  uint8_t* v; int strideV;
};

class FrameConverter {
 public:
  // Writes a tightly packed frame of `dst` layout into `out` (FrameSize(dst, w, h) bytes).
  static bool FromI420(const I420Planes& src, int width, int height, bool fullRange, ColorMatrix matrix,
                       PixelFormat dst, uint8_t* out);
  // Reads a tightly packed frame of `src` layout and writes packed I420 into `out`.
  static bool ToI420(PixelFormat src, const uint8_t* in, int width, int height, uint8_t* out);
  // The same into planes with their own strides.
  static bool ToI420(PixelFormat src, const uint8_t* in, int width, int height, const I420Target& dst);
  // Converts and scales (box filter) a `src` frame into `dst` planes of dstWidth x dstHeight.
  // `scratch` holds FrameSize(I420, width, height) bytes when src is not I420.
  static bool ScaleToI420(PixelFormat src, const uint8_t* in, int width, int height, const I420Target& dst,
                          int dstWidth, int dstHeight, uint8_t* scratch);
  static I420Target PackedI420Target(uint8_t* data, int width, int height);
  // Any raw layout to any other, through I420 when neither side is I420 (scratch: I420 size).
  static bool Convert(PixelFormat src, const uint8_t* in, PixelFormat dst, int width, int height,
                      uint8_t* out, uint8_t* scratch);
  // The planes of a tightly packed I420 frame.
  static I420Planes PackedI420(const uint8_t* data, int width, int height);
};

}  // namespace callmedia
