import type { SocketReport } from '../../media';
import { GraphError } from '../model/GraphError';
import type { ParticipantCounters } from '../MediaBridge';

/** A second of one bot socket, as the bot reported it (MediaSession.reportTo). */
export type BotSocketPoint = { at: number } & Omit<SocketReport, 'socket' | 'kind' | 'sourceId'>;

export interface BotSocketSeries {
  kind: 'audio' | 'video' | 'vbss';
  /** The source it receives in its newest report. */
  sourceId: number | null;
  points: BotSocketPoint[];
}

/** A second of one participant's media as the service forwards it: bits per second in. */
export interface ParticipantPoint {
  at: number;
  audioBitrate: number;
  videoBitrate: number;
}


export interface CallStatsSeries {
  /** Per bot socket ('audio', 'video-0' …, 'vbss'): the last minute of reports. */
  bot: Record<string, BotSocketSeries>;
  /** Per participant id: the last minute of what the service received from it. */
  participants: Record<string, ParticipantPoint[]>;
}

/** A minute at a point a second; sockets per report; calls kept (the newest win). */
const POINTS_KEPT = 60;
const SOCKETS_PER_REPORT = 16;
const CALLS_KEPT = 200;
/** Participant samples closer than this are not taken: several consoles polling do not make them noisy. */
const SAMPLE_SPACING_MS = 900;
const KINDS = ['audio', 'video', 'vbss'] as const;
const FIGURES = ['fps', 'bitrate', 'lossBeforeRecovery', 'lossAfterRecovery', 'roundTripMs', 'latencyP50', 'latencyP99'] as const;

interface CallSeries {
  bot: Map<string, BotSocketSeries>;
  participants: Map<string, ParticipantPoint[]>;
  lastSample?: { at: number; counters: Record<string, ParticipantCounters> };
}

/**
 * The console's live plots: a minute of each bot socket's figures, posted by the bot, and of
 * each participant's bitrates into the service, sampled from the media bridge's counters when
 * someone looks (no timer, nothing on the media path). Bounded in points, sockets and calls.
 */
export class CallStats {
  private readonly calls = new Map<string, CallSeries>();

  /** Files a bot's report (the body of POST /admin/calls/{id}/botStats); a malformed one is a 400 that stores nothing. */
  addBotReport(callId: string, body: Record<string, unknown>): void {
    const sockets = body.sockets;
    if (!Array.isArray(sockets) || sockets.length > SOCKETS_PER_REPORT) {
      throw GraphError.badRequest(`'sockets' must be an array of at most ${SOCKETS_PER_REPORT} socket reports`);
    }
    const at = typeof body.at === 'number' && Number.isFinite(body.at) ? body.at : Date.now();
    const parsed = sockets.map((s, i) => socketReport(s, `sockets[${i}]`));
    const series = this.series(callId);
    for (const { socket, kind, sourceId, point } of parsed) {
      let s = series.bot.get(socket);
      if (!s) {
        if (series.bot.size >= SOCKETS_PER_REPORT) continue;
        series.bot.set(socket, (s = { kind, sourceId, points: [] }));
      }
      s.kind = kind;
      s.sourceId = sourceId;
      push(s.points, { at, ...point });
    }
  }

  /** Samples the participants' counters, at most once per SAMPLE_SPACING_MS per call. */
  sampleParticipants(callId: string, counters: Record<string, ParticipantCounters> | undefined): void {
    if (!counters) return;
    const series = this.series(callId);
    const now = Date.now();
    const last = series.lastSample;
    if (last && now - last.at < SAMPLE_SPACING_MS) return;
    series.lastSample = { at: now, counters };
    if (!last) return;
    const seconds = (now - last.at) / 1000;
    for (const [id, c] of Object.entries(counters)) {
      const before = last.counters[id];
      if (!before) continue;
      let points = series.participants.get(id);
      if (!points) series.participants.set(id, (points = []));
      push(points, {
        at: now,
        audioBitrate: (Math.max(0, c.audioBytes - before.audioBytes) * 8) / seconds,
        videoBitrate: (Math.max(0, c.videoBytes - before.videoBytes) * 8) / seconds,
      });
    }
    for (const id of series.participants.keys()) if (!(id in counters)) series.participants.delete(id);
  }

  of(callId: string): CallStatsSeries {
    const series = this.calls.get(callId);
    return {
      bot: Object.fromEntries(series?.bot ?? []),
      participants: Object.fromEntries(series?.participants ?? []),
    };
  }

  private series(callId: string): CallSeries {
    let s = this.calls.get(callId);
    if (!s) {
      this.calls.set(callId, (s = { bot: new Map(), participants: new Map() }));
      if (this.calls.size > CALLS_KEPT) this.calls.delete(this.calls.keys().next().value as string);
    }
    return s;
  }
}

function push<T>(points: T[], point: T): void {
  points.push(point);
  if (points.length > POINTS_KEPT) points.shift();
}

function socketReport(value: unknown, field: string): { socket: string; kind: BotSocketSeries['kind']; sourceId: number | null; point: Omit<BotSocketPoint, 'at'> } {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) throw GraphError.badRequest(`'${field}' must be a socket report`);
  const r = value as Record<string, unknown>;
  if (typeof r.socket !== 'string' || !/^(audio|vbss|video-\d{1,2})$/.test(r.socket)) {
    throw GraphError.badRequest(`'${field}.socket' must be 'audio', 'vbss' or 'video-N'`);
  }
  const kind = KINDS.find((k) => k === r.kind);
  if (!kind) throw GraphError.badRequest(`'${field}.kind' must be one of: ${KINDS.join(', ')}`);
  const point = {} as Omit<BotSocketPoint, 'at'>;
  for (const f of FIGURES) {
    const n = r[f];
    if (typeof n !== 'number' || !Number.isFinite(n) || n < 0) throw GraphError.badRequest(`'${field}.${f}' must be a number ≥ 0`);
    point[f] = n;
  }
  const sourceId = r.sourceId === undefined || r.sourceId === null ? null : r.sourceId;
  if (sourceId !== null && (typeof sourceId !== 'number' || !Number.isInteger(sourceId) || sourceId < 0)) {
    throw GraphError.badRequest(`'${field}.sourceId' must be a source id`);
  }
  return { socket: r.socket, kind, sourceId, point };
}
