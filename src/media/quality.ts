/**
 * Quality of experience of a video socket, as a viewer of the far end would judge it: how much
 * was lost before and after recovery, how often and how long the picture froze, the frame rate
 * and bitrate now. Plain arithmetic over the socket's counters and frame arrivals, so it is
 * tested without a network.
 */

/** What a video socket's stats() carries as `qoe`. */
export interface VideoQoe {
  /** Packets missing at first (lost on the way, then perhaps repaired), of those expected: 0..1. */
  lossBeforeRecovery: number;
  /** Packets never repaired, of those expected: 0..1. */
  lossAfterRecovery: number;
  /** NACKs this socket sent, and NACKs its sender got from the far end. */
  nackSent: number;
  nackReceived: number;
  /** Retransmissions received, and those that repaired a packet. */
  retransmissionsReceived: number;
  retransmissionsUsed: number;
  /** Round trip to the far end (from its reports on what this socket sends; 0 when not sending), ms. */
  roundTripMs: number;
  jitterMs: number;
  /** Freezes (WebRTC's definition: a frame later than max(3 × the mean interval, mean + 150 ms)) and their total time, ms. */
  freezeCount: number;
  totalFreezeMs: number;
  /** Frames delivered, and bits received, per second over the last second. */
  fps: number;
  bitrate: number;
  /** What congestion control lets this socket send (0: no estimate). */
  availableBitrate: number;
  /** 'good', 'fair' or 'poor': see qualityLevel. */
  level: QualityLevel;
}

export type QualityLevel = 'good' | 'fair' | 'poor';

export interface QualityChange {
  previous: QualityLevel;
  current: QualityLevel;
  qoe: VideoQoe;
}

/** The counters quality is computed from (a subset of the native receiver and sender stats). */
export interface QualityCounters {
  rtpPackets: number;
  packetsLost: number;
  packetsRecovered: number;
  nackSent: number;
  rtxPackets: number;
  jitterMs: number;
  bytes: number;
  send?: { nackReceived: number; roundTripMs: number; allocatedBitrate?: number };
}

/**
 * The level, from what a viewer sees: poor when the picture froze in the last 5 s or more than
 * 5 % stays lost; fair when more than 1 % stays lost, or the stream runs under half its usual
 * frame rate; good otherwise.
 */
export function qualityLevel(q: { lossAfterRecovery: number; fps: number }, frozeRecently: boolean, usualFps: number): QualityLevel {
  if (frozeRecently || q.lossAfterRecovery > 0.05) return 'poor';
  if (q.lossAfterRecovery > 0.01 || (usualFps > 0 && q.fps < usualFps / 2)) return 'fair';
  return 'good';
}

const WINDOW = 30;

export class VideoQuality {
  freezeCount = 0;
  totalFreezeMs = 0;
  private readonly intervals: number[] = [];
  private lastFrameAt?: number;
  private lastFreezeAt = -Infinity;
  private readonly arrivals: number[] = [];
  private lastSample?: { at: number; bytes: number; rtp: number; lost: number; recovered: number };
  private window = { rtp: 0, lost: 0, recovered: 0, bytes: 0, ms: 0 };
  private usualFps = 0;
  level: QualityLevel = 'good';

  /** `startedAtMs`: when the socket opened, the start of the first snapshot's interval. */
  constructor(private readonly startedAtMs: number) {}

  /** A frame reached bot code at `atMs`. */
  onFrame(atMs: number): void {
    this.arrivals.push(atMs);
    while (this.arrivals.length && this.arrivals[0] <= atMs - 1000) this.arrivals.shift();
    if (this.lastFrameAt !== undefined) {
      const gap = atMs - this.lastFrameAt;
      if (this.intervals.length >= 5) {
        const mean = this.intervals.reduce((a, b) => a + b, 0) / this.intervals.length;
        if (gap > Math.max(3 * mean, mean + 150)) {
          this.freezeCount++;
          this.totalFreezeMs += gap;
          this.lastFreezeAt = atMs;
        }
      }
      this.intervals.push(gap);
      if (this.intervals.length > WINDOW) this.intervals.shift();
    }
    this.lastFrameAt = atMs;
  }

  /**
   * The QoE now. Loss, fps and bitrate are over the interval since the previous call of at
   * least a second (the first call: since the socket opened).
   */
  snapshot(c: QualityCounters, nowMs: number): VideoQoe {
    while (this.arrivals.length && this.arrivals[0] <= nowMs - 1000) this.arrivals.shift();
    const s = this.lastSample;
    if (!s || nowMs - s.at >= 1000) {
      const from = s ?? { at: this.startedAtMs, bytes: 0, rtp: 0, lost: 0, recovered: 0 };
      this.window = {
        rtp: c.rtpPackets - from.rtp,
        lost: Math.max(0, c.packetsLost - from.lost),
        recovered: c.packetsRecovered - from.recovered,
        bytes: c.bytes - from.bytes,
        ms: Math.max(1, nowMs - from.at),
      };
      this.lastSample = { at: nowMs, bytes: c.bytes, rtp: c.rtpPackets, lost: c.packetsLost, recovered: c.packetsRecovered };
    }
    const w = this.window;
    const expected = w.rtp + w.lost;
    // A stalled stream (no frame for a second) keeps its freeze open: it counts from the last frame.
    const stalledMs = this.lastFrameAt !== undefined && this.intervals.length >= 5 ? nowMs - this.lastFrameAt : 0;
    const fps = this.arrivals.length;
    if (fps > this.usualFps) this.usualFps = fps;
    const qoe: Omit<VideoQoe, 'level'> = {
      lossBeforeRecovery: expected > 0 ? Math.min(1, (w.lost + w.recovered) / expected) : 0,
      lossAfterRecovery: expected > 0 ? w.lost / expected : 0,
      nackSent: c.nackSent,
      nackReceived: c.send?.nackReceived ?? 0,
      retransmissionsReceived: c.rtxPackets,
      retransmissionsUsed: c.packetsRecovered,
      roundTripMs: c.send?.roundTripMs ?? 0,
      jitterMs: c.jitterMs,
      freezeCount: this.freezeCount,
      totalFreezeMs: this.totalFreezeMs,
      fps,
      bitrate: (w.bytes * 8 * 1000) / w.ms,
      availableBitrate: c.send?.allocatedBitrate ?? 0,
    };
    const frozeRecently = nowMs - this.lastFreezeAt < 5000 || (stalledMs > 1000 && this.usualFps > 0);
    this.level = qualityLevel(qoe, frozeRecently, this.usualFps);
    return { ...qoe, level: this.level };
  }
}
