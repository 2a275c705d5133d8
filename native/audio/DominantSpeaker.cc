#include "audio/DominantSpeaker.h"

namespace callmedia {

namespace {
constexpr double kSmoothing = 0.15;      // per 20 ms frame: about 130 ms to settle
constexpr double kSpeechLevel = 55;      // dBov: quieter than this is not speech
constexpr double kMarginDb = 4;          // a challenger must be this much louder...
constexpr int kChallengeFrames = 15;     // ...for 300 ms
constexpr int kQuietFrames = 25;         // the current speaker has been quiet for 500 ms
}  // namespace

void DominantSpeaker::AddLevel(uint32_t source, int levelDbov) {
  State& s = sources_[source];
  s.smoothed += kSmoothing * (levelDbov - s.smoothed);
  s.framesQuiet = levelDbov > kSpeechLevel ? s.framesQuiet + 1 : 0;
  s.fed = true;
}

void DominantSpeaker::RemoveSource(uint32_t source) {
  // Update() notices that the current speaker is gone and reports the change.
  sources_.erase(source);
}

bool DominantSpeaker::Update() {
  // Sources with no frame this round count as silent.
  for (auto& entry : sources_) {
    if (!entry.second.fed) AddLevel(entry.first, 127);
    entry.second.fed = false;
  }
  uint32_t loudest = kNone;
  double loudestLevel = kSpeechLevel;
  for (const auto& entry : sources_) {
    if (entry.second.smoothed < loudestLevel) {
      loudest = entry.first;
      loudestLevel = entry.second.smoothed;
    }
  }
  if (loudest == kNone || loudest == current_) {
    challengerFrames_ = 0;
    auto it = sources_.find(current_);
    if (current_ != kNone && (it == sources_.end() || it->second.framesQuiet >= kQuietFrames) && loudest == kNone) {
      current_ = kNone;  // everyone is quiet
      return true;
    }
    return false;
  }
  auto it = sources_.find(current_);
  const bool currentQuiet = current_ == kNone || it == sources_.end() || it->second.framesQuiet >= kQuietFrames;
  if (currentQuiet) {
    current_ = loudest;
    challengerFrames_ = 0;
    return true;
  }
  if (loudestLevel + kMarginDb <= it->second.smoothed) {
    challengerFrames_ = loudest == challenger_ ? challengerFrames_ + 1 : 1;
    challenger_ = loudest;
    if (challengerFrames_ >= kChallengeFrames) {
      current_ = loudest;
      challengerFrames_ = 0;
      return true;
    }
  } else {
    challengerFrames_ = 0;
  }
  return false;
}

}  // namespace callmedia
