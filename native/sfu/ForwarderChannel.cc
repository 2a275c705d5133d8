#include "sfu/ForwarderChannel.h"

#include <algorithm>
#include <cstring>
#include <random>

#include "net/SocketAddress.h"
#include "video/H264Depacketizer.h"

namespace callmedia {

namespace {
bool ParseTarget(const std::string& address, int port, sockaddr_storage* out) {
  return port > 0 && port <= 65535 && ParseSocketAddress(address, port, out);
}

uint32_t Random32() {
  std::random_device rd;
  return static_cast<uint32_t>(rd());
}
}  // namespace

ForwarderChannel::ForwarderChannel(const ForwarderOptions& options, std::shared_ptr<Transport> transport,
                                   TransportCloser closeTransport, ChannelSink* sink, ForwarderListener* listener)
    : RtpChannel(std::move(transport), std::move(closeTransport), options.channel, sink),
      options_(options),
      listener_(listener),
      rewriter_(Random32() | 1u, static_cast<uint16_t>(Random32())) {}

std::shared_ptr<ForwarderChannel> ForwarderChannel::Create(const ForwarderOptions& options, std::shared_ptr<Transport> transport,
                                                           TransportCloser closeTransport, ChannelSink* sink,
                                                           ForwarderListener* listener, std::string* error) {
  std::shared_ptr<ForwarderChannel> channel(
      new ForwarderChannel(options, std::move(transport), std::move(closeTransport), sink, listener));
  if (!channel->Open(channel, error)) return nullptr;
  return channel;
}

void ForwarderChannel::AddTarget(const std::string& address, int port, const std::string& layer,
                                 const PayloadTypeMap& receives, std::string* error) {
  sockaddr_storage addr;
  if (!ParseTarget(address, port, &addr)) {
    *error = "bad target address " + address + ":" + std::to_string(port);
    return;
  }
  PostToMedia([this, addr, layer, receives] {
    if (Target* t = FindTarget(&addr, nullptr)) {
      if (t->layer != layer) {
        t->layer = layer;
        t->waitingKeyFrame = options_.video;
      }
      t->receives = receives;
      return;
    }
    targets_.push_back(Target{addr, {}, false, options_.video, layer, receives});
    targetCount_.store(targets_.size(), std::memory_order_relaxed);
  });
}

ForwarderChannel::Target* ForwarderChannel::FindTarget(const sockaddr_storage* address,
                                                       const std::shared_ptr<ForwarderChannel>& consumer) {
  for (auto& t : targets_) {
    if (address && !t.toConsumer && SameSocketAddress(t.address, *address)) return &t;
    if (consumer && t.toConsumer && t.consumer.lock() == consumer) return &t;
  }
  return nullptr;
}

void ForwarderChannel::RemoveTarget(const std::string& address, int port) {
  sockaddr_storage addr;
  if (!ParseTarget(address, port, &addr)) return;
  PostToMedia([this, addr] {
    for (auto it = targets_.begin(); it != targets_.end(); ++it) {
      if (!it->toConsumer && SameSocketAddress(it->address, addr)) {
        targets_.erase(it);
        break;
      }
    }
    targetCount_.store(targets_.size(), std::memory_order_relaxed);
  });
}

void ForwarderChannel::AddConsumer(const std::shared_ptr<ForwarderChannel>& consumer, const std::string& layer) {
  std::weak_ptr<ForwarderChannel> weak = consumer;
  PostToMedia([this, weak, layer] {
    auto c = weak.lock();
    if (!c) return;
    if (Target* t = FindTarget(nullptr, c)) {
      if (t->layer != layer) {
        t->layer = layer;
        t->waitingKeyFrame = options_.video;
      }
      return;
    }
    targets_.push_back(Target{sockaddr_storage{}, weak, true, options_.video, layer, PayloadTypeMap{}});
    targetCount_.store(targets_.size(), std::memory_order_relaxed);
  });
}

void ForwarderChannel::RemoveConsumer(const std::shared_ptr<ForwarderChannel>& consumer) {
  std::weak_ptr<ForwarderChannel> weak = consumer;
  PostToMedia([this, weak] {
    auto c = weak.lock();
    // The consumer named, and any that closed since.
    targets_.erase(std::remove_if(targets_.begin(), targets_.end(),
                                  [&](const Target& t) { return t.toConsumer && (t.consumer.expired() || t.consumer.lock() == c); }),
                   targets_.end());
    targetCount_.store(targets_.size(), std::memory_order_relaxed);
  });
}

void ForwarderChannel::Consume(const RtpPacket& packet, const ForwarderChannel* from) {
  if (context_.closing) return;
  const int payloadType = PayloadTypeMap::Translate(packet.payloadType, from->payloadTypes_, payloadTypes_);
  if (payloadType < 0) {
    packetsNoCodec_.fetch_add(1, std::memory_order_relaxed);
    return;
  }
  packetsConsumed_.fetch_add(1, std::memory_order_relaxed);
  const uint32_t source = from->sourceId_ ? from->sourceId_ : packet.sourceId();
  size_t n;
  if (options_.rewrite) {
    n = rewriter_.Rewrite(packet, from, source, static_cast<uint8_t>(payloadType), buffer_, sizeof(buffer_));
  } else {
    // As it came (audio: the bot mixes by SSRC), but under the roster's id when the sender
    // picked its own, and in this session's numbers.
    const bool forwarded = !from->sourceId_ && packet.csrcCount > 0;
    const RtpPacket::ForwardedHeader header{from->sourceId_ ? from->sourceId_ : packet.ssrc, packet.sequenceNumber,
                                            static_cast<uint8_t>(payloadType), forwarded, forwarded ? packet.csrc(0) : 0};
    n = packet.CopyAsForwarded(header, buffer_, sizeof(buffer_));
  }
  if (n > 0) SendPacket(buffer_, n);
}

void ForwarderChannel::RequestKeyFrame() {
  PostToMedia([this] {
    if (!HasRemote() || lastSsrc_ == 0) return;
    uint8_t buffer[16 + 12 * SimulcastStreams::kMaxStreams];
    size_t n = RtcpPacket::WriteReceiverReport(buffer, sizeof(buffer), 0x5F0 /* the service */, nullptr);
    if (streams_.size() == 0) n += RtcpPacket::WritePli(buffer + n, sizeof(buffer) - n, 0x5F0, lastSsrc_);
    for (size_t i = 0; i < streams_.size(); ++i) n += RtcpPacket::WritePli(buffer + n, sizeof(buffer) - n, 0x5F0, streams_.at(i).ssrc);
    SendPacket(buffer, n);
  });
}

void ForwarderChannel::SetStreamIdExtension(int id) {
  PostToMedia([this, id] { streams_.SetExtensionId(id); });
}

void ForwarderChannel::SetPayloadTypes(const PayloadTypeMap& map) {
  PostToMedia([this, map] { payloadTypes_ = map; });
}

void ForwarderChannel::SetSourceId(uint32_t sourceId) {
  PostToMedia([this, sourceId] { sourceId_ = sourceId; });
}

bool ForwarderChannel::OnRtpPacket(const uint8_t* data, size_t size, const RtpPacket& packet, uint64_t) {
  packetsIn_.fetch_add(1, std::memory_order_relaxed);
  bytesIn_.fetch_add(size, std::memory_order_relaxed);
  lastSsrc_ = packet.ssrc;
  lastSsrcSeen_.store(packet.ssrc, std::memory_order_relaxed);
  SimulcastStreams::Stream& stream = streams_.Of(packet);
  const bool startsKeyFrame =
      options_.video && stream.frameStart && h264::PayloadStartsKeyFrame(packet.payload, packet.payloadSize);
  stream.frameStart = packet.marker;
  for (auto& target : targets_) {
    if (!target.layer.empty() && target.layer != stream.rid) {
      packetsOtherLayer_.fetch_add(1, std::memory_order_relaxed);
      continue;
    }
    if (target.waitingKeyFrame) {
      if (!startsKeyFrame) {
        packetsGated_.fetch_add(1, std::memory_order_relaxed);
        continue;
      }
      target.waitingKeyFrame = false;
    }
    if (target.toConsumer) {
      if (auto consumer = target.consumer.lock()) {
        consumer->Consume(packet, this);
        packetsForwarded_.fetch_add(1, std::memory_order_relaxed);
      }
    } else if (SendToPlain(data, size, packet, target)) {
      packetsForwarded_.fetch_add(1, std::memory_order_relaxed);
    }
  }
  return true;
}

bool ForwarderChannel::SendToPlain(const uint8_t* data, size_t size, const RtpPacket& packet, const Target& to) {
  const auto* address = reinterpret_cast<const sockaddr*>(&to.address);
  // A plain port that said what its numbers mean gets each codec under its own number (a
  // browser's telephone-event at 110 reaches a listener that takes it at 101); a codec it has
  // no number for is not sent.
  const int payloadType = PayloadTypeMap::Translate(packet.payloadType, payloadTypes_, to.receives);
  if (payloadType < 0) {
    packetsNoCodec_.fetch_add(1, std::memory_order_relaxed);
    return false;
  }
  if (!sourceId_ && payloadType == packet.payloadType) return transport()->SendTo(data, size, address);
  // A sender with a roster id of its own (a browser) reaches plain ports under that id, as a
  // synthetic participant's packets do: the recorder and the service's listener tell voices apart by SSRC.
  const uint32_t ssrc = sourceId_ ? sourceId_ : packet.ssrc;
  const size_t n = packet.CopyAsForwarded({ssrc, packet.sequenceNumber, static_cast<uint8_t>(payloadType), false, 0}, buffer_, sizeof(buffer_));
  return n > 0 && transport()->SendTo(buffer_, n, address);
}

void ForwarderChannel::FillRtcpHandlers(RtcpPacket::Handlers* handlers, uint64_t) {
  handlers->onSubscription = [this](const RtcpSubscription& s) { listener_->OnSubscription(s.sourceId, s.width, s.height); };
  handlers->onFeedback = [this](const RtcpFeedback& fb) {
    if (fb.kind == RtcpFeedback::Kind::Pli || fb.kind == RtcpFeedback::Kind::Fir) listener_->OnKeyFrameRequested(fb.mediaSsrc);
  };
}

ForwarderStats ForwarderChannel::Stats() const {
  ForwarderStats s{};
  s.transport = TransportStats();
  s.packetsIn = packetsIn_.load(std::memory_order_relaxed);
  s.bytesIn = bytesIn_.load(std::memory_order_relaxed);
  s.packetsForwarded = packetsForwarded_.load(std::memory_order_relaxed);
  s.packetsGated = packetsGated_.load(std::memory_order_relaxed);
  s.packetsConsumed = packetsConsumed_.load(std::memory_order_relaxed);
  s.ssrc = rewriter_.ssrc();
  s.targets = targetCount_.load(std::memory_order_relaxed);
  s.lastSsrc = lastSsrcSeen_.load(std::memory_order_relaxed);
  s.packetsOtherLayer = packetsOtherLayer_.load(std::memory_order_relaxed);
  s.packetsNoCodec = packetsNoCodec_.load(std::memory_order_relaxed);
  s.streams = streams_.Snapshot();
  return s;
}

}  // namespace callmedia
