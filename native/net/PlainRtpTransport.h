// RTP and RTCP in the clear on a UDP port of their own (RFC 5761 multiplexing), for one
// channel: what ffmpeg, GStreamer and other RTP pipelines speak.
//
// Where media and feedback go (the remote) is configured, or learned once: from the first RTP
// the channel accepts, or the first valid RTCP. It then stays, so a host that can reach the
// port cannot redirect the channel's media to itself. A socket opened to follow its sender
// moves the remote with the RTP it accepts (a new sender taking over).
#pragma once
#include <uv.h>

#include <atomic>
#include <functional>
#include <memory>
#include <string>

#include "net/Transport.h"
#include "net/UdpSocket.h"

namespace callmedia {

struct PlainRtpTransportOptions {
  std::string address = "127.0.0.1";
  int port = 0;
  std::string remoteAddress;  // empty: learned (symmetric RTP)
  int remotePort = 0;
  bool followRemote = false;  // the remote moves with the accepted RTP
};

class PlainRtpTransport : public Transport, private UdpSocket::Listener,
                          public std::enable_shared_from_this<PlainRtpTransport> {
 public:
  // Binds on the media thread and waits for the outcome (microseconds).
  static std::shared_ptr<PlainRtpTransport> Open(const PlainRtpTransportOptions& options, std::string* error);
  ~PlainRtpTransport() override = default;

  int localPort() const { return localPort_; }
  // Node thread: posted to the media thread. A configured remote is never relearned.
  bool SetRemote(const std::string& address, int port, std::string* error);
  // Node thread: sends an empty receiver report from this port, so a socket there learns
  // where to send.
  bool Announce(const std::string& address, int port, std::string* error);
  // Media thread: closes the socket, then runs `done` on the media thread.
  void Close(std::function<void()> done);

  bool Attach(TransportChannel* channel, const ChannelRoute& route, std::string* error) override;
  void Detach(TransportChannel* channel) override;
  void UpdateRoute(TransportChannel*, const ChannelRoute&) override {}
  bool SendRtp(TransportChannel* from, const uint8_t* data, size_t size) override;
  bool SendRtcp(TransportChannel* from, const uint8_t* data, size_t size) override;
  bool SendTo(const uint8_t* data, size_t size, const sockaddr* to) override;
  bool CanSend() const override { return haveRemote_; }
  TransportCounters Counters() const override;

 private:
  explicit PlainRtpTransport(const PlainRtpTransportOptions& options) : options_(options) {}
  bool Start(std::string* error);
  void OnDatagram(uint8_t* data, size_t size, const sockaddr* from, uint64_t nowNs) override;
  void OnTruncated() override { truncated_.fetch_add(1, std::memory_order_relaxed); }
  void Learn(const sockaddr* from, bool follow);

  const PlainRtpTransportOptions options_;
  UdpSocket* socket_ = nullptr;  // media thread
  TransportChannel* channel_ = nullptr;
  int localPort_ = 0;
  sockaddr_storage remote_{};
  bool haveRemote_ = false;
  bool configured_ = false;
  std::atomic<uint64_t> datagrams_{0}, bytes_{0}, truncated_{0}, unroutable_{0}, refused_{0};
};

}  // namespace callmedia
