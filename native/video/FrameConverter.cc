#include "video/FrameConverter.h"

#include <libyuv.h>

namespace callmedia {

namespace {

struct Matrices {
  const libyuv::YuvConstants* yuv;  // for B,G,R-ordered output
  const libyuv::YuvConstants* yvu;  // with U and V swapped: R,G,B-ordered output
};

Matrices Pick(bool fullRange, ColorMatrix matrix) {
  if (matrix == ColorMatrix::Bt709)
    return fullRange ? Matrices{&libyuv::kYuvF709Constants, &libyuv::kYvuF709Constants}
                     : Matrices{&libyuv::kYuvH709Constants, &libyuv::kYvuH709Constants};
  return fullRange ? Matrices{&libyuv::kYuvJPEGConstants, &libyuv::kYvuJPEGConstants}
                   : Matrices{&libyuv::kYuvI601Constants, &libyuv::kYvuI601Constants};
}

}  // namespace

I420Planes FrameConverter::PackedI420(const uint8_t* data, int width, int height) {
  const int cw = (width + 1) / 2, ch = (height + 1) / 2;
  const uint8_t* u = data + static_cast<size_t>(width) * height;
  return I420Planes{data, width, u, cw, u + static_cast<size_t>(cw) * ch, cw};
}

bool FrameConverter::FromI420(const I420Planes& s, int w, int h, bool fullRange, ColorMatrix matrix,
                              PixelFormat dst, uint8_t* out) {
  const int cw = (w + 1) / 2, ch = (h + 1) / 2;
  const Matrices m = Pick(fullRange, matrix);
  switch (dst) {
    case PixelFormat::I420: {
      uint8_t* u = out + static_cast<size_t>(w) * h;
      uint8_t* v = u + static_cast<size_t>(cw) * ch;
      return libyuv::I420Copy(s.y, s.strideY, s.u, s.strideU, s.v, s.strideV, out, w, u, cw, v, cw, w, h) == 0;
    }
    case PixelFormat::NV12:
      return libyuv::I420ToNV12(s.y, s.strideY, s.u, s.strideU, s.v, s.strideV, out, w,
                                out + static_cast<size_t>(w) * h, 2 * cw, w, h) == 0;
    case PixelFormat::RGB24:  // R,G,B bytes: libyuv's RGB24 is B,G,R, so swap U/V with the mirrored matrix
      return libyuv::I420ToRGB24Matrix(s.y, s.strideY, s.v, s.strideV, s.u, s.strideU, out, w * 3, m.yvu, w, h) == 0;
    case PixelFormat::RGBA:   // R,G,B,A bytes = libyuv ABGR
      return libyuv::I420ToARGBMatrix(s.y, s.strideY, s.v, s.strideV, s.u, s.strideU, out, w * 4, m.yvu, w, h) == 0;
    case PixelFormat::BGRA:   // B,G,R,A bytes = libyuv ARGB
      return libyuv::I420ToARGBMatrix(s.y, s.strideY, s.u, s.strideU, s.v, s.strideV, out, w * 4, m.yuv, w, h) == 0;
    default:
      return false;
  }
}

I420Target FrameConverter::PackedI420Target(uint8_t* data, int width, int height) {
  const int cw = (width + 1) / 2, ch = (height + 1) / 2;
  uint8_t* u = data + static_cast<size_t>(width) * height;
  return I420Target{data, width, u, cw, u + static_cast<size_t>(cw) * ch, cw};
}

bool FrameConverter::ToI420(PixelFormat src, const uint8_t* in, int w, int h, uint8_t* out) {
  return ToI420(src, in, w, h, PackedI420Target(out, w, h));
}

bool FrameConverter::ToI420(PixelFormat src, const uint8_t* in, int w, int h, const I420Target& d) {
  const int cw = (w + 1) / 2;
  switch (src) {
    case PixelFormat::I420: {
      const I420Planes s = PackedI420(in, w, h);
      return libyuv::I420Copy(s.y, s.strideY, s.u, s.strideU, s.v, s.strideV, d.y, d.strideY, d.u, d.strideU, d.v,
                              d.strideV, w, h) == 0;
    }
    case PixelFormat::NV12:
      return libyuv::NV12ToI420(in, w, in + static_cast<size_t>(w) * h, 2 * cw, d.y, d.strideY, d.u, d.strideU, d.v,
                                d.strideV, w, h) == 0;
    case PixelFormat::RGB24:  // R,G,B bytes = libyuv RAW
      return libyuv::RAWToI420(in, w * 3, d.y, d.strideY, d.u, d.strideU, d.v, d.strideV, w, h) == 0;
    case PixelFormat::RGBA:   // R,G,B,A bytes = libyuv ABGR
      return libyuv::ABGRToI420(in, w * 4, d.y, d.strideY, d.u, d.strideU, d.v, d.strideV, w, h) == 0;
    case PixelFormat::BGRA:   // B,G,R,A bytes = libyuv ARGB
      return libyuv::ARGBToI420(in, w * 4, d.y, d.strideY, d.u, d.strideU, d.v, d.strideV, w, h) == 0;
    default:
      return false;
  }
}

bool FrameConverter::ScaleToI420(PixelFormat src, const uint8_t* in, int w, int h, const I420Target& d, int dw,
                                 int dh, uint8_t* scratch) {
  const uint8_t* i420 = in;
  if (src != PixelFormat::I420) {
    if (!ToI420(src, in, w, h, scratch)) return false;
    i420 = scratch;
  }
  const I420Planes s = PackedI420(i420, w, h);
  return libyuv::I420Scale(s.y, s.strideY, s.u, s.strideU, s.v, s.strideV, w, h, d.y, d.strideY, d.u, d.strideU, d.v,
                           d.strideV, dw, dh, libyuv::kFilterBox) == 0;
}

bool FrameConverter::Convert(PixelFormat src, const uint8_t* in, PixelFormat dst, int w, int h, uint8_t* out,
                             uint8_t* scratch) {
  if (src == PixelFormat::I420) return FromI420(PackedI420(in, w, h), w, h, false, ColorMatrix::Bt601, dst, out);
  if (dst == PixelFormat::I420) return ToI420(src, in, w, h, out);
  if (!ToI420(src, in, w, h, scratch)) return false;
  return FromI420(PackedI420(scratch, w, h), w, h, false, ColorMatrix::Bt601, dst, out);
}

}  // namespace callmedia
