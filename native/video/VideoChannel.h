// A video channel: a receive half and, when configured, a send half, on a transport.
#pragma once
#include <memory>
#include <string>

#include "net/RtpChannel.h"
#include "video/VideoReceiver.h"
#include "video/VideoSender.h"

namespace callmedia {

struct VideoChannelOptions {
  RtpChannelOptions channel;
  VideoReceiverOptions receive;
  bool send = false;
  VideoSenderOptions sendOptions;
};

struct VideoChannelStats {
  RtpChannelStats transport;
  VideoReceiverStats receive;
  bool sending;
  VideoSenderStats send;
};

class VideoChannel : public RtpChannel {
 public:
  static std::shared_ptr<VideoChannel> Create(const VideoChannelOptions& options, std::shared_ptr<Transport> transport,
                                              TransportCloser closeTransport, VideoSink* sink, std::string* error);

  VideoSender* sender() { return sender_.get(); }
  void RequestKeyFrame();
  void Subscribe(uint32_t sourceId, uint16_t width, uint16_t height);
  // Node thread: the codec of each received payload type (what the session negotiated).
  void SetPayloadCodecs(std::vector<std::pair<uint8_t, VideoCodec>> codecs);
  // Node thread: the RTX payload types received, each with the payload type it repairs.
  void SetRtxPayloads(std::vector<std::pair<uint8_t, uint8_t>> rtx);
  VideoChannelStats Stats() const;

 private:
  VideoChannel(const VideoChannelOptions& options, std::shared_ptr<Transport> transport, TransportCloser closeTransport,
               VideoSink* sink);
  bool OnRtpPacket(const uint8_t* data, size_t size, const RtpPacket& packet, uint64_t nowNs) override;
  void OnMalformedRtp() override { receiver_->CountMalformed(); }
  void FillRtcpHandlers(RtcpPacket::Handlers* handlers, uint64_t nowNs) override;
  void OnTick(uint64_t nowNs) override;
  void OnStart(uv_loop_t* loop) override;
  void OnStop() override;
  void Finish(std::function<void()> done) override;

  std::unique_ptr<VideoReceiver> receiver_;
  std::unique_ptr<VideoSender> sender_;
};

}  // namespace callmedia
