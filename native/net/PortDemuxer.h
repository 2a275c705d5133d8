// The instance's media port: one UDP socket shared by every WebRTC transport of a
// MediaPlatform, as a hosting platform with one public media port per instance needs.
//
// Each datagram is sorted by its first byte (RFC 7983). STUN requests go to the transport whose
// ICE username fragment they name (and a transport's own checks' answers by the address they
// came from); DTLS and SRTP go to the transport whose remote address ICE validated. Nothing
// reaches a transport from an address it did not validate; what matches none is counted and
// dropped. Media thread only, but for Open and the counters.
#pragma once
#include <atomic>
#include <functional>
#include <memory>
#include <string>
#include <unordered_map>

#include "net/SocketAddress.h"
#include "net/StunMessage.h"
#include "net/UdpSocket.h"

namespace callmedia {

struct PortDemuxerCounters {
  uint64_t datagrams, bytes, truncated, stunMalformed, stunUnknownUsername, unknownAddress, unknownKind;
};

class PortDemuxer : private UdpSocket::Listener, public std::enable_shared_from_this<PortDemuxer> {
 public:
  // A transport, as the port sees it.
  struct Endpoint {
    virtual ~Endpoint() = default;
    virtual void OnStun(const StunMessage& message, const sockaddr* from, uint64_t nowNs) = 0;
    virtual void OnDtls(const uint8_t* data, size_t size, const sockaddr* from, uint64_t nowNs) = 0;
    // RTP or RTCP, still protected; the buffer may be decrypted in place.
    virtual void OnSrtp(uint8_t* data, size_t size, const sockaddr* from, uint64_t nowNs) = 0;
  };

  // Binds on the media thread and waits for the outcome.
  static std::shared_ptr<PortDemuxer> Open(const std::string& address, int port, std::string* error);
  ~PortDemuxer() override = default;

  int localPort() const { return localPort_; }
  int family() const { return family_; }

  void AddUsername(const std::string& localUfrag, Endpoint* endpoint);
  // An address ICE validated (or a remote candidate the endpoint checks) now belongs to it.
  void AddAddress(const sockaddr* address, Endpoint* endpoint);
  void RemoveAddress(const sockaddr* address, Endpoint* endpoint);
  // Forgets the endpoint's username and every address of it.
  void Remove(Endpoint* endpoint);
  bool Send(const uint8_t* data, size_t size, const sockaddr* to);
  // Closes the socket (once every transport has gone), then runs `done` on the media thread.
  void Close(std::function<void()> done);

  PortDemuxerCounters Counters() const;

 private:
  PortDemuxer() = default;
  bool Start(const std::string& address, int port, std::string* error);
  void OnDatagram(uint8_t* data, size_t size, const sockaddr* from, uint64_t nowNs) override;
  void OnTruncated() override { truncated_.fetch_add(1, std::memory_order_relaxed); }
  void OnStunDatagram(const uint8_t* data, size_t size, const sockaddr* from, uint64_t nowNs);
  Endpoint* ByAddress(const sockaddr* from);

  UdpSocket* socket_ = nullptr;
  int localPort_ = 0;
  int family_ = 0;
  std::unordered_map<std::string, Endpoint*> byUsername_;
  std::unordered_map<AddressKey, Endpoint*, AddressKeyHash> byAddress_;
  std::atomic<uint64_t> datagrams_{0}, bytes_{0}, truncated_{0}, stunMalformed_{0}, stunUnknown_{0}, unknownAddress_{0},
      unknownKind_{0};
};

}  // namespace callmedia
