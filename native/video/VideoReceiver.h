// The receive half of a video socket: UDP → RTP stream stats → frame assembly (media thread)
// → decode → convert (a worker strand) → the sink, which hands frames to JavaScript.
// Each stage stamps the frame so latency is measured per stage.
#pragma once
#include <uv.h>

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>

#include "common/BufferPool.h"
#include "common/WorkerPool.h"
#include "net/UdpSocket.h"
#include "rtp/RtpStreamRecv.h"
#include "video/FrameAssembler.h"
#include "video/H264Decoder.h"
#include "video/PixelFormat.h"

namespace callmedia {

enum Stamp { kFirstPacket = 0, kLastPacket, kAssembled, kDecodeStart, kDecoded, kConverted, kDelivered, kStampCount };

struct DeliveredFrame {
  PooledBuffer buffer;
  PixelFormat format = PixelFormat::I420;
  int width = 0;
  int height = 0;
  uint32_t timestamp = 0;
  uint32_t ssrc = 0;
  bool keyFrame = false;
  uint64_t stamps[kStampCount] = {};
};

class VideoReceiverSink {
 public:
  virtual ~VideoReceiverSink() = default;
  // Called from the media thread or a worker; must not block.
  virtual void OnFrame(DeliveredFrame&& frame) = 0;
  virtual void OnKeyFrameRequested(const char* reason) = 0;
  virtual void OnError(const char* code, const std::string& message) = 0;
  // The last call: nothing reaches the sink after it.
  virtual void OnClosed() = 0;
};

struct VideoReceiverOptions {
  std::string address = "127.0.0.1";
  int port = 0;
  PixelFormat format = PixelFormat::I420;
  int payloadType = -1;  // -1 accepts any payload type
  uint64_t reorderWindowMs = 50;
  size_t packetCapacity = 1024;
  size_t maxDecodeQueue = 6;
};

struct VideoReceiverStats {
  uint64_t datagrams, bytes, packetsMalformed, packetsWrongPayloadType, packetsOtherSsrc;
  uint64_t rtpPackets, packetsLost, packetsLate, packetsDuplicate, packetsDiscarded;
  uint64_t rtcpPackets, pliSent, firSent, receiverReportsSent;
  uint64_t framesAssembled, framesIncomplete, framesMalformed, framesWaitingKeyFrame, framesDroppedDecodeQueue;
  uint64_t framesDecoded, decodeErrors;
  double jitterMs;
  uint32_t ssrc;
};

class VideoReceiver : public std::enable_shared_from_this<VideoReceiver>,
                      private UdpSocket::Listener,
                      private FrameAssembler::Listener {
 public:
  // Binds the socket on the media thread and waits for the outcome (a few microseconds).
  static std::shared_ptr<VideoReceiver> Create(const VideoReceiverOptions& options, VideoReceiverSink* sink,
                                               std::string* error);
  ~VideoReceiver() override;

  int localPort() const { return localPort_; }
  void RequestKeyFrame();
  // Asynchronous: the sink's OnClosed follows once every pending frame has gone through.
  void Close();
  VideoReceiverStats Stats() const;

 private:
  explicit VideoReceiver(const VideoReceiverOptions& options, VideoReceiverSink* sink);
  bool Start(std::string* error);

  void OnDatagram(const uint8_t* data, size_t size, const sockaddr* from, uint64_t nowNs) override;
  void OnFrameAssembled(const AssembledFrame& frame) override;
  void OnKeyFrameNeeded() override;
  void OnRtcp(const uint8_t* data, size_t size, uint64_t nowNs);
  void Probation(const uint8_t* data, size_t size, const RtpPacket& packet, const sockaddr* from, uint64_t nowNs);
  void Accept(const RtpPacket& packet, const sockaddr* from, uint64_t nowNs);
  void OnTick();
  void NeedKeyFrame(uint64_t nowNs, const char* reason);
  void SendFeedback(uint64_t nowNs, bool pli, bool fir);
  void Decode(PooledBuffer accessUnit, size_t size, DeliveredFrame meta);
  void OnPicture(const DecodedPicture& picture);
  void DrainDecoder();

  const VideoReceiverOptions options_;
  VideoReceiverSink* sink_;
  std::shared_ptr<Strand> strand_;
  UdpSocket* socket_ = nullptr;
  uv_timer_t* timer_ = nullptr;
  int localPort_ = 0;
  bool closing_ = false;

  // Media thread state.
  RtpStreamRecv stream_;
  FrameAssembler assembler_;
  sockaddr_storage remote_{};
  bool haveRemote_ = false;
  uint32_t localSsrc_;
  uint64_t firstPacketNs_ = 0;
  uint64_t lastRtpNs_ = 0;
  bool haveSource_ = false;
  uint32_t currentSsrc_ = 0;
  static constexpr size_t kProbationPackets = 3;
  struct HeldPacket { uint8_t data[1600]; size_t size; };
  HeldPacket probation_[kProbationPackets];
  size_t probationCount_ = 0;
  uint32_t probationSsrc_ = 0;
  uint16_t probationSeq_ = 0;
  bool sawKeyFrame_ = false;
  uint64_t keyFrameNeededSinceNs_ = 0;
  uint64_t lastPliNs_ = 0;
  uint64_t lastFirNs_ = 0;
  uint64_t lastReportNs_ = 0;
  uint8_t firSeq_ = 0;
  uint8_t rtcpBuffer_[128];
  uint64_t lastAssembledNs_ = 0;
  bool idleDrainPosted_ = false;

  // Worker state (only the strand touches it).
  H264Decoder decoder_;
  struct Pending { int64_t pts; DeliveredFrame meta; };
  static constexpr size_t kPendingCapacity = 16;
  Pending pending_[kPendingCapacity];
  size_t pendingNext_ = 0;
  bool reportedUnsupported_ = false;
  std::atomic<int> heldPictures_{0};  // access units in the decoder minus pictures out

  std::atomic<uint64_t> datagrams_{0}, bytes_{0}, packetsMalformed_{0}, wrongPayloadType_{0}, packetsOtherSsrc_{0};
  std::atomic<uint64_t> rtcpPackets_{0};
  std::atomic<uint64_t> pliSent_{0}, firSent_{0}, reportsSent_{0};
  std::atomic<uint64_t> framesDroppedDecodeQueue_{0}, framesDecoded_{0}, decodeErrors_{0};
};

}  // namespace callmedia
