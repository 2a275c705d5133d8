#include "net/DtlsSession.h"

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <sys/time.h>
#include <time.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <deque>
#include <functional>
#include <memory>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "check.h"
#include "net/DtlsCertificate.h"
#include "net/SrtpSession.h"

using callmedia::DtlsCertificate;
using callmedia::DtlsSession;
using callmedia::SameFingerprint;
using callmedia::SrtpProfile;
using Role = DtlsSession::Role;
using State = DtlsSession::State;
using Bytes = std::vector<uint8_t>;

// OpenSSL 3.0 times DTLS retransmission with gettimeofday() and has no clock hook, so with glibc this
// program provides gettimeofday itself: the real time plus what the tests advanced (never set back, so
// the clock stays monotonic for anything else that reads it). Where a program cannot replace it, or
// OpenSSL turns out not to read it, advancing the clock sleeps instead.
namespace {
std::atomic<int64_t> g_advancedUs{0};
std::atomic<uint64_t> g_clockReads{0};
}  // namespace

#ifdef __GLIBC__
extern "C" int gettimeofday(struct timeval* __restrict tv, void* __restrict) noexcept {
  struct timespec now;
  clock_gettime(CLOCK_REALTIME, &now);
  const int64_t us = static_cast<int64_t>(now.tv_sec) * 1000000 + now.tv_nsec / 1000 + g_advancedUs.load();
  tv->tv_sec = static_cast<time_t>(us / 1000000);
  tv->tv_usec = static_cast<suseconds_t>(us % 1000000);
  g_clockReads.fetch_add(1);
  return 0;
}
#endif

namespace {

bool g_clockHooked = false;  // OpenSSL was seen reading the clock above

// TimeoutMs, noting whether OpenSSL's timer reads the replaced clock.
int64_t TimeoutOf(const DtlsSession& session) {
  const uint64_t before = g_clockReads.load();
  const int64_t ms = session.TimeoutMs();
  if (g_clockReads.load() != before) g_clockHooked = true;
  return ms;
}

void AdvanceClock(int64_t ms) {
  g_advancedUs.fetch_add(ms * 1000);
  if (!g_clockHooked) std::this_thread::sleep_for(std::chrono::milliseconds(ms));
}

constexpr size_t kMtu = 1200;

std::shared_ptr<DtlsCertificate> NewCertificate() {
  std::string error;
  std::shared_ptr<DtlsCertificate> certificate = DtlsCertificate::Generate(&error);
  CHECK_MSG(certificate != nullptr, error);
  return certificate;
}

std::string FingerprintOf(X509* certificate, const EVP_MD* md) {
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int length = 0;
  X509_digest(certificate, md, digest, &length);
  std::string out;
  char pair[4];
  for (unsigned int i = 0; i < length; ++i) {
    std::snprintf(pair, sizeof(pair), i ? ":%02X" : "%02X", digest[i]);
    out += pair;
  }
  return out;
}

std::string ToPem(X509* certificate) {
  BIO* bio = BIO_new(BIO_s_mem());
  PEM_write_bio_X509(bio, certificate);
  char* data = nullptr;
  const long size = BIO_get_mem_data(bio, &data);
  std::string pem(data, static_cast<size_t>(size));
  BIO_free(bio);
  return pem;
}

std::string ToPem(EVP_PKEY* key) {
  BIO* bio = BIO_new(BIO_s_mem());
  PEM_write_bio_PrivateKey(bio, key, nullptr, nullptr, 0, nullptr, nullptr);
  char* data = nullptr;
  const long size = BIO_get_mem_data(bio, &data);
  std::string pem(data, static_cast<size_t>(size));
  BIO_free(bio);
  return pem;
}

// One side of the association: its session, and what its listener heard.
struct Endpoint : DtlsSession::Listener {
  explicit Endpoint(std::shared_ptr<DtlsCertificate> cert) : certificate(std::move(cert)), session(certificate, this) {}

  void OnDtlsSend(const uint8_t* data, size_t size) override {
    outbox.emplace_back(data, data + size);
    ++datagramsSent;
    if (size > largestDatagram) largestDatagram = size;
  }
  void OnDtlsConnected(SrtpProfile p, const uint8_t* local, const uint8_t* remote, size_t length) override {
    ++connected;
    profile = p;
    localKey.assign(local, local + length);
    remoteKey.assign(remote, remote + length);
  }
  void OnDtlsFailed(const char* code, const std::string& reason) override {
    ++failed;
    failCode = code;
    failReason = reason;
  }
  void OnDtlsClosed() override { ++closed; }

  void Start(Role role) {
    std::string error;
    CHECK_MSG(session.Start(role, &error), error);
  }
  // Announces `peer`'s real sha-256 fingerprint, as its SDP would.
  void Trust(const Endpoint& peer) { session.SetRemoteFingerprint("sha-256", peer.certificate->fingerprint()); }

  std::shared_ptr<DtlsCertificate> certificate;
  DtlsSession session;
  std::deque<Bytes> outbox;
  size_t datagramsSent = 0;
  size_t largestDatagram = 0;
  int connected = 0, failed = 0, closed = 0;
  SrtpProfile profile = SrtpProfile::kAesCm128HmacSha1_80;
  Bytes localKey, remoteKey;
  std::string failCode, failReason;
};

// The wire between two endpoints. Everything one side has queued is a batch (a flight, or a
// retransmission of one), numbered from 1 across both directions. When nothing is in flight, the
// fake clock jumps to the earliest retransmission deadline and the sessions due get OnTimeout.
struct Wire {
  Wire(Endpoint& first, Endpoint& second) : a(first), b(second) {}

  void Run(int maxTimeouts = 20) {
    for (int step = 0; step < 10000; ++step) {
      const bool movedA = Deliver(a, b);
      const bool movedB = Deliver(b, a);
      if (movedA || movedB) continue;
      if (a.session.state() != State::kConnecting && b.session.state() != State::kConnecting) return;
      if (timeouts >= maxTimeouts) return;
      int64_t next = -1;
      for (Endpoint* e : {&a, &b}) {
        const int64_t t = TimeoutOf(e->session);
        if (t >= 0 && (next < 0 || t < next)) next = t;
      }
      if (next < 0) return;  // nobody is waiting for anything
      AdvanceClock(next);
      for (Endpoint* e : {&a, &b}) {
        if (TimeoutOf(e->session) == 0) {
          e->session.OnTimeout();
          ++timeouts;
        }
      }
    }
  }

  bool Deliver(Endpoint& from, Endpoint& to) {
    if (from.outbox.empty()) return false;
    const int batch = ++batches;
    std::deque<Bytes> datagrams;
    datagrams.swap(from.outbox);
    for (const Bytes& d : datagrams) {
      if (beforeDatagram) beforeDatagram(d, to);
      if (dropBatch && dropBatch(batch)) {
        ++dropped;
        continue;
      }
      to.session.OnData(d.data(), d.size());
    }
    return true;
  }

  Endpoint& a;
  Endpoint& b;
  std::function<bool(int batch)> dropBatch;
  std::function<void(const Bytes& datagram, Endpoint& to)> beforeDatagram;
  int batches = 0;
  int timeouts = 0;
  int dropped = 0;
};

// A client and a server that announced each other's fingerprints.
struct Call {
  Call() : client(NewCertificate()), server(NewCertificate()), wire(client, server) {}
  void Start() {
    client.Trust(server);
    server.Trust(client);
    server.Start(Role::kServer);
    client.Start(Role::kClient);
  }
  Endpoint client;
  Endpoint server;
  Wire wire;
};

void CheckKeysCrosswise(const Endpoint& client, const Endpoint& server, size_t length) {
  CHECK_EQ(client.localKey.size(), length);
  CHECK_EQ(server.localKey.size(), length);
  CHECK(client.localKey == server.remoteKey);
  CHECK(client.remoteKey == server.localKey);
  CHECK(client.localKey != client.remoteKey);
}

Bytes RandomDatagram(std::mt19937& rng, size_t size) {
  Bytes d(size);
  for (uint8_t& byte : d) byte = static_cast<uint8_t>(rng());
  d[0] = static_cast<uint8_t>(20 + rng() % 44);  // RFC 7983: what a demultiplexer hands to DTLS
  return d;
}

// A bare OpenSSL DTLS server, to check the session against the RFC 5764 layout independently of itself.
struct RawDtlsServer {
  RawDtlsServer(const DtlsCertificate& certificate, const char* srtpProfiles) {
    ctx = SSL_CTX_new(DTLS_method());
    SSL_CTX_use_certificate(ctx, certificate.certificate());
    SSL_CTX_use_PrivateKey(ctx, certificate.privateKey());
    if (srtpProfiles) SSL_CTX_set_tlsext_use_srtp(ctx, srtpProfiles);
    SSL_CTX_set_options(ctx, SSL_OP_NO_QUERY_MTU);
    ssl = SSL_new(ctx);
    BIO* in = BIO_new(BIO_s_mem());
    out = BIO_new(BIO_s_mem());
    BIO_set_mem_eof_return(in, -1);
    BIO_set_mem_eof_return(out, -1);
    SSL_set_bio(ssl, in, out);
    SSL_set_accept_state(ssl);
    SSL_set_mtu(ssl, kMtu);
  }
  ~RawDtlsServer() {
    SSL_free(ssl);
    SSL_CTX_free(ctx);
  }
  // Runs the handshake against `client` until neither side has anything to say.
  void HandshakeWith(Endpoint& client) {
    for (int i = 0; i < 20 && !client.outbox.empty(); ++i) {
      while (!client.outbox.empty()) {
        BIO_write(SSL_get_rbio(ssl), client.outbox.front().data(), static_cast<int>(client.outbox.front().size()));
        client.outbox.pop_front();
        if (SSL_do_handshake(ssl) == 1) done = true;
      }
      char* data = nullptr;
      const long size = BIO_get_mem_data(out, &data);
      if (size > 0) client.session.OnData(reinterpret_cast<const uint8_t*>(data), static_cast<size_t>(size));
      (void)BIO_reset(out);
    }
  }
  SSL_CTX* ctx;
  SSL* ssl;
  BIO* out;
  bool done = false;
};

// A self-signed certificate whose DER is larger than one datagram, so its flight must be fragmented.
X509* LargeCertificate(EVP_PKEY* key) {
  X509* x = X509_new();
  X509_set_version(x, X509_VERSION_3);
  ASN1_INTEGER_set(X509_get_serialNumber(x), 7);
  X509_gmtime_adj(X509_getm_notBefore(x), -3600);
  X509_gmtime_adj(X509_getm_notAfter(x), 3600);
  X509_NAME* name = X509_get_subject_name(x);
  const std::string unit(60, 'u');
  for (int i = 0; i < 30; ++i) {
    X509_NAME_add_entry_by_txt(name, "OU", MBSTRING_UTF8, reinterpret_cast<const unsigned char*>(unit.c_str()), -1,
                               -1, 0);
  }
  X509_set_issuer_name(x, name);
  X509_set_pubkey(x, key);
  X509_sign(x, key, EVP_sha256());
  return x;
}

}  // namespace

TEST(DtlsCertificateGenerateMakesDistinctP256Certificates) {
  std::shared_ptr<DtlsCertificate> first = NewCertificate();
  std::shared_ptr<DtlsCertificate> second = NewCertificate();
  REQUIRE(first && second);
  const std::string& fp = first->fingerprint();
  CHECK_EQ(fp.size(), 32u * 3 - 1);
  bool wellFormed = fp.size() == 95;
  for (size_t i = 0; wellFormed && i < fp.size(); ++i) {
    wellFormed = (i % 3 == 2) ? fp[i] == ':' : ((fp[i] >= '0' && fp[i] <= '9') || (fp[i] >= 'A' && fp[i] <= 'F'));
  }
  CHECK_MSG(wellFormed, fp);
  CHECK_EQ(fp, FingerprintOf(first->certificate(), EVP_sha256()));
  CHECK(fp != second->fingerprint());
  CHECK(ASN1_INTEGER_cmp(X509_get0_serialNumber(first->certificate()), X509_get0_serialNumber(second->certificate())) != 0);
  CHECK(EVP_PKEY_is_a(first->privateKey(), "EC"));
  CHECK_EQ(X509_check_private_key(first->certificate(), first->privateKey()), 1);

  char cn[64] = {0};
  X509_NAME_get_text_by_NID(X509_get_subject_name(first->certificate()), NID_commonName, cn, sizeof(cn));
  CHECK_EQ(std::string(cn), std::string("callmedia"));
  // Valid from a day ago until 30 days from now.
  int days = 0, seconds = 0;
  CHECK(ASN1_TIME_diff(&days, &seconds, nullptr, X509_get0_notBefore(first->certificate())) == 1);
  CHECK(days == -1 || (days == 0 && seconds < -86000));
  CHECK(ASN1_TIME_diff(&days, &seconds, nullptr, X509_get0_notAfter(first->certificate())) == 1);
  CHECK(days == 30 || (days == 29 && seconds > 86000));
}

TEST(DtlsCertificateFromPemRoundTrips) {
  std::shared_ptr<DtlsCertificate> generated = NewCertificate();
  REQUIRE(generated);
  std::string error;
  std::shared_ptr<DtlsCertificate> loaded =
      DtlsCertificate::FromPem(ToPem(generated->certificate()), ToPem(generated->privateKey()), &error);
  REQUIRE(loaded != nullptr);
  CHECK(error.empty());
  CHECK_EQ(loaded->fingerprint(), generated->fingerprint());
  CHECK_EQ(ERR_peek_error(), 0ul);
}

TEST(DtlsCertificateFromPemRefusesMismatchedKeyAndGarbage) {
  std::shared_ptr<DtlsCertificate> a = NewCertificate();
  std::shared_ptr<DtlsCertificate> b = NewCertificate();
  REQUIRE(a && b);
  std::string error;
  CHECK(DtlsCertificate::FromPem(ToPem(a->certificate()), ToPem(b->privateKey()), &error) == nullptr);
  CHECK_MSG(error.find("does not match") != std::string::npos, error);
  error.clear();
  CHECK(DtlsCertificate::FromPem("-----BEGIN CERTIFICATE-----\nnot base64 at all\n-----END CERTIFICATE-----\n",
                                 ToPem(a->privateKey()), &error) == nullptr);
  CHECK(!error.empty());
  error.clear();
  CHECK(DtlsCertificate::FromPem(ToPem(a->certificate()), "garbage", &error) == nullptr);
  CHECK(!error.empty());
  error.clear();
  CHECK(DtlsCertificate::FromPem("", "", &error) == nullptr);
  CHECK(!error.empty());
  CHECK_EQ(ERR_peek_error(), 0ul);  // nothing left for the next OpenSSL caller on this thread
}

TEST(DtlsSameFingerprintIgnoresHexCaseOnly) {
  CHECK(SameFingerprint("AB:CD:0F", "ab:cd:0f"));
  CHECK(SameFingerprint("AB:CD:0F", "Ab:cD:0F"));
  CHECK(!SameFingerprint("AB:CD:0F", "AB:CD:0E"));
  CHECK(!SameFingerprint("AB:CD:0F", "AB:CD:0F:00"));
  CHECK(!SameFingerprint("AB:CD:0F", "ABCD0F"));
  CHECK(!SameFingerprint("", ""));
}

TEST(DtlsHandshakeDerivesMatchingGcmKeys) {
  Call call;
  CHECK(call.client.session.state() == State::kNew);
  call.Start();
  CHECK(call.client.session.state() == State::kConnecting);
  CHECK_EQ(call.client.outbox.size(), 1u);  // the ClientHello, at once
  CHECK(call.server.outbox.empty());
  CHECK_EQ(call.server.session.TimeoutMs(), -1);  // a server waits without a timer
  call.wire.Run();

  CHECK_EQ(call.client.connected, 1);
  CHECK_EQ(call.server.connected, 1);
  CHECK_EQ(call.client.failed + call.server.failed, 0);
  CHECK(call.client.session.state() == State::kConnected);
  CHECK(call.server.session.state() == State::kConnected);
  CHECK(call.client.session.role() == Role::kClient);
  CHECK(call.server.session.role() == Role::kServer);
  CHECK(call.client.profile == SrtpProfile::kAeadAes128Gcm);
  CHECK(call.server.profile == SrtpProfile::kAeadAes128Gcm);
  CHECK_EQ(std::string(call.client.session.srtpProfileName()), std::string("SRTP_AEAD_AES_128_GCM"));
  CHECK_EQ(std::string(call.server.session.srtpProfileName()), std::string("SRTP_AEAD_AES_128_GCM"));
  CheckKeysCrosswise(call.client, call.server, 28);
  CHECK_EQ(call.wire.timeouts, 0);
  CHECK(call.client.largestDatagram <= kMtu);
  CHECK(call.server.largestDatagram <= kMtu);
  CHECK_EQ(call.client.session.recordsDropped() + call.server.session.recordsDropped(), 0u);
  CHECK_EQ(call.client.session.TimeoutMs(), -1);  // the client received the last flight: nothing to repeat
  CHECK_EQ(ERR_peek_error(), 0ul);
}

TEST(DtlsSessionIsCheckedAgainstPlainOpenSslPeer) {
  // Only the HMAC profile on offer: 16-byte keys, 14-byte salts, split as RFC 5764 4.2 lays them out.
  std::shared_ptr<DtlsCertificate> serverCertificate = NewCertificate();
  REQUIRE(serverCertificate);
  RawDtlsServer server(*serverCertificate, "SRTP_AES128_CM_SHA1_80");
  Endpoint client(NewCertificate());
  client.session.SetRemoteFingerprint("sha-256", serverCertificate->fingerprint());
  client.Start(Role::kClient);
  server.HandshakeWith(client);
  REQUIRE(server.done);
  REQUIRE(client.connected == 1);
  CHECK(client.profile == SrtpProfile::kAesCm128HmacSha1_80);
  CHECK_EQ(std::string(client.session.srtpProfileName()), std::string("SRTP_AES128_CM_SHA1_80"));
  uint8_t material[60];
  REQUIRE(SSL_export_keying_material(server.ssl, material, sizeof(material), "EXTRACTOR-dtls_srtp", 19, nullptr, 0, 0) ==
          1);
  Bytes clientKey(material, material + 16);
  clientKey.insert(clientKey.end(), material + 32, material + 46);
  Bytes serverKey(material + 16, material + 32);
  serverKey.insert(serverKey.end(), material + 46, material + 60);
  CHECK(client.localKey == clientKey);
  CHECK(client.remoteKey == serverKey);

  // Application data is read and dropped; the association stays up.
  const char message[] = "not for DTLS-SRTP";
  REQUIRE(SSL_write(server.ssl, message, sizeof(message)) > 0);
  char* data = nullptr;
  const long size = BIO_get_mem_data(server.out, &data);
  REQUIRE(size > 0);
  client.session.OnData(reinterpret_cast<const uint8_t*>(data), static_cast<size_t>(size));
  CHECK(client.session.state() == State::kConnected);
  CHECK_EQ(client.session.recordsDropped(), 0u);
  CHECK_EQ(client.failed + client.closed, 0);
}

TEST(DtlsPeerWithoutUseSrtpFails) {
  std::shared_ptr<DtlsCertificate> serverCertificate = NewCertificate();
  REQUIRE(serverCertificate);
  RawDtlsServer server(*serverCertificate, nullptr);
  Endpoint client(NewCertificate());
  client.session.SetRemoteFingerprint("sha-256", serverCertificate->fingerprint());
  client.Start(Role::kClient);
  server.HandshakeWith(client);
  CHECK_EQ(client.connected, 0);
  CHECK_EQ(client.failed, 1);
  CHECK_EQ(client.failCode, std::string("DTLS_FAILED"));
  CHECK(client.session.state() == State::kFailed);
}

TEST(DtlsFingerprintAfterHandshakeConnectsThen) {
  Call call;
  call.client.Trust(call.server);  // the server learns the client's fingerprint only later
  call.server.Start(Role::kServer);
  call.client.Start(Role::kClient);
  call.wire.Run();
  CHECK_EQ(call.client.connected, 1);
  CHECK_EQ(call.server.connected, 0);
  CHECK(call.server.session.state() == State::kConnecting);
  CHECK_EQ(std::string(call.server.session.srtpProfileName()), std::string("SRTP_AEAD_AES_128_GCM"));
  call.server.session.SetRemoteFingerprint("sha-256", call.client.certificate->fingerprint());
  CHECK_EQ(call.server.connected, 1);
  CHECK(call.server.session.state() == State::kConnected);
  CheckKeysCrosswise(call.client, call.server, 28);
  // The same announcement again changes nothing.
  call.server.session.SetRemoteFingerprint("sha-256", call.client.certificate->fingerprint());
  CHECK_EQ(call.server.connected, 1);
  CHECK_EQ(call.server.failed, 0);
}

TEST(DtlsWrongFingerprintFailsTheCheckingSide) {
  Call call;
  std::shared_ptr<DtlsCertificate> stranger = NewCertificate();
  REQUIRE(stranger);
  call.client.session.SetRemoteFingerprint("sha-256", stranger->fingerprint());
  call.server.Trust(call.client);
  call.server.Start(Role::kServer);
  call.client.Start(Role::kClient);
  call.wire.Run();
  CHECK_EQ(call.client.connected, 0);
  CHECK_EQ(call.client.failed, 1);
  CHECK_EQ(call.client.failCode, std::string("DTLS_FINGERPRINT_MISMATCH"));
  CHECK(call.client.session.state() == State::kFailed);
  CHECK_EQ(call.server.connected, 1);
  CHECK(call.client.localKey.empty());  // no keys for an unauthenticated peer

  // Late and wrong: the mismatch is reported when the fingerprint arrives.
  Call late;
  late.client.Trust(late.server);
  late.server.Start(Role::kServer);
  late.client.Start(Role::kClient);
  late.wire.Run();
  late.server.session.SetRemoteFingerprint("sha-256", stranger->fingerprint());
  CHECK_EQ(late.server.connected, 0);
  CHECK_EQ(late.server.failCode, std::string("DTLS_FINGERPRINT_MISMATCH"));
}

TEST(DtlsOtherFingerprintAlgorithmsAreAccepted) {
  struct Case {
    const char* name;
    const EVP_MD* md;
  };
  for (const Case& c : {Case{"sha-1", EVP_sha1()}, Case{"sha-384", EVP_sha384()}, Case{"SHA-512", EVP_sha512()}}) {
    Call call;
    call.client.session.SetRemoteFingerprint(c.name, FingerprintOf(call.server.certificate->certificate(), c.md));
    call.server.session.SetRemoteFingerprint(c.name, FingerprintOf(call.client.certificate->certificate(), c.md));
    call.server.Start(Role::kServer);
    call.client.Start(Role::kClient);
    call.wire.Run();
    CHECK_MSG(call.client.connected == 1 && call.server.connected == 1, c.name);
  }
  Call unknown;
  unknown.client.session.SetRemoteFingerprint("md5", "00:11");
  CHECK_EQ(unknown.client.failed, 1);
  CHECK_EQ(unknown.client.failCode, std::string("DTLS_FAILED"));
  CHECK(unknown.client.session.state() == State::kFailed);
  std::string error;
  CHECK(!unknown.client.session.Start(Role::kClient, &error));
}

TEST(DtlsLostFirstFlightIsRetransmittedAfter100Ms) {
  Call call;
  call.Start();
  const int64_t first = TimeoutOf(call.client.session);
  CHECK_MSG(first > 90 && first <= 100, std::to_string(first));
  call.wire.dropBatch = [](int batch) { return batch == 1; };  // the ClientHello
  call.wire.Run();
  CHECK_EQ(call.wire.dropped, 1);
  CHECK_EQ(call.wire.timeouts, 1);
  CHECK_EQ(call.client.connected, 1);
  CHECK_EQ(call.server.connected, 1);
  CheckKeysCrosswise(call.client, call.server, 28);
}

TEST(DtlsLostSecondFlightIsRetransmitted) {
  Call call;
  call.Start();
  call.wire.dropBatch = [](int batch) { return batch == 2; };  // ServerHello .. ServerHelloDone
  call.wire.Run();
  CHECK(call.wire.dropped >= 1);
  // The client repeats its ClientHello and the server its flight, both when their 100 ms run out.
  CHECK_MSG(call.wire.timeouts >= 1 && call.wire.timeouts <= 2, std::to_string(call.wire.timeouts));
  CHECK_EQ(call.client.connected, 1);
  CHECK_EQ(call.server.connected, 1);
  CheckKeysCrosswise(call.client, call.server, 28);
}

TEST(DtlsLostLastFlightIsRetransmitted) {
  Call call;
  call.Start();
  call.wire.dropBatch = [](int batch) { return batch == 4; };  // the server's ChangeCipherSpec and Finished
  call.wire.Run();
  CHECK(call.wire.dropped >= 1);
  CHECK(call.wire.timeouts >= 1 && call.wire.timeouts <= 2);
  CHECK_EQ(call.client.connected, 1);
  CHECK_EQ(call.server.connected, 1);
  CheckKeysCrosswise(call.client, call.server, 28);
}

TEST(DtlsRetransmissionBacksOffToFourSecondsThenFails) {
  Endpoint client(NewCertificate());
  client.session.SetRemoteFingerprint("sha-256", client.certificate->fingerprint());
  client.Start(Role::kClient);
  std::vector<int64_t> waits;
  for (int i = 0; i < 20 && client.session.state() == State::kConnecting; ++i) {
    const int64_t wait = TimeoutOf(client.session);
    REQUIRE(wait > 0);
    waits.push_back(wait);
    client.outbox.clear();
    AdvanceClock(wait);
    client.session.OnTimeout();
    if (client.session.state() == State::kConnecting) CHECK_EQ(client.outbox.size(), 1u);  // the ClientHello again
  }
  const int64_t expected[] = {100, 200, 400, 800, 1600, 3200, 4000, 4000};
  REQUIRE(waits.size() >= 8);
  for (size_t i = 0; i < 8; ++i) CHECK_MSG(waits[i] > expected[i] - 10 && waits[i] <= expected[i], std::to_string(i));
  CHECK(client.session.state() == State::kFailed);
  CHECK_EQ(client.failed, 1);
  CHECK_EQ(client.failCode, std::string("DTLS_FAILED"));
  CHECK_EQ(client.session.TimeoutMs(), -1);
}

TEST(DtlsGarbageIsCountedAndDropped) {
  Call call;
  std::mt19937 rng(5764);
  uint64_t fed[2] = {0, 0};  // to the client, to the server
  // Before every real datagram: a random one, an empty one and the real one cut short.
  call.wire.beforeDatagram = [&](const Bytes& real, Endpoint& to) {
    const Bytes noise = RandomDatagram(rng, 1 + rng() % 300);
    to.session.OnData(noise.data(), noise.size());
    to.session.OnData(real.data(), 0);
    to.session.OnData(real.data(), real.size() - 1);
    to.session.OnData(real.data(), 7);
    fed[&to == &call.server] += 4;
  };
  call.Start();
  call.wire.Run();
  CHECK_EQ(call.client.connected, 1);
  CHECK_EQ(call.server.connected, 1);
  CHECK_EQ(call.wire.timeouts, 0);
  CHECK_EQ(call.client.session.recordsDropped(), fed[0]);
  CHECK_EQ(call.server.session.recordsDropped(), fed[1]);
  CHECK(fed[0] > 0 && fed[1] > 0);

  // Connected: more noise, a datagram of two records with the second cut short, a record that
  // claims epoch 1 but carries no valid ciphertext, and a replay of a real datagram.
  const uint64_t before = call.server.session.recordsDropped();
  for (int i = 0; i < 50; ++i) {
    const Bytes noise = RandomDatagram(rng, 1 + rng() % 1200);
    call.server.session.OnData(noise.data(), noise.size());
  }
  Bytes forged = {23, 0xFE, 0xFD, 0x00, 0x01, 0, 0, 0, 0, 0, 9, 0x00, 0x20};
  for (int i = 0; i < 0x20; ++i) forged.push_back(static_cast<uint8_t>(rng()));
  call.server.session.OnData(forged.data(), forged.size());
  Bytes twoRecords = forged;
  twoRecords.insert(twoRecords.end(), forged.begin(), forged.begin() + 20);
  call.server.session.OnData(twoRecords.data(), twoRecords.size());
  CHECK_EQ(call.server.session.recordsDropped(), before + 51);
  CHECK(call.server.session.state() == State::kConnected);
  CHECK(call.client.session.state() == State::kConnected);
  CHECK_EQ(call.server.failed + call.client.failed, 0);
  CHECK_EQ(ERR_peek_error(), 0ul);
}

TEST(DtlsCloseNotifyReachesThePeer) {
  Call call;
  call.Start();
  call.wire.Run();
  REQUIRE(call.client.connected == 1 && call.server.connected == 1);
  call.client.session.Close();
  CHECK(call.client.session.state() == State::kClosed);
  REQUIRE(!call.client.outbox.empty());
  call.wire.Run();
  CHECK_EQ(call.server.closed, 1);
  CHECK(call.server.session.state() == State::kClosed);
  CHECK_EQ(call.client.closed, 0);  // only a peer's close_notify is reported
  CHECK_EQ(call.client.failed + call.server.failed, 0);
  CHECK_EQ(call.client.session.TimeoutMs(), -1);
  CHECK_EQ(call.server.session.TimeoutMs(), -1);
  call.client.session.Close();  // twice is harmless
  CHECK(call.client.session.state() == State::kClosed);
}

TEST(DtlsCloseBeforeConnectedSendsNothing) {
  Call call;
  call.Start();
  call.client.outbox.clear();
  call.client.session.Close();
  CHECK(call.client.session.state() == State::kClosed);
  CHECK(call.client.outbox.empty());
  CHECK_EQ(call.client.session.TimeoutMs(), -1);
}

TEST(DtlsRoleMismatchNeverConnects) {
  Endpoint a(NewCertificate());
  Endpoint b(NewCertificate());
  a.Trust(b);
  b.Trust(a);
  a.Start(Role::kClient);
  b.Start(Role::kClient);
  Wire wire(a, b);
  wire.Run(8);
  CHECK_EQ(a.connected + b.connected, 0);
  CHECK(a.session.state() != State::kConnected && b.session.state() != State::kConnected);
  CHECK(wire.timeouts <= 8);

  Endpoint c(NewCertificate());
  Endpoint d(NewCertificate());
  c.Start(Role::kServer);
  d.Start(Role::kServer);
  Wire idle(c, d);
  idle.Run(8);
  CHECK_EQ(c.datagramsSent + d.datagramsSent, 0u);
  CHECK_EQ(c.session.TimeoutMs(), -1);
  CHECK(c.session.state() == State::kConnecting);
}

TEST(DtlsLargeRsaCertificateIsFragmentedWithinTheMtu) {
  EVP_PKEY* key = EVP_PKEY_Q_keygen(nullptr, nullptr, "RSA", static_cast<size_t>(2048));
  REQUIRE(key);
  X509* x = LargeCertificate(key);
  const int der = i2d_X509(x, nullptr);
  CHECK(der > 2 * 1200);
  std::string error;
  std::shared_ptr<DtlsCertificate> rsa = DtlsCertificate::FromPem(ToPem(x), ToPem(key), &error);
  X509_free(x);
  EVP_PKEY_free(key);
  REQUIRE(rsa != nullptr);

  Endpoint client(NewCertificate());
  Endpoint server(rsa);
  Wire wire(client, server);
  client.Trust(server);
  server.Trust(client);
  server.Start(Role::kServer);
  client.Start(Role::kClient);
  wire.Run();
  CHECK_EQ(client.connected, 1);
  CHECK_EQ(server.connected, 1);
  CheckKeysCrosswise(client, server, 28);
  CHECK(server.datagramsSent >= 4);
  CHECK(server.largestDatagram <= kMtu);
  CHECK(client.largestDatagram <= kMtu);
  CHECK(server.largestDatagram > kMtu - 200);  // full datagrams, not one record each
}
