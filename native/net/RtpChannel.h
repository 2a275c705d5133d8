// The base of every media channel (video, audio, the service's forwarder): it sits on a
// Transport, which brings it its packets and carries what it sends, and owns the channel's
// clock (a timer on the media thread) and its close sequence. A subclass (video, audio) owns the
// protocol state and gets packets, RTCP and ticks on the media thread.
#pragma once
#include <uv.h>

#include <atomic>
#include <functional>
#include <memory>
#include <string>

#include "net/ChannelContext.h"
#include "net/Transport.h"
#include "rtp/RtcpPacket.h"
#include "rtp/RtpPacket.h"

namespace callmedia {

struct RtpChannelOptions {
  ChannelRoute route;
  uint64_t tickMs = 5;
};

// What reached this channel (whatever transport it is on).
struct RtpChannelStats {
  uint64_t datagrams, bytes, rtcpPackets, rtcpMalformed, datagramsTruncated, datagramsRefused;
};

class RtpChannel : public std::enable_shared_from_this<RtpChannel>,
                   private TransportChannel,
                   protected PacketTransport {
 public:
  // Runs on the media thread once the channel has left its transport; it closes a transport
  // the channel owns (a plain RTP port) and calls its argument when done. Empty for a shared one.
  using TransportCloser = std::function<void(std::function<void()>)>;

  ~RtpChannel() override = default;

  const std::shared_ptr<Transport>& transport() const { return transport_; }
  // Node thread: a new route (a new remote description), posted to the media thread.
  void SetRoute(const ChannelRoute& route);
  // Asynchronous: the sink's OnClosed follows once every frame in flight has gone through.
  void Close();
  RtpChannelStats TransportStats() const;

 protected:
  RtpChannel(std::shared_ptr<Transport> transport, TransportCloser closeTransport, const RtpChannelOptions& options,
             ChannelSink* sink);
  // Attaches to the transport on the media thread and waits for the outcome. Call once, from Create.
  bool Open(const std::shared_ptr<RtpChannel>& self, std::string* error);

  // Media thread. Returns true when the packet belongs to a stream being received.
  virtual bool OnRtpPacket(const uint8_t* data, size_t size, const RtpPacket& packet, uint64_t nowNs) = 0;
  virtual void OnMalformedRtp() = 0;
  virtual void FillRtcpHandlers(RtcpPacket::Handlers* handlers, uint64_t nowNs) = 0;
  virtual void OnTick(uint64_t nowNs) = 0;
  virtual void OnStart(uv_loop_t*) {}
  virtual void OnStop() {}
  // Runs `done` once all work queued on other threads has finished.
  virtual void Finish(std::function<void()> done) = 0;

  bool SendPacket(const uint8_t* data, size_t size) override;
  bool HasRemote() const override { return transport_->CanSend(); }
  uint32_t AllocateSendBitrate(const void* sender, uint32_t demandBps, uint64_t nowNs) override {
    return transport_->AllocateSendBitrate(sender, demandBps, nowNs);
  }
  void ReportRoundTrip(double ms) override { transport_->OnRoundTrip(ms); }
  void PostToMedia(std::function<void()> task);

  ChannelContext context_;

 private:
  bool Start(std::string* error);
  bool OnTransportRtp(const uint8_t* data, size_t size, const RtpPacket& packet, uint64_t nowNs) override;
  void OnTransportMalformedRtp() override;
  bool OnTransportRtcp(const uint8_t* data, size_t size, uint64_t nowNs) override;

  const std::shared_ptr<Transport> transport_;
  TransportCloser closeTransport_;
  RtpChannelOptions options_;
  uv_timer_t* timer_ = nullptr;
  bool attached_ = false;
  std::atomic<uint64_t> datagrams_{0}, bytes_{0}, rtcpPackets_{0}, rtcpMalformed_{0};
};

}  // namespace callmedia
