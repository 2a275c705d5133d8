#include "audio/DominantSpeaker.h"

#include <initializer_list>
#include <string>
#include <utility>
#include <vector>

#include "check.h"

using callmedia::DominantSpeaker;

namespace {

constexpr uint32_t kA = 1111, kB = 2222, kC = 3333;
constexpr int kSilent = 127;

// One 20 ms mix round: the level of each source that played, then Update().
bool Round(DominantSpeaker& d, std::initializer_list<std::pair<uint32_t, int>> levels) {
  for (const auto& l : levels) d.AddLevel(l.first, l.second);
  return d.Update();
}

// Runs `frames` rounds; returns the 1-based round of the first change (0: none) and counts
// every change in *changes.
int Run(DominantSpeaker& d, int frames, std::initializer_list<std::pair<uint32_t, int>> levels, int* changes) {
  int first = 0;
  for (int f = 1; f <= frames; ++f) {
    if (Round(d, levels)) {
      ++*changes;
      if (!first) first = f;
    }
  }
  return first;
}

}  // namespace

TEST(DominantSpeaker_FirstSpeakerAboveTheSpeechLevelBecomesDominant) {
  DominantSpeaker d;
  CHECK_EQ(d.current(), DominantSpeaker::kNone);
  int changes = 0;
  // Background noise quieter than speech never makes anyone dominant.
  CHECK_EQ(Run(d, 200, {{kA, 60}, {kB, kSilent}}, &changes), 0);
  CHECK_EQ(d.current(), DominantSpeaker::kNone);
  // A starts talking; B joins at the same level a little later: A was first and stays.
  int at = Run(d, 5, {{kA, 30}, {kB, kSilent}}, &changes);
  const int later = Run(d, 200, {{kA, 30}, {kB, 30}}, &changes);
  if (!at && later) at = 5 + later;
  CHECK_EQ(changes, 1);
  CHECK_EQ(d.current(), kA);
  CHECK(at >= 1 && at <= 20);  // within 400 ms of speech
}

TEST(DominantSpeaker_LouderChallengerTakesOverAfterAWhile) {
  DominantSpeaker d;
  int changes = 0;
  Run(d, 50, {{kA, 40}, {kB, kSilent}}, &changes);
  REQUIRE(d.current() == kA);
  changes = 0;
  // Louder, but by less than the margin: no change however long it lasts.
  CHECK_EQ(Run(d, 500, {{kA, 40}, {kB, 38}}, &changes), 0);
  CHECK_EQ(d.current(), kA);
  // Clearly louder: B takes over, but not on the first frames.
  const int at = Run(d, 100, {{kA, 40}, {kB, 20}}, &changes);
  CHECK_EQ(d.current(), kB);
  CHECK_EQ(changes, 1);
  CHECK_MSG(at >= 10 && at <= 50, "took over on frame " + std::to_string(at));
}

TEST(DominantSpeaker_ShortBurstsDoNotFlip) {
  DominantSpeaker d;
  int changes = 0;
  Run(d, 50, {{kA, 40}, {kB, kSilent}}, &changes);
  REQUIRE(d.current() == kA);
  changes = 0;
  for (int burst = 0; burst < 20; ++burst) {
    Run(d, 12, {{kA, 40}, {kB, 10}}, &changes);       // 240 ms of a much louder B (a cough, a laugh)
    Run(d, 20, {{kA, 40}, {kB, kSilent}}, &changes);  // then quiet again
    Run(d, 1, {{kA, 40}, {kB, 0}}, &changes);         // and a single full-scale click
  }
  CHECK_EQ(changes, 0);
  CHECK_EQ(d.current(), kA);
}

TEST(DominantSpeaker_ChallengeMustLastUnbroken) {
  // B keeps coming close: clearly louder for a few frames, then louder by less than the margin.
  // The clearly louder stretches never add up to a takeover.
  DominantSpeaker d;
  int changes = 0;
  Run(d, 50, {{kA, 40}, {kB, kSilent}}, &changes);
  REQUIRE(d.current() == kA);
  changes = 0;
  for (int cycle = 0; cycle < 30; ++cycle) {
    Run(d, 8, {{kA, 40}, {kB, 34}}, &changes);
    Run(d, 12, {{kA, 40}, {kB, 39}}, &changes);
  }
  CHECK_EQ(changes, 0);
  CHECK_EQ(d.current(), kA);
}

TEST(DominantSpeaker_QuietDominantHandsOverAfterTheQuietPeriod) {
  DominantSpeaker d;
  int changes = 0;
  Run(d, 50, {{kA, 30}, {kB, kSilent}}, &changes);
  REQUIRE(d.current() == kA);
  changes = 0;
  // A stops; B starts 200 ms later. B is the loudest from about frame 19 on; it takes over
  // once A has been quiet for the quiet period, without serving a whole challenge on top.
  int at = Run(d, 10, {{kA, kSilent}, {kB, kSilent}}, &changes);
  CHECK_EQ(at, 0);
  at = Run(d, 40, {{kA, kSilent}, {kB, 30}}, &changes);
  CHECK_EQ(d.current(), kB);
  CHECK_EQ(changes, 1);  // straight from A to B, not through "none"
  CHECK_MSG(at + 10 >= 20 && at + 10 <= 28, "took over " + std::to_string(at + 10) + " frames after A went quiet");
}

TEST(DominantSpeaker_AllQuietMeansNone) {
  DominantSpeaker d;
  int changes = 0;
  Run(d, 50, {{kA, 30}, {kB, 45}}, &changes);
  REQUIRE(d.current() == kA);
  changes = 0;
  const int at = Run(d, 100, {{kA, kSilent}, {kB, kSilent}}, &changes);
  CHECK_EQ(d.current(), DominantSpeaker::kNone);
  CHECK_EQ(changes, 1);
  CHECK_MSG(at >= 20 && at <= 30, "none after " + std::to_string(at) + " frames");

  // A source that stops playing (no level at all) counts as silent.
  DominantSpeaker e;
  Run(e, 50, {{kC, 25}}, &changes);
  REQUIRE(e.current() == kC);
  changes = 0;
  const int gone = Run(e, 100, {}, &changes);
  CHECK_EQ(e.current(), DominantSpeaker::kNone);
  CHECK_EQ(changes, 1);
  CHECK(gone >= 20 && gone <= 30);
}

TEST(DominantSpeaker_RemovingTheCurrentSourceHandsOver) {
  DominantSpeaker d;
  int changes = 0;
  Run(d, 50, {{kA, 25}, {kB, 40}, {kC, kSilent}}, &changes);
  REQUIRE(d.current() == kA);
  d.RemoveSource(kC);  // not the current one: nothing changes
  CHECK(!Round(d, {{kA, 25}, {kB, 40}}));
  CHECK_EQ(d.current(), kA);
  d.RemoveSource(kA);
  // The next round names B, the one still talking, at once.
  CHECK(Round(d, {{kB, 40}}));
  CHECK_EQ(d.current(), kB);
  changes = 0;
  CHECK_EQ(Run(d, 100, {{kB, 40}}, &changes), 0);
  CHECK_EQ(d.current(), kB);
}

TEST(DominantSpeaker_RemovingTheOnlySpeakerIsReportedAsAChange) {
  // The channel publishes the dominant speaker only when Update() says it changed; a removed
  // source must not stay published.
  DominantSpeaker d;
  int changes = 0;
  Run(d, 50, {{kA, 25}, {kB, kSilent}}, &changes);
  REQUIRE(d.current() == kA);
  d.RemoveSource(kA);
  changes = 0;
  const int at = Run(d, 5, {{kB, kSilent}}, &changes);
  CHECK_EQ(d.current(), DominantSpeaker::kNone);
  CHECK_EQ(at, 1);
  CHECK_EQ(changes, 1);
}
