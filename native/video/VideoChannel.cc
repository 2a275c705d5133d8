#include "video/VideoChannel.h"

#include <cstring>
#include <future>

#include "common/Clock.h"
#include "net/MediaThread.h"
#include "rtp/RtcpPacket.h"
#include "rtp/RtpPacket.h"

namespace callmedia {

namespace {
constexpr uint64_t kTickMs = 5;

bool ParseAddress(const std::string& address, int port, sockaddr_storage* out) {
  std::memset(out, 0, sizeof(*out));
  if (address.find(':') != std::string::npos)
    return uv_ip6_addr(address.c_str(), port, reinterpret_cast<sockaddr_in6*>(out)) == 0;
  return uv_ip4_addr(address.c_str(), port, reinterpret_cast<sockaddr_in*>(out)) == 0;
}
}  // namespace

VideoChannel::VideoChannel(const VideoChannelOptions& options, ChannelSink* sink) : options_(options) {
  context_.sink = sink;
  context_.transport = this;
  receiver_ = std::make_unique<VideoReceiver>(options.receive, &context_);
  if (options.send) sender_ = std::make_unique<VideoSender>(options.sendOptions, &context_);
}

std::shared_ptr<VideoChannel> VideoChannel::Create(const VideoChannelOptions& options, ChannelSink* sink,
                                                   std::string* error) {
  std::shared_ptr<VideoChannel> channel(new VideoChannel(options, sink));
  channel->context_.owner = channel;
  if (!channel->receiver_->ok(error)) return nullptr;
  if (channel->sender_ && !channel->sender_->Init(error)) return nullptr;
  if (!options.remoteAddress.empty() && !ParseAddress(options.remoteAddress, options.remotePort, &channel->remote_)) {
    *error = "bad remote address " + options.remoteAddress;
    return nullptr;
  }
  channel->haveRemote_ = channel->remoteFixed_ = !options.remoteAddress.empty();
  std::promise<bool> started;
  auto future = started.get_future();
  MediaThread::Instance().Post([&] { started.set_value(channel->Start(error)); });
  if (!future.get()) return nullptr;
  return channel;
}

bool VideoChannel::Start(std::string* error) {
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
  uv_timer_start(timer_, [](uv_timer_t* t) { static_cast<VideoChannel*>(t->data)->OnTick(); }, kTickMs, kTickMs);
  if (sender_) sender_->Start(MediaThread::Instance().loop());
  return true;
}

void VideoChannel::SetRemote(const std::string& address, int port, std::string* error) {
  sockaddr_storage addr;
  if (port <= 0 || port > 65535 || !ParseAddress(address, port, &addr)) {
    *error = "bad remote address " + address + ":" + std::to_string(port);
    return;
  }
  auto self = shared_from_this();
  MediaThread::Instance().Post([self, addr] {
    self->remote_ = addr;
    self->haveRemote_ = self->remoteFixed_ = true;
  });
}

void VideoChannel::RequestKeyFrame() {
  auto self = shared_from_this();
  MediaThread::Instance().Post([self] {
    if (!self->context_.closing) self->receiver_->RequestKeyFrame(NowNs());
  });
  if (sender_) sender_->ForceKeyFrame();
}

void VideoChannel::Close() {
  auto self = shared_from_this();
  MediaThread::Instance().Post([self] {
    if (self->context_.closing) return;
    self->context_.closing = true;
    uv_timer_stop(self->timer_);
    uv_close(reinterpret_cast<uv_handle_t*>(self->timer_), [](uv_handle_t* h) { delete reinterpret_cast<uv_timer_t*>(h); });
    self->timer_ = nullptr;
    if (self->sender_) self->sender_->Stop();
    self->socket_->Close([self] {
      // Behind every queued decode and encode: the sink hears nothing after OnClosed.
      auto finishReceive = [self] { self->context_.sink->OnClosed(); };
      if (self->sender_) {
        self->sender_->Finish([self, finishReceive] { self->receiver_->Finish(finishReceive); });
      } else {
        self->receiver_->Finish(finishReceive);
      }
    });
    self->socket_ = nullptr;
  });
}

void VideoChannel::OnDatagram(const uint8_t* data, size_t size, const sockaddr* from, uint64_t nowNs) {
  datagrams_.fetch_add(1, std::memory_order_relaxed);
  bytes_.fetch_add(size, std::memory_order_relaxed);
  if (RtpPacket::LooksLikeRtcp(data, size)) {
    OnRtcp(data, size, nowNs);
    return;
  }
  RtpPacket packet;
  if (!RtpPacket::Parse(data, size, &packet)) {
    receiver_->CountMalformed();
    return;
  }
  // Symmetric RTP: with no remote configured, feedback goes where accepted media comes from.
  if (receiver_->OnRtp(data, size, packet, nowNs) && !remoteFixed_) {
    std::memcpy(&remote_, from, from->sa_family == AF_INET6 ? sizeof(sockaddr_in6) : sizeof(sockaddr_in));
    haveRemote_ = true;
  }
}

void VideoChannel::OnRtcp(const uint8_t* data, size_t size, uint64_t nowNs) {
  rtcpPackets_.fetch_add(1, std::memory_order_relaxed);
  RtcpPacket::Handlers handlers;
  handlers.onSenderReport = [&](const RtcpSenderReport& sr) { receiver_->OnSenderReport(sr, nowNs); };
  if (sender_) {
    handlers.onFeedback = [&](const RtcpFeedback& fb) { sender_->OnFeedback(fb); };
    handlers.onReportBlock = [&](const ReportBlock& block) { sender_->OnReportBlock(block, nowNs); };
  }
  if (!RtcpPacket::Parse(data, size, handlers)) rtcpMalformed_.fetch_add(1, std::memory_order_relaxed);
}

void VideoChannel::OnTruncated() { truncated_.fetch_add(1, std::memory_order_relaxed); }

bool VideoChannel::SendPacket(const uint8_t* data, size_t size) {
  if (!socket_ || !haveRemote_) return false;
  return socket_->Send(data, size, reinterpret_cast<const sockaddr*>(&remote_));
}

void VideoChannel::OnTick() {
  if (context_.closing) return;
  const uint64_t now = NowNs();
  receiver_->OnTick(now);
  if (sender_) sender_->OnTick(now);
}

VideoChannelStats VideoChannel::Stats() const {
  VideoChannelStats s{};
  s.datagrams = datagrams_.load(std::memory_order_relaxed);
  s.bytes = bytes_.load(std::memory_order_relaxed);
  s.rtcpPackets = rtcpPackets_.load(std::memory_order_relaxed);
  s.rtcpMalformed = rtcpMalformed_.load(std::memory_order_relaxed);
  s.datagramsTruncated = truncated_.load(std::memory_order_relaxed);
  s.receive = receiver_->Stats();
  s.sending = sender_ != nullptr;
  if (sender_) s.send = sender_->Stats();
  return s;
}

}  // namespace callmedia
