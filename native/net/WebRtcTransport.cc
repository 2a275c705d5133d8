#include "net/WebRtcTransport.h"

#include <openssl/rand.h>

#include <algorithm>
#include <cstring>
#include <future>

#include "common/ByteOrder.h"
#include "common/Clock.h"
#include "net/MediaThread.h"
#include "net/SocketAddress.h"
#include "rtp/RtcpPacket.h"
#include "rtp/TransportFeedback.h"

namespace callmedia {

namespace {
constexpr uint64_t kMs = 1000000;
constexpr uint64_t kTickMs = 25;
constexpr uint64_t kCheckIntervalNs = 50 * kMs;    // RFC 8445 Ta: one check per pacing interval
constexpr uint64_t kConsentIntervalNs = 5000 * kMs;  // RFC 7675: a check every 4-6 s
constexpr size_t kMaxPendingChecks = 16;
constexpr size_t kMaxLearnedSsrcs = 1024;
constexpr size_t kMaxPacket = 1500;

// ICE credentials: characters of RFC 8445's ice-char, from the system's random source.
std::string RandomIceString(size_t length) {
  static const char kChars[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::vector<uint8_t> bytes(length);
  RAND_bytes(bytes.data(), static_cast<int>(bytes.size()));
  std::string s(length, 'A');
  for (size_t i = 0; i < length; ++i) s[i] = kChars[bytes[i] & 63];
  return s;
}

uint64_t Random64() {
  uint64_t v = 0;
  RAND_bytes(reinterpret_cast<uint8_t*>(&v), sizeof(v));
  return v;
}

bool Contains(const std::vector<sockaddr_storage>& list, const sockaddr* address) {
  const AddressKey key = AddressKey::Of(address);
  for (const auto& a : list)
    if (AddressKey::Of(reinterpret_cast<const sockaddr*>(&a)) == key) return true;
  return false;
}

}  // namespace

const char* TransportStateName(TransportState state) {
  switch (state) {
    case TransportState::kNew: return "new";
    case TransportState::kChecking: return "checking";
    case TransportState::kConnected: return "connected";
    case TransportState::kDisconnected: return "disconnected";
    case TransportState::kFailed: return "failed";
    case TransportState::kClosed: return "closed";
  }
  return "new";
}

std::shared_ptr<WebRtcTransport> WebRtcTransport::Create(std::shared_ptr<PortDemuxer> port,
                                                         std::shared_ptr<DtlsCertificate> certificate,
                                                         const WebRtcTransportOptions& options, TransportSink* sink,
                                                         std::string* error) {
  if (!port || !certificate) {
    *error = "a WebRTC transport needs the instance's media port and certificate";
    return nullptr;
  }
  std::shared_ptr<WebRtcTransport> transport(new WebRtcTransport(std::move(port), std::move(certificate), options, sink));
  std::promise<void> started;
  auto future = started.get_future();
  MediaThread::Instance().Post([&] {
    transport->Start();
    started.set_value();
  });
  future.get();
  return transport;
}

WebRtcTransport::WebRtcTransport(std::shared_ptr<PortDemuxer> port, std::shared_ptr<DtlsCertificate> certificate,
                                 const WebRtcTransportOptions& options, TransportSink* sink)
    : port_(std::move(port)),
      certificate_(std::move(certificate)),
      options_(options),
      sink_(sink),
      // Short enough to stay in a string's inline storage: the port looks it up per request.
      localUfrag_(RandomIceString(12)),
      localPwd_(RandomIceString(24)),
      tieBreaker_(Random64()),
      feedbackSsrc_(static_cast<uint32_t>(Random64()) | 1u) {}

WebRtcTransport::~WebRtcTransport() = default;

void WebRtcTransport::Start() {
  port_->AddUsername(localUfrag_, this);
  timer_ = new uv_timer_t;
  uv_timer_init(MediaThread::Instance().loop(), timer_);
  timer_->data = this;
  uv_timer_start(timer_, [](uv_timer_t* t) { static_cast<WebRtcTransport*>(t->data)->OnTimer(); }, kTickMs, kTickMs);
}

void WebRtcTransport::SetRemoteParameters(const RemoteTransportParameters& remote) {
  auto self = shared_from_this();
  MediaThread::Instance().Post([self, remote] {
    if (self->closing_) return;
    const bool first = !self->haveRemote_;
    self->remote_ = remote;
    self->haveRemote_ = true;
    self->congestionControl_.store(remote.transportCcExtensionId > 0 && remote.transportCcExtensionId <= 14);
    const uint64_t now = NowNs();
    if (first) {
      self->remoteSetNs_ = now;
      self->checkingSinceNs_ = now;
    }
    if (self->options_.controlling) {
      // The answers to our checks carry no username: the port knows them by where they come from.
      for (const auto& c : remote.candidates)
        if (c.ss_family == self->port_->family()) self->port_->AddAddress(reinterpret_cast<const sockaddr*>(&c), self.get());
    }
    if (self->dtls_) {
      if (self->dtls_->role() == DtlsSession::Role::kServer && remote.dtlsClient) {
        self->OnDtlsFailed("DTLS_FAILED", "the peer took the DTLS client role the description gives us");
        return;
      }
      self->dtls_->SetRemoteFingerprint(remote.fingerprintAlgorithm, remote.fingerprint);
    } else if (self->haveSelected_) {
      self->StartDtls();
    }
    if (first && self->state_.load() == static_cast<int>(TransportState::kNew))
      self->SetState(TransportState::kChecking, "", "");
  });
}

void WebRtcTransport::Close() {
  auto self = shared_from_this();
  MediaThread::Instance().Post([self] { self->Shutdown(); });
}

void WebRtcTransport::Shutdown() {
  if (closing_) return;
  closing_ = true;
  srtpReady_.store(false);
  if (dtls_ && dtls_->state() == DtlsSession::State::kConnected) dtls_->Close();  // close_notify
  port_->Remove(this);
  auto self = shared_from_this();
  uv_timer_stop(timer_);
  timer_->data = new std::shared_ptr<WebRtcTransport>(self);  // kept alive until the handle is closed
  uv_close(reinterpret_cast<uv_handle_t*>(timer_), [](uv_handle_t* h) {
    auto* keep = static_cast<std::shared_ptr<WebRtcTransport>*>(h->data);
    auto transport = *keep;
    delete keep;
    delete reinterpret_cast<uv_timer_t*>(h);
    transport->timer_ = nullptr;
    transport->SetState(TransportState::kClosed, "", "");
    transport->sink_->OnTransportClosed();
  });
}

// ---- ICE

void WebRtcTransport::OnStun(const StunMessage& message, const sockaddr* from, uint64_t nowNs) {
  if (closing_ || message.method != StunMessage::kBinding) return;
  if (message.messageClass == StunMessage::kRequest) OnBindingRequest(message, from, nowNs);
  else if (message.messageClass == StunMessage::kSuccessResponse || message.messageClass == StunMessage::kErrorResponse)
    OnBindingResponse(message, from, nowNs);
}

void WebRtcTransport::OnBindingRequest(const StunMessage& message, const sockaddr* from, uint64_t nowNs) {
  stunRequests_.fetch_add(1, std::memory_order_relaxed);
  // RFC 5389 10.1.2: a request without both USERNAME and MESSAGE-INTEGRITY is a bad request; one
  // whose credentials are not ours (RFC 8445 7.3: USERNAME is ours first, MESSAGE-INTEGRITY
  // keyed with our password) is unauthorized.
  if (!message.username || !message.hasMessageIntegrity) {
    stunAuthFailures_.fetch_add(1, std::memory_order_relaxed);
    SendBindingError(message, from, 400, "Bad Request");
    return;
  }
  const bool nameOk = message.usernameLength > localUfrag_.size() &&
                      std::memcmp(message.username, localUfrag_.data(), localUfrag_.size()) == 0 &&
                      message.username[localUfrag_.size()] == ':';
  if (!nameOk || !message.CheckIntegrity(reinterpret_cast<const uint8_t*>(localPwd_.data()), localPwd_.size())) {
    stunAuthFailures_.fetch_add(1, std::memory_order_relaxed);
    SendBindingError(message, from, 401, "Unauthorized");
    return;
  }
  if (!options_.controlling && message.hasIceControlled) {
    // Both sides controlled: a lite agent cannot take control, so the peer must (RFC 8445 7.3.1.1).
    stunRoleConflicts_.fetch_add(1, std::memory_order_relaxed);
    SendBindingError(message, from, 487, "Role Conflict");
    return;
  }
  StunWriter w(stunBuffer_, sizeof(stunBuffer_), StunMessage::kBinding, StunMessage::kSuccessResponse, message.transactionId);
  w.AddXorMappedAddress(from);
  w.AddMessageIntegrity(reinterpret_cast<const uint8_t*>(localPwd_.data()), localPwd_.size());
  w.AddFingerprint();
  if (w.ok()) port_->Send(stunBuffer_, w.size(), from);

  if (!Contains(validated_, from)) {
    sockaddr_storage a{};
    std::memcpy(&a, from, SocketAddressLength(from->sa_family));
    validated_.push_back(a);
    port_->AddAddress(from, this);
  }
  if (options_.controlling) return;
  const bool isSelected = haveSelected_ && AddressKey::Of(from) == AddressKey::Of(reinterpret_cast<sockaddr*>(&selected_));
  // The controlling agent's nomination decides; until it comes, the first valid pair carries DTLS.
  if (!isSelected && (message.useCandidate || !haveSelected_)) Select(from, nowNs);
  else if (isSelected) lastConsentNs_ = nowNs;
  if (isSelected && state_.load() == static_cast<int>(TransportState::kDisconnected) && srtpReady_.load())
    SetState(TransportState::kConnected, "", "consent is back");
}

void WebRtcTransport::SendBindingError(const StunMessage& request, const sockaddr* to, int code, const char* reason) {
  StunWriter w(stunBuffer_, sizeof(stunBuffer_), StunMessage::kBinding, StunMessage::kErrorResponse, request.transactionId);
  w.AddErrorCode(code, reason);
  w.AddFingerprint();
  if (w.ok()) port_->Send(stunBuffer_, w.size(), to);
}

void WebRtcTransport::OnBindingResponse(const StunMessage& message, const sockaddr* from, uint64_t nowNs) {
  auto it = std::find_if(pendingChecks_.begin(), pendingChecks_.end(), [&](const PendingCheck& c) {
    return std::memcmp(c.transactionId, message.transactionId, 12) == 0;
  });
  if (it == pendingChecks_.end() || !haveRemote_) return;  // not an answer to a check of ours
  // The answer is keyed with the peer's password, as our check was.
  if (!message.CheckIntegrity(reinterpret_cast<const uint8_t*>(remote_.icePwd.data()), remote_.icePwd.size())) {
    stunAuthFailures_.fetch_add(1, std::memory_order_relaxed);
    return;
  }
  pendingChecks_.erase(it);
  if (message.messageClass != StunMessage::kSuccessResponse) return;
  checkResponses_.fetch_add(1, std::memory_order_relaxed);
  lastConsentNs_ = nowNs;
  if (!Contains(validated_, from)) {
    sockaddr_storage a{};
    std::memcpy(&a, from, SocketAddressLength(from->sa_family));
    validated_.push_back(a);
  }
  if (!haveSelected_) Select(from, nowNs);
  else if (state_.load() == static_cast<int>(TransportState::kDisconnected) && srtpReady_.load())
    SetState(TransportState::kConnected, "", "consent is back");
}

void WebRtcTransport::SendCheck(const sockaddr_storage& to, bool consent, uint64_t nowNs) {
  PendingCheck check;
  RAND_bytes(check.transactionId, sizeof(check.transactionId));
  check.to = to;
  check.sentNs = nowNs;
  const std::string username = remote_.iceUfrag + ":" + localUfrag_;
  StunWriter w(stunBuffer_, sizeof(stunBuffer_), StunMessage::kBinding, StunMessage::kRequest, check.transactionId);
  w.AddUsername(username.data(), username.size());
  w.AddPriority((110u << 24) | (65535u << 8) | 255u);  // a peer-reflexive candidate's priority (RFC 8445 5.1.2)
  w.AddIceControlling(tieBreaker_);
  if (!consent) w.AddUseCandidate();  // nominate the first pair that works: the peer is lite
  w.AddMessageIntegrity(reinterpret_cast<const uint8_t*>(remote_.icePwd.data()), remote_.icePwd.size());
  w.AddFingerprint();
  if (!w.ok()) return;
  if (pendingChecks_.size() >= kMaxPendingChecks) pendingChecks_.erase(pendingChecks_.begin());
  pendingChecks_.push_back(check);
  checksSent_.fetch_add(1, std::memory_order_relaxed);
  port_->Send(stunBuffer_, w.size(), reinterpret_cast<const sockaddr*>(&to));
}

void WebRtcTransport::Select(const sockaddr* address, uint64_t nowNs) {
  std::memcpy(&selected_, address, SocketAddressLength(address->sa_family));
  haveSelected_ = true;
  lastConsentNs_ = nowNs;
  {
    std::lock_guard<std::mutex> lock(statsMutex_);
    selectedText_ = FormatSocketAddress(address);
  }
  if (!dtls_ && haveRemote_) StartDtls();
}

// ---- DTLS

void WebRtcTransport::StartDtls() {
  CreateDtls(remote_.dtlsClient ? DtlsSession::Role::kClient : DtlsSession::Role::kServer);
  if (dtls_) dtls_->SetRemoteFingerprint(remote_.fingerprintAlgorithm, remote_.fingerprint);
}

void WebRtcTransport::CreateDtls(DtlsSession::Role role) {
  dtls_ = std::make_unique<DtlsSession>(certificate_, static_cast<DtlsSession::Listener*>(this));
  {
    std::lock_guard<std::mutex> lock(statsMutex_);
    dtlsStateText_ = "connecting";
    dtlsRoleText_ = role == DtlsSession::Role::kClient ? "client" : "server";
  }
  std::string error;
  if (!dtls_->Start(role, &error)) {
    dtls_.reset();
    OnDtlsFailed("DTLS_FAILED", error);
  }
}

void WebRtcTransport::OnDtls(const uint8_t* data, size_t size, const sockaddr* from, uint64_t nowNs) {
  if (closing_) return;
  if (!dtls_) {
    // A ClientHello before the description that gives roles: the peer took the client role, so
    // this side serves. The fingerprint is checked once the description brings it.
    if (haveRemote_ && remote_.dtlsClient) {
      dtlsDropped_.fetch_add(1, std::memory_order_relaxed);
      return;
    }
    if (!haveSelected_) Select(from, nowNs);
    if (!dtls_) CreateDtls(DtlsSession::Role::kServer);
    if (!dtls_) return;
  }
  const uint64_t before = dtls_->recordsDropped();
  dtls_->OnData(data, size);
  dtlsDropped_.fetch_add(dtls_->recordsDropped() - before, std::memory_order_relaxed);
}

void WebRtcTransport::OnDtlsSend(const uint8_t* data, size_t size) {
  if (haveSelected_) port_->Send(data, size, reinterpret_cast<const sockaddr*>(&selected_));
}

void WebRtcTransport::OnDtlsConnected(SrtpProfile profile, const uint8_t* localKeyAndSalt, const uint8_t* remoteKeyAndSalt,
                                      size_t length) {
  std::string error;
  srtpOut_ = SrtpSession::Create(profile, SrtpSession::Direction::kOutbound, localKeyAndSalt, length, &error);
  if (srtpOut_) srtpIn_ = SrtpSession::Create(profile, SrtpSession::Direction::kInbound, remoteKeyAndSalt, length, &error);
  if (!srtpOut_ || !srtpIn_) {
    OnDtlsFailed("DTLS_FAILED", "SRTP could not be keyed: " + error);
    return;
  }
  {
    std::lock_guard<std::mutex> lock(statsMutex_);
    dtlsStateText_ = "connected";
    srtpProfileText_ = SrtpProfileName(profile);
  }
  srtpReady_.store(true);
  connectedAfterMs_.store((NowNs() - remoteSetNs_) / 1e6, std::memory_order_relaxed);
  SetState(TransportState::kConnected, "", "");
}

void WebRtcTransport::OnDtlsFailed(const char* code, const std::string& reason) {
  srtpReady_.store(false);
  {
    std::lock_guard<std::mutex> lock(statsMutex_);
    dtlsStateText_ = "failed";
  }
  SetState(TransportState::kFailed, code, reason);
}

void WebRtcTransport::OnDtlsClosed() {
  srtpReady_.store(false);
  {
    std::lock_guard<std::mutex> lock(statsMutex_);
    dtlsStateText_ = "closed";
  }
  SetState(TransportState::kClosed, "DTLS_CLOSED", "the peer closed DTLS (close_notify)");
}

// ---- Timers: checks, consent, time-outs, DTLS retransmission

void WebRtcTransport::OnTimer() {
  if (closing_) return;
  const uint64_t now = NowNs();
  const auto state = static_cast<TransportState>(state_.load());
  if (state == TransportState::kFailed || state == TransportState::kClosed) return;
  if (dtls_ && dtls_->TimeoutMs() == 0) dtls_->OnTimeout();
  if (congestionControl_.load(std::memory_order_relaxed) && srtpReady_.load(std::memory_order_relaxed)) {
    const size_t n = congestion_.BuildFeedback(now, feedbackSsrc_, lastMediaSsrc_, feedbackBuffer_, sizeof(feedbackBuffer_));
    if (n) Protect(true, feedbackBuffer_, n, nullptr);
  }

  if (options_.controlling && haveRemote_) {
    if (!haveSelected_ && now >= nextCheckNs_ && !remote_.candidates.empty()) {
      for (const auto& c : remote_.candidates)
        if (c.ss_family == port_->family()) SendCheck(c, false, now);
      nextCheckNs_ = now + kCheckIntervalNs * 2;
    } else if (haveSelected_ && now >= nextCheckNs_) {
      SendCheck(selected_, true, now);
      nextCheckNs_ = now + kConsentIntervalNs - kConsentIntervalNs / 5 + (Random64() % (kConsentIntervalNs * 2 / 5));
    }
  }
  if (checkingSinceNs_ && state == TransportState::kChecking && now - checkingSinceNs_ >= options_.iceTimeoutMs * kMs) {
    if (validated_.empty()) SetState(TransportState::kFailed, "ICE_TIMEOUT", "no connectivity check succeeded in time");
    else SetState(TransportState::kFailed, "DTLS_FAILED", "no DTLS handshake completed in time");
    return;
  }
  if (haveSelected_ && state == TransportState::kConnected && now - lastConsentNs_ >= options_.consentTimeoutMs * kMs)
    SetState(TransportState::kDisconnected, "ICE_CONSENT_EXPIRED", "the peer sent no consent check in time (RFC 7675)");
}

void WebRtcTransport::SetState(TransportState state, const char* code, const std::string& reason) {
  const int previous = state_.exchange(static_cast<int>(state));
  if (previous == static_cast<int>(state)) return;
  if (state == TransportState::kFailed) {
    srtpReady_.store(false);
  }
  sink_->OnTransportState(state, code, reason);
}

// ---- Media

WebRtcTransport::Route* WebRtcTransport::RouteOfChannel(TransportChannel* channel) {
  for (auto& r : routes_)
    if (r->channel == channel) return r.get();
  return nullptr;
}

WebRtcTransport::Route* WebRtcTransport::ReceiverOf(uint32_t ssrc) {
  auto it = bySsrc_.find(ssrc);
  return it == bySsrc_.end() ? nullptr : it->second;
}

WebRtcTransport::Route* WebRtcTransport::SenderOf(uint32_t ssrc) {
  for (auto& r : routes_)
    for (uint32_t s : r->sendingSsrcs)
      if (s == ssrc) return r.get();
  return nullptr;
}

WebRtcTransport::Route* WebRtcTransport::RouteFor(const RtpPacket& packet) {
  const uint8_t* mid;
  size_t length;
  Route* found = nullptr;
  if (remote_.midExtensionId > 0 && packet.GetExtension(static_cast<uint8_t>(remote_.midExtensionId), &mid, &length)) {
    for (auto& r : routes_) {
      if (r->route.mid.size() == length && std::memcmp(r->route.mid.data(), mid, length) == 0) {
        found = r.get();
        break;
      }
    }
  }
  if (!found) found = ReceiverOf(packet.ssrc);
  if (!found) {
    // The only channel that receives this payload type (RFC 8843 9.2).
    for (auto& r : routes_) {
      if (std::find(r->route.payloadTypes.begin(), r->route.payloadTypes.end(), packet.payloadType) == r->route.payloadTypes.end())
        continue;
      if (found) return nullptr;  // ambiguous
      found = r.get();
    }
  }
  if (found) {
    auto it = bySsrc_.find(packet.ssrc);
    if (it == bySsrc_.end()) {
      if (bySsrc_.size() < kMaxLearnedSsrcs) bySsrc_.emplace(packet.ssrc, found);
    } else {
      it->second = found;  // a source the MID moved to another channel
    }
  }
  return found;
}

void WebRtcTransport::OnSrtp(uint8_t* data, size_t size, const sockaddr*, uint64_t nowNs) {
  if (closing_) return;
  if (!srtpReady_.load(std::memory_order_relaxed) || !srtpIn_) {
    srtpNotReady_.fetch_add(1, std::memory_order_relaxed);
    return;
  }
  bytesIn_.fetch_add(size, std::memory_order_relaxed);
  const bool rtcp = RtpPacket::LooksLikeRtcp(data, size);
  const auto result = rtcp ? srtpIn_->UnprotectRtcp(data, &size) : srtpIn_->UnprotectRtp(data, &size);
  if (result != SrtpSession::Result::kOk) {
    auto& counter = result == SrtpSession::Result::kAuthFailed ? srtpAuthFailures_
                    : result == SrtpSession::Result::kReplayed ? srtpReplayFailures_
                                                               : srtpMalformed_;
    counter.fetch_add(1, std::memory_order_relaxed);
    return;
  }
  if (rtcp) {
    rtcpIn_.fetch_add(1, std::memory_order_relaxed);
    DeliverRtcp(data, size, nowNs);
    return;
  }
  RtpPacket packet;
  if (!RtpPacket::Parse(data, size, &packet)) {
    srtpMalformed_.fetch_add(1, std::memory_order_relaxed);
    return;
  }
  rtpIn_.fetch_add(1, std::memory_order_relaxed);
  if (congestionControl_.load(std::memory_order_relaxed)) {
    const uint8_t* value;
    size_t length;
    if (packet.GetExtension(static_cast<uint8_t>(remote_.transportCcExtensionId), &value, &length) && length == 2) {
      congestion_.OnPacketReceived(static_cast<uint16_t>((value[0] << 8) | value[1]), nowNs);
      lastMediaSsrc_ = packet.ssrc;
    }
  }
  Route* route = RouteFor(packet);
  if (!route) {
    rtpUnroutable_.fetch_add(1, std::memory_order_relaxed);
    return;
  }
  route->channel->OnTransportRtp(data, size, packet, nowNs);
}

void WebRtcTransport::DeliverRtcp(const uint8_t* data, size_t size, uint64_t nowNs) {
  size_t offset = 0;
  while (offset + 8 <= size) {
    const uint8_t* p = data + offset;
    const size_t length = ((static_cast<size_t>(p[2]) << 8 | p[3]) + 1) * 4;
    if ((p[0] >> 6) != 2 || offset + length > size) {
      rtcpUnroutable_.fetch_add(1, std::memory_order_relaxed);
      return;
    }
    const uint8_t type = p[1];
    const uint8_t count = p[0] & 0x1F;
    // Congestion control feedback is about the transport, not a channel.
    if (type == 205 && count == TransportFeedback::kFmt) {
      if (!congestionControl_.load(std::memory_order_relaxed) || !congestion_.OnTransportFeedback(p, length, nowNs))
        rtcpUnroutable_.fetch_add(1, std::memory_order_relaxed);
      offset += length;
      continue;
    }
    uint32_t remb;
    if (type == 206 && count == 15 && RtcpPacket::ParseRemb(p, length, &remb)) {
      congestion_.OnRemb(remb, nowNs);
      offset += length;
      continue;
    }
    // At most a few channels per packet, each once.
    Route* targets[8];
    size_t n = 0;
    auto add = [&](Route* r) {
      if (!r || n == 8) return;
      for (size_t i = 0; i < n; ++i)
        if (targets[i] == r) return;
      targets[n++] = r;
    };
    auto addBlocks = [&](size_t first) {
      for (size_t b = 0; b < count && first + (b + 1) * 24 <= length; ++b) add(SenderOf(Read32(p + first + b * 24)));
    };
    switch (type) {
      case 200:  // SR: the source's receiver; report blocks go to our senders they are about
        add(ReceiverOf(Read32(p + 4)));
        if (length >= 28) addBlocks(28);
        break;
      case 201:  // RR
        addBlocks(8);
        break;
      case 203:  // BYE
      case 204:  // APP (a subscription names its sender)
        add(ReceiverOf(Read32(p + 4)));
        break;
      case 205:  // RTPFB (NACK)
      case 206:  // PSFB: PLI by its media SSRC, FIR by the SSRC in its first entry
        if (length >= 12) {
          const bool fir = type == 206 && count == 4;
          if (fir && length >= 20) add(SenderOf(Read32(p + 12)));
          else add(SenderOf(Read32(p + 8)));
        }
        break;
      default:  // SDES, XR and the rest: nothing for a channel
        break;
    }
    if (n == 0 && type != 202) rtcpUnroutable_.fetch_add(1, std::memory_order_relaxed);
    for (size_t i = 0; i < n; ++i) targets[i]->channel->OnTransportRtcp(p, length, nowNs);
    offset += length;
  }
}

// The RFC 8852 stream id an SSRC of the route sends under, when the peer takes one (simulcast).
const ChannelRoute::SendStream* WebRtcTransport::StreamIdOf(const ChannelRoute& route, uint32_t ssrc) const {
  for (const auto& s : route.sendStreams) {
    const int id = s.repair ? remote_.repairedRidExtensionId : remote_.ridExtensionId;
    if (s.ssrc == ssrc) return id > 0 && id <= 14 && !s.rid.empty() && s.rid.size() <= 16 ? &s : nullptr;
  }
  return nullptr;
}

bool WebRtcTransport::Protect(bool rtcp, const uint8_t* data, size_t size, const ChannelRoute* route) {
  if (closing_ || !srtpReady_.load(std::memory_order_relaxed) || !srtpOut_ || !haveSelected_ || size > kMaxPacket) {
    sendFailures_.fetch_add(1, std::memory_order_relaxed);
    return false;
  }
  size_t n = 0;
  const bool stamp = !rtcp && congestionControl_.load(std::memory_order_relaxed);
  bool stamped = false;  // a transport-wide sequence number went into this packet
  const bool withMid = !rtcp && route && remote_.midExtensionId > 0 && !route->mid.empty();
  const ChannelRoute::SendStream* stream = rtcp || !route ? nullptr : StreamIdOf(*route, size >= 12 ? Read32(data + 8) : 0);
  RtpPacket packet;
  if ((withMid || stamp || stream) && RtpPacket::Parse(data, size, &packet)) {
    RtpPacket::ExtensionElement elements[3];
    size_t count = 0;
    uint8_t wide[2];
    if (withMid)
      elements[count++] = {static_cast<uint8_t>(remote_.midExtensionId), reinterpret_cast<const uint8_t*>(route->mid.data()), route->mid.size()};
    if (stream)
      elements[count++] = {static_cast<uint8_t>(stream->repair ? remote_.repairedRidExtensionId : remote_.ridExtensionId),
                           reinterpret_cast<const uint8_t*>(stream->rid.data()), stream->rid.size()};
    if (stamp) {
      // Sized as it is now; once protected, as it goes on the wire.
      const uint16_t seq = congestion_.OnPacketSending(static_cast<uint32_t>(size), NowNs());
      wide[0] = static_cast<uint8_t>(seq >> 8);
      wide[1] = static_cast<uint8_t>(seq);
      elements[count++] = {static_cast<uint8_t>(remote_.transportCcExtensionId), wide, 2};
    }
    n = packet.CopyWithExtensions(elements, count, scratch_, kMaxPacket + 32);
    stamped = stamp && n > 0;
  }
  if (n == 0) {
    std::memcpy(scratch_, data, size);
    n = size;
  }
  const bool ok = rtcp ? srtpOut_->ProtectRtcp(scratch_, &n, sizeof(scratch_)) : srtpOut_->ProtectRtp(scratch_, &n, sizeof(scratch_));
  if (!ok || !port_->Send(scratch_, n, reinterpret_cast<const sockaddr*>(&selected_))) {
    sendFailures_.fetch_add(1, std::memory_order_relaxed);
    return false;
  }
  bytesOut_.fetch_add(n, std::memory_order_relaxed);
  (rtcp ? rtcpOut_ : rtpOut_).fetch_add(1, std::memory_order_relaxed);
  if (stamped) congestion_.OnPacketSize(static_cast<uint32_t>(n));
  return true;
}

bool WebRtcTransport::SendRtp(TransportChannel* from, const uint8_t* data, size_t size) {
  Route* route = RouteOfChannel(from);
  if (!route || size < 12) return false;
  const uint32_t ssrc = Read32(data + 8);
  // Feedback and report blocks about this source come back to its channel.
  if (std::find(route->sendingSsrcs.begin(), route->sendingSsrcs.end(), ssrc) == route->sendingSsrcs.end() &&
      route->sendingSsrcs.size() < 64)
    route->sendingSsrcs.push_back(ssrc);
  return Protect(false, data, size, &route->route);
}

bool WebRtcTransport::SendRtcp(TransportChannel* from, const uint8_t* data, size_t size) {
  return RouteOfChannel(from) && Protect(true, data, size, nullptr);
}

bool WebRtcTransport::SendTo(const uint8_t* data, size_t size, const sockaddr* to) { return port_->Send(data, size, to); }

bool WebRtcTransport::Attach(TransportChannel* channel, const ChannelRoute& route, std::string* error) {
  if (closing_) {
    *error = "the session's transport is closed";
    return false;
  }
  if (RouteOfChannel(channel)) return true;
  routes_.push_back(std::make_unique<Route>(Route{channel, ChannelRoute{}, {}}));
  UpdateRoute(channel, route);
  return true;
}

void WebRtcTransport::UpdateRoute(TransportChannel* channel, const ChannelRoute& route) {
  Route* r = RouteOfChannel(channel);
  if (!r) return;
  r->route = route;
  for (uint32_t ssrc : route.remoteSsrcs) bySsrc_[ssrc] = r;
}

void WebRtcTransport::Detach(TransportChannel* channel) {
  for (auto it = bySsrc_.begin(); it != bySsrc_.end();)
    it = it->second->channel == channel ? bySsrc_.erase(it) : std::next(it);
  routes_.erase(std::remove_if(routes_.begin(), routes_.end(), [&](const std::unique_ptr<Route>& r) { return r->channel == channel; }),
                routes_.end());
}

uint32_t WebRtcTransport::AllocateSendBitrate(const void* sender, uint32_t demandBps, uint64_t nowNs) {
  if (!congestionControl_.load(std::memory_order_relaxed)) return 0;
  return congestion_.Allocate(sender, demandBps, nowNs);
}

TransportCounters WebRtcTransport::Counters() const {
  auto r = [](const std::atomic<uint64_t>& v) { return v.load(std::memory_order_relaxed); };
  return TransportCounters{r(rtpIn_) + r(rtcpIn_), r(bytesIn_), 0, r(rtpUnroutable_) + r(rtcpUnroutable_), 0};
}

WebRtcTransportStats WebRtcTransport::Stats() const {
  auto r = [](const std::atomic<uint64_t>& v) { return v.load(std::memory_order_relaxed); };
  WebRtcTransportStats s{};
  s.state = static_cast<TransportState>(state_.load());
  {
    std::lock_guard<std::mutex> lock(statsMutex_);
    s.selectedRemote = selectedText_;
    s.dtlsState = dtlsStateText_;
    s.dtlsRole = dtlsRoleText_;
    s.srtpProfile = srtpProfileText_;
  }
  s.stunRequests = r(stunRequests_);
  s.stunAuthFailures = r(stunAuthFailures_);
  s.stunRoleConflicts = r(stunRoleConflicts_);
  s.checksSent = r(checksSent_);
  s.checkResponses = r(checkResponses_);
  s.dtlsRecordsDropped = r(dtlsDropped_);
  s.srtpNotReady = r(srtpNotReady_);
  s.srtpAuthFailures = r(srtpAuthFailures_);
  s.srtpReplayFailures = r(srtpReplayFailures_);
  s.srtpMalformed = r(srtpMalformed_);
  s.rtpPacketsIn = r(rtpIn_);
  s.rtcpPacketsIn = r(rtcpIn_);
  s.rtpUnroutable = r(rtpUnroutable_);
  s.rtcpUnroutable = r(rtcpUnroutable_);
  s.rtpPacketsOut = r(rtpOut_);
  s.rtcpPacketsOut = r(rtcpOut_);
  s.bytesIn = r(bytesIn_);
  s.bytesOut = r(bytesOut_);
  s.sendFailures = r(sendFailures_);
  s.connectedAfterMs = connectedAfterMs_.load(std::memory_order_relaxed);
  s.congestionControl = congestionControl_.load(std::memory_order_relaxed);
  s.congestion = congestion_.Stats();
  return s;
}

}  // namespace callmedia
