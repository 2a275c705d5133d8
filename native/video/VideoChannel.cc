#include "video/VideoChannel.h"

#include "common/Clock.h"

namespace callmedia {

VideoChannel::VideoChannel(const VideoChannelOptions& options, std::shared_ptr<Transport> transport,
                           TransportCloser closeTransport, VideoSink* sink)
    : RtpChannel(std::move(transport), std::move(closeTransport), options.channel, sink) {
  receiver_ = std::make_unique<VideoReceiver>(options.receive, &context_, sink);
  if (options.send) sender_ = std::make_unique<VideoSender>(options.sendOptions, &context_);
}

std::shared_ptr<VideoChannel> VideoChannel::Create(const VideoChannelOptions& options, std::shared_ptr<Transport> transport,
                                                   TransportCloser closeTransport, VideoSink* sink, std::string* error) {
  std::shared_ptr<VideoChannel> channel(new VideoChannel(options, std::move(transport), std::move(closeTransport), sink));
  if (!channel->receiver_->ok(error)) return nullptr;
  if (channel->sender_ && !channel->sender_->Init(error)) return nullptr;
  if (!channel->Open(channel, error)) return nullptr;
  return channel;
}

void VideoChannel::RequestKeyFrame() {
  PostToMedia([this] { receiver_->RequestKeyFrame(NowNs()); });
  if (sender_) sender_->ForceKeyFrame();
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
  if (sender_) {
    handlers->onFeedback = [this](const RtcpFeedback& fb) { sender_->OnFeedback(fb); };
    handlers->onReportBlock = [this, nowNs](const ReportBlock& block) { sender_->OnReportBlock(block, nowNs); };
  }
}

void VideoChannel::OnTick(uint64_t nowNs) {
  receiver_->OnTick(nowNs);
  if (sender_) sender_->OnTick(nowNs);
}

void VideoChannel::OnStart(uv_loop_t* loop) {
  if (sender_) sender_->Start(loop);
}

void VideoChannel::OnStop() {
  if (sender_) sender_->Stop();
}

void VideoChannel::Finish(std::function<void()> done) {
  if (!sender_) {
    receiver_->Finish(std::move(done));
    return;
  }
  sender_->Finish([this, done] { receiver_->Finish(done); });
}

VideoChannelStats VideoChannel::Stats() const {
  VideoChannelStats s{};
  s.transport = TransportStats();
  s.receive = receiver_->Stats();
  s.sending = sender_ != nullptr;
  if (sender_) s.send = sender_->Stats();
  return s;
}

}  // namespace callmedia
