// The local service's media forwarding (a small SFU), on the media thread, never through
// JavaScript. A forwarder receives one kind of media on its transport (a participant's RTP on a
// plain port, or what a bot sends on one m-line of its session's WebRTC transport) and forwards
// each packet to its targets: plain RTP ports, unchanged, or consumers. A consumer is a
// forwarder on a bot's WebRTC transport that sends what it is given into one of the bot's
// m-lines: for video under an SSRC of its own with continuous sequence numbers and the source
// in the CSRC (so swapping the source never looks like loss or a replay to the bot), for audio
// as it is (the bot mixes the sources by SSRC). A target that joins a video stream waits for
// the start of a key frame, so its decoder never starts on a picture it cannot decode. RTCP
// that arrives (a bot socket's subscriptions and key-frame requests) is handed to JavaScript,
// typed (ForwarderListener), which decides what goes where.
#pragma once
#include <atomic>
#include <memory>
#include <string>
#include <vector>

#include "net/RtpChannel.h"
#include "sfu/PayloadTypeMap.h"
#include "sfu/RtpRewriter.h"
#include "sfu/SimulcastStreams.h"

namespace callmedia {

// What the forwarder tells the service: called on the media thread, never blocks.
class ForwarderListener {
 public:
  virtual ~ForwarderListener() = default;
  // A bot socket asked for a source (0: none) at a size (0: any).
  virtual void OnSubscription(uint32_t sourceId, uint32_t width, uint32_t height) = 0;
  // Whoever receives what this point sends asked for a key frame of `mediaSsrc` (PLI or FIR).
  virtual void OnKeyFrameRequested(uint32_t mediaSsrc) = 0;
};

struct ForwarderOptions {
  RtpChannelOptions channel;
  bool video = false;    // gate new targets on an H.264 key frame
  bool rewrite = false;  // as a consumer: send under its own SSRC, the source in the CSRC
};

struct ForwarderStats {
  RtpChannelStats transport;
  uint64_t packetsIn, packetsForwarded, packetsGated, packetsConsumed;
  uint64_t bytesIn;  // RTP bytes of packetsIn (as received, SRTP removed on a transport)
  uint64_t packetsOtherLayer;  // not sent to a target because it wants another layer
  uint64_t packetsNoCodec;     // not sent by a consumer: its session did not negotiate the codec
  std::vector<SimulcastStreams::Seen> streams;  // what arrives, each with its stream id
  size_t targets;
  uint32_t lastSsrc;
  uint32_t ssrc;  // what a rewriting consumer sends under
};

class ForwarderChannel : public RtpChannel {
 public:
  static std::shared_ptr<ForwarderChannel> Create(const ForwarderOptions& options, std::shared_ptr<Transport> transport,
                                                  TransportCloser closeTransport, ChannelSink* sink,
                                                  ForwarderListener* listener, std::string* error);

  // Node thread: posted to the media thread. `layer` is the stream id of the simulcast layer a
  // target takes ("": every packet, as it comes); adding a target again changes its layer, and
  // it starts the new one at a key frame.
  // `receives`: the payload types the plain port expects; packets are renumbered into them
  // (empty: numbers pass as they come).
  void AddTarget(const std::string& address, int port, const std::string& layer, const PayloadTypeMap& receives,
                 std::string* error);
  void RemoveTarget(const std::string& address, int port);
  void AddConsumer(const std::shared_ptr<ForwarderChannel>& consumer, const std::string& layer);
  void RemoveConsumer(const std::shared_ptr<ForwarderChannel>& consumer);
  // Sends a PLI to whoever sends RTP to this port (the participant), e.g. on a new subscription:
  // for each of its layers when it sends simulcast.
  void RequestKeyFrame();
  // Node thread: the RFC 8852 rtp-stream-id extension the sender's packets carry (0: none), by
  // which the forwarder tells simulcast layers apart.
  void SetStreamIdExtension(int id);
  // Node thread: what this session's payload types mean (its answer's), so that a packet
  // forwarded between sessions keeps its codec; empty: numbers pass as they are.
  void SetPayloadTypes(const PayloadTypeMap& map);
  // Node thread: the roster source id this point's sender has (0: its packets' own SSRC or
  // CSRC). A browser picks its SSRCs; consumers carry the source under the id the roster gives.
  void SetSourceId(uint32_t sourceId);
  ForwarderStats Stats() const;

 private:
  struct Target {
    sockaddr_storage address;                  // a plain port, unless it is a consumer
    std::weak_ptr<ForwarderChannel> consumer;  // a consumer, when toConsumer
    bool toConsumer;
    bool waitingKeyFrame;
    std::string layer;  // "" : any
    PayloadTypeMap receives;  // a plain port's numbering (empty: as they come)
  };
  Target* FindTarget(const sockaddr_storage* address, const std::shared_ptr<ForwarderChannel>& consumer);
  ForwarderChannel(const ForwarderOptions& options, std::shared_ptr<Transport> transport, TransportCloser closeTransport,
                   ChannelSink* sink, ForwarderListener* listener);
  bool OnRtpPacket(const uint8_t* data, size_t size, const RtpPacket& packet, uint64_t nowNs) override;
  void OnMalformedRtp() override {}
  void FillRtcpHandlers(RtcpPacket::Handlers* handlers, uint64_t nowNs) override;
  void OnTick(uint64_t) override {}
  void Finish(std::function<void()> done) override { done(); }
  // Media thread: a packet to a plain target, under the roster's source id when it has one.
  bool SendToPlain(const uint8_t* data, size_t size, const RtpPacket& packet, const Target& to);
  // Media thread: a packet another forwarder (`from`) hands this consumer to send.
  void Consume(const RtpPacket& packet, const ForwarderChannel* from);

  const ForwarderOptions options_;
  ForwarderListener* const listener_;  // lives as long as the sink: until OnClosed
  std::vector<Target> targets_;  // media thread
  SimulcastStreams streams_;  // media thread; stats take snapshots
  uint32_t lastSsrc_ = 0;
  PayloadTypeMap payloadTypes_;  // media thread
  uint32_t sourceId_ = 0;        // media thread
  RtpRewriter rewriter_;  // as a rewriting consumer (media thread)
  static constexpr size_t kMaxPacket = 1600;  // a forwarded packet and its CSRC
  uint8_t buffer_[kMaxPacket];
  std::atomic<uint64_t> bytesIn_{0};
  std::atomic<uint64_t> packetsIn_{0}, packetsForwarded_{0}, packetsGated_{0}, packetsConsumed_{0}, packetsOtherLayer_{0},
      packetsNoCodec_{0};
  std::atomic<size_t> targetCount_{0};
  std::atomic<uint32_t> lastSsrcSeen_{0};
};

}  // namespace callmedia
