// One UDP port carrying RTP and RTCP (multiplexed, RFC 5761) for one media channel. The
// channel owns the socket, the remote address, a timer and the close sequence; a subclass
// (video, audio) owns the protocol state and gets packets, RTCP and ticks on the media thread.
#pragma once
#include <uv.h>

#include <atomic>
#include <functional>
#include <memory>
#include <string>

#include "net/UdpSocket.h"
#include "rtp/RtcpPacket.h"
#include "rtp/RtpPacket.h"
#include "video/ChannelContext.h"

namespace callmedia {

struct RtpChannelOptions {
  std::string address = "127.0.0.1";
  int port = 0;
  std::string remoteAddress;  // empty: learned from the RTP that arrives (symmetric RTP)
  int remotePort = 0;
  uint64_t tickMs = 5;
};

struct RtpChannelStats {
  uint64_t datagrams, bytes, rtcpPackets, rtcpMalformed, datagramsTruncated;
};

class RtpChannel : public std::enable_shared_from_this<RtpChannel>,
                   private UdpSocket::Listener,
                   protected PacketTransport {
 public:
  ~RtpChannel() override = default;

  int localPort() const { return localPort_; }
  void SetRemote(const std::string& address, int port, std::string* error);
  // Sends an empty receiver report from this port, so a socket there learns where to send.
  void Announce(const std::string& address, int port, std::string* error);
  // Asynchronous: the sink's OnClosed follows once every frame in flight has gone through.
  void Close();
  RtpChannelStats TransportStats() const;

 protected:
  RtpChannel(const RtpChannelOptions& options, ChannelSink* sink);
  // Binds on the media thread and waits for the outcome (microseconds). Call once, from Create.
  bool Open(const std::shared_ptr<RtpChannel>& self, std::string* error);

  // Media thread. Returns true when the packet belongs to a stream being received (the
  // remote is then learned from it when none was configured).
  virtual bool OnRtpPacket(const uint8_t* data, size_t size, const RtpPacket& packet, uint64_t nowNs) = 0;
  virtual void OnMalformedRtp() = 0;
  virtual void FillRtcpHandlers(RtcpPacket::Handlers* handlers, uint64_t nowNs) = 0;
  virtual void OnTick(uint64_t nowNs) = 0;
  virtual void OnStart(uv_loop_t*) {}
  virtual void OnStop() {}
  // Runs `done` once all work queued on other threads has finished.
  virtual void Finish(std::function<void()> done) = 0;

  bool SendPacket(const uint8_t* data, size_t size) override;
  bool SendPacketTo(const uint8_t* data, size_t size, const sockaddr* to);
  bool HasRemote() const override { return haveRemote_; }
  void PostToMedia(std::function<void()> task);

  ChannelContext context_;

 private:
  bool Start(std::string* error);
  void OnDatagram(const uint8_t* data, size_t size, const sockaddr* from, uint64_t nowNs) override;
  void OnTruncated() override;
  bool OnRtcp(const uint8_t* data, size_t size, uint64_t nowNs);
  void LearnRemote(const sockaddr* from);

  const RtpChannelOptions options_;
  UdpSocket* socket_ = nullptr;
  uv_timer_t* timer_ = nullptr;
  int localPort_ = 0;
  sockaddr_storage remote_{};
  bool haveRemote_ = false;
  bool remoteFixed_ = false;
  std::atomic<uint64_t> datagrams_{0}, bytes_{0}, rtcpPackets_{0}, rtcpMalformed_{0}, truncated_{0};
};

}  // namespace callmedia
