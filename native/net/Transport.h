// A transport carries the RTP and RTCP of one or more media channels (RFC 8843 BUNDLE): it owns
// the way to the network (a socket of its own, or a share of the instance port), decides which
// channel a packet belongs to, and sends what channels give it. A channel never owns a socket.
//
// Two kinds: PlainRtpTransport (one port per channel, no encryption, for ffmpeg and GStreamer
// pipelines) and WebRtcTransport (ICE-lite, DTLS-SRTP, one port per instance).
#pragma once
#include <uv.h>

#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "rtp/RtpPacket.h"

namespace callmedia {

// A media channel as its transport sees it. Media thread only.
class TransportChannel {
 public:
  virtual ~TransportChannel() = default;
  // A parsed RTP packet routed to this channel. True when the channel takes it (it belongs to
  // a stream the channel receives): a plain transport learns where its remote is from that.
  virtual bool OnTransportRtp(const uint8_t* data, size_t size, const RtpPacket& packet, uint64_t nowNs) = 0;
  // RTP that did not parse, on a transport that carries only this channel.
  virtual void OnTransportMalformedRtp() = 0;
  // One RTCP packet or compound, in the clear, meant for this channel. False when it does not parse.
  virtual bool OnTransportRtcp(const uint8_t* data, size_t size, uint64_t nowNs) = 0;
};

// What a transport needs to find a channel's packets among the others of its bundle.
struct ChannelRoute {
  std::string mid;                    // RFC 8843 media id ("" on a plain transport)
  std::vector<uint8_t> payloadTypes;  // payload types the channel receives
  std::vector<uint32_t> remoteSsrcs;  // SSRCs the remote description announces for this channel
  // RFC 8852 RTP stream ids of what the channel sends (a simulcast socket's layers): each of
  // these SSRCs' packets carries its rid, a retransmission (`repair`) the rid it repairs.
  struct SendStream {
    uint32_t ssrc;
    std::string rid;
    bool repair;
  };
  std::vector<SendStream> sendStreams;
};

struct TransportCounters {
  uint64_t datagrams, bytes, truncated, unroutable;
  uint64_t refused;  // from an address the transport does not take media or feedback from
};

class Transport {
 public:
  virtual ~Transport() = default;

  // Media thread. A channel is attached while it is open; the transport never calls it after
  // Detach returns.
  virtual bool Attach(TransportChannel* channel, const ChannelRoute& route, std::string* error) = 0;
  virtual void Detach(TransportChannel* channel) = 0;
  // Replaces an attached channel's route (a new remote description).
  virtual void UpdateRoute(TransportChannel* channel, const ChannelRoute& route) = 0;

  // Media thread. False when nothing was sent (not connected, no remote, the socket refused).
  virtual bool SendRtp(TransportChannel* from, const uint8_t* data, size_t size) = 0;
  virtual bool SendRtcp(TransportChannel* from, const uint8_t* data, size_t size) = 0;
  // A datagram in the clear to an address outside the transport (the service's forwarding).
  virtual bool SendTo(const uint8_t* data, size_t size, const sockaddr* to) = 0;
  // True once media can go out (a remote is known; for WebRTC, SRTP is keyed).
  virtual bool CanSend() const = 0;
  // The send bitrate the transport's congestion control gives a sender asking for `demandBps`
  // (bits/s), or 0 when the transport estimates nothing (no transport-wide feedback negotiated,
  // or none has come yet): the sender then sends what it was configured to. `sender` names the
  // stream (one channel may send several: simulcast layers) and is never dereferenced.
  virtual uint32_t AllocateSendBitrate(const void* /*sender*/, uint32_t /*demandBps*/, uint64_t /*nowNs*/) { return 0; }
  // Media thread: a round trip one of its channels measured; congestion control paces its
  // growth and its loss-based cuts by it.
  virtual void OnRoundTrip(double /*ms*/) {}

  // Any thread.
  virtual TransportCounters Counters() const = 0;
};

}  // namespace callmedia
