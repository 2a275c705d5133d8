// IPv4 / IPv6 socket addresses as the media thread keeps them (sockaddr_storage).
#pragma once
#include <uv.h>

#include <cstdint>
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

// The same host, whatever the ports.
inline bool SameHost(const sockaddr* a, const sockaddr_storage& b) {
  if (a->sa_family != b.ss_family) return false;
  if (a->sa_family == AF_INET6) {
    return std::memcmp(&reinterpret_cast<const sockaddr_in6*>(a)->sin6_addr, &reinterpret_cast<const sockaddr_in6*>(&b)->sin6_addr,
                       sizeof(in6_addr)) == 0;
  }
  return reinterpret_cast<const sockaddr_in*>(a)->sin_addr.s_addr == reinterpret_cast<const sockaddr_in*>(&b)->sin_addr.s_addr;
}

// An address and port as one comparable, hashable value (IPv4 kept as its 4 bytes).
struct AddressKey {
  uint8_t bytes[18] = {};  // address (4 or 16 bytes), then the port
  uint8_t family = 0;

  static AddressKey Of(const sockaddr* address) {
    AddressKey key;
    key.family = static_cast<uint8_t>(address->sa_family);
    if (address->sa_family == AF_INET6) {
      const auto* a = reinterpret_cast<const sockaddr_in6*>(address);
      std::memcpy(key.bytes, &a->sin6_addr, 16);
      std::memcpy(key.bytes + 16, &a->sin6_port, 2);
    } else {
      const auto* a = reinterpret_cast<const sockaddr_in*>(address);
      std::memcpy(key.bytes, &a->sin_addr, 4);
      std::memcpy(key.bytes + 16, &a->sin_port, 2);
    }
    return key;
  }
  bool operator==(const AddressKey& o) const { return family == o.family && std::memcmp(bytes, o.bytes, sizeof(bytes)) == 0; }
};

struct AddressKeyHash {
  size_t operator()(const AddressKey& k) const {
    uint64_t h = 1469598103934665603ull ^ k.family;  // FNV-1a
    for (uint8_t b : k.bytes) h = (h ^ b) * 1099511628211ull;
    return static_cast<size_t>(h);
  }
};

// "address:port" (IPv6 in brackets), for stats and messages.
inline std::string FormatSocketAddress(const sockaddr* address) {
  char host[64] = {};
  int port = 0;
  if (address->sa_family == AF_INET6) {
    const auto* a = reinterpret_cast<const sockaddr_in6*>(address);
    uv_ip6_name(a, host, sizeof(host));
    port = (reinterpret_cast<const uint8_t*>(&a->sin6_port)[0] << 8) | reinterpret_cast<const uint8_t*>(&a->sin6_port)[1];
    return std::string("[") + host + "]:" + std::to_string(port);
  }
  const auto* a = reinterpret_cast<const sockaddr_in*>(address);
  uv_ip4_name(a, host, sizeof(host));
  port = (reinterpret_cast<const uint8_t*>(&a->sin_port)[0] << 8) | reinterpret_cast<const uint8_t*>(&a->sin_port)[1];
  return std::string(host) + ":" + std::to_string(port);
}

}  // namespace callmedia
