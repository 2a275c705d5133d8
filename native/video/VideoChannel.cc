#include "video/VideoChannel.h"

#include <cstring>

#include "common/Clock.h"

namespace callmedia {

VideoChannel::VideoChannel(const VideoChannelOptions& options, std::shared_ptr<Transport> transport,
                           TransportCloser closeTransport, VideoSink* sink)
    : RtpChannel(std::move(transport), std::move(closeTransport), options.channel, sink) {
  receiver_ = std::make_unique<VideoReceiver>(options.receive, &context_, sink);
  if (!options.send) return;
  senders_.push_back(std::make_unique<VideoSender>(options.sendOptions, &context_));
  for (VideoSenderOptions layer : options.moreLayers) {
    layer.scale = true;  // each layer scales the first's frame to its own size
    senders_.push_back(std::make_unique<VideoSender>(layer, &context_));
  }
}

std::shared_ptr<VideoChannel> VideoChannel::Create(const VideoChannelOptions& options, std::shared_ptr<Transport> transport,
                                                   TransportCloser closeTransport, VideoSink* sink, std::string* error) {
  std::shared_ptr<VideoChannel> channel(new VideoChannel(options, std::move(transport), std::move(closeTransport), sink));
  if (!channel->receiver_->ok(error)) return nullptr;
  for (auto& sender : channel->senders_)
    if (!sender->Init(error)) return nullptr;
  if (!channel->Open(channel, error)) return nullptr;
  return channel;
}

void VideoChannel::RequestKeyFrame() {
  PostToMedia([this] { receiver_->RequestKeyFrame(NowNs()); });
  for (auto& sender : senders_) sender->ForceKeyFrame();
}

bool VideoChannel::QueueRaw(PixelFormat format, const uint8_t* data, size_t size, int width, int height,
                            uint32_t rtpTimestamp, std::string* error) {
  if (senders_.empty()) return false;
  if (senders_.size() == 1) return senders_[0]->QueueRaw(format, data, size, width, height, rtpTimestamp, error);
  if (!senders_[0]->CheckRaw(format, size, width, height, error)) return false;
  auto copy = std::make_shared<PooledBuffer>(PooledBuffer::Make(size));
  std::memcpy(copy->data(), data, size);
  for (auto& sender : senders_) sender->QueueShared(copy, format, width, height, rtpTimestamp);
  return true;
}

void VideoChannel::SetCodec(VideoCodec codec, int payloadType) {
  for (auto& sender : senders_) sender->SetCodec(codec, payloadType);
}

void VideoChannel::SetRtx(int payloadType) {
  for (auto& sender : senders_) sender->SetRtx(payloadType);
}

void VideoChannel::Subscribe(uint32_t sourceId, uint16_t width, uint16_t height) {
  PostToMedia([this, sourceId, width, height] { receiver_->Subscribe(sourceId, width, height, NowNs()); });
}

void VideoChannel::SetPayloadCodecs(std::vector<std::pair<uint8_t, VideoCodec>> codecs) {
  PostToMedia([this, codecs] { receiver_->SetPayloadCodecs(codecs); });
}

void VideoChannel::SetRtxPayloads(std::vector<std::pair<uint8_t, uint8_t>> rtx) {
  PostToMedia([this, rtx] { receiver_->SetRtxPayloads(rtx); });
}

bool VideoChannel::OnRtpPacket(const uint8_t* data, size_t size, const RtpPacket& packet, uint64_t nowNs) {
  return receiver_->OnRtp(data, size, packet, nowNs);
}

void VideoChannel::FillRtcpHandlers(RtcpPacket::Handlers* handlers, uint64_t nowNs) {
  handlers->onSenderReport = [this, nowNs](const RtcpSenderReport& sr) { receiver_->OnSenderReport(sr, nowNs); };
  if (!senders_.empty()) {
    // Each layer takes what names its SSRC.
    handlers->onFeedback = [this](const RtcpFeedback& fb) {
      for (auto& sender : senders_) sender->OnFeedback(fb);
    };
    handlers->onReportBlock = [this, nowNs](const ReportBlock& block) {
      for (auto& sender : senders_) sender->OnReportBlock(block, nowNs);
    };
  }
}

void VideoChannel::OnTick(uint64_t nowNs) {
  receiver_->OnTick(nowNs);
  for (auto& sender : senders_) sender->OnTick(nowNs);
}

void VideoChannel::OnStart(uv_loop_t* loop) {
  for (auto& sender : senders_) sender->Start(loop);
}

void VideoChannel::OnStop() {
  for (auto& sender : senders_) sender->Stop();
}

// Behind every layer's queued encodes, then the receiver's decodes.
void VideoChannel::Finish(std::function<void()> done) {
  FinishFrom(0, std::move(done));
}

void VideoChannel::FinishFrom(size_t layer, std::function<void()> done) {
  if (layer >= senders_.size()) {
    receiver_->Finish(std::move(done));
    return;
  }
  senders_[layer]->Finish([this, layer, done] { FinishFrom(layer + 1, done); });
}

VideoChannelStats VideoChannel::Stats() const {
  VideoChannelStats s{};
  s.transport = TransportStats();
  s.receive = receiver_->Stats();
  s.sending = !senders_.empty();
  if (s.sending) s.send = senders_[0]->Stats();
  if (senders_.size() > 1)
    for (const auto& sender : senders_) s.layers.push_back(sender->Stats());
  return s;
}

}  // namespace callmedia
