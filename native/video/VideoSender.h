// The send half of a video channel: raw frames from bot code are converted (libyuv) straight
// into the encoder's input, encoded (OpenH264, x264 or VP8) on a worker strand, packetized per
// RFC 6184 or RFC 7741 and paced out on the media thread. H.264 access units from bot code
// skip the encoder. RTCP PLI / FIR from the far end make the next encoded frame a key frame; a
// NACK is answered with the packets it names, from the retransmission buffer, at once.
#pragma once
#include <uv.h>

#include <atomic>
#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "common/BufferPool.h"
#include "common/SampleRing.h"
#include "common/WorkerPool.h"
#include "rtp/RetransmissionBuffer.h"
#include "rtp/RtxPacket.h"
#include "rtp/RtcpPacket.h"
#include "net/ChannelContext.h"
#include "video/VideoEncoder.h"
#include "video/RtpPacketizer.h"
#include "video/PixelFormat.h"

namespace callmedia {

struct VideoSenderOptions {
  std::string encoder = "openh264";
  EncoderConfig encoderConfig;
  int payloadType = 96;
  size_t maxPayload = 1200;
  size_t maxSendQueue = 3;  // raw frames waiting for the encoder; the oldest drops first
  bool scale = false;       // frames of another size are scaled instead of refused
  std::string rid;          // RFC 8852 stream id, for a simulcast layer ("" when the socket sends one stream)
};

struct VideoSenderStats {
  uint64_t framesIn, framesDroppedQueue, framesEncoded, keyFramesEncoded, framesSkipped, encodeErrors;
  uint64_t accessUnitsIn, packetsSent, bytesSent, sendErrors, senderReportsSent, pliReceived, firReceived;
  uint64_t nackReceived, packetsRetransmitted, retransmissionsMissed;
  uint64_t retransmissionsThrottled;  // asked for while retransmissions already used the estimate's share
  uint64_t bitrateChanges;   // the encoder's target moved with congestion control
  double remoteFractionLost, remoteJitterMs, roundTripMs;
  uint32_t targetBitrate;     // bits/s the encoder aims at now
  uint32_t allocatedBitrate;  // what congestion control allows this socket (0: no estimate)
  uint32_t ssrc;
  uint32_t rtxSsrc;     // the SSRC retransmissions go under when RTX is negotiated
  int rtxPayloadType;   // -1: retransmissions are the original packets
  std::string rid;      // the layer's stream id ("" without simulcast)
  int width, height;    // what the encoder writes
  bool active;          // false: a layer the far end did not accept, encoding nothing
};

class VideoSender {
 public:
  VideoSender(const VideoSenderOptions& options, ChannelContext* context);
  ~VideoSender();
  bool Init(std::string* error);

  // Node thread. Copies the frame, queues it for the encoder; false with `error` when refused.
  bool QueueRaw(PixelFormat format, const uint8_t* data, size_t size, int width, int height, uint32_t rtpTimestamp,
                std::string* error);
  // Node thread: the checks QueueRaw makes, and queueing a copy already made (one copy feeds
  // every simulcast layer; each scales it to its own size on its own strand).
  bool CheckRaw(PixelFormat format, size_t size, int width, int height, std::string* error) const;
  void QueueShared(std::shared_ptr<const PooledBuffer> data, PixelFormat format, int width, int height, uint32_t rtpTimestamp);
  // Node thread: a layer the far end did not accept encodes nothing.
  void SetActive(bool active) { active_.store(active); }
  bool active() const { return active_.load(); }
  bool QueueAccessUnit(const uint8_t* data, size_t size, uint32_t rtpTimestamp, std::string* error);
  void ForceKeyFrame() { keyFrameRequested_.store(true); }
  // Node thread: the codec and payload type the session negotiated. Frames encoded from now on
  // use them; a new codec starts with a key frame.
  void SetCodec(VideoCodec codec, int payloadType);
  VideoCodec codec() const { return codec_.load(); }
  // Node thread: the RFC 4588 payload type to retransmit with (its apt the send payload type),
  // or -1 to resend the original packets.
  void SetRtx(int payloadType) { rtxPayloadType_.store(payloadType < 0 ? -1 : payloadType & 0x7F); }

  // Media thread.
  void Start(uv_loop_t* loop);
  void Stop();  // closes the pacing timer
  void OnFeedback(const RtcpFeedback& feedback);
  void OnReportBlock(const ReportBlock& block, uint64_t nowNs);
  void OnTick(uint64_t nowNs);

  void Finish(std::function<void()> done);  // behind every queued encode
  VideoSenderStats Stats() const;
  const SampleRing& encodeTimes() const { return encodeMs_; }
  const SampleRing& sendTimes() const { return sendMs_; }
  uint32_t ssrc() const { return ssrc_; }
  uint32_t rtxSsrc() const { return rtxSsrc_; }

 private:
  struct RawFrame {
    std::shared_ptr<const PooledBuffer> data;  // shared by the layers of a simulcast socket
    PixelFormat format;
    int width, height;
    uint32_t timestamp;
    uint64_t queuedNs;
    bool accessUnit;
  };

  void Enqueue(RawFrame frame);
  void ProcessNext();                             // strand
  void Ship(const uint8_t* frame, size_t size, bool keyFrame, uint32_t timestamp, uint64_t queuedNs);  // strand
  void StartPacing(std::shared_ptr<PacketBatch> batch, uint64_t queuedNs);  // media thread
  void PaceOut(uint64_t nowNs);
  void Retransmit(const RtcpFeedback& nack);
  void FollowEstimate(uint64_t nowNs);

  const VideoSenderOptions options_;
  ChannelContext* context_;
  std::shared_ptr<Strand> strand_;
  const uint32_t ssrc_;
  const uint32_t rtxSsrc_;

  std::mutex queueMutex_;
  std::deque<RawFrame> queue_;
  std::atomic<bool> keyFrameRequested_{true};  // the first frame is a key frame
  std::atomic<bool> active_{true};
  std::atomic<int> payloadType_;
  std::atomic<int> rtxPayloadType_{-1};
  std::atomic<VideoCodec> codec_{VideoCodec::kH264};

  // Strand state.
  std::unique_ptr<VideoEncoder> encoder_;
  std::unique_ptr<RtpPacketizer> packetizer_;
  std::vector<uint8_t> accessUnit_;
  PooledBuffer scratch_;
  uint16_t seq_;
  bool havePts_ = false;
  uint32_t lastPtsTimestamp_ = 0;
  int64_t pts_ = 0;

  // Media thread state.
  uv_timer_t* paceTimer_ = nullptr;
  std::shared_ptr<PacketBatch> pacing_;
  uint64_t pacingStartNs_ = 0;
  uint64_t pacingQueuedNs_ = 0;
  uint64_t lastReportNs_ = 0;
  uint64_t lastAllocationNs_ = 0;
  // Under congestion control the allocation is split: the encoder gets 85 %, retransmissions
  // at most the other 15 % (a token bucket of bytes). On a congested path, resending everything
  // lost would only lose more.
  double resendTokens_ = 0;
  uint64_t resendTokensNs_ = 0;
  uint32_t lastTimestamp_ = 0;
  uint64_t lastTimestampNs_ = 0;
  uint8_t rtcpBuffer_[64];
  uint16_t rtxSeq_;
  uint8_t rtxBuffer_[RetransmissionBuffer::kMaxPacket + RtxPacket::kOsnSize];
  // What was sent in the last second or so (1024 packets: 6 Mbit/s of 1200-byte packets).
  RetransmissionBuffer sent_{1024, 1'000'000'000};

  SampleRing encodeMs_;  // encode start → access unit out
  SampleRing sendMs_;    // send() called → last packet on the wire
  std::atomic<uint64_t> framesIn_{0}, framesDroppedQueue_{0}, framesEncoded_{0}, keyFramesEncoded_{0};
  std::atomic<uint64_t> framesSkipped_{0}, encodeErrors_{0}, accessUnitsIn_{0};
  std::atomic<uint64_t> packetsSent_{0}, bytesSent_{0}, sendErrors_{0}, reportsSent_{0}, pliReceived_{0}, firReceived_{0};
  std::atomic<uint64_t> nackReceived_{0}, packetsRetransmitted_{0}, retransmissionsMissed_{0};
  std::atomic<uint32_t> remoteFractionLost_{0}, remoteJitter_{0};
  std::atomic<double> roundTripMs_{0};
  std::atomic<uint32_t> targetBitrate_, allocatedBitrate_{0};
  std::atomic<uint64_t> bitrateChanges_{0}, retransmissionsThrottled_{0};
};

}  // namespace callmedia
