// IPv4 / IPv6 socket addresses as the media thread keeps them (sockaddr_storage).
#pragma once
#include <uv.h>

#include <cstring>
#include <string>

namespace callmedia {

// "1.2.3.4" or "::1" with a port; false when the address does not parse.
inline bool ParseSocketAddress(const std::string& address, int port, sockaddr_storage* out) {
  std::memset(out, 0, sizeof(*out));
  if (address.find(':') != std::string::npos)
    return uv_ip6_addr(address.c_str(), port, reinterpret_cast<sockaddr_in6*>(out)) == 0;
  return uv_ip4_addr(address.c_str(), port, reinterpret_cast<sockaddr_in*>(out)) == 0;
}

inline size_t SocketAddressLength(int family) {
  return family == AF_INET6 ? sizeof(sockaddr_in6) : sizeof(sockaddr_in);
}

inline bool SameSocketAddress(const sockaddr_storage& a, const sockaddr_storage& b) {
  return a.ss_family == b.ss_family && std::memcmp(&a, &b, SocketAddressLength(a.ss_family)) == 0;
}

}  // namespace callmedia
