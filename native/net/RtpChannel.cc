#include "net/RtpChannel.h"

#include <future>

#include "common/Clock.h"
#include "net/MediaThread.h"

namespace callmedia {

RtpChannel::RtpChannel(std::shared_ptr<Transport> transport, TransportCloser closeTransport,
                       const RtpChannelOptions& options, ChannelSink* sink)
    : transport_(std::move(transport)), closeTransport_(std::move(closeTransport)), options_(options) {
  context_.sink = sink;
  context_.transport = this;
}

bool RtpChannel::Open(const std::shared_ptr<RtpChannel>& self, std::string* error) {
  context_.owner = self;
  std::promise<bool> started;
  auto future = started.get_future();
  MediaThread::Instance().Post([&] { started.set_value(Start(error)); });
  return future.get();
}

bool RtpChannel::Start(std::string* error) {
  if (!transport_->Attach(this, options_.route, error)) return false;
  attached_ = true;
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

void RtpChannel::SetRoute(const ChannelRoute& route) {
  PostToMedia([this, route] {
    options_.route = route;
    transport_->UpdateRoute(this, route);
  });
}

void RtpChannel::Close() {
  auto self = shared_from_this();
  MediaThread::Instance().Post([self] {
    if (self->context_.closing) return;
    self->context_.closing = true;
    if (self->timer_) {
      uv_timer_stop(self->timer_);
      uv_close(reinterpret_cast<uv_handle_t*>(self->timer_), [](uv_handle_t* h) { delete reinterpret_cast<uv_timer_t*>(h); });
      self->timer_ = nullptr;
    }
    self->OnStop();
    if (self->attached_) self->transport_->Detach(self.get());
    self->attached_ = false;
    auto finish = [self] {
      // Behind every queued decode and encode: the sink hears nothing after OnClosed.
      self->Finish([self] { self->context_.sink->OnClosed(); });
    };
    if (self->closeTransport_) self->closeTransport_(finish);
    else finish();
  });
}

bool RtpChannel::OnTransportRtp(const uint8_t* data, size_t size, const RtpPacket& packet, uint64_t nowNs) {
  datagrams_.fetch_add(1, std::memory_order_relaxed);
  bytes_.fetch_add(size, std::memory_order_relaxed);
  return !context_.closing && OnRtpPacket(data, size, packet, nowNs);
}

void RtpChannel::OnTransportMalformedRtp() {
  datagrams_.fetch_add(1, std::memory_order_relaxed);
  if (!context_.closing) OnMalformedRtp();
}

bool RtpChannel::OnTransportRtcp(const uint8_t* data, size_t size, uint64_t nowNs) {
  datagrams_.fetch_add(1, std::memory_order_relaxed);
  bytes_.fetch_add(size, std::memory_order_relaxed);
  rtcpPackets_.fetch_add(1, std::memory_order_relaxed);
  RtcpPacket::Handlers handlers;
  FillRtcpHandlers(&handlers, nowNs);
  if (RtcpPacket::Parse(data, size, handlers)) return true;
  rtcpMalformed_.fetch_add(1, std::memory_order_relaxed);
  return false;
}

bool RtpChannel::SendPacket(const uint8_t* data, size_t size) {
  if (context_.closing) return false;
  if (RtpPacket::LooksLikeRtcp(data, size)) return transport_->SendRtcp(this, data, size);
  return transport_->SendRtp(this, data, size);
}

RtpChannelStats RtpChannel::TransportStats() const {
  auto r = [](const std::atomic<uint64_t>& v) { return v.load(std::memory_order_relaxed); };
  const TransportCounters t = transport_->Counters();
  return RtpChannelStats{r(datagrams_), r(bytes_), r(rtcpPackets_), r(rtcpMalformed_), t.truncated, t.refused};
}

}  // namespace callmedia
