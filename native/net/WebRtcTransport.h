// The transport of a media session as WebRTC endpoints speak it: every channel of the session
// bundled (RFC 8843) on the instance's media port, reached through ICE (RFC 8445), keyed by
// DTLS (RFC 6347, roles per RFC 5763) and protected with SRTP/SRTCP (RFC 3711, RFC 5764).
//
// ICE: a bot is an ICE-lite agent (RFC 8445 2.5). It answers binding requests, takes the pair
// the controlling agent nominates (USE-CANDIDATE), switches to a newly validated address, and
// drops a peer that sends no consent check for 30 s (RFC 7675). The local service's side of a
// call is the controlling agent: it checks the bot's candidates and nominates the first that
// answers, then keeps consent with a check every few seconds.
//
// Routing: an RTP packet goes to the channel its MID header extension names, else to the one
// whose SSRC it carries (from the remote description, or learned from an earlier packet), else
// to the only channel that receives its payload type. RTCP is split into its packets, each
// handed to the channel it is about: reports to the channel that receives the reporting
// source, feedback and report blocks to the channel that sends the source they are about.
#pragma once
#include <uv.h>

#include <atomic>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>
#include <vector>

#include "cc/CongestionController.h"
#include "net/DtlsSession.h"
#include "net/PortDemuxer.h"
#include "net/SrtpSession.h"
#include "net/Transport.h"

namespace callmedia {

enum class TransportState { kNew, kChecking, kConnected, kDisconnected, kFailed, kClosed };
const char* TransportStateName(TransportState state);

// Receives the transport's state changes for JavaScript; never blocks.
class TransportSink {
 public:
  virtual ~TransportSink() = default;
  // code: "" or ICE_TIMEOUT, ICE_CONSENT_EXPIRED, DTLS_FAILED, DTLS_FINGERPRINT_MISMATCH, DTLS_CLOSED.
  virtual void OnTransportState(TransportState state, const char* code, const std::string& reason) = 0;
  virtual void OnTransportClosed() = 0;  // the last call
};

struct WebRtcTransportOptions {
  bool controlling = false;            // false: ICE-lite
  uint64_t iceTimeoutMs = 15000;       // checking without a validated pair this long: failed
  uint64_t consentTimeoutMs = 30000;   // RFC 7675: a silent peer is gone
};

// What the remote description says about the transport.
struct RemoteTransportParameters {
  std::string iceUfrag, icePwd;
  bool dtlsClient = false;  // our DTLS role: client when the peer is passive (RFC 5763)
  std::string fingerprintAlgorithm, fingerprint;
  std::vector<sockaddr_storage> candidates;  // what a controlling agent checks
  int midExtensionId = 0;                    // 0: no MID header extension negotiated
  // The transport-wide sequence number extension, when transport-cc feedback is negotiated
  // (0: neither stamped nor reported).
  int transportCcExtensionId = 0;
  // RFC 8852 rtp-stream-id and repaired-rtp-stream-id (0: not negotiated): a simulcast layer's
  // packets name their layer.
  int ridExtensionId = 0;
  int repairedRidExtensionId = 0;
};

struct WebRtcTransportStats {
  TransportState state;
  std::string selectedRemote;  // "address:port" of the nominated pair's remote, "" before
  std::string dtlsState, dtlsRole, srtpProfile;
  uint64_t stunRequests, stunAuthFailures, stunRoleConflicts, checksSent, checkResponses;
  uint64_t dtlsRecordsDropped, srtpNotReady, srtpAuthFailures, srtpReplayFailures, srtpMalformed;
  uint64_t rtpPacketsIn, rtcpPacketsIn, rtpUnroutable, rtcpUnroutable, rtpPacketsOut, rtcpPacketsOut, bytesIn, bytesOut,
      sendFailures;
  double connectedAfterMs;  // remote parameters set → connected (0 until then)
  bool congestionControl;   // transport-cc negotiated
  CongestionControlStats congestion;
};

class WebRtcTransport : public Transport,
                        private PortDemuxer::Endpoint,
                        private DtlsSession::Listener,
                        public std::enable_shared_from_this<WebRtcTransport> {
 public:
  // Node thread: creates the transport and registers it with the port (on the media thread).
  static std::shared_ptr<WebRtcTransport> Create(std::shared_ptr<PortDemuxer> port,
                                                 std::shared_ptr<DtlsCertificate> certificate,
                                                 const WebRtcTransportOptions& options, TransportSink* sink,
                                                 std::string* error);
  ~WebRtcTransport() override;

  const std::string& localUfrag() const { return localUfrag_; }
  const std::string& localPwd() const { return localPwd_; }
  const std::string& fingerprint() const { return certificate_->fingerprint(); }
  int localPort() const { return port_->localPort(); }

  // Node thread, posted: applies the remote description; ICE checking (and DTLS) starts.
  void SetRemoteParameters(const RemoteTransportParameters& remote);
  // Node thread, posted: sends close_notify, leaves the port, then the sink hears OnTransportClosed.
  void Close();
  WebRtcTransportStats Stats() const;

  bool Attach(TransportChannel* channel, const ChannelRoute& route, std::string* error) override;
  void Detach(TransportChannel* channel) override;
  void UpdateRoute(TransportChannel* channel, const ChannelRoute& route) override;
  bool SendRtp(TransportChannel* from, const uint8_t* data, size_t size) override;
  bool SendRtcp(TransportChannel* from, const uint8_t* data, size_t size) override;
  bool SendTo(const uint8_t* data, size_t size, const sockaddr* to) override;
  bool CanSend() const override { return srtpReady_; }
  uint32_t AllocateSendBitrate(const void* sender, uint32_t demandBps, uint64_t nowNs) override;
  void OnRoundTrip(double ms) override { congestion_.OnRoundTrip(ms); }
  TransportCounters Counters() const override;

 private:
  struct Route {
    TransportChannel* channel;
    ChannelRoute route;
    std::vector<uint32_t> sendingSsrcs;  // learned from what the channel sends
  };

  WebRtcTransport(std::shared_ptr<PortDemuxer> port, std::shared_ptr<DtlsCertificate> certificate,
                  const WebRtcTransportOptions& options, TransportSink* sink);
  void Start();

  // PortDemuxer::Endpoint
  void OnStun(const StunMessage& message, const sockaddr* from, uint64_t nowNs) override;
  void OnDtls(const uint8_t* data, size_t size, const sockaddr* from, uint64_t nowNs) override;
  void OnSrtp(uint8_t* data, size_t size, const sockaddr* from, uint64_t nowNs) override;
  // DtlsSession::Listener
  void OnDtlsSend(const uint8_t* data, size_t size) override;
  void OnDtlsConnected(SrtpProfile profile, const uint8_t* localKeyAndSalt, const uint8_t* remoteKeyAndSalt,
                       size_t length) override;
  void OnDtlsFailed(const char* code, const std::string& reason) override;
  void OnDtlsClosed() override;

  void OnBindingRequest(const StunMessage& message, const sockaddr* from, uint64_t nowNs);
  void OnBindingResponse(const StunMessage& message, const sockaddr* from, uint64_t nowNs);
  void SendBindingError(const StunMessage& request, const sockaddr* to, int code, const char* reason);
  void SendCheck(const sockaddr_storage& to, bool consent, uint64_t nowNs);
  void Select(const sockaddr* address, uint64_t nowNs);
  void StartDtls();
  void CreateDtls(DtlsSession::Role role);
  void OnTimer();
  void ArmDtlsTimer();
  void SetState(TransportState state, const char* code, const std::string& reason);
  void Shutdown();

  Route* RouteFor(const RtpPacket& packet);
  Route* RouteOfChannel(TransportChannel* channel);
  Route* ReceiverOf(uint32_t ssrc);
  Route* SenderOf(uint32_t ssrc);
  void DeliverRtcp(const uint8_t* data, size_t size, uint64_t nowNs);
  // Encrypts and sends; RTP of a `route` gets its MID, its stream id and the transport-wide
  // sequence number, as negotiated, in one copy.
  bool Protect(bool rtcp, const uint8_t* data, size_t size, const ChannelRoute* route);
  const ChannelRoute::SendStream* StreamIdOf(const ChannelRoute& route, uint32_t ssrc) const;

  const std::shared_ptr<PortDemuxer> port_;
  const std::shared_ptr<DtlsCertificate> certificate_;
  const WebRtcTransportOptions options_;
  TransportSink* sink_;
  std::string localUfrag_, localPwd_;
  uint64_t tieBreaker_;

  // Media thread.
  RemoteTransportParameters remote_;
  bool haveRemote_ = false;
  uint64_t checkingSinceNs_ = 0;
  bool haveSelected_ = false;
  sockaddr_storage selected_{};
  uint64_t lastConsentNs_ = 0;
  std::vector<sockaddr_storage> validated_;
  struct PendingCheck {
    uint8_t transactionId[12];
    sockaddr_storage to;
    uint64_t sentNs;
  };
  std::vector<PendingCheck> pendingChecks_;
  uint64_t nextCheckNs_ = 0;
  std::unique_ptr<DtlsSession> dtls_;
  std::unique_ptr<SrtpSession> srtpIn_, srtpOut_;
  std::vector<std::unique_ptr<Route>> routes_;
  std::unordered_map<uint32_t, Route*> bySsrc_;  // remote SSRC → the channel receiving it
  uv_timer_t* timer_ = nullptr;
  bool closing_ = false;
  alignas(16) uint8_t scratch_[1500 + SrtpSession::kMaxOverhead + 64];
  CongestionController congestion_;
  std::atomic<bool> congestionControl_{false};
  uint32_t feedbackSsrc_;    // the sender SSRC of our transport-cc feedback
  uint32_t lastMediaSsrc_ = 0;  // the media SSRC it names: the newest stream heard
  uint8_t feedbackBuffer_[1200];
  uint8_t stunBuffer_[512];

  std::atomic<bool> srtpReady_{false};
  std::atomic<int> state_{static_cast<int>(TransportState::kNew)};
  uint64_t remoteSetNs_ = 0;
  std::atomic<double> connectedAfterMs_{0};
  mutable std::mutex statsMutex_;  // the strings below
  std::string selectedText_, dtlsStateText_ = "new", dtlsRoleText_, srtpProfileText_;
  std::atomic<uint64_t> stunRequests_{0}, stunAuthFailures_{0}, stunRoleConflicts_{0}, checksSent_{0}, checkResponses_{0};
  std::atomic<uint64_t> srtpNotReady_{0}, srtpAuthFailures_{0}, srtpReplayFailures_{0}, srtpMalformed_{0};
  std::atomic<uint64_t> rtpIn_{0}, rtcpIn_{0}, rtpUnroutable_{0}, rtcpUnroutable_{0}, rtpOut_{0}, rtcpOut_{0}, bytesIn_{0},
      bytesOut_{0}, sendFailures_{0};
  std::atomic<uint64_t> dtlsDropped_{0};
};

}  // namespace callmedia
