#include "rtp/KeyFrameRequester.h"

namespace callmedia {

KeyFrameRequest KeyFrameRequester::Need(uint64_t nowNs, const char* reason) {
  if (neededSinceNs_ == 0) neededSinceNs_ = nowNs;
  KeyFrameRequest r;
  if (lastPliNs_ == 0 || nowNs - lastPliNs_ >= options_.pliIntervalNs / 3) {
    r.pli = true;
    r.reason = reason;
  }
  return r;
}

KeyFrameRequest KeyFrameRequester::OnTick(uint64_t nowNs) {
  if (!sawKeyFrame_ && firstPacketNs_ && nowNs - firstPacketNs_ >= options_.initialWaitNs && neededSinceNs_ == 0)
    return Need(nowNs, "no key frame yet");
  KeyFrameRequest r;
  if (neededSinceNs_ == 0) return r;
  const bool fir = nowNs - neededSinceNs_ >= options_.firAfterNs && (lastFirNs_ == 0 || nowNs - lastFirNs_ >= options_.firAfterNs);
  if (nowNs - lastPliNs_ >= options_.pliIntervalNs || fir) {
    r.pli = true;
    r.fir = fir;
    r.reason = fir ? "no key frame after PLI (FIR sent)" : "still waiting for a key frame";
  }
  return r;
}

void KeyFrameRequester::Sent(const KeyFrameRequest& request, uint64_t nowNs) {
  if (request.pli) lastPliNs_ = nowNs;
  if (request.fir) lastFirNs_ = nowNs;
}

}  // namespace callmedia
