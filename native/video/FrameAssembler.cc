#include "video/FrameAssembler.h"

#include <algorithm>
#include <cstring>

#include "common/Clock.h"
#include "rtp/SeqManager.h"

namespace callmedia {

FrameAssembler::FrameAssembler(Listener* listener, size_t capacity, uint64_t reorderWindowNs, VideoCodec codec,
                               uint64_t recoveryLimitNs)
    : listener_(listener),
      slots_(SeqManager::RingSize(capacity)),
      reorderWindowNs_(reorderWindowNs),
      recoveryLimitNs_(std::max(reorderWindowNs, recoveryLimitNs)),
      codec_(codec),
      depacketizer_(RtpDepacketizer::Create(codec)) {
  accessUnit_.reserve(256 * 1024);
}

void FrameAssembler::SetCodec(VideoCodec codec) {
  if (codec == codec_) return;
  codec_ = codec;
  depacketizer_ = RtpDepacketizer::Create(codec);
  Reset();
}

FrameAssembler::Slot* FrameAssembler::Get(uint16_t seq) {
  Slot& slot = slots_[seq % slots_.size()];
  return (slot.used && slot.seq == seq) ? &slot : nullptr;
}

void FrameAssembler::Reset() {
  for (auto& slot : slots_) slot.used = false;
  started_ = synced_ = scanValid_ = emitted_ = provisionalSync_ = false;
  waitingKeyFrame_ = true;
  gapSinceNs_ = 0;
}

void FrameAssembler::Insert(const RtpPacket& packet, uint64_t nowNs) {
  const bool padding = packet.payloadSize == 0 && packet.paddingSize > 0;
  if ((packet.payloadSize == 0 && !padding) || packet.payloadSize > kMaxPayload) {
    stats_.packetsMalformed.fetch_add(1, std::memory_order_relaxed);
    return;
  }
  // The sender or the subscribed source changed (a media server names it in the CSRC).
  if (haveSsrc_ && packet.sourceId() != ssrc_) Reset();
  haveSsrc_ = true;
  ssrc_ = packet.sourceId();

  const uint16_t seq = packet.sequenceNumber;
  if (!started_) {
    started_ = true;
    floor_ = highest_ = seq;
  }
  const uint16_t reference = synced_ ? nextSeq_ : floor_;
  const int32_t distance = SeqManager::Diff(seq, reference);
  bool restart = static_cast<size_t>(distance) >= slots_.size() && distance > 0;
  bool lowered = false;
  if (distance < 0 && !emitted_ && static_cast<size_t>(SeqManager::Diff(highest_, seq)) < slots_.size()) {
    // An earlier packet of a stream whose first frame is not out yet: it starts the stream.
    floor_ = seq;
    synced_ = scanValid_ = provisionalSync_ = false;
    gapSinceNs_ = 0;
    lowered = true;
  } else if (distance < 0) {
    // Far behind, twice in a row: the sender restarted its numbering (RFC 3550 A.1 bad_seq).
    // Merely late otherwise.
    if (static_cast<size_t>(-distance) < slots_.size() || !haveRestartSeq_ || seq != restartSeq_) {
      if (static_cast<size_t>(-distance) >= slots_.size()) {
        restartSeq_ = static_cast<uint16_t>(seq + 1);
        haveRestartSeq_ = true;
      }
      stats_.packetsLate.fetch_add(1, std::memory_order_relaxed);
      return;
    }
    restart = true;
  }
  haveRestartSeq_ = false;
  if (restart) {
    // The hole is wider than the buffer: whatever was pending cannot complete.
    if (synced_) stats_.framesIncomplete.fetch_add(1, std::memory_order_relaxed);
    for (auto& slot : slots_) {
      if (slot.used) stats_.packetsDiscarded.fetch_add(1, std::memory_order_relaxed);
      slot.used = false;
    }
    synced_ = scanValid_ = false;
    gapSinceNs_ = 0;
    floor_ = highest_ = seq;
    emitted_ = provisionalSync_ = false;
    if (!waitingKeyFrame_) {
      waitingKeyFrame_ = true;
      listener_->OnKeyFrameNeeded();
    }
  }

  Slot& slot = slots_[seq % slots_.size()];
  if (slot.used && slot.seq == seq) {
    stats_.packetsDuplicate.fetch_add(1, std::memory_order_relaxed);
    return;
  }
  slot.used = true;
  slot.seq = seq;
  slot.ts = packet.timestamp;
  slot.marker = packet.marker;
  slot.arrivalNs = nowNs;
  // A padding-only packet (RFC 3550 5.1) holds a sequence number and nothing else: kept as an
  // empty slot, so it is no hole, and skipped between frames.
  slot.size = static_cast<uint16_t>(packet.payloadSize);
  if (padding) stats_.packetsPadding.fetch_add(1, std::memory_order_relaxed);
  else std::memcpy(slot.data, packet.payload, packet.payloadSize);
  if (SeqManager::IsNewer(seq, highest_)) highest_ = seq;

  if (lowered) SyncFromFloor(nowNs);
  else if (!synced_ && !TrySync(seq, nowNs)) TrySync(static_cast<uint16_t>(seq + 1), nowNs);
  TryAssemble(nowNs);
}

bool FrameAssembler::IsFrameStart(uint16_t seq) {
  Slot* slot = Get(seq);
  if (!slot) return false;
  Slot* prev = Get(static_cast<uint16_t>(seq - 1));
  if (prev) return (prev->marker || prev->ts != slot->ts) && depacketizer_->StartsFrame(slot->data, slot->size);
  // With the previous packet unknown, only a packet that opens a key frame is a safe start.
  return depacketizer_->StartsKeyFrame(slot->data, slot->size);
}

bool FrameAssembler::TrySync(uint16_t seq, uint64_t nowNs) {
  if (synced_ || SeqManager::Diff(seq, floor_) < 0 || !IsFrameStart(seq)) return false;
  const Slot* start = Get(seq);
  // A stream starts at a key frame: a later frame found complete first must not release the
  // packets of a key frame still arriving before it.
  if (!emitted_ && !depacketizer_->StartsKeyFrame(start->data, start->size)) return false;
  provisionalSync_ = !emitted_ && !Get(static_cast<uint16_t>(seq - 1)) && !depacketizer_->OpensAccessUnit(start->data, start->size);
  syncNs_ = nowNs;
  Release(floor_, seq);
  synced_ = true;
  nextSeq_ = floor_ = seq;
  scanValid_ = false;
  return true;
}

// The first frame start at or after the floor, among the packets buffered.
void FrameAssembler::SyncFromFloor(uint64_t nowNs) {
  for (uint16_t s = floor_; SeqManager::Diff(highest_, s) >= 0; ++s) {
    if (TrySync(s, nowNs)) return;
  }
}

void FrameAssembler::Release(uint16_t from, uint16_t to) {
  for (uint16_t s = from; s != to; ++s) {
    if (Slot* slot = Get(s)) {
      slot->used = false;
      stats_.packetsDiscarded.fetch_add(1, std::memory_order_relaxed);
    }
  }
}

void FrameAssembler::TryAssemble(uint64_t nowNs) {
  if (provisionalSync_ && nowNs - syncNs_ < reorderWindowNs_) return;
  provisionalSync_ = false;
  while (synced_) {
    Slot* first = Get(nextSeq_);
    if (first && first->size == 0) {  // padding between frames
      first->used = false;
      nextSeq_ = floor_ = static_cast<uint16_t>(nextSeq_ + 1);
      scanValid_ = false;
      continue;
    }
    if (!first) {
      if (SeqManager::IsNewer(highest_, nextSeq_) && (gapSinceNs_ == 0 || gapSeq_ != nextSeq_)) {
        gapSinceNs_ = nowNs;
        gapSeq_ = nextSeq_;
      }
      return;
    }
    if (!scanValid_) {
      scanSeq_ = nextSeq_;
      scanValid_ = true;
    }
    const uint32_t ts = first->ts;
    for (;;) {
      Slot* p = Get(scanSeq_);
      if (!p) {
        if (SeqManager::IsNewer(highest_, scanSeq_)) {
          if (gapSinceNs_ == 0 || gapSeq_ != scanSeq_) {
            gapSinceNs_ = nowNs;
            gapSeq_ = scanSeq_;
          }
        } else {
          gapSinceNs_ = 0;  // waiting for the rest of the frame, no hole yet
        }
        return;
      }
      if (p->ts != ts) {  // the next frame began without a marker on this one
        gapSinceNs_ = 0;
        scanValid_ = false;
        const uint16_t last = static_cast<uint16_t>(scanSeq_ - 1);
        EmitFrame(nextSeq_, last);
        nextSeq_ = floor_ = static_cast<uint16_t>(last + 1);
        break;
      }
      if (p->marker) {
        gapSinceNs_ = 0;
        scanValid_ = false;
        const uint16_t last = scanSeq_;
        EmitFrame(nextSeq_, last);
        nextSeq_ = floor_ = static_cast<uint16_t>(last + 1);
        break;
      }
      ++scanSeq_;
    }
  }
}

void FrameAssembler::EmitFrame(uint16_t first, uint16_t last) {
  emitted_ = true;  // from now on, a packet before this frame is late
  depacketizer_->BeginFrame(&accessUnit_);
  bool ok = true;
  uint64_t firstNs = UINT64_MAX, lastNs = 0;
  const uint32_t ts = Get(first)->ts;
  for (uint16_t s = first;; ++s) {
    Slot* slot = Get(s);
    if (ok && slot->size > 0) ok = depacketizer_->Append(slot->data, slot->size);
    firstNs = std::min(firstNs, slot->arrivalNs);
    lastNs = std::max(lastNs, slot->arrivalNs);
    slot->used = false;
    if (s == last) break;
  }
  ok = ok && depacketizer_->EndFrame() && !accessUnit_.empty();
  if (!ok) {
    stats_.framesMalformed.fetch_add(1, std::memory_order_relaxed);
    waitingKeyFrame_ = true;
    listener_->OnKeyFrameNeeded();
    return;
  }
  if (waitingKeyFrame_) {
    if (!depacketizer_->isKeyFrame()) {
      stats_.framesWaitingKeyFrame.fetch_add(1, std::memory_order_relaxed);
      return;
    }
    waitingKeyFrame_ = false;
  }
  stats_.framesAssembled.fetch_add(1, std::memory_order_relaxed);
  AssembledFrame frame{accessUnit_.data(), accessUnit_.size(), ts, ssrc_, depacketizer_->isKeyFrame(),
                       depacketizer_->isReference(), firstNs, lastNs, NowNs()};
  listener_->OnFrameAssembled(frame);
}

void FrameAssembler::OnTimer(uint64_t nowNs) {
  if (provisionalSync_) {
    TryAssemble(nowNs);
    return;
  }
  if (!synced_ || gapSinceNs_ == 0) return;
  // A retransmission takes a round trip and the sender's pacing: worth waiting for, up to a
  // limit, since every frame behind the hole would otherwise wait for a key frame instead.
  const uint64_t open = nowNs - gapSinceNs_;
  if (open >= reorderWindowNs_ && (open >= recoveryLimitNs_ || !listener_->RecoveryPending(gapSeq_))) DeclareLoss(nowNs);
}

void FrameAssembler::DeclareLoss(uint64_t nowNs) {
  // Drop the frame with the hole; the next frame boundary after it becomes the sync point.
  stats_.framesIncomplete.fetch_add(1, std::memory_order_relaxed);
  synced_ = scanValid_ = false;
  gapSinceNs_ = 0;
  floor_ = nextSeq_;
  const bool wasWaiting = waitingKeyFrame_;
  waitingKeyFrame_ = true;
  if (!wasWaiting) listener_->OnKeyFrameNeeded();
  // Find the first frame start already buffered after the hole, outside the broken frame:
  // a key frame that lost a packet must not be picked again as the place to restart.
  const Slot* broken = Get(nextSeq_);
  const bool haveBroken = broken != nullptr;
  const uint32_t brokenTs = haveBroken ? broken->ts : 0;
  for (uint16_t s = floor_; SeqManager::Diff(highest_, s) >= 0; ++s) {
    const Slot* candidate = Get(s);
    if (haveBroken && candidate && candidate->ts == brokenTs) continue;
    if (TrySync(s, nowNs)) break;
  }
  TryAssemble(nowNs);
}

}  // namespace callmedia
