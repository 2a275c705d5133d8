#include "net/PortDemuxer.h"

#include <future>

#include "net/MediaThread.h"

namespace callmedia {

std::shared_ptr<PortDemuxer> PortDemuxer::Open(const std::string& address, int port, std::string* error) {
  std::shared_ptr<PortDemuxer> demuxer(new PortDemuxer());
  std::promise<bool> started;
  auto future = started.get_future();
  MediaThread::Instance().Post([&] { started.set_value(demuxer->Start(address, port, error)); });
  return future.get() ? demuxer : nullptr;
}

bool PortDemuxer::Start(const std::string& address, int port, std::string* error) {
  socket_ = UdpSocket::Open(this, address, port, error);
  if (!socket_) return false;
  localPort_ = socket_->LocalPort();
  family_ = address.find(':') != std::string::npos ? AF_INET6 : AF_INET;
  return true;
}

void PortDemuxer::Close(std::function<void()> done) {
  byUsername_.clear();
  byAddress_.clear();
  if (!socket_) {
    done();
    return;
  }
  auto self = shared_from_this();
  socket_->Close([self, done] { done(); });
  socket_ = nullptr;
}

void PortDemuxer::AddUsername(const std::string& localUfrag, Endpoint* endpoint) { byUsername_[localUfrag] = endpoint; }

void PortDemuxer::AddAddress(const sockaddr* address, Endpoint* endpoint) { byAddress_[AddressKey::Of(address)] = endpoint; }

void PortDemuxer::RemoveAddress(const sockaddr* address, Endpoint* endpoint) {
  auto it = byAddress_.find(AddressKey::Of(address));
  if (it != byAddress_.end() && it->second == endpoint) byAddress_.erase(it);
}

void PortDemuxer::Remove(Endpoint* endpoint) {
  for (auto it = byUsername_.begin(); it != byUsername_.end();) it = it->second == endpoint ? byUsername_.erase(it) : std::next(it);
  for (auto it = byAddress_.begin(); it != byAddress_.end();) it = it->second == endpoint ? byAddress_.erase(it) : std::next(it);
}

bool PortDemuxer::Send(const uint8_t* data, size_t size, const sockaddr* to) { return socket_ && socket_->Send(data, size, to); }

PortDemuxer::Endpoint* PortDemuxer::ByAddress(const sockaddr* from) {
  auto it = byAddress_.find(AddressKey::Of(from));
  return it == byAddress_.end() ? nullptr : it->second;
}

void PortDemuxer::OnDatagram(uint8_t* data, size_t size, const sockaddr* from, uint64_t nowNs) {
  datagrams_.fetch_add(1, std::memory_order_relaxed);
  bytes_.fetch_add(size, std::memory_order_relaxed);
  if (size == 0) {
    unknownKind_.fetch_add(1, std::memory_order_relaxed);
    return;
  }
  const uint8_t first = data[0];
  if (first <= 3) {
    OnStunDatagram(data, size, from, nowNs);
    return;
  }
  const bool dtls = first >= 20 && first <= 63;
  const bool rtp = first >= 128 && first <= 191;
  if (!dtls && !rtp) {  // ZRTP, TURN channels and anything else: not spoken here
    unknownKind_.fetch_add(1, std::memory_order_relaxed);
    return;
  }
  Endpoint* endpoint = ByAddress(from);
  if (!endpoint) {
    // A DTLS ClientHello or media from an address no check validated goes nowhere.
    unknownAddress_.fetch_add(1, std::memory_order_relaxed);
    return;
  }
  if (dtls) endpoint->OnDtls(data, size, from, nowNs);
  else endpoint->OnSrtp(data, size, from, nowNs);
}

void PortDemuxer::OnStunDatagram(const uint8_t* data, size_t size, const sockaddr* from, uint64_t nowNs) {
  StunMessage message;
  if (!StunMessage::Parse(data, size, &message)) {
    stunMalformed_.fetch_add(1, std::memory_order_relaxed);
    return;
  }
  Endpoint* endpoint = nullptr;
  if (message.messageClass == StunMessage::kRequest || message.messageClass == StunMessage::kIndication) {
    // USERNAME is "<receiver's ufrag>:<sender's ufrag>" (RFC 8445 7.2.2): ours comes first.
    if (message.username) {
      const char* u = reinterpret_cast<const char*>(message.username);
      size_t colon = 0;
      while (colon < message.usernameLength && u[colon] != ':') ++colon;
      auto it = byUsername_.find(std::string(u, colon));
      if (it != byUsername_.end()) endpoint = it->second;
    }
  } else {
    endpoint = ByAddress(from);  // the answer to a check we sent there
  }
  if (!endpoint) {
    stunUnknown_.fetch_add(1, std::memory_order_relaxed);
    return;
  }
  endpoint->OnStun(message, from, nowNs);
}

PortDemuxerCounters PortDemuxer::Counters() const {
  auto r = [](const std::atomic<uint64_t>& v) { return v.load(std::memory_order_relaxed); };
  return PortDemuxerCounters{r(datagrams_), r(bytes_), r(truncated_), r(stunMalformed_), r(stunUnknown_),
                             r(unknownAddress_), r(unknownKind_)};
}

}  // namespace callmedia
