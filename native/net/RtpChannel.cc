#include "net/RtpChannel.h"

#include <cstring>
#include <future>

#include "common/Clock.h"
#include "net/MediaThread.h"
#include "net/SocketAddress.h"

namespace callmedia {

RtpChannel::RtpChannel(const RtpChannelOptions& options, ChannelSink* sink) : options_(options) {
  context_.sink = sink;
  context_.transport = this;
}

bool RtpChannel::Open(const std::shared_ptr<RtpChannel>& self, std::string* error) {
  context_.owner = self;
  if (!options_.remoteAddress.empty()) {
    if (!ParseSocketAddress(options_.remoteAddress, options_.remotePort, &remote_)) {
      *error = "bad remote address " + options_.remoteAddress;
      return false;
    }
    haveRemote_ = remoteFixed_ = true;
  }
  std::promise<bool> started;
  auto future = started.get_future();
  MediaThread::Instance().Post([&] { started.set_value(Start(error)); });
  return future.get();
}

bool RtpChannel::Start(std::string* error) {
  socket_ = new UdpSocket(this);
  if (socket_->Bind(options_.address, options_.port, error) != 0) {
    socket_->Close(nullptr);
    socket_ = nullptr;
    return false;
  }
  localPort_ = socket_->LocalPort();
  timer_ = new uv_timer_t;
  uv_timer_init(MediaThread::Instance().loop(), timer_);
  timer_->data = this;
  uv_timer_start(timer_, [](uv_timer_t* t) {
    auto* self = static_cast<RtpChannel*>(t->data);
    if (!self->context_.closing) self->OnTick(NowNs());
  }, options_.tickMs, options_.tickMs);
  OnStart(MediaThread::Instance().loop());
  return true;
}

void RtpChannel::PostToMedia(std::function<void()> task) {
  auto self = shared_from_this();
  MediaThread::Instance().Post([self, task] {
    if (!self->context_.closing) task();
  });
}

void RtpChannel::SetRemote(const std::string& address, int port, std::string* error) {
  sockaddr_storage addr;
  if (port <= 0 || port > 65535 || !ParseSocketAddress(address, port, &addr)) {
    *error = "bad remote address " + address + ":" + std::to_string(port);
    return;
  }
  PostToMedia([this, addr] {
    remote_ = addr;
    haveRemote_ = remoteFixed_ = true;
  });
}

void RtpChannel::Close() {
  auto self = shared_from_this();
  MediaThread::Instance().Post([self] {
    if (self->context_.closing) return;
    self->context_.closing = true;
    uv_timer_stop(self->timer_);
    uv_close(reinterpret_cast<uv_handle_t*>(self->timer_), [](uv_handle_t* h) { delete reinterpret_cast<uv_timer_t*>(h); });
    self->timer_ = nullptr;
    self->OnStop();
    self->socket_->Close([self] {
      // Behind every queued decode and encode: the sink hears nothing after OnClosed.
      self->Finish([self] { self->context_.sink->OnClosed(); });
    });
    self->socket_ = nullptr;
  });
}

void RtpChannel::OnDatagram(const uint8_t* data, size_t size, const sockaddr* from, uint64_t nowNs) {
  datagrams_.fetch_add(1, std::memory_order_relaxed);
  bytes_.fetch_add(size, std::memory_order_relaxed);
  if (RtpPacket::LooksLikeRtcp(data, size)) {
    // Symmetric RTCP: the port that reports to us is where our RTCP (subscriptions, key-frame
    // requests) and media go. It stays: media forwarded from other ports must not move it.
    if (OnRtcp(data, size, nowNs) && !remoteFixed_) {
      LearnRemote(from);
      remoteFixed_ = true;
    }
    return;
  }
  RtpPacket packet;
  if (!RtpPacket::Parse(data, size, &packet)) {
    OnMalformedRtp();
    return;
  }
  // Symmetric RTP: with no remote configured, feedback goes where accepted media comes from.
  if (OnRtpPacket(data, size, packet, nowNs) && !remoteFixed_) LearnRemote(from);
}

void RtpChannel::LearnRemote(const sockaddr* from) {
  std::memcpy(&remote_, from, SocketAddressLength(from->sa_family));
  haveRemote_ = true;
}

void RtpChannel::Announce(const std::string& address, int port, std::string* error) {
  sockaddr_storage addr;
  if (port <= 0 || port > 65535 || !ParseSocketAddress(address, port, &addr)) {
    *error = "bad address " + address + ":" + std::to_string(port);
    return;
  }
  PostToMedia([this, addr] {
    uint8_t report[8];
    const size_t n = RtcpPacket::WriteReceiverReport(report, sizeof(report), 0x5F0 /* the service */, nullptr);
    SendPacketTo(report, n, reinterpret_cast<const sockaddr*>(&addr));
  });
}

bool RtpChannel::OnRtcp(const uint8_t* data, size_t size, uint64_t nowNs) {
  rtcpPackets_.fetch_add(1, std::memory_order_relaxed);
  RtcpPacket::Handlers handlers;
  FillRtcpHandlers(&handlers, nowNs);
  if (RtcpPacket::Parse(data, size, handlers)) return true;
  rtcpMalformed_.fetch_add(1, std::memory_order_relaxed);
  return false;
}

void RtpChannel::OnTruncated() { truncated_.fetch_add(1, std::memory_order_relaxed); }

bool RtpChannel::SendPacket(const uint8_t* data, size_t size) {
  if (!socket_ || !haveRemote_) return false;
  return socket_->Send(data, size, reinterpret_cast<const sockaddr*>(&remote_));
}

bool RtpChannel::SendPacketTo(const uint8_t* data, size_t size, const sockaddr* to) {
  return socket_ && socket_->Send(data, size, to);
}

RtpChannelStats RtpChannel::TransportStats() const {
  auto r = [](const std::atomic<uint64_t>& v) { return v.load(std::memory_order_relaxed); };
  return RtpChannelStats{r(datagrams_), r(bytes_), r(rtcpPackets_), r(rtcpMalformed_), r(truncated_)};
}

}  // namespace callmedia
