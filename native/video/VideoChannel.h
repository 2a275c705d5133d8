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
  // Simulcast: more encodings of the same frames beside sendOptions' (the first layer), each
  // with its own size, bitrate, SSRC, encoder and strand.
  std::vector<VideoSenderOptions> moreLayers;
};

struct VideoChannelStats {
  RtpChannelStats transport;
  VideoReceiverStats receive;
  bool sending;
  VideoSenderStats send;              // the first layer
  std::vector<VideoSenderStats> layers;  // every layer, the first included, when there are several
};

class VideoChannel : public RtpChannel {
 public:
  static std::shared_ptr<VideoChannel> Create(const VideoChannelOptions& options, std::shared_ptr<Transport> transport,
                                              TransportCloser closeTransport, VideoSink* sink, std::string* error);

  // The first (or only) layer; nullptr when the channel does not send.
  VideoSender* sender() { return senders_.empty() ? nullptr : senders_.front().get(); }
  size_t layerCount() const { return senders_.size(); }
  VideoSender* layer(size_t i) { return i < senders_.size() ? senders_[i].get() : nullptr; }
  // Node thread: one copy of the frame feeds every layer (checked against the first's size).
  bool QueueRaw(PixelFormat format, const uint8_t* data, size_t size, int width, int height, uint32_t rtpTimestamp,
                std::string* error);
  void SetCodec(VideoCodec codec, int payloadType);
  void SetRtx(int payloadType);
  void RequestKeyFrame();
  void SetShedding(bool on) { receiver_->SetShedding(on); }
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
  void FinishFrom(size_t layer, std::function<void()> done);

  std::unique_ptr<VideoReceiver> receiver_;
  std::vector<std::unique_ptr<VideoSender>> senders_;  // the layers, largest first
};

}  // namespace callmedia
