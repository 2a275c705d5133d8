#include "net/UdpSocket.h"

#include "common/Clock.h"
#include "net/MediaThread.h"
#include "net/SocketAddress.h"

namespace callmedia {

UdpSocket::UdpSocket(Listener* listener) : listener_(listener) {
  uv_udp_init(MediaThread::Instance().loop(), &handle_);
  handle_.data = this;
}

UdpSocket* UdpSocket::Open(Listener* listener, const std::string& address, int port, std::string* error) {
  auto* socket = new UdpSocket(listener);
  if (socket->Bind(address, port, error) == 0) return socket;
  socket->Close(nullptr);  // deletes it once libuv has let go of the handle
  return nullptr;
}

int UdpSocket::Bind(const std::string& address, int port, std::string* error) {
  sockaddr_storage addr;
  int rc = ParseSocketAddress(address, port, &addr) ? 0 : UV_EINVAL;
  if (rc == 0) rc = uv_udp_bind(&handle_, reinterpret_cast<const sockaddr*>(&addr), 0);
  if (rc == 0) {
    // Key frames arrive as bursts of a hundred packets or more; give the kernel room for them.
    int size = 4 * 1024 * 1024;
    uv_recv_buffer_size(reinterpret_cast<uv_handle_t*>(&handle_), &size);
    rc = uv_udp_recv_start(&handle_, &UdpSocket::OnAlloc, &UdpSocket::OnRecv);
  }
  if (rc != 0) {
    *error = std::string("cannot bind UDP ") + address + ":" + std::to_string(port) + ": " + uv_strerror(rc);
    return rc;
  }
  bound_ = true;
  return 0;
}

int UdpSocket::LocalPort() const {
  sockaddr_storage addr{};
  int len = sizeof(addr);
  if (uv_udp_getsockname(&handle_, reinterpret_cast<sockaddr*>(&addr), &len) != 0) return 0;
  if (addr.ss_family == AF_INET6) return ntohs(reinterpret_cast<sockaddr_in6*>(&addr)->sin6_port);
  return ntohs(reinterpret_cast<sockaddr_in*>(&addr)->sin_port);
}

bool UdpSocket::Send(const uint8_t* data, size_t size, const sockaddr* to) {
  uv_buf_t buf = uv_buf_init(reinterpret_cast<char*>(const_cast<uint8_t*>(data)), static_cast<unsigned>(size));
  // try_send: the datagram is copied by the kernel at once, so nothing waits on a request.
  const int rc = uv_udp_try_send(&handle_, &buf, 1, to);
  if (rc < 0) sendErrors_.fetch_add(1, std::memory_order_relaxed);
  return rc >= 0;
}

void UdpSocket::Close(std::function<void()> onClosed) {
  onClosed_ = std::move(onClosed);
  if (bound_) uv_udp_recv_stop(&handle_);
  uv_close(reinterpret_cast<uv_handle_t*>(&handle_), [](uv_handle_t* handle) {
    auto* self = static_cast<UdpSocket*>(handle->data);
    auto done = std::move(self->onClosed_);
    delete self;
    if (done) done();
  });
}

void UdpSocket::OnAlloc(uv_handle_t* handle, size_t, uv_buf_t* buf) {
  auto* self = static_cast<UdpSocket*>(handle->data);
  *buf = uv_buf_init(reinterpret_cast<char*>(self->buffer_), sizeof(self->buffer_));
}

void UdpSocket::OnRecv(uv_udp_t* handle, ssize_t nread, const uv_buf_t* buf, const sockaddr* from, unsigned flags) {
  auto* self = static_cast<UdpSocket*>(handle->data);
  if (nread < 0 || !from) return;  // 0 with no sender: nothing more to read now (an empty datagram has one)
  if (flags & UV_UDP_PARTIAL) {     // larger than any media packet: not ours
    self->listener_->OnTruncated();
    return;
  }
  self->listener_->OnDatagram(reinterpret_cast<uint8_t*>(buf->base), static_cast<size_t>(nread), from, NowNs());
}

}  // namespace callmedia
