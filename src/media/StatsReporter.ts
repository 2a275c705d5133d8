import { CallMediaError } from './errors';
import type { MediaSessionStats } from './MediaSession';

/** One socket's figures at one moment, as the bot reports them to a console. */
export interface SocketReport {
  /** 'audio', 'video-0' … 'video-9', or 'vbss': the socket's label in the session. */
  socket: string;
  kind: 'audio' | 'video' | 'vbss';
  /** The media source the socket receives (a video subscription); absent when none. */
  sourceId?: number;
  /** Frames delivered per second (audio: 20 ms frames; 50 when nothing is lost). */
  fps: number;
  /** Received bits per second. */
  bitrate: number;
  /** Packets missing before repair, and never repaired, of those expected: 0..1. */
  lossBeforeRecovery: number;
  lossAfterRecovery: number;
  /** Round trip to the far end, ms (0: not known, as on a socket that only receives). */
  roundTripMs: number;
  /** Latency in the engine from packet to bot code, ms, over the socket's recent frames. */
  latencyP50: number;
  latencyP99: number;
}

/** What one post carries: the time it was taken (ms since the epoch) and every open socket's figures. */
export interface StatsReport {
  at: number;
  sockets: SocketReport[];
}

export interface StatsReporterOptions {
  /** The call the session is the media of: the service files the figures under it. */
  callId: string;
  /** How often to post, ms (default 1000; at least 250). */
  intervalMs?: number;
}

interface AudioSample {
  at: number;
  bytes: number;
  delivered: number;
  concealed: number;
  mixed: number;
}

/**
 * Posts a media session's per-socket figures to a communications service's console once a
 * second (`MediaSession.reportTo`). It reads the sockets' stats() on a timer that never holds
 * the process, off the media path; a post that fails is counted and the next one goes out on
 * time. Posts never queue behind each other: while one is in flight, the next tick is skipped.
 */
export class StatsReporter {
  /** Posts the service took, posts that failed (unreachable, or refused), and ticks skipped behind a slow post. */
  readonly counts = { posted: 0, failed: 0, skipped: 0 };
  /** The last failure, for a developer wondering why the console shows nothing. */
  lastError?: Error;
  private timer?: NodeJS.Timeout;
  private inFlight = false;
  private audioSample?: AudioSample;
  private readonly url: string;

  /** `read`: the session's stats and each video socket's subscription (undefined once the session closed). */
  constructor(
    private readonly read: () => { stats: MediaSessionStats; subscriptions: (number | undefined)[] } | undefined,
    serviceUrl: string,
    options: StatsReporterOptions,
  ) {
    let base: URL;
    try {
      base = new URL(serviceUrl);
    } catch {
      throw new CallMediaError('INVALID_ARGUMENT', `reportTo: '${serviceUrl}' is not an absolute URL`);
    }
    if (base.protocol !== 'http:' && base.protocol !== 'https:') throw new CallMediaError('INVALID_ARGUMENT', 'reportTo: the service URL must be http(s)');
    if (typeof options?.callId !== 'string' || options.callId.length === 0) throw new CallMediaError('INVALID_ARGUMENT', 'reportTo: callId is required');
    const intervalMs = options.intervalMs ?? 1000;
    if (!(intervalMs >= 250)) throw new CallMediaError('INVALID_ARGUMENT', 'reportTo: intervalMs must be at least 250');
    this.url = new URL(`admin/calls/${encodeURIComponent(options.callId)}/botStats`, base.href.endsWith('/') ? base.href : `${base.href}/`).href;
    this.timer = setInterval(() => this.tick(), intervalMs);
    this.timer.unref();
  }

  get isStopped(): boolean {
    return this.timer === undefined;
  }

  stop(): void {
    clearInterval(this.timer);
    this.timer = undefined;
  }

  /** The report as it would be posted now (the sockets' figures, read once). */
  report(): StatsReport | undefined {
    const read = this.read();
    if (!read) return undefined;
    const { stats, subscriptions } = read;
    const at = Date.now();
    const sockets: SocketReport[] = stats.video.map((v, i) => videoReport(`video-${i}`, 'video', v, subscriptions[i]));
    if (stats.vbss) sockets.push(videoReport('vbss', 'vbss', stats.vbss, undefined));
    if (stats.audio) sockets.push(this.audioReport(stats.audio, at));
    return { at, sockets };
  }

  private tick(): void {
    if (this.inFlight) {
      this.counts.skipped++;
      return;
    }
    const report = this.report();
    if (!report) {
      this.stop(); // the session is closed
      return;
    }
    this.inFlight = true;
    fetch(this.url, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(report), signal: AbortSignal.timeout(5000) })
      .then(async (res) => {
        await res.arrayBuffer().catch(() => undefined);
        if (res.ok) this.counts.posted++;
        else this.fail(new Error(`the service answered ${res.status}`));
      })
      .catch((err: Error) => this.fail(err))
      .finally(() => {
        this.inFlight = false;
      });
  }

  private fail(err: Error): void {
    this.counts.failed++;
    this.lastError = err;
  }

  /** Audio counts only totals, so its rates are the change since the previous report. */
  private audioReport(a: NonNullable<MediaSessionStats['audio']>, at: number): SocketReport {
    const now: AudioSample = { at, bytes: a.bytes, delivered: a.framesDelivered, concealed: a.concealed, mixed: a.framesMixed };
    const last = this.audioSample ?? now;
    this.audioSample = now;
    const seconds = Math.max(0.001, (now.at - last.at) / 1000);
    const mixed = now.mixed - last.mixed;
    const concealed = Math.max(0, now.concealed - last.concealed);
    const loss = mixed > 0 ? Math.min(1, concealed / mixed) : 0;
    return {
      socket: 'audio',
      kind: 'audio',
      fps: now === last ? 0 : (now.delivered - last.delivered) / seconds,
      bitrate: now === last ? 0 : ((now.bytes - last.bytes) * 8) / seconds,
      lossBeforeRecovery: loss,
      lossAfterRecovery: loss,
      roundTripMs: 0,
      latencyP50: a.addedLatency.p50,
      latencyP99: a.addedLatency.p99,
    };
  }
}

function videoReport(socket: string, kind: 'video' | 'vbss', v: MediaSessionStats['video'][number], sourceId: number | undefined): SocketReport {
  const report: SocketReport = {
    socket,
    kind,
    fps: v.qoe.fps,
    bitrate: v.qoe.bitrate,
    lossBeforeRecovery: v.qoe.lossBeforeRecovery,
    lossAfterRecovery: v.qoe.lossAfterRecovery,
    roundTripMs: v.qoe.roundTripMs,
    latencyP50: v.latency.total.p50,
    latencyP99: v.latency.total.p99,
  };
  if (sourceId !== undefined) report.sourceId = sourceId;
  return report;
}
