// Raw frame layouts, named by their bytes in memory (not by libyuv's register-order names):
//   I420  planar Y, then U, then V at half resolution
//   NV12  planar Y, then interleaved U,V at half resolution
//   RGB24 R,G,B   RGBA R,G,B,A   BGRA B,G,R,A   (the same as FFmpeg's rgb24 / rgba / bgra)
//   H264  an Annex-B access unit, not a raw layout
#pragma once
#include <cstddef>
#include <cstdint>

namespace callmedia {

enum class PixelFormat : int { I420 = 0, NV12 = 1, RGB24 = 2, RGBA = 3, BGRA = 4, H264 = 5 };

enum class ColorMatrix : int { Bt601 = 0, Bt709 = 1 };

inline bool IsRawFormat(PixelFormat f) { return f >= PixelFormat::I420 && f <= PixelFormat::BGRA; }

// Bytes of one tightly packed frame; 0 for H264 or a size that makes no sense.
inline size_t FrameSize(PixelFormat format, int width, int height) {
  if (width <= 0 || height <= 0 || width > 16384 || height > 16384) return 0;
  const size_t w = static_cast<size_t>(width), h = static_cast<size_t>(height);
  const size_t chroma = ((w + 1) / 2) * ((h + 1) / 2);
  switch (format) {
    case PixelFormat::I420:
    case PixelFormat::NV12: return w * h + 2 * chroma;
    case PixelFormat::RGB24: return w * h * 3;
    case PixelFormat::RGBA:
    case PixelFormat::BGRA: return w * h * 4;
    default: return 0;
  }
}

}  // namespace callmedia
