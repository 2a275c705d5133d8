// The receive half of a video channel: RTP → stream statistics → frame assembly (media thread)
// → decode → convert (a worker strand) → the sink. Each stage stamps the frame, so latency is
// measured per stage. Feedback (receiver reports, NACK, PLI, FIR) goes out through the
// transport: a missing packet is asked for again (NackGenerator) while the frame assembler
// still waits for it, and only a frame that stays incomplete costs a key-frame request.
#pragma once
#include <atomic>
#include <cstdint>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "common/BufferPool.h"
#include "common/WorkerPool.h"
#include "rtp/KeyFrameRequester.h"
#include "rtp/NackGenerator.h"
#include "rtp/RtcpPacket.h"
#include "rtp/RtpStreamRecv.h"
#include "net/ChannelContext.h"
#include "video/DecodeStage.h"
#include "video/FrameAssembler.h"
#include "video/FrameStamps.h"
#include "video/PixelFormat.h"

namespace callmedia {

struct VideoReceiverOptions {
  PixelFormat format = PixelFormat::I420;
  int payloadType = -1;  // -1 accepts any payload type
  uint64_t reorderWindowMs = 50;
  bool nack = true;  // ask for missing packets again (RFC 4585 generic NACK)
  size_t packetCapacity = 1024;
  // The decoder is behind when more frames than this wait for it. It still decodes every
  // frame (its references must stay whole) but skips converting and delivering pictures,
  // counted, until it has caught up: the cheapest thing to lose under load.
  size_t maxDecodeQueue = 8;
  // Compressed frames are dropped only past this bound (2 s at 30 fps): disposable frames
  // (nal_ref_idc 0) from half of it, reference frames at it, and then the stream waits for
  // a key frame.
  size_t decodeQueueLimit = 60;
};

struct VideoReceiverStats {
  uint64_t packetsMalformed, packetsWrongPayloadType, packetsOtherSsrc;
  uint64_t rtpPackets, packetsLost, packetsLate, packetsDuplicate, packetsDiscarded, packetsPadding;
  uint64_t pliSent, firSent, receiverReportsSent;
  uint64_t nackSent, packetsNacked, packetsRecovered, nackGaveUp;
  uint64_t framesAssembled, framesIncomplete, framesMalformed, framesWaitingKeyFrame, framesDroppedDecodeQueue;
  uint64_t framesShed;  // decoded but not converted nor delivered: the platform is overloaded
  uint64_t framesDecoded, framesSkippedBehind, framesUnsupportedFormat, framesConvertFailed, decodeErrors;
  uint64_t framesDiscardedByDecoder;
  // RFC 4588: RTX packets in; of those, padding only (a sender probing bandwidth), and ones that
  // could repair nothing (no stream yet, another source's, malformed inside). The rest are in
  // rtpPackets, as the packet each repaired.
  uint64_t rtxPackets, rtxPaddingOnly, rtxUnusable;
  double jitterMs;
  uint32_t ssrc;
  uint32_t rtcpSsrc;  // the receiver's own SSRC, on its reports and requests
};

class VideoReceiver : private FrameAssembler::Listener, private DecodeStage::Listener {
 public:
  VideoReceiver(const VideoReceiverOptions& options, ChannelContext* context, VideoSink* sink);
  bool ok(std::string* error) const;

  // Media thread.
  // True when the packet belongs to the stream being received.
  bool OnRtp(const uint8_t* data, size_t size, const RtpPacket& packet, uint64_t nowNs);
  void CountMalformed() { packetsMalformed_.fetch_add(1, std::memory_order_relaxed); }
  void OnSenderReport(const RtcpSenderReport& sr, uint64_t nowNs);
  void OnTick(uint64_t nowNs);
  void RequestKeyFrame(uint64_t nowNs);
  // Any thread. Under overload the platform sheds this socket's conversion and delivery: of
  // every two decoded pictures one is converted and delivered (the decoder still decodes all,
  // so no reference is lost). Counted in framesShed.
  void SetShedding(bool on) { decode_.SetShedding(on); }
  // The codec of each payload type the session negotiated (empty: everything is H.264). A
  // stream that changes codec starts over at a key frame.
  void SetPayloadCodecs(const std::vector<std::pair<uint8_t, VideoCodec>>& codecs);
  // RFC 4588 payload types and the payload type each repairs (its "apt").
  void SetRtxPayloads(const std::vector<std::pair<uint8_t, uint8_t>>& rtx) { rtxPayloads_ = rtx; }
  // Receive only this source from now on (0: any source, after probation). The server is told
  // with an RTCP subscription; frames of the old source stop at once.
  void Subscribe(uint32_t sourceId, uint16_t width, uint16_t height, uint64_t nowNs);
  uint32_t localSsrc() const { return localSsrc_; }

  // Posts the decoder's last pictures, then `done`, behind every queued decode.
  void Finish(std::function<void()> done);
  VideoReceiverStats Stats() const;

 private:
  void OnFrameAssembled(const AssembledFrame& frame) override;
  void OnKeyFrameNeeded() override;
  void OnDecodeBroken(uint64_t index) override;
  bool RecoveryPending(uint16_t seq) override { return options_.nack && nack_.Pursuing(seq); }
  bool CodecOf(uint8_t payloadType, VideoCodec* codec) const;
  void SwitchCodec(VideoCodec codec);
  bool Probation(const uint8_t* data, size_t size, const RtpPacket& packet, uint64_t nowNs);
  bool OnRtx(const RtpPacket& rtx, uint8_t apt, uint64_t nowNs);
  void Accept(const RtpPacket& packet, uint64_t nowNs);
  void NeedKeyFrame(uint64_t nowNs, const char* reason);
  // One compound RTCP packet: a report, then what is asked for. False when nothing went out.
  bool SendFeedback(uint64_t nowNs, bool pli, bool fir, const uint16_t* nack = nullptr, size_t nackCount = 0);
  void SendKeyFrameRequest(const KeyFrameRequest& request, uint64_t nowNs);
  void RequestMissing(uint64_t nowNs);
  void PublishNackStats();

  const VideoReceiverOptions options_;
  ChannelContext* context_;
  VideoSink* sink_;

  // Media thread state.
  std::vector<std::pair<uint8_t, VideoCodec>> payloadCodecs_;
  std::vector<std::pair<uint8_t, uint8_t>> rtxPayloads_;  // RTX payload type → apt
  uint8_t rtxBuffer_[1600];                               // the packet an RTX packet repairs
  RtpStreamRecv stream_;
  static NackOptions NackOptionsForAssembly();
  NackGenerator nack_;
  uint32_t nackSsrc_ = 0;  // the RTP SSRC the missing packets were sent under
  static constexpr size_t kMaxNackPerTick = 64;
  FrameAssembler assembler_;
  const uint32_t localSsrc_;
  uint64_t lastRtpNs_ = 0;
  bool haveSource_ = false;
  uint32_t currentSsrc_ = 0;
  uint32_t subscribedSsrc_ = 0;  // 0: not subscribed to a particular source
  bool sourceLostReported_ = false;
  static constexpr size_t kProbationPackets = 3;
  static constexpr int32_t kProbationReorder = 32;  // how far apart a new source's packets may arrive
  struct HeldPacket { uint8_t data[1600]; size_t size; uint16_t seq; };
  HeldPacket probation_[kProbationPackets];
  size_t probationCount_ = 0;
  uint32_t probationSsrc_ = 0;
  uint16_t probationSeq_ = 0;
  KeyFrameRequester keyFrames_;
  uint64_t lastReportNs_ = 0;
  uint8_t rtcpBuffer_[512];  // RR + PLI + FIR + a NACK of kMaxNackPerTick items
  uint64_t lastAssembledNs_ = 0;
  uint64_t framesToDecoder_ = 0;        // frames handed to the decoder so far (media thread)
  uint64_t lastKeyFrameToDecoder_ = 0;  // index of the last key frame among them
  bool idleDrainPosted_ = false;

  // The worker half: decode, conversion, delivery.
  DecodeStage decode_;

  std::atomic<uint64_t> packetsMalformed_{0}, wrongPayloadType_{0}, packetsOtherSsrc_{0};
  std::atomic<uint64_t> pliSent_{0}, firSent_{0}, reportsSent_{0};
  std::atomic<uint64_t> nackSent_{0}, packetsNacked_{0}, packetsRecovered_{0}, nackGaveUp_{0};
  std::atomic<uint64_t> framesDroppedDecodeQueue_{0}, rtpPackets_{0};
  std::atomic<uint64_t> rtxPackets_{0}, rtxPaddingOnly_{0}, rtxUnusable_{0};
};

}  // namespace callmedia
