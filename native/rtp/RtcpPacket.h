// RTCP packets this engine writes and reads: receiver reports (RFC 3550 6.4.2), PLI (RFC 4585
// 6.3.1), generic NACK (RFC 4585 6.2.1), FIR (RFC 5104 4.3.1), REMB, and the sender report fields
// used for round-trip timing. Transport-cc feedback is rtp/TransportFeedback.
// Builders write into a caller's buffer and return the bytes written (0 when it does not fit).
#pragma once
#include <cstddef>
#include <cstdint>
#include <functional>

#include "rtp/RtpStreamRecv.h"

namespace callmedia {

struct RtcpSenderReport {
  uint32_t ssrc = 0;
  uint32_t ntpSeconds = 0;
  uint32_t ntpFraction = 0;
  uint32_t ntpMiddle = 0;  // middle 32 bits of the NTP timestamp, echoed as LSR
  uint32_t rtpTimestamp = 0;
  uint32_t packetCount = 0;
  uint32_t octetCount = 0;
};

// A video subscription (RTCP APP, RFC 3550 6.7, name "SUBS"): the receiving socket tells the
// media server which source it wants and at what size; source 0 unsubscribes.
struct RtcpSubscription {
  uint32_t senderSsrc = 0;
  uint32_t sourceId = 0;
  uint16_t width = 0;
  uint16_t height = 0;
};

struct RtcpFeedback {
  enum class Kind { Pli, Fir, Nack, Other } kind = Kind::Other;
  uint32_t senderSsrc = 0;
  uint32_t mediaSsrc = 0;
  // A NACK's feedback control information: `nackItems` PID/BLP pairs (4 bytes each), inside the
  // datagram being parsed (valid during the callback only). Read them with ForEachNacked.
  const uint8_t* nackItems = nullptr;
  size_t nackItemCount = 0;

  // Calls `lost(seq)` for every sequence number the NACK names, in its order.
  template <typename F>
  void ForEachNacked(F&& lost) const {
    for (size_t i = 0; i < nackItemCount; ++i) {
      const uint8_t* item = nackItems + 4 * i;
      const uint16_t pid = static_cast<uint16_t>((item[0] << 8) | item[1]);
      const uint16_t blp = static_cast<uint16_t>((item[2] << 8) | item[3]);
      lost(pid);
      for (int bit = 0; bit < 16; ++bit)
        if (blp & (1u << bit)) lost(static_cast<uint16_t>(pid + bit + 1));
    }
  }
};

class RtcpPacket {
 public:
  static size_t WriteSenderReport(uint8_t* out, size_t capacity, const RtcpSenderReport& sr);
  static size_t WriteReceiverReport(uint8_t* out, size_t capacity, uint32_t senderSsrc, const ReportBlock* block);
  static size_t WritePli(uint8_t* out, size_t capacity, uint32_t senderSsrc, uint32_t mediaSsrc);
  static size_t WriteSubscription(uint8_t* out, size_t capacity, const RtcpSubscription& subscription);
  static size_t WriteFir(uint8_t* out, size_t capacity, uint32_t senderSsrc, uint32_t mediaSsrc, uint8_t seqNr);
  // A generic NACK naming `count` sequence numbers (sorted oldest first, as NackGenerator gives
  // them), packed into as few PID/BLP items as they take. Writes what fits of them.
  static size_t WriteNack(uint8_t* out, size_t capacity, uint32_t senderSsrc, uint32_t mediaSsrc, const uint16_t* seqs,
                          size_t count);

  // REMB (draft-alvestrand-rmcat-remb-03): the bitrate a receiver estimates for everything it
  // gets from us. `data` is one RTCP packet of `size` bytes; false when it is not a valid REMB.
  static bool ParseRemb(const uint8_t* data, size_t size, uint32_t* bps);
  static size_t WriteRemb(uint8_t* out, size_t capacity, uint32_t senderSsrc, uint32_t bps, const uint32_t* ssrcs, size_t count);

  struct Handlers {
    std::function<void(const RtcpSenderReport&)> onSenderReport;
    std::function<void(const RtcpFeedback&)> onFeedback;
    // Report blocks of receiver and sender reports: how the far end receives our stream.
    std::function<void(const ReportBlock&)> onReportBlock;
    std::function<void(const RtcpSubscription&)> onSubscription;
  };
  // Walks a compound packet; returns false at the first malformed part (parts before it count).
  static bool Parse(const uint8_t* data, size_t size, const Handlers& handlers);
};

}  // namespace callmedia
