// The transport a channel's JavaScript options ask for: a plain RTP port of its own (address,
// port, remoteAddress, remotePort, followRemote), opened here, or the shared transport of a
// media session (`transport`: a WebRtcTransport handle), with the channel's route on it.
#pragma once
#include <napi.h>

#include <memory>
#include <string>

#include "net/PlainRtpTransport.h"
#include "net/RtpChannel.h"

namespace callmedia {

struct ChannelTransport {
  std::shared_ptr<Transport> transport;
  RtpChannel::TransportCloser closer;          // set for a port the channel owns
  std::shared_ptr<PlainRtpTransport> plain;    // the channel's own port, if it has one

  int sharedPort = 0;                          // the instance port, for a channel on a session's transport

  int localPort() const { return plain ? plain->localPort() : sharedPort; }
  // For a channel that never opened: closes the port it would have owned.
  void Abandon();
};

// False with a JavaScript exception pending (code INVALID_ARGUMENT or BIND_FAILED).
bool OpenChannelTransport(Napi::Env env, const Napi::Object& options, ChannelTransport* out);
// The `route` option ({ mid, payloadTypes, remoteSsrcs }); empty when absent.
ChannelRoute ReadRoute(const Napi::Value& value);

// setRemote(address, port) on a channel's own port; a shared transport has none to set.
void SetChannelRemote(const Napi::CallbackInfo& info, const ChannelTransport& transport, bool closed, const char* kind);

}  // namespace callmedia
