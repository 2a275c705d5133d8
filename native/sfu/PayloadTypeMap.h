// What each payload type of one session means. RTP payload type numbers belong to a session
// (its SDP answer gives them), so a forwarded packet keeps its codec, not its number: a
// browser's H.264 at 102 reaches a bot's H.264 at 96, and a packet whose codec the other
// session did not negotiate goes nowhere.
#pragma once
#include <array>
#include <cstdint>
#include <string>

namespace callmedia {

enum class ForwardedCodec : uint8_t { None = 0, Opus, Pcmu, Pcma, TelephoneEvent8k, TelephoneEvent48k, H264, Vp8 };

// "opus", "pcmu", "pcma", "telephone-event/8000", "telephone-event/48000", "h264", "vp8"
// (lower case); None for any other name.
ForwardedCodec ForwardedCodecByName(const std::string& name);

class PayloadTypeMap {
 public:
  // False for a map nothing was set in: the session's numbers are taken as they come.
  bool empty() const { return !any_; }
  // pt < 128. A codec with several numbers (an answer's H.264 profiles) is sent under the first.
  void Set(uint8_t payloadType, ForwardedCodec codec);
  ForwardedCodec CodecOf(uint8_t payloadType) const { return payloadType < 128 ? codecOf_[payloadType] : ForwardedCodec::None; }
  // -1 when the codec has no number here.
  int PayloadTypeOf(ForwardedCodec codec) const;

  // The number a packet of `from`'s `payloadType` has in `to`: unchanged when either map is
  // empty, -1 when `to` has no number for its codec.
  static int Translate(uint8_t payloadType, const PayloadTypeMap& from, const PayloadTypeMap& to);

 private:
  static constexpr size_t kCodecs = 8;
  std::array<ForwardedCodec, 128> codecOf_{};
  std::array<int, kCodecs> payloadTypeOf_{-1, -1, -1, -1, -1, -1, -1, -1};
  bool any_ = false;
};

}  // namespace callmedia
