#include "video/VideoReceiver.h"

#include <algorithm>
#include <cstring>
#include <random>

#include "common/Clock.h"
#include "net/MediaThread.h"
#include "rtp/RtcpPacket.h"
#include "rtp/RtxPacket.h"
#include "rtp/SeqManager.h"

namespace callmedia {

namespace {
constexpr uint64_t kMs = 1000000;
constexpr uint64_t kReportIntervalNs = 1000 * kMs;
constexpr uint64_t kIdleDrainNs = 150 * kMs;
constexpr uint64_t kSourceSwitchNs = 500 * kMs;
constexpr uint64_t kSourceLostNs = 2000 * kMs;

uint32_t RandomSsrc() {
  std::random_device rd;
  return (static_cast<uint32_t>(rd()) | 1u);
}
}  // namespace

VideoReceiver::VideoReceiver(const VideoReceiverOptions& options, ChannelContext* context, VideoSink* sink)
    : options_(options),
      context_(context),
      sink_(sink),
      nack_(NackOptionsForAssembly()),
      assembler_(this, options.packetCapacity, options.reorderWindowMs * kMs),
      localSsrc_(RandomSsrc()),
      decode_(options.format, options.maxDecodeQueue, context, sink, this) {}

// A hole is pursued as long as the assembler waits for it, and no longer: asked for again and
// again, further apart each time, until the assembler's recovery limit.
NackOptions VideoReceiver::NackOptionsForAssembly() {
  NackOptions o;
  o.maxAgeNs = FrameAssembler::kDefaultRecoveryLimitNs;
  o.maxRetries = 10;
  return o;
}

bool VideoReceiver::ok(std::string* error) const { return options_.format == PixelFormat::H264 || decode_.ok(error); }

void VideoReceiver::Finish(std::function<void()> done) {
  if (options_.format == PixelFormat::H264) {
    done();  // passthrough: nothing is ever queued for a decoder
    return;
  }
  decode_.Drain(std::move(done));
}

void VideoReceiver::RequestKeyFrame(uint64_t nowNs) {
  assembler_.RequireKeyFrame();
  NeedKeyFrame(nowNs, "requested");
}

void VideoReceiver::Subscribe(uint32_t sourceId, uint16_t width, uint16_t height, uint64_t nowNs) {
  subscribedSsrc_ = sourceId;
  sourceLostReported_ = false;
  haveSource_ = sourceId != 0;
  currentSsrc_ = sourceId;
  probationCount_ = 0;
  lastRtpNs_ = nowNs;
  keyFrames_.Reset();
  assembler_.Reset();
  stream_.Reset();
  nack_.Reset();
  if (!context_->transport->HasRemote()) return;
  RtcpSubscription s{localSsrc_, sourceId, width, height};
  const size_t n = RtcpPacket::WriteSubscription(rtcpBuffer_, sizeof(rtcpBuffer_), s);
  context_->transport->SendPacket(rtcpBuffer_, n);
}

void VideoReceiver::OnSenderReport(const RtcpSenderReport& sr, uint64_t nowNs) {
  if (sr.ssrc == stream_.ssrc()) stream_.ReceiveSenderReport(sr.ntpMiddle, nowNs);
}

void VideoReceiver::SetPayloadCodecs(const std::vector<std::pair<uint8_t, VideoCodec>>& codecs) { payloadCodecs_ = codecs; }

bool VideoReceiver::CodecOf(uint8_t payloadType, VideoCodec* codec) const {
  if (payloadCodecs_.empty()) {
    *codec = VideoCodec::kH264;
    return true;
  }
  for (const auto& [pt, c] : payloadCodecs_) {
    if (pt == payloadType) {
      *codec = c;
      return true;
    }
  }
  return false;
}

void VideoReceiver::SwitchCodec(VideoCodec codec) {
  assembler_.SetCodec(codec);
  keyFrames_.Reset();
  if (options_.format == PixelFormat::H264) return;  // passthrough: no decoder
  decode_.Reopen(codec);
}

bool VideoReceiver::OnRtp(const uint8_t* data, size_t size, const RtpPacket& packet, uint64_t nowNs) {
  for (const auto& [rtxPt, apt] : rtxPayloads_)
    if (packet.payloadType == rtxPt) return OnRtx(packet, apt, nowNs);
  VideoCodec codec;
  if ((options_.payloadType >= 0 && packet.payloadType != options_.payloadType) || !CodecOf(packet.payloadType, &codec) ||
      (codec != VideoCodec::kH264 && options_.format == PixelFormat::H264)) {
    wrongPayloadType_.fetch_add(1, std::memory_order_relaxed);
    return false;
  }
  // The source is what a media server forwarding under its own SSRC names in the CSRC.
  if (!haveSource_ || packet.sourceId() != currentSsrc_) {
    if (subscribedSsrc_ != 0 || (haveSource_ && nowNs - lastRtpNs_ < kSourceSwitchNs)) {
      // One socket receives one source: a stray SSRC must not reset the stream it is receiving.
      packetsOtherSsrc_.fetch_add(1, std::memory_order_relaxed);
      return false;
    }
    return Probation(data, size, packet, nowNs);
  }
  Accept(packet, nowNs);
  return true;
}

// RFC 4588: an RTX packet carries a packet of the stream being received, under its own SSRC
// and sequence numbers; unwrapped, it goes in as that packet and fills its hole.
bool VideoReceiver::OnRtx(const RtpPacket& rtx, uint8_t apt, uint64_t nowNs) {
  rtxPackets_.fetch_add(1, std::memory_order_relaxed);
  uint16_t osn;
  if (!RtxPacket::OriginalSequenceNumber(rtx, &osn)) {
    rtxPaddingOnly_.fetch_add(1, std::memory_order_relaxed);
    return true;
  }
  RtpPacket repaired;
  // Nothing to repair before a stream is received; a forwarded one names its source in the CSRC.
  const bool ours = haveSource_ && (rtx.csrcCount == 0 || rtx.sourceId() == currentSsrc_);
  const size_t n = ours ? RtxPacket::Unwrap(rtx, apt, stream_.ssrc(), rtxBuffer_, sizeof(rtxBuffer_)) : 0;
  if (n == 0 || !RtpPacket::Parse(rtxBuffer_, n, &repaired)) {
    rtxUnusable_.fetch_add(1, std::memory_order_relaxed);
    return false;
  }
  Accept(repaired, nowNs);
  return true;
}

// RFC 3550 A.1: a new source counts once a few of its packets came close together in sequence.
// "Close", not "consecutive": a network that reorders does it from the first packet on, and a
// probation that starts over on every swap throws away the stream's first packets, which carry
// the parameter sets and the key frame. Until then its packets wait here; then they all go
// through in sequence order, so none is lost.
bool VideoReceiver::Probation(const uint8_t* data, size_t size, const RtpPacket& packet, uint64_t nowNs) {
  const int32_t distance = SeqManager::Diff(packet.sequenceNumber, probationSeq_);
  const bool continues = probationCount_ > 0 && packet.sourceId() == probationSsrc_ && distance != 0 &&
                         distance > -kProbationReorder && distance <= kProbationReorder;
  if (!continues) {
    packetsOtherSsrc_.fetch_add(probationCount_, std::memory_order_relaxed);
    probationCount_ = 0;
    probationSsrc_ = packet.sourceId();
  }
  if (size > sizeof(probation_[0].data)) {
    packetsMalformed_.fetch_add(1, std::memory_order_relaxed);
    return false;
  }
  std::memcpy(probation_[probationCount_].data, data, size);
  probation_[probationCount_].size = size;
  probation_[probationCount_].seq = packet.sequenceNumber;
  probationCount_++;
  if (probationCount_ == 1 || distance > 0) probationSeq_ = packet.sequenceNumber;
  if (probationCount_ < kProbationPackets) return false;

  haveSource_ = true;
  currentSsrc_ = packet.sourceId();
  const size_t count = probationCount_;
  probationCount_ = 0;
  HeldPacket* order[kProbationPackets];
  for (size_t i = 0; i < count; ++i) order[i] = &probation_[i];
  std::sort(order, order + count, [](const HeldPacket* a, const HeldPacket* b) { return SeqManager::IsNewer(b->seq, a->seq); });
  for (size_t i = 0; i < count; ++i) {
    RtpPacket held;
    RtpPacket::Parse(order[i]->data, order[i]->size, &held);
    Accept(held, nowNs);
  }
  return true;
}

void VideoReceiver::Accept(const RtpPacket& packet, uint64_t nowNs) {
  VideoCodec codec;
  if (CodecOf(packet.payloadType, &codec) && codec != assembler_.codec()) SwitchCodec(codec);
  lastRtpNs_ = nowNs;
  sourceLostReported_ = false;
  keyFrames_.OnPacket(nowNs);
  rtpPackets_.fetch_add(1, std::memory_order_relaxed);  // across senders: a total, as the others are
  stream_.ReceivePacket(packet, nowNs);
  if (options_.nack) {
    // Sequence numbers belong to the SSRC on the wire: another one starts the list over.
    if (packet.ssrc != nackSsrc_) {
      nack_.Reset();
      nackSsrc_ = packet.ssrc;
    }
    if (nack_.OnPacket(packet.sequenceNumber, nowNs)) PublishNackStats();
  }
  assembler_.Insert(packet, nowNs);
}

void VideoReceiver::RequestMissing(uint64_t nowNs) {
  if (!options_.nack || !haveSource_ || !context_->transport->HasRemote()) return;
  uint16_t lost[kMaxNackPerTick];
  const size_t n = nack_.Due(nowNs, 0, lost, kMaxNackPerTick);
  if (n > 0) SendFeedback(nowNs, false, false, lost, n);
  PublishNackStats();
}

// The generator's counters are the media thread's; stats() reads these copies from any thread.
void VideoReceiver::PublishNackStats() {
  const NackStats& s = nack_.stats();
  packetsNacked_.store(s.requested, std::memory_order_relaxed);
  packetsRecovered_.store(s.recovered, std::memory_order_relaxed);
  nackGaveUp_.store(s.gaveUp, std::memory_order_relaxed);
}

void VideoReceiver::OnKeyFrameNeeded() { NeedKeyFrame(NowNs(), "loss"); }

void VideoReceiver::NeedKeyFrame(uint64_t nowNs, const char* reason) { SendKeyFrameRequest(keyFrames_.Need(nowNs, reason), nowNs); }

void VideoReceiver::SendKeyFrameRequest(const KeyFrameRequest& request, uint64_t nowNs) {
  if (!request.any()) return;
  if (SendFeedback(nowNs, request.pli, request.fir)) keyFrames_.Sent(request, nowNs);
  context_->sink->OnEvent("keyFrameRequested", "", request.reason);
}

bool VideoReceiver::SendFeedback(uint64_t nowNs, bool pli, bool fir, const uint16_t* nack, size_t nackCount) {
  if (!context_->transport->HasRemote()) return false;
  // A compound packet starts with a report (RFC 3550 6.1); feedback rides behind it.
  // No report block until a source is confirmed: it would report phantom loss.
  ReportBlock block = stream_.MakeReportBlock(nowNs);
  const bool haveBlock = haveSource_ && stream_.PacketsReceived() > 0;
  size_t n = RtcpPacket::WriteReceiverReport(rtcpBuffer_, sizeof(rtcpBuffer_), localSsrc_, haveBlock ? &block : nullptr);
  if (pli) n += RtcpPacket::WritePli(rtcpBuffer_ + n, sizeof(rtcpBuffer_) - n, localSsrc_, stream_.ssrc());
  if (fir) n += RtcpPacket::WriteFir(rtcpBuffer_ + n, sizeof(rtcpBuffer_) - n, localSsrc_, stream_.ssrc(), keyFrames_.NextFirSequence());
  if (nackCount) n += RtcpPacket::WriteNack(rtcpBuffer_ + n, sizeof(rtcpBuffer_) - n, localSsrc_, nackSsrc_, nack, nackCount);
  if (!context_->transport->SendPacket(rtcpBuffer_, n)) return false;
  reportsSent_.fetch_add(1, std::memory_order_relaxed);
  lastReportNs_ = nowNs;
  if (pli) pliSent_.fetch_add(1, std::memory_order_relaxed);
  if (fir) firSent_.fetch_add(1, std::memory_order_relaxed);
  if (nackCount) nackSent_.fetch_add(1, std::memory_order_relaxed);
  return true;
}

void VideoReceiver::OnTick(uint64_t now) {
  // A subscribed source that stopped sending (the participant left, the server dropped it) is
  // reported once; the socket stays usable for the next subscription.
  if (subscribedSsrc_ != 0 && !sourceLostReported_ && now - lastRtpNs_ >= kSourceLostNs) {
    sourceLostReported_ = true;
    context_->sink->OnEvent("sourceLost", "", std::to_string(subscribedSsrc_));
  }
  RequestMissing(now);
  assembler_.OnTimer(now);
  SendKeyFrameRequest(keyFrames_.OnTick(now), now);
  if (now - lastReportNs_ >= kReportIntervalNs) SendFeedback(now, false, false);
  // A stream with B-frames leaves pictures inside the decoder when it pauses: hand them over.
  if (!idleDrainPosted_ && lastAssembledNs_ && now - lastAssembledNs_ >= kIdleDrainNs &&
      decode_.HeldPictures() > 0) {
    idleDrainPosted_ = true;
    auto keep = context_->owner.lock();
    decode_.Drain([this, keep] {
      MediaThread::Instance().Post([this, keep] {
        if (!context_->closing) assembler_.RequireKeyFrame();
      });
    });
  }
}

void VideoReceiver::OnFrameAssembled(const AssembledFrame& frame) {
  lastAssembledNs_ = frame.assembledNs;
  idleDrainPosted_ = false;
  if (frame.keyFrame) keyFrames_.OnKeyFrame();
  DeliveredFrame meta;
  meta.format = options_.format;
  meta.timestamp = frame.timestamp;
  meta.ssrc = frame.ssrc;
  meta.keyFrame = frame.keyFrame;
  meta.stamps[kFirstPacket] = frame.firstPacketNs;
  meta.stamps[kLastPacket] = frame.lastPacketNs;
  meta.stamps[kAssembled] = frame.assembledNs;

  if (options_.format == PixelFormat::H264) {
    meta.buffer = PooledBuffer::Make(frame.size);
    std::memcpy(meta.buffer.data(), frame.data, frame.size);
    meta.stamps[kDecodeStart] = meta.stamps[kDecoded] = meta.stamps[kConverted] = NowNs();
    sink_->OnFrame(std::move(meta));
    return;
  }
  const size_t waiting = decode_.Waiting();
  if (waiting >= (frame.reference ? options_.decodeQueueLimit : options_.decodeQueueLimit / 2)) {
    // Far behind for long: only now is compressed input lost. A disposable frame goes without
    // consequence; a reference frame breaks the chain, so the stream resumes at a key frame.
    framesDroppedDecodeQueue_.fetch_add(1, std::memory_order_relaxed);
    if (frame.reference) {
      assembler_.RequireKeyFrame();
      NeedKeyFrame(NowNs(), "decoder far behind");
    }
    return;
  }
  if (frame.keyFrame) lastKeyFrameToDecoder_ = framesToDecoder_;
  decode_.Submit(frame.data, frame.size, std::move(meta), framesToDecoder_++);
}

// Strand: a corrupt or discarded access unit. On the media thread, unless a key frame handed to
// the decoder after it already starts the references over (a decoder behind by several frames
// must not make the assembler throw that key frame's successors away).
void VideoReceiver::OnDecodeBroken(uint64_t index) {
  auto keep = context_->owner.lock();
  MediaThread::Instance().Post([this, keep, index] {
    if (context_->closing || lastKeyFrameToDecoder_ > index) return;
    assembler_.RequireKeyFrame();
    NeedKeyFrame(NowNs(), "corrupt bitstream");
  });
}

VideoReceiverStats VideoReceiver::Stats() const {
  const auto& a = assembler_.stats();
  auto r = [](const std::atomic<uint64_t>& v) { return v.load(std::memory_order_relaxed); };
  VideoReceiverStats s{};
  s.packetsMalformed = r(packetsMalformed_) + r(a.packetsMalformed);
  s.packetsWrongPayloadType = r(wrongPayloadType_);
  s.packetsOtherSsrc = r(packetsOtherSsrc_);
  s.rtpPackets = r(rtpPackets_);
  s.packetsLost = static_cast<uint64_t>(stream_.PacketsLost());
  s.packetsLate = r(a.packetsLate);
  s.packetsDuplicate = r(a.packetsDuplicate);
  s.packetsDiscarded = r(a.packetsDiscarded);
  s.packetsPadding = r(a.packetsPadding);
  s.pliSent = r(pliSent_);
  s.nackSent = r(nackSent_);
  s.packetsNacked = r(packetsNacked_);
  s.packetsRecovered = r(packetsRecovered_);
  s.nackGaveUp = r(nackGaveUp_);
  s.firSent = r(firSent_);
  s.receiverReportsSent = r(reportsSent_);
  s.framesAssembled = r(a.framesAssembled);
  s.framesIncomplete = r(a.framesIncomplete);
  s.framesMalformed = r(a.framesMalformed);
  s.framesWaitingKeyFrame = r(a.framesWaitingKeyFrame);
  s.framesDroppedDecodeQueue = r(framesDroppedDecodeQueue_);
  const DecodeStageStats d = decode_.Stats();
  s.framesDecoded = d.framesDecoded;
  s.framesSkippedBehind = d.framesSkippedBehind;
  s.framesShed = d.framesShed;
  s.framesUnsupportedFormat = d.framesUnsupportedFormat;
  s.framesConvertFailed = d.framesConvertFailed;
  s.decodeErrors = d.decodeErrors;
  s.framesDiscardedByDecoder = d.framesDiscardedByDecoder;
  s.rtxPackets = r(rtxPackets_);
  s.rtxPaddingOnly = r(rtxPaddingOnly_);
  s.rtxUnusable = r(rtxUnusable_);
  s.jitterMs = stream_.JitterMs();
  s.ssrc = stream_.ssrc();
  s.rtcpSsrc = localSsrc_;
  return s;
}

}  // namespace callmedia
