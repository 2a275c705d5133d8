// A video channel: one UDP socket (RTP and RTCP multiplexed, RFC 5761) carrying a receive half
// and, when configured, a send half. The channel owns the socket, the timer and the close
// sequence; the halves own their protocol state.
#pragma once
#include <uv.h>

#include <atomic>
#include <memory>
#include <string>

#include "net/UdpSocket.h"
#include "video/ChannelContext.h"
#include "video/VideoReceiver.h"
#include "video/VideoSender.h"

namespace callmedia {

struct VideoChannelOptions {
  std::string address = "127.0.0.1";
  int port = 0;
  std::string remoteAddress;  // empty: learned from the RTP that arrives (symmetric RTP)
  int remotePort = 0;
  VideoReceiverOptions receive;
  bool send = false;
  VideoSenderOptions sendOptions;
};

struct VideoChannelStats {
  uint64_t datagrams, bytes, rtcpPackets, rtcpMalformed, datagramsTruncated;
  VideoReceiverStats receive;
  bool sending;
  VideoSenderStats send;
};

class VideoChannel : public std::enable_shared_from_this<VideoChannel>,
                     private UdpSocket::Listener,
                     private PacketTransport {
 public:
  // Binds on the media thread and waits for the outcome (microseconds).
  static std::shared_ptr<VideoChannel> Create(const VideoChannelOptions& options, ChannelSink* sink, std::string* error);

  int localPort() const { return localPort_; }
  VideoSender* sender() { return sender_.get(); }
  void SetRemote(const std::string& address, int port, std::string* error);
  void RequestKeyFrame();
  // Asynchronous: the sink's OnClosed follows once every frame in flight has gone through.
  void Close();
  VideoChannelStats Stats() const;

 private:
  explicit VideoChannel(const VideoChannelOptions& options, ChannelSink* sink);
  bool Start(std::string* error);
  void OnDatagram(const uint8_t* data, size_t size, const sockaddr* from, uint64_t nowNs) override;
  void OnRtcp(const uint8_t* data, size_t size, uint64_t nowNs);
  void OnTruncated() override;
  bool SendPacket(const uint8_t* data, size_t size) override;
  bool HasRemote() const override { return haveRemote_; }
  void OnTick();

  const VideoChannelOptions options_;
  ChannelContext context_;
  std::unique_ptr<VideoReceiver> receiver_;
  std::unique_ptr<VideoSender> sender_;
  UdpSocket* socket_ = nullptr;
  uv_timer_t* timer_ = nullptr;
  int localPort_ = 0;

  // Media thread.
  sockaddr_storage remote_{};
  bool haveRemote_ = false;
  bool remoteFixed_ = false;

  std::atomic<uint64_t> datagrams_{0}, bytes_{0}, rtcpPackets_{0}, rtcpMalformed_{0};
  std::atomic<uint64_t> truncated_{0};
};

}  // namespace callmedia
