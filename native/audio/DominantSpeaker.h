// Dominant speaker detection with hysteresis: a speaker takes over only after being clearly
// louder (by a margin) for a while, or when the current one has gone quiet, so short bursts
// and coughs do not make it flap.
#pragma once
#include <cstdint>
#include <unordered_map>

namespace callmedia {

class DominantSpeaker {
 public:
  static constexpr uint32_t kNone = 0;

  // Feeds one 20 ms frame's level (dBov, 127 = silence) of a source. Call Update() after all.
  void AddLevel(uint32_t source, int levelDbov);
  void RemoveSource(uint32_t source);
  // Returns true when the dominant speaker changed on this frame.
  bool Update();
  uint32_t current() const { return current_; }

 private:
  struct State {
    double smoothed = 127;  // dBov, lower is louder
    int framesQuiet = 0;
    bool fed = false;
  };
  std::unordered_map<uint32_t, State> sources_;
  uint32_t current_ = kNone;
  uint32_t challenger_ = kNone;
  int challengerFrames_ = 0;
};

}  // namespace callmedia
