// What the parts of a media channel (receiver, sender) share: the way out to the network, the
// way up to JavaScript, and a keep-alive for work they post to other threads.
#pragma once
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>

namespace callmedia {

// Receives events for JavaScript. Called from the media thread or a worker; never blocks.
class ChannelSink {
 public:
  virtual ~ChannelSink() = default;
  // kind: "keyFrameRequested" (we asked our sender), "keyFrameNeeded" (our receiver asked us),
  // "error" (code + message).
  virtual void OnEvent(const char* kind, const char* code, const std::string& message) = 0;
  // The last call: nothing reaches the sink after it.
  virtual void OnClosed() = 0;
};

// The channel's way to the network, media thread only: RTP or RTCP, whichever the bytes are.
class PacketTransport {
 public:
  virtual ~PacketTransport() = default;
  virtual bool SendPacket(const uint8_t* data, size_t size) = 0;
  // False until there is somewhere to send (a remote address, a connected transport).
  virtual bool HasRemote() const = 0;
  // What congestion control lets `sender` (a stream of the channel), asking for `demandBps`,
  // send (bits/s); 0: no estimate, send as configured.
  virtual uint32_t AllocateSendBitrate(const void* sender, uint32_t demandBps, uint64_t nowNs) = 0;
  // A round trip a sender measured (RFC 3550 6.4.1, from a report block), for congestion control.
  virtual void ReportRoundTrip(double ms) = 0;
};

struct ChannelContext {
  std::weak_ptr<void> owner;  // lock() it to keep the channel alive across threads
  PacketTransport* transport = nullptr;
  ChannelSink* sink = nullptr;
  bool closing = false;  // media thread
};

}  // namespace callmedia
