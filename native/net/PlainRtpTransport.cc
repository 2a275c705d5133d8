#include "net/PlainRtpTransport.h"

#include <cstring>
#include <future>

#include "net/MediaThread.h"
#include "net/SocketAddress.h"
#include "rtp/RtcpPacket.h"

namespace callmedia {

std::shared_ptr<PlainRtpTransport> PlainRtpTransport::Open(const PlainRtpTransportOptions& options, std::string* error) {
  std::shared_ptr<PlainRtpTransport> transport(new PlainRtpTransport(options));
  if (!options.remoteAddress.empty()) {
    if (options.remotePort <= 0 || options.remotePort > 65535 ||
        !ParseSocketAddress(options.remoteAddress, options.remotePort, &transport->remote_)) {
      *error = "bad remote address " + options.remoteAddress + ":" + std::to_string(options.remotePort);
      return nullptr;
    }
    transport->haveRemote_ = transport->configured_ = true;
  }
  std::promise<bool> started;
  auto future = started.get_future();
  MediaThread::Instance().Post([&] { started.set_value(transport->Start(error)); });
  return future.get() ? transport : nullptr;
}

bool PlainRtpTransport::Start(std::string* error) {
  socket_ = UdpSocket::Open(this, options_.address, options_.port, error);
  if (!socket_) return false;
  localPort_ = socket_->LocalPort();
  return true;
}

void PlainRtpTransport::Close(std::function<void()> done) {
  if (!socket_) {
    done();
    return;
  }
  auto self = shared_from_this();
  socket_->Close([self, done] { done(); });
  socket_ = nullptr;
}

bool PlainRtpTransport::SetRemote(const std::string& address, int port, std::string* error) {
  sockaddr_storage addr;
  if (port <= 0 || port > 65535 || !ParseSocketAddress(address, port, &addr)) {
    *error = "bad remote address " + address + ":" + std::to_string(port);
    return false;
  }
  auto self = shared_from_this();
  MediaThread::Instance().Post([self, addr] {
    self->remote_ = addr;
    self->haveRemote_ = self->configured_ = true;
  });
  return true;
}

bool PlainRtpTransport::Announce(const std::string& address, int port, std::string* error) {
  sockaddr_storage addr;
  if (port <= 0 || port > 65535 || !ParseSocketAddress(address, port, &addr)) {
    *error = "bad address " + address + ":" + std::to_string(port);
    return false;
  }
  auto self = shared_from_this();
  MediaThread::Instance().Post([self, addr] {
    uint8_t report[8];
    const size_t n = RtcpPacket::WriteReceiverReport(report, sizeof(report), 0x5F0 /* the service */, nullptr);
    self->SendTo(report, n, reinterpret_cast<const sockaddr*>(&addr));
  });
  return true;
}

bool PlainRtpTransport::Attach(TransportChannel* channel, const ChannelRoute&, std::string* error) {
  if (channel_) {
    *error = "a plain RTP transport carries one channel";
    return false;
  }
  channel_ = channel;
  return true;
}

void PlainRtpTransport::Detach(TransportChannel* channel) {
  if (channel_ == channel) channel_ = nullptr;
}

void PlainRtpTransport::OnDatagram(uint8_t* data, size_t size, const sockaddr* from, uint64_t nowNs) {
  datagrams_.fetch_add(1, std::memory_order_relaxed);
  bytes_.fetch_add(size, std::memory_order_relaxed);
  if (!channel_) {
    unroutable_.fetch_add(1, std::memory_order_relaxed);
    return;
  }
  if (RtpPacket::LooksLikeRtcp(data, size)) {
    // Symmetric RTCP: the port that reports to us is where feedback (subscriptions, key-frame
    // requests) goes, unless media told us first. RTCP never moves a known remote, and once
    // there is one, RTCP from another host is not read: nobody else may subscribe the channel,
    // ask it for key frames or feed its reports. (The remote's own host may report from
    // another port: RTP senders that do not multiplex send RTCP from port + 1.)
    if (haveRemote_ && !options_.followRemote && !SameHost(from, remote_)) {
      refused_.fetch_add(1, std::memory_order_relaxed);
      return;
    }
    if (channel_->OnTransportRtcp(data, size, nowNs)) Learn(from, false);
    return;
  }
  RtpPacket packet;
  if (!RtpPacket::Parse(data, size, &packet)) {
    channel_->OnTransportMalformedRtp();
    return;
  }
  // Symmetric RTP: with no remote configured, feedback goes where accepted media comes from.
  if (channel_->OnTransportRtp(data, size, packet, nowNs)) Learn(from, options_.followRemote);
}

void PlainRtpTransport::Learn(const sockaddr* from, bool follow) {
  if (configured_) return;
  sockaddr_storage addr;
  std::memcpy(&addr, from, SocketAddressLength(from->sa_family));
  if (haveRemote_) {
    if (SameSocketAddress(addr, remote_)) return;
    if (!follow) return;  // pinned: media from elsewhere never moves where ours goes
  }
  remote_ = addr;
  haveRemote_ = true;
}

bool PlainRtpTransport::SendRtp(TransportChannel*, const uint8_t* data, size_t size) {
  return haveRemote_ && SendTo(data, size, reinterpret_cast<const sockaddr*>(&remote_));
}

bool PlainRtpTransport::SendRtcp(TransportChannel* from, const uint8_t* data, size_t size) {
  return SendRtp(from, data, size);
}

bool PlainRtpTransport::SendTo(const uint8_t* data, size_t size, const sockaddr* to) {
  return socket_ && socket_->Send(data, size, to);
}

TransportCounters PlainRtpTransport::Counters() const {
  auto r = [](const std::atomic<uint64_t>& v) { return v.load(std::memory_order_relaxed); };
  return TransportCounters{r(datagrams_), r(bytes_), r(truncated_), r(unroutable_), r(refused_)};
}

}  // namespace callmedia
