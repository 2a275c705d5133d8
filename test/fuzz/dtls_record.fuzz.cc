// DtlsSession's record layer (RFC 6347): datagrams of any content reach a DTLS server (and a
// client mid-handshake); garbage is counted or ends the association, never crashes it, and a
// session that failed or closed stays so.
#include "FuzzRtp.h"
#include "net/DtlsSession.h"

namespace {
struct Sink : callmedia::DtlsSession::Listener {
  size_t sent = 0;
  bool connected = false, failed = false;
  void OnDtlsSend(const uint8_t*, size_t size) override {
    FUZZ_CHECK(size > 0 && size <= 1500);
    ++sent;
  }
  void OnDtlsConnected(callmedia::SrtpProfile, const uint8_t*, const uint8_t*, size_t) override { connected = true; }
  void OnDtlsFailed(const char*, const std::string&) override { failed = true; }
  void OnDtlsClosed() override {}
};

std::shared_ptr<callmedia::DtlsCertificate> Certificate() {
  static std::shared_ptr<callmedia::DtlsCertificate> certificate = [] {
    std::string error;
    return callmedia::DtlsCertificate::Generate(&error);
  }();
  return certificate;
}
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  FuzzedDataProvider in(data, size);
  Sink sink;
  callmedia::DtlsSession session(Certificate(), &sink);
  std::string error;
  const bool client = in.ConsumeBool();
  if (!session.Start(client ? callmedia::DtlsSession::Role::kClient : callmedia::DtlsSession::Role::kServer, &error)) return 0;
  session.SetRemoteFingerprint("sha-256", std::string(95, 'A'));
  while (in.remaining_bytes() > 0) {
    std::vector<uint8_t> datagram = in.ConsumeBytes<uint8_t>(in.ConsumeIntegralInRange<size_t>(1, 1500));
    if (datagram.empty()) break;
    datagram[0] = static_cast<uint8_t>(20 + datagram[0] % 44);  // what the port hands DTLS: 20..63
    session.OnData(datagram.data(), datagram.size());
    if (session.TimeoutMs() == 0) session.OnTimeout();
  }
  // Garbage never completes a handshake against a fingerprint nobody has.
  FUZZ_CHECK(!sink.connected);
  return 0;
}
