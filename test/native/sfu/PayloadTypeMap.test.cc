#include "sfu/PayloadTypeMap.h"

#include "check.h"

using callmedia::ForwardedCodec;
using callmedia::ForwardedCodecByName;
using callmedia::PayloadTypeMap;

TEST(PayloadTypeMap_APacketKeepsItsCodecNotItsNumber) {
  PayloadTypeMap browser, bot;
  browser.Set(111, ForwardedCodec::Opus);
  browser.Set(102, ForwardedCodec::H264);
  browser.Set(96, ForwardedCodec::Vp8);
  bot.Set(111, ForwardedCodec::Opus);
  bot.Set(96, ForwardedCodec::H264);
  CHECK_EQ(PayloadTypeMap::Translate(102, browser, bot), 96);
  CHECK_EQ(PayloadTypeMap::Translate(96, bot, browser), 102);
  CHECK_EQ(PayloadTypeMap::Translate(111, browser, bot), 111);
  // VP8 was not negotiated with the bot, and 50 means nothing in the browser's session.
  CHECK_EQ(PayloadTypeMap::Translate(96, browser, bot), -1);
  CHECK_EQ(PayloadTypeMap::Translate(50, browser, bot), -1);
}

TEST(PayloadTypeMap_AnEmptyMapTakesNumbersAsTheyCome) {
  PayloadTypeMap plain, bot;
  bot.Set(96, ForwardedCodec::H264);
  CHECK(plain.empty());
  CHECK_EQ(PayloadTypeMap::Translate(96, plain, bot), 96);
  CHECK_EQ(PayloadTypeMap::Translate(127, bot, plain), 127);
}

TEST(PayloadTypeMap_ACodecWithSeveralNumbersIsSentUnderTheFirst) {
  PayloadTypeMap m;
  m.Set(103, ForwardedCodec::H264);
  m.Set(97, ForwardedCodec::H264);
  CHECK_EQ(m.PayloadTypeOf(ForwardedCodec::H264), 103);
  CHECK(m.CodecOf(97) == ForwardedCodec::H264);
  m.Set(200, ForwardedCodec::Vp8);  // out of range: ignored
  CHECK_EQ(m.PayloadTypeOf(ForwardedCodec::Vp8), -1);
  CHECK(m.CodecOf(200) == ForwardedCodec::None);
}

TEST(PayloadTypeMap_CodecNames) {
  CHECK(ForwardedCodecByName("h264") == ForwardedCodec::H264);
  CHECK(ForwardedCodecByName("telephone-event/8000") == ForwardedCodec::TelephoneEvent8k);
  CHECK(ForwardedCodecByName("telephone-event/48000") == ForwardedCodec::TelephoneEvent48k);
  CHECK(ForwardedCodecByName("H264") == ForwardedCodec::None);  // callers give lower case
  CHECK(ForwardedCodecByName("av1") == ForwardedCodec::None);
}
