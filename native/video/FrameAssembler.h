// Turns RTP packets of one video stream (H.264 or VP8) into whole frames, in order.
//
// Packets land in a ring indexed by sequence number, so reordering costs nothing. A frame is
// released when every packet from its first to its marker packet is present. A hole that stays
// open longer than the reorder window (released by time, not by packet count), with no
// retransmission on its way (the listener says; bounded by the recovery limit), is a loss: the
// frame is dropped, never decoded half-built, a key frame is asked for, and frames are held
// back until one with an IDR arrives. Before the stream's first frame nothing is late: its
// first packets may come after later ones, and lower the starting point. The buffer is allocated once; no allocation per packet.
#pragma once
#include <atomic>
#include <memory>
#include <cstddef>
#include <cstdint>
#include <vector>

#include "rtp/RtpPacket.h"
#include "video/RtpDepacketizer.h"

namespace callmedia {

struct AssembledFrame {
  const uint8_t* data;  // the frame (H.264: an Annex-B access unit), valid during the callback only
  size_t size;
  uint32_t timestamp;
  uint32_t ssrc;
  bool keyFrame;
  bool reference;  // later frames may predict from it (nal_ref_idc != 0)
  uint64_t firstPacketNs;
  uint64_t lastPacketNs;
  uint64_t assembledNs;
};

class FrameAssembler {
 public:
  static constexpr size_t kMaxPayload = 1500;

  struct Listener {
    virtual ~Listener() = default;
    virtual void OnFrameAssembled(const AssembledFrame& frame) = 0;
    virtual void OnKeyFrameNeeded() = 0;
    // Whether the missing packet `seq` may still come (its retransmission is being asked for):
    // the hole then stays open past the reorder window, up to the recovery limit.
    virtual bool RecoveryPending(uint16_t /*seq*/) { return false; }
  };

  struct Stats {
    std::atomic<uint64_t> framesAssembled{0};
    std::atomic<uint64_t> framesIncomplete{0};      // dropped: a packet never came
    std::atomic<uint64_t> framesMalformed{0};       // dropped: broke RFC 6184
    std::atomic<uint64_t> framesWaitingKeyFrame{0}; // dropped: not decodable before the next IDR
    std::atomic<uint64_t> packetsLate{0};
    std::atomic<uint64_t> packetsDuplicate{0};
    std::atomic<uint64_t> packetsDiscarded{0};      // stored but thrown away with a lost frame
    std::atomic<uint64_t> packetsMalformed{0};
    std::atomic<uint64_t> packetsPadding{0};        // padding only (a sender probing bandwidth)
  };

  // How long a hole whose retransmission is pending may hold the frames behind it.
  static constexpr uint64_t kDefaultRecoveryLimitNs = 300'000'000;

  // `capacity` (packets) is rounded up to a power of two, at most 32768.
  FrameAssembler(Listener* listener, size_t capacity, uint64_t reorderWindowNs, VideoCodec codec = VideoCodec::kH264,
                 uint64_t recoveryLimitNs = kDefaultRecoveryLimitNs);

  // The payload format of the packets from now on (a new codec starts over, at a key frame).
  void SetCodec(VideoCodec codec);
  VideoCodec codec() const { return codec_; }

  void Insert(const RtpPacket& packet, uint64_t nowNs);
  // Called by the owner's timer: declares a hole lost once it is older than the reorder window
  // and its retransmission is not pending (or it is older than the recovery limit).
  void OnTimer(uint64_t nowNs);
  // The decoder lost its references (error, dropped frame): hold frames until the next IDR.
  void RequireKeyFrame() { waitingKeyFrame_ = true; }
  bool waitingKeyFrame() const { return waitingKeyFrame_; }
  void Reset();

  const Stats& stats() const { return stats_; }

 private:
  struct Slot {
    bool used = false;
    bool marker = false;
    uint16_t seq = 0;
    uint16_t size = 0;
    uint32_t ts = 0;
    uint64_t arrivalNs = 0;
    uint8_t data[kMaxPayload];
  };

  Slot* Get(uint16_t seq);
  bool IsFrameStart(uint16_t seq);
  bool TrySync(uint16_t seq, uint64_t nowNs);
  void SyncFromFloor(uint64_t nowNs);
  void Release(uint16_t from, uint16_t to);  // [from, to)
  void TryAssemble(uint64_t nowNs);
  void EmitFrame(uint16_t first, uint16_t last);
  void DeclareLoss(uint64_t nowNs);

  Listener* listener_;
  std::vector<Slot> slots_;
  const uint64_t reorderWindowNs_;
  const uint64_t recoveryLimitNs_;
  VideoCodec codec_;
  std::unique_ptr<RtpDepacketizer> depacketizer_;
  std::vector<uint8_t> accessUnit_;

  bool haveSsrc_ = false;
  uint32_t ssrc_ = 0;
  bool started_ = false;
  bool synced_ = false;
  bool waitingKeyFrame_ = true;
  // Until the first frame of a stream is out (delivered or dropped), no packet is late: a network that reorders from
  // the first packet on delivers the stream's first packets after later ones.
  bool emitted_ = false;
  // The first frame was found at a key frame whose previous packet is unknown and which may
  // have parameter sets before it: it waits up to the reorder window for that packet.
  bool provisionalSync_ = false;
  uint64_t syncNs_ = 0;
  uint16_t floor_ = 0;     // oldest sequence number still accepted
  uint16_t nextSeq_ = 0;   // first packet of the next frame, when synced
  uint16_t highest_ = 0;
  // Progress of the scan from nextSeq_, so each packet is looked at once per frame.
  uint16_t scanSeq_ = 0;
  bool scanValid_ = false;
  uint64_t gapSinceNs_ = 0;
  uint16_t gapSeq_ = 0;
  bool haveRestartSeq_ = false;
  uint16_t restartSeq_ = 0;
  Stats stats_;
};

}  // namespace callmedia
