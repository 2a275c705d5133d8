// When a video receiver asks its sender for a key frame (RFC 4585 PLI, RFC 5104 FIR), as a
// policy of its own: the receiver says what happened (a frame lost for good, a corrupt
// bitstream, a stream with no key frame yet, a key frame arrived) and sends what this asks for.
//
//   - a need is answered with a PLI at once, unless one went out a moment ago (a burst of
//     losses asks once);
//   - while no key frame comes, the PLI is repeated every `pliIntervalNs`;
//   - when PLIs go unanswered for `firAfterNs`, a FIR goes with them (some senders only honour
//     FIR), at most once per `firAfterNs`;
//   - a stream whose first packet came `initialWaitNs` ago without a key frame needs one.
// Pure state, no clock of its own and no I/O: each call takes the time.
#pragma once
#include <cstdint>

namespace callmedia {

struct KeyFrameRequesterOptions {
  uint64_t pliIntervalNs = 300'000'000;
  uint64_t firAfterNs = 1'000'000'000;
  uint64_t initialWaitNs = 500'000'000;
};

struct KeyFrameRequest {
  bool pli = false;
  bool fir = false;
  const char* reason = nullptr;  // for the receiver's event
  bool any() const { return pli || fir; }
};

class KeyFrameRequester {
 public:
  explicit KeyFrameRequester(const KeyFrameRequesterOptions& options = KeyFrameRequesterOptions()) : options_(options) {}

  // A packet of the stream arrived (the first one starts the initial wait).
  void OnPacket(uint64_t nowNs) {
    if (firstPacketNs_ == 0) firstPacketNs_ = nowNs;
  }
  // A key frame was assembled: nothing is needed any more.
  void OnKeyFrame() {
    sawKeyFrame_ = true;
    neededSinceNs_ = 0;
  }
  // The receiver needs a key frame now, for `reason`.
  KeyFrameRequest Need(uint64_t nowNs, const char* reason);
  // Called on the receiver's timer: a repeated PLI, a FIR, or the first request of a stream
  // that has not had a key frame.
  KeyFrameRequest OnTick(uint64_t nowNs);
  // What went out (the receiver sends only once it has a remote).
  void Sent(const KeyFrameRequest& request, uint64_t nowNs);
  // The stream starts over (a new source, a new codec): it waits for its first key frame again.
  void Reset() {
    sawKeyFrame_ = false;
    firstPacketNs_ = 0;
  }

  bool waiting() const { return neededSinceNs_ != 0; }
  // RFC 5104 4.3.1.1: the FIR's command sequence number, one more for each new request.
  uint8_t NextFirSequence() { return firSeq_++; }

 private:
  const KeyFrameRequesterOptions options_;
  bool sawKeyFrame_ = false;
  uint64_t firstPacketNs_ = 0;
  uint64_t neededSinceNs_ = 0;
  uint64_t lastPliNs_ = 0;
  uint64_t lastFirNs_ = 0;
  uint8_t firSeq_ = 0;
};

}  // namespace callmedia
