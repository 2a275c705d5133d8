// The local service's media forwarding (a small SFU): one UDP port that receives a
// participant's RTP and forwards each packet, unchanged, to the ports subscribed to it — all on
// the media thread, never through JavaScript. A target that joins a video stream waits for the
// start of a key frame, so its decoder never starts on a picture it cannot decode. RTCP that
// arrives (a bot socket's subscriptions and key-frame requests) is handed to JavaScript, which
// decides what goes where.
#pragma once
#include <atomic>
#include <memory>
#include <string>
#include <vector>

#include "net/RtpChannel.h"

namespace callmedia {

struct ForwarderOptions {
  RtpChannelOptions channel;
  bool video = false;  // gate new targets on an H.264 key frame
};

struct ForwarderStats {
  RtpChannelStats transport;
  uint64_t packetsIn, packetsForwarded, packetsGated;
  size_t targets;
  uint32_t lastSsrc;
};

class ForwarderChannel : public RtpChannel {
 public:
  static std::shared_ptr<ForwarderChannel> Create(const ForwarderOptions& options, std::shared_ptr<Transport> transport,
                                                  TransportCloser closeTransport, ChannelSink* sink, std::string* error);

  // Node thread: posted to the media thread.
  void AddTarget(const std::string& address, int port, std::string* error);
  void RemoveTarget(const std::string& address, int port);
  // Sends a PLI to whoever sends RTP to this port (the participant), e.g. on a new subscription.
  void RequestKeyFrame();
  ForwarderStats Stats() const;

 private:
  struct Target {
    sockaddr_storage address;
    bool waitingKeyFrame;
  };
  ForwarderChannel(const ForwarderOptions& options, std::shared_ptr<Transport> transport, TransportCloser closeTransport,
                   ChannelSink* sink);
  bool OnRtpPacket(const uint8_t* data, size_t size, const RtpPacket& packet, uint64_t nowNs) override;
  void OnMalformedRtp() override {}
  void FillRtcpHandlers(RtcpPacket::Handlers* handlers, uint64_t nowNs) override;
  void OnTick(uint64_t) override {}
  void Finish(std::function<void()> done) override { done(); }

  const ForwarderOptions options_;
  std::vector<Target> targets_;  // media thread
  bool frameStart_ = true;       // the next packet starts a frame (after a marker)
  uint32_t lastSsrc_ = 0;
  std::atomic<uint64_t> packetsIn_{0}, packetsForwarded_{0}, packetsGated_{0};
  std::atomic<size_t> targetCount_{0};
  std::atomic<uint32_t> lastSsrcSeen_{0};
};

}  // namespace callmedia
