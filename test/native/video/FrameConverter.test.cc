#include "video/FrameConverter.h"

#include <algorithm>
#include <cstdlib>
#include <memory>
#include <string>
#include <vector>

#include "check.h"
#include "video/PixelFormat.h"

using callmedia::ColorMatrix;
using callmedia::FrameConverter;
using callmedia::FrameSize;
using callmedia::I420Planes;
using callmedia::I420Target;
using callmedia::IsRawFormat;
using callmedia::PixelFormat;

namespace {

constexpr PixelFormat kRaw[] = {PixelFormat::I420, PixelFormat::NV12, PixelFormat::RGB24, PixelFormat::RGBA,
                                PixelFormat::BGRA};

const char* Name(PixelFormat f) {
  switch (f) {
    case PixelFormat::I420: return "I420";
    case PixelFormat::NV12: return "NV12";
    case PixelFormat::RGB24: return "RGB24";
    case PixelFormat::RGBA: return "RGBA";
    case PixelFormat::BGRA: return "BGRA";
    case PixelFormat::H264: return "H264";
  }
  return "?";
}

// A frame buffer of exactly FrameSize bytes on the heap, so ASan catches any write or read past
// the packed layout the converter promises to respect.
struct Frame {
  Frame(PixelFormat f, int w, int h) : format(f), width(w), height(h), size(FrameSize(f, w, h)),
                                       data(new uint8_t[size]) {}
  PixelFormat format;
  int width, height;
  size_t size;
  std::unique_ptr<uint8_t[]> data;
  uint8_t* begin() { return data.get(); }
  uint8_t* end() { return data.get() + size; }
};

Frame SolidI420(int w, int h, uint8_t y, uint8_t u, uint8_t v) {
  Frame f(PixelFormat::I420, w, h);
  const size_t luma = static_cast<size_t>(w) * h;
  const size_t chroma = static_cast<size_t>((w + 1) / 2) * ((h + 1) / 2);
  std::fill(f.begin(), f.begin() + luma, y);
  std::fill(f.begin() + luma, f.begin() + luma + chroma, u);
  std::fill(f.begin() + luma + chroma, f.end(), v);
  return f;
}

// A smooth picture (chroma subsampling loses little), with all three planes varying, and kept
// inside the RGB gamut so that no channel clips on the way through RGB.
Frame GradientI420(int w, int h) {
  Frame f(PixelFormat::I420, w, h);
  const int cw = (w + 1) / 2, ch = (h + 1) / 2;
  uint8_t* y = f.begin();
  uint8_t* u = y + static_cast<size_t>(w) * h;
  uint8_t* v = u + static_cast<size_t>(cw) * ch;
  for (int r = 0; r < h; ++r)
    for (int c = 0; c < w; ++c) y[r * w + c] = static_cast<uint8_t>(60 + (140 * (r + c)) / (w + h));
  for (int r = 0; r < ch; ++r)
    for (int c = 0; c < cw; ++c) {
      u[r * cw + c] = static_cast<uint8_t>(118 + (20 * c) / cw);
      v[r * cw + c] = static_cast<uint8_t>(118 + (20 * r) / ch);
    }
  return f;
}

bool Near(int got, int want, int tolerance) { return std::abs(got - want) <= tolerance; }

std::string Pixel(const uint8_t* p, int n) {
  std::string s;
  for (int i = 0; i < n; ++i) s += (i ? "," : "") + std::to_string(p[i]);
  return s;
}

// Checks every pixel of a packed RGB-family frame against expected bytes in memory order.
void CheckSolidPixels(const Frame& f, std::vector<int> want, int tolerance) {
  const int bpp = static_cast<int>(want.size());
  for (size_t i = 0; i < f.size; i += bpp) {
    for (int k = 0; k < bpp; ++k) {
      if (!Near(f.data[i + k], want[k], tolerance)) {
        CHECK_MSG(false, std::string(Name(f.format)) + " pixel " + std::to_string(i / bpp) + " = " +
                             Pixel(f.data.get() + i, bpp));
        return;
      }
    }
  }
}

// Mean and max absolute difference between two I420 frames of the same size.
void Difference(const Frame& a, const Frame& b, double* mean, int* max) {
  long total = 0;
  *max = 0;
  for (size_t i = 0; i < a.size; ++i) {
    const int d = std::abs(static_cast<int>(a.data[i]) - static_cast<int>(b.data[i]));
    total += d;
    if (d > *max) *max = d;
  }
  *mean = static_cast<double>(total) / static_cast<double>(a.size);
}

}  // namespace

TEST(PixelFormat_FrameSize) {
  CHECK_EQ(FrameSize(PixelFormat::I420, 640, 480), 640u * 480u * 3u / 2u);
  CHECK_EQ(FrameSize(PixelFormat::NV12, 640, 480), 640u * 480u * 3u / 2u);
  CHECK_EQ(FrameSize(PixelFormat::RGB24, 640, 480), 640u * 480u * 3u);
  CHECK_EQ(FrameSize(PixelFormat::RGBA, 640, 480), 640u * 480u * 4u);
  CHECK_EQ(FrameSize(PixelFormat::BGRA, 640, 480), 640u * 480u * 4u);
  CHECK_EQ(FrameSize(PixelFormat::H264, 640, 480), 0u);
}

TEST(PixelFormat_FrameSizeOddDimensionsRoundChromaUp) {
  // 33x17: luma 561, chroma planes 17x9 = 153 each.
  CHECK_EQ(FrameSize(PixelFormat::I420, 33, 17), 561u + 2u * 153u);
  CHECK_EQ(FrameSize(PixelFormat::NV12, 33, 17), 561u + 2u * 153u);
  CHECK_EQ(FrameSize(PixelFormat::RGB24, 33, 17), 561u * 3u);
  CHECK_EQ(FrameSize(PixelFormat::RGBA, 33, 17), 561u * 4u);
  CHECK_EQ(FrameSize(PixelFormat::BGRA, 33, 17), 561u * 4u);
  CHECK_EQ(FrameSize(PixelFormat::I420, 1, 1), 3u);
  CHECK_EQ(FrameSize(PixelFormat::NV12, 1, 1), 3u);
  CHECK_EQ(FrameSize(PixelFormat::I420, 3, 1), 3u + 2u * 2u);
}

TEST(PixelFormat_FrameSizeRefusesNonsense) {
  for (PixelFormat f : kRaw) {
    CHECK_EQ(FrameSize(f, 0, 10), 0u);
    CHECK_EQ(FrameSize(f, 10, 0), 0u);
    CHECK_EQ(FrameSize(f, -2, 10), 0u);
    CHECK_EQ(FrameSize(f, 10, -2), 0u);
    CHECK_EQ(FrameSize(f, 16385, 16), 0u);
    CHECK_EQ(FrameSize(f, 16, 16385), 0u);
    CHECK(FrameSize(f, 16384, 16384) > 0u);
  }
  CHECK(IsRawFormat(PixelFormat::I420));
  CHECK(IsRawFormat(PixelFormat::BGRA));
  CHECK(!IsRawFormat(PixelFormat::H264));
}

TEST(FrameConverter_RedI420ToRgbFamilyByteOrder) {
  // BT.601 limited-range red: Y=81 U=90 V=240 -> R,G,B = 255,0,0.
  Frame red = SolidI420(16, 8, 81, 90, 240);
  const I420Planes planes = FrameConverter::PackedI420(red.begin(), 16, 8);
  Frame rgb(PixelFormat::RGB24, 16, 8), rgba(PixelFormat::RGBA, 16, 8), bgra(PixelFormat::BGRA, 16, 8);
  REQUIRE(FrameConverter::FromI420(planes, 16, 8, false, ColorMatrix::Bt601, PixelFormat::RGB24, rgb.begin()));
  REQUIRE(FrameConverter::FromI420(planes, 16, 8, false, ColorMatrix::Bt601, PixelFormat::RGBA, rgba.begin()));
  REQUIRE(FrameConverter::FromI420(planes, 16, 8, false, ColorMatrix::Bt601, PixelFormat::BGRA, bgra.begin()));
  CheckSolidPixels(rgb, {255, 0, 0}, 3);
  CheckSolidPixels(rgba, {255, 0, 0, 255}, 3);
  CheckSolidPixels(bgra, {0, 0, 255, 255}, 3);
}

TEST(FrameConverter_BlueI420ToRgbFamilyByteOrder) {
  // Blue distinguishes a swapped U/V from a swapped R/B, which red alone cannot.
  Frame blue = SolidI420(16, 8, 41, 240, 110);
  const I420Planes planes = FrameConverter::PackedI420(blue.begin(), 16, 8);
  Frame rgb(PixelFormat::RGB24, 16, 8), rgba(PixelFormat::RGBA, 16, 8), bgra(PixelFormat::BGRA, 16, 8);
  REQUIRE(FrameConverter::FromI420(planes, 16, 8, false, ColorMatrix::Bt601, PixelFormat::RGB24, rgb.begin()));
  REQUIRE(FrameConverter::FromI420(planes, 16, 8, false, ColorMatrix::Bt601, PixelFormat::RGBA, rgba.begin()));
  REQUIRE(FrameConverter::FromI420(planes, 16, 8, false, ColorMatrix::Bt601, PixelFormat::BGRA, bgra.begin()));
  CheckSolidPixels(rgb, {0, 0, 255}, 3);
  CheckSolidPixels(rgba, {0, 0, 255, 255}, 3);
  CheckSolidPixels(bgra, {255, 0, 0, 255}, 3);
}

TEST(FrameConverter_RgbFamilyToI420ByteOrder) {
  // The reverse direction, checked on its own: a round trip would hide a swap made twice.
  const int w = 16, h = 8;
  struct Case {
    PixelFormat format;
    std::vector<uint8_t> pixel;
  } cases[] = {{PixelFormat::RGB24, {255, 0, 0}}, {PixelFormat::RGBA, {255, 0, 0, 255}},
               {PixelFormat::BGRA, {0, 0, 255, 255}}};
  for (const Case& c : cases) {
    Frame in(c.format, w, h);
    for (size_t i = 0; i < in.size; ++i) in.data[i] = c.pixel[i % c.pixel.size()];
    Frame out(PixelFormat::I420, w, h);
    REQUIRE(FrameConverter::ToI420(c.format, in.begin(), w, h, out.begin()));
    const uint8_t* y = out.begin();
    const uint8_t* u = y + w * h;
    const uint8_t* v = u + (w / 2) * (h / 2);
    CHECK_MSG(Near(y[0], 81, 2) && Near(u[0], 90, 2) && Near(v[0], 240, 2),
              std::string(Name(c.format)) + " red -> YUV " + std::to_string(y[0]) + "," + std::to_string(u[0]) +
                  "," + std::to_string(v[0]));
    CHECK(Near(y[w * h - 1], 81, 2) && Near(v[(w / 2) * (h / 2) - 1], 240, 2));
  }
}

TEST(FrameConverter_Nv12InterleavesUThenV) {
  const int w = 8, h = 4;
  Frame i420 = SolidI420(w, h, 100, 90, 240);
  Frame nv12(PixelFormat::NV12, w, h);
  REQUIRE(FrameConverter::FromI420(FrameConverter::PackedI420(i420.begin(), w, h), w, h, false, ColorMatrix::Bt601,
                                   PixelFormat::NV12, nv12.begin()));
  CHECK_EQ(nv12.data[0], 100);
  CHECK_EQ(nv12.data[w * h], 90);
  CHECK_EQ(nv12.data[w * h + 1], 240);
  CHECK_EQ(nv12.data[nv12.size - 2], 90);
  CHECK_EQ(nv12.data[nv12.size - 1], 240);
  Frame back(PixelFormat::I420, w, h);
  REQUIRE(FrameConverter::ToI420(PixelFormat::NV12, nv12.begin(), w, h, back.begin()));
  CHECK(std::equal(back.begin(), back.end(), i420.begin()));  // lossless both ways
}

TEST(FrameConverter_I420CopyIsExact) {
  Frame src = GradientI420(33, 17);
  Frame dst(PixelFormat::I420, 33, 17);
  REQUIRE(FrameConverter::Convert(PixelFormat::I420, src.begin(), PixelFormat::I420, 33, 17, dst.begin(), nullptr));
  CHECK(std::equal(dst.begin(), dst.end(), src.begin()));
}

TEST(FrameConverter_RoundTripsAreClose) {
  const int w = 64, h = 48;
  Frame src = GradientI420(w, h);
  Frame scratch(PixelFormat::I420, w, h);
  for (PixelFormat f : {PixelFormat::NV12, PixelFormat::RGB24, PixelFormat::RGBA, PixelFormat::BGRA}) {
    Frame mid(f, w, h), back(PixelFormat::I420, w, h);
    REQUIRE(FrameConverter::Convert(PixelFormat::I420, src.begin(), f, w, h, mid.begin(), scratch.begin()));
    REQUIRE(FrameConverter::Convert(f, mid.begin(), PixelFormat::I420, w, h, back.begin(), scratch.begin()));
    double mean = 0;
    int max = 0;
    Difference(src, back, &mean, &max);
    CHECK_MSG(mean < 1.0 && max <= 4, std::string(Name(f)) + " mean " + std::to_string(mean) + " max " +
                                          std::to_string(max));
  }
}

TEST(FrameConverter_RgbToRgbGoesThroughScratch) {
  const int w = 20, h = 10;
  Frame red = SolidI420(w, h, 81, 90, 240);
  Frame rgb(PixelFormat::RGB24, w, h), bgra(PixelFormat::BGRA, w, h), rgba(PixelFormat::RGBA, w, h);
  Frame scratch(PixelFormat::I420, w, h);
  REQUIRE(FrameConverter::Convert(PixelFormat::I420, red.begin(), PixelFormat::RGB24, w, h, rgb.begin(), scratch.begin()));
  REQUIRE(FrameConverter::Convert(PixelFormat::RGB24, rgb.begin(), PixelFormat::BGRA, w, h, bgra.begin(), scratch.begin()));
  REQUIRE(FrameConverter::Convert(PixelFormat::BGRA, bgra.begin(), PixelFormat::RGBA, w, h, rgba.begin(), scratch.begin()));
  CheckSolidPixels(bgra, {0, 0, 255, 255}, 4);
  CheckSolidPixels(rgba, {255, 0, 0, 255}, 4);
}

TEST(FrameConverter_OddSizesStayInsideTheirBuffers) {
  // Every pair of layouts at sizes whose chroma planes need rounding; exact-size heap buffers
  // turn any overrun into an ASan report.
  const int sizes[][2] = {{33, 17}, {1, 1}, {3, 5}, {17, 2}, {2, 33}};
  for (const auto& sz : sizes) {
    const int w = sz[0], h = sz[1];
    Frame src = GradientI420(w, h);
    Frame scratch(PixelFormat::I420, w, h);
    for (PixelFormat from : kRaw) {
      Frame in(from, w, h);
      REQUIRE(FrameConverter::Convert(PixelFormat::I420, src.begin(), from, w, h, in.begin(), scratch.begin()));
      for (PixelFormat to : kRaw) {
        Frame out(to, w, h);
        CHECK_MSG(FrameConverter::Convert(from, in.begin(), to, w, h, out.begin(), scratch.begin()),
                  std::string(Name(from)) + "->" + Name(to) + " " + std::to_string(w) + "x" + std::to_string(h));
      }
    }
  }
}

TEST(FrameConverter_OddSizeRedKeepsItsColour) {
  const int w = 33, h = 17;
  Frame red = SolidI420(w, h, 81, 90, 240);
  Frame rgba(PixelFormat::RGBA, w, h), back(PixelFormat::I420, w, h);
  REQUIRE(FrameConverter::Convert(PixelFormat::I420, red.begin(), PixelFormat::RGBA, w, h, rgba.begin(), nullptr));
  CheckSolidPixels(rgba, {255, 0, 0, 255}, 3);  // includes the last column and row
  REQUIRE(FrameConverter::ToI420(PixelFormat::RGBA, rgba.begin(), w, h, back.begin()));
  const uint8_t* v = back.begin() + w * h + 17 * 9;
  CHECK_MSG(Near(back.data[w * h - 1], 81, 2) && Near(v[17 * 9 - 1], 240, 3),
            "last Y " + std::to_string(back.data[w * h - 1]) + " last V " + std::to_string(v[17 * 9 - 1]));
}

TEST(FrameConverter_StridedSourcePlanes) {
  // Decoders hand over planes with padded strides; only width bytes of each row may be read.
  const int w = 10, h = 6, stride = 32, cstride = 24;
  std::vector<uint8_t> y(stride * h, 0), u(cstride * (h / 2), 0), v(cstride * (h / 2), 0);
  for (int r = 0; r < h; ++r)
    for (int c = 0; c < w; ++c) y[r * stride + c] = 81;
  for (int r = 0; r < h / 2; ++r)
    for (int c = 0; c < w / 2; ++c) {
      u[r * cstride + c] = 90;
      v[r * cstride + c] = 240;
    }
  const I420Planes planes{y.data(), stride, u.data(), cstride, v.data(), cstride};
  Frame rgb(PixelFormat::RGB24, w, h), packed(PixelFormat::I420, w, h);
  REQUIRE(FrameConverter::FromI420(planes, w, h, false, ColorMatrix::Bt601, PixelFormat::RGB24, rgb.begin()));
  CheckSolidPixels(rgb, {255, 0, 0}, 3);  // the zero padding would show up as dark green
  REQUIRE(FrameConverter::FromI420(planes, w, h, false, ColorMatrix::Bt601, PixelFormat::I420, packed.begin()));
  Frame expected = SolidI420(w, h, 81, 90, 240);
  CHECK(std::equal(packed.begin(), packed.end(), expected.begin()));
}

TEST(FrameConverter_RangeAndMatrixAreHonoured) {
  const int w = 4, h = 2;
  auto first = [&](uint8_t yv, uint8_t uv, uint8_t vv, bool full, ColorMatrix m) {
    Frame f = SolidI420(w, h, yv, uv, vv);
    Frame rgb(PixelFormat::RGB24, w, h);
    FrameConverter::FromI420(FrameConverter::PackedI420(f.begin(), w, h), w, h, full, m, PixelFormat::RGB24,
                             rgb.begin());
    return std::vector<int>{rgb.data[0], rgb.data[1], rgb.data[2]};
  };
  // Limited range: 16 is black and 235 white; full range: 0 and 255, and 16 is not black.
  CHECK(first(16, 128, 128, false, ColorMatrix::Bt601)[0] <= 2);
  CHECK(first(235, 128, 128, false, ColorMatrix::Bt601)[0] >= 253);
  CHECK(first(255, 128, 128, true, ColorMatrix::Bt601)[0] >= 253);
  const int grey16Full = first(16, 128, 128, true, ColorMatrix::Bt601)[0];
  CHECK_MSG(Near(grey16Full, 16, 2), std::to_string(grey16Full));
  // BT.709 limited red (Y=63 U=102 V=240) is pure red with the 709 matrix; read as 601 the red
  // channel falls to about 233.
  const auto red709 = first(63, 102, 240, false, ColorMatrix::Bt709);
  CHECK_MSG(Near(red709[0], 255, 3) && Near(red709[1], 0, 3) && Near(red709[2], 0, 3),
            std::to_string(red709[0]) + "," + std::to_string(red709[1]) + "," + std::to_string(red709[2]));
  const auto red709As601 = first(63, 102, 240, false, ColorMatrix::Bt601);
  CHECK_MSG(Near(red709As601[0], 233, 4), std::to_string(red709As601[0]));
  // Full-range BT.709: Y=54 U=99 V=255 is close to pure red as well.
  const auto red709Full = first(54, 99, 255, true, ColorMatrix::Bt709);
  CHECK_MSG(Near(red709Full[0], 255, 4) && Near(red709Full[1], 0, 4) && Near(red709Full[2], 0, 4),
            std::to_string(red709Full[0]) + "," + std::to_string(red709Full[1]) + "," + std::to_string(red709Full[2]));
}

TEST(FrameConverter_RefusesH264) {
  Frame i420 = SolidI420(4, 4, 1, 2, 3);
  std::vector<uint8_t> out(64);
  CHECK(!FrameConverter::FromI420(FrameConverter::PackedI420(i420.begin(), 4, 4), 4, 4, false, ColorMatrix::Bt601,
                                  PixelFormat::H264, out.data()));
  CHECK(!FrameConverter::ToI420(PixelFormat::H264, i420.begin(), 4, 4, out.data()));
}

TEST(FrameConverter_ToI420IntoStridedTarget) {
  // Encoders own their input planes, with strides wider than the picture; the padding must
  // stay untouched.
  const int w = 9, h = 5, cw = 5, ch = 3, stride = 16, cstride = 12;
  std::vector<uint8_t> in(FrameSize(PixelFormat::RGB24, w, h));
  for (size_t i = 0; i < in.size(); ++i) in[i] = (i % 3 == 0) ? 255 : 0;  // red
  std::vector<uint8_t> y(stride * h, 7), u(cstride * ch, 7), v(cstride * ch, 7);
  const I420Target target{y.data(), stride, u.data(), cstride, v.data(), cstride};
  REQUIRE(FrameConverter::ToI420(PixelFormat::RGB24, in.data(), w, h, target));
  bool pictureOk = true, paddingOk = true;
  for (int r = 0; r < h; ++r)
    for (int c = 0; c < stride; ++c) {
      if (c < w) pictureOk &= Near(y[r * stride + c], 81, 2);
      else paddingOk &= y[r * stride + c] == 7;
    }
  for (int r = 0; r < ch; ++r)
    for (int c = 0; c < cstride; ++c) {
      if (c < cw) pictureOk &= Near(u[r * cstride + c], 90, 2) && Near(v[r * cstride + c], 240, 2);
      else paddingOk &= u[r * cstride + c] == 7 && v[r * cstride + c] == 7;
    }
  CHECK(pictureOk);
  CHECK(paddingOk);
}

TEST(FrameConverter_PackedI420TargetMatchesPackedI420) {
  Frame f(PixelFormat::I420, 33, 17);
  const I420Target t = FrameConverter::PackedI420Target(f.begin(), 33, 17);
  const I420Planes p = FrameConverter::PackedI420(f.begin(), 33, 17);
  CHECK(t.y == f.begin());
  CHECK(t.u == f.begin() + 561);
  CHECK(t.v == f.begin() + 561 + 153);
  CHECK_EQ(t.strideY, 33);
  CHECK_EQ(t.strideU, 17);
  CHECK_EQ(t.strideV, 17);
  CHECK(p.u == t.u && p.v == t.v && p.strideU == t.strideU);
}

TEST(FrameConverter_ScaleToI420KeepsAColourAndStaysInBounds) {
  const int sizes[][4] = {{64, 48, 32, 24}, {33, 17, 65, 35}, {33, 17, 1, 1}, {1, 1, 7, 5}, {640, 360, 321, 181}};
  for (const auto& sz : sizes) {
    const int w = sz[0], h = sz[1], dw = sz[2], dh = sz[3];
    const std::string label = std::to_string(w) + "x" + std::to_string(h) + "->" + std::to_string(dw) + "x" +
                              std::to_string(dh);
    Frame red = SolidI420(w, h, 81, 90, 240);
    Frame bgra(PixelFormat::BGRA, w, h), scratch(PixelFormat::I420, w, h);
    REQUIRE(FrameConverter::Convert(PixelFormat::I420, red.begin(), PixelFormat::BGRA, w, h, bgra.begin(), nullptr));
    for (PixelFormat src : {PixelFormat::I420, PixelFormat::BGRA}) {
      Frame out(PixelFormat::I420, dw, dh);
      const uint8_t* in = src == PixelFormat::I420 ? red.begin() : bgra.begin();
      const bool ok = FrameConverter::ScaleToI420(src, in, w, h, FrameConverter::PackedI420Target(out.begin(), dw, dh),
                                                  dw, dh, scratch.begin());
      CHECK_MSG(ok, label);
      const size_t luma = static_cast<size_t>(dw) * dh;
      const size_t chroma = static_cast<size_t>((dw + 1) / 2) * ((dh + 1) / 2);
      bool solid = true;
      for (size_t i = 0; i < luma; ++i) solid &= Near(out.data[i], 81, 2);
      for (size_t i = 0; i < chroma; ++i)
        solid &= Near(out.data[luma + i], 90, 3) && Near(out.data[luma + chroma + i], 240, 3);
      CHECK_MSG(solid, std::string(Name(src)) + " " + label);
    }
  }
}
