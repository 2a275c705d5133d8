#include "rtp/KeyFrameRequester.h"

#include <string>

#include "check.h"

using callmedia::KeyFrameRequest;
using callmedia::KeyFrameRequester;

namespace {
constexpr uint64_t kMs = 1000000;
constexpr uint64_t kT0 = 5000 * kMs;

// What the receiver does with a request: sends it (its transport has a remote).
KeyFrameRequest SendIf(KeyFrameRequester& k, KeyFrameRequest r, uint64_t now) {
  if (r.any()) k.Sent(r, now);
  return r;
}
}  // namespace

TEST(KeyFrameRequester_ANeedIsAPliAtOnceAndABurstAsksOnce) {
  KeyFrameRequester k;
  const KeyFrameRequest first = SendIf(k, k.Need(kT0, "loss"), kT0);
  CHECK(first.pli && !first.fir);
  CHECK(std::string(first.reason) == "loss");
  CHECK(!SendIf(k, k.Need(kT0 + 10 * kMs, "loss"), kT0 + 10 * kMs).any());   // the same burst
  CHECK(!SendIf(k, k.Need(kT0 + 99 * kMs, "corrupt"), kT0 + 99 * kMs).any());
  CHECK(SendIf(k, k.Need(kT0 + 100 * kMs, "corrupt"), kT0 + 100 * kMs).pli);  // a third of the interval later
  CHECK(k.waiting());
}

TEST(KeyFrameRequester_RepeatsThePliThenAddsAFirWhileNoKeyFrameComes) {
  KeyFrameRequester k;
  SendIf(k, k.Need(kT0, "loss"), kT0);
  CHECK(!SendIf(k, k.OnTick(kT0 + 299 * kMs), kT0 + 299 * kMs).any());
  KeyFrameRequest again = SendIf(k, k.OnTick(kT0 + 300 * kMs), kT0 + 300 * kMs);
  CHECK(again.pli && !again.fir);
  SendIf(k, k.OnTick(kT0 + 600 * kMs), kT0 + 600 * kMs);
  SendIf(k, k.OnTick(kT0 + 900 * kMs), kT0 + 900 * kMs);
  const KeyFrameRequest fir = SendIf(k, k.OnTick(kT0 + 1000 * kMs), kT0 + 1000 * kMs);
  CHECK(fir.pli && fir.fir);
  // The next FIR waits its own interval; PLIs go on meanwhile.
  const KeyFrameRequest pli = SendIf(k, k.OnTick(kT0 + 1300 * kMs), kT0 + 1300 * kMs);
  CHECK(pli.pli && !pli.fir);
  CHECK(SendIf(k, k.OnTick(kT0 + 2000 * kMs), kT0 + 2000 * kMs).fir);
  CHECK_EQ(k.NextFirSequence(), 0);
  CHECK_EQ(k.NextFirSequence(), 1);
}

TEST(KeyFrameRequester_AKeyFrameEndsTheRequests) {
  KeyFrameRequester k;
  SendIf(k, k.Need(kT0, "loss"), kT0);
  k.OnKeyFrame();
  CHECK(!k.waiting());
  for (uint64_t t = kT0; t < kT0 + 3000 * kMs; t += 100 * kMs) CHECK(!k.OnTick(t).any());
}

TEST(KeyFrameRequester_AStreamWithoutAKeyFrameAsksAfterTheInitialWait) {
  KeyFrameRequester k;
  CHECK(!k.OnTick(kT0).any());  // nothing received, nothing asked
  k.OnPacket(kT0);
  k.OnPacket(kT0 + 100 * kMs);  // the wait counts from the first packet
  CHECK(!k.OnTick(kT0 + 499 * kMs).any());
  const KeyFrameRequest r = SendIf(k, k.OnTick(kT0 + 500 * kMs), kT0 + 500 * kMs);
  CHECK(r.pli);
  CHECK(std::string(r.reason) == "no key frame yet");
  // A stream that started with a key frame never asks on its own.
  KeyFrameRequester started;
  started.OnPacket(kT0);
  started.OnKeyFrame();
  CHECK(!started.OnTick(kT0 + 10000 * kMs).any());
  // Reset: the next stream waits for its own key frame again.
  started.Reset();
  started.OnPacket(kT0 + 20000 * kMs);
  CHECK(started.OnTick(kT0 + 20500 * kMs).pli);
}

TEST(KeyFrameRequester_WhatWasNotSentIsAskedAgainAtTheNextTick) {
  KeyFrameRequester k;
  CHECK(k.Need(kT0, "loss").pli);  // no remote yet: not sent
  CHECK(k.OnTick(kT0 + 1 * kMs).pli);
}
