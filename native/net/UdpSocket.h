// A UDP socket on the media thread. One receive buffer per socket, reused for every datagram:
// no allocation per packet. Every method runs on the media thread.
#pragma once
#include <uv.h>

#include <atomic>
#include <cstdint>
#include <functional>
#include <string>

namespace callmedia {

class UdpSocket {
 public:
  struct Listener {
    virtual ~Listener() = default;
    // `data` is the socket's own buffer, valid during the call (a listener may decrypt in place).
    virtual void OnDatagram(uint8_t* data, size_t size, const sockaddr* from, uint64_t nowNs) = 0;
    // A datagram larger than the receive buffer arrived and was cut: not media of ours.
    virtual void OnTruncated() {}
  };

  explicit UdpSocket(Listener* listener);
  // A socket bound and receiving, or null (message in `error`).
  static UdpSocket* Open(Listener* listener, const std::string& address, int port, std::string* error);
  // Returns 0 or a libuv error code (message in `error`).
  int Bind(const std::string& address, int port, std::string* error);
  int LocalPort() const;
  bool Send(const uint8_t* data, size_t size, const sockaddr* to);
  // Stops receiving, closes the handle, then calls `onClosed` and deletes this object.
  void Close(std::function<void()> onClosed);

  uint64_t sendErrors() const { return sendErrors_.load(std::memory_order_relaxed); }

 private:
  ~UdpSocket() = default;
  static void OnAlloc(uv_handle_t* handle, size_t suggested, uv_buf_t* buf);
  static void OnRecv(uv_udp_t* handle, ssize_t nread, const uv_buf_t* buf, const sockaddr* from, unsigned flags);

  Listener* listener_;
  uv_udp_t handle_;
  bool bound_ = false;
  std::function<void()> onClosed_;
  std::atomic<uint64_t> sendErrors_{0};
  alignas(16) uint8_t buffer_[4096];
};

}  // namespace callmedia
