import { FrameStamps, VideoSocket, VideoSocketStats, monotonicNowMs } from '../src/media';
import { srtpPair } from './webrtc';
import { Figure, round3, sampleFigure, valueFigure } from './report';
import { Scenario, ScenarioOptions, ScenarioResult, progress } from './scenario';
import {
  FPS, KEY_FRAME_INTERVAL, ProbeSocket, RESOLUTIONS, RawClip, Resolution, SentFrames, SocketPair, WARMUP_FRAMES, delay, drainSender,
  pairedEncodes, rawClip, sendInRealTime, sendSettings,
} from './send';

/** The span of a 90 kHz RTP clock, in ms: RTP times repeat after it (about 13.25 h). */
const RTP_PERIOD_MS = 2 ** 32 / 90;
/** Longest wait, once the sender settled, for the last frames to be decoded and delivered. */
const DRAIN_MS = 300;
const TARGET = { label: '720p', p99Ms: 8 } as const;
const FIGURE_ORDER = ['glass_to_glass', 'loopback_encode', 'loopback_send_overhead', 'loopback_network', 'loopback_decode',
  'loopback_recv_overhead', 'loopback_lost', 'loopback_dropped'];

/** One delivered frame, as the receiving listener saw it. */
interface Arrival {
  timestamp: number;
  stamps: FrameStamps;
  keyFrame: boolean;
}

/** Per-stage samples of one stream, in ms; index k of every list is the same frame. */
export interface StageSamples {
  glass: number[]; // send() called → frame handed to JavaScript on the far side
  encode: number[]; // convert + encode on the sender (empty when it cannot be paired with frames)
  sendOverhead: number[]; // send() called → first packet received, minus encode
  network: number[]; // first → last packet of the frame received (the sender's pacing included)
  decode: number[];
  receiveOverhead: number[]; // last packet → delivered, minus decode
  keyFrame: boolean[];
}

export interface StreamRun {
  stages: StageSamples;
  /** Encode samples of the sender whether or not they could be paired with frames. */
  encodeMs: number[];
  /** Glass-to-glass of the warm-up frames that were received, left out of the figures. */
  warmupGlass: number[];
  framesSent: number;
  framesReceived: number;
  /** Frames whose stamps were missing or out of order, or whose timestamp was never sent. */
  badStamps: number;
  /** Frames whose rtpToMonotonicMs() was whole RTP periods away from the send() call. */
  rtpWrapped: number;
  tx: VideoSocketStats;
  rx: VideoSocketStats;
}

/** Stamps run in pipeline order from the send() call; a zero or a step backwards means a lost track. */
function stampsValid(sentAt: number, s: FrameStamps): boolean {
  const order = [sentAt, s.firstPacket, s.lastPacket, s.assembled, s.decodeStart, s.decoded, s.converted, s.delivered];
  return order.every((t, i) => t > 0 && (i === 0 || t >= order[i - 1]));
}

/** Plain RTP between two sockets of their own on 127.0.0.1. */
async function plainPair(res: Resolution): Promise<SocketPair> {
  const rx = new VideoSocket({ format: 'I420' });
  const tx = new ProbeSocket({ send: sendSettings(res), remote: { port: rx.port } });
  return { tx, rx, close: async () => void (await Promise.all([tx.close(), rx.close()])) };
}

/** Sends the clip in real time from one socket to another on 127.0.0.1 and collects every frame's stamps. */
async function loopClip(clip: RawClip, pair: SocketPair): Promise<StreamRun> {
  const { tx, rx } = pair;
  const arrivals: Arrival[] = [];
  rx.on('frame', (frame) => arrivals.push({ timestamp: frame.timestamp, stamps: frame.stamps, keyFrame: frame.keyFrame }));
  for (const socket of [rx, tx]) socket.on('error', (err) => progress(`socket error: ${err.message}`));
  let sent: SentFrames;
  let samples: { encodeMs: Float64Array; sendMs: Float64Array };
  let txStats: VideoSocketStats;
  try {
    sent = await sendInRealTime(tx, clip);
    await drainSender(tx);
    const until = monotonicNowMs() + DRAIN_MS;
    while (arrivals.length < clip.count && monotonicNowMs() < until) await delay(10);
    samples = tx.sendSamples();
    txStats = tx.stats();
  } finally {
    await pair.close();
  }
  return collate(clip.count, sent, arrivals, samples, txStats, rx.stats(), (ts) => tx.rtpToMonotonicMs(ts));
}

function collate(
  framesSent: number,
  sent: SentFrames,
  arrivals: Arrival[],
  samples: { encodeMs: Float64Array; sendMs: Float64Array },
  tx: VideoSocketStats,
  rx: VideoSocketStats,
  rtpToMonotonicMs: (timestamp: number) => number,
): StreamRun {
  const indexOf = new Map(sent.timestamps.map((ts, i) => [ts, i]));
  // With no frame dropped before the encoder, encode sample i belongs to frame i.
  const paired = pairedEncodes(tx, samples) && tx.send?.framesDroppedQueue === 0;
  const stages: StageSamples = {
    glass: [], encode: [], sendOverhead: [], network: [], decode: [], receiveOverhead: [], keyFrame: [],
  };
  const warmupGlass: number[] = [];
  let badStamps = 0;
  let rtpWrapped = 0;
  for (const a of arrivals) {
    const i = indexOf.get(a.timestamp);
    if (i === undefined) {
      badStamps++;
      continue;
    }
    // rtpToMonotonicMs() answers modulo the RTP period; put it back in the period of the call.
    const mapped = rtpToMonotonicMs(a.timestamp);
    const periods = Math.round((sent.calledAt[i] - mapped) / RTP_PERIOD_MS);
    if (periods !== 0) rtpWrapped++;
    const sentAt = mapped + periods * RTP_PERIOD_MS;
    const s = a.stamps;
    if (!stampsValid(sentAt, s)) {
      badStamps++;
      continue;
    }
    if (i < WARMUP_FRAMES) {
      warmupGlass.push(s.delivered - sentAt);
      continue;
    }
    const decode = s.decoded - s.decodeStart;
    stages.glass.push(s.delivered - sentAt);
    stages.network.push(s.lastPacket - s.firstPacket);
    stages.decode.push(decode);
    stages.receiveOverhead.push(s.delivered - s.lastPacket - decode);
    stages.keyFrame.push(a.keyFrame);
    if (paired) {
      stages.encode.push(samples.encodeMs[i]);
      stages.sendOverhead.push(s.firstPacket - sentAt - samples.encodeMs[i]);
    }
  }
  return {
    stages,
    encodeMs: Array.from(samples.encodeMs).slice(WARMUP_FRAMES),
    warmupGlass,
    framesSent,
    framesReceived: arrivals.length,
    badStamps,
    rtpWrapped,
    tx,
    rx,
  };
}

const streamRuns = new Map<string, Promise<StreamRun>>();

/** How the two sockets of a loopback stream are connected. */
export type LoopbackTransport = 'rtp' | 'srtp';

/**
 * `frames` raw frames at `res` through a loopback pair in real time: plain RTP, or the same
 * frames over DTLS-SRTP. Measured once per process: a full run whose loopback and latency
 * scenarios both ask for a stream gets the same one.
 */
export function loopbackStream(res: Resolution, frames: number, transport: LoopbackTransport = 'rtp'): { run: Promise<StreamRun>; cached: boolean } {
  const key = `${res.label}/${frames}/${transport}`;
  const cached = streamRuns.get(key);
  if (cached) return { run: cached, cached: true };
  const run = runStream(res, frames, transport);
  streamRuns.set(key, run);
  return { run, cached: false };
}

/** Raw frames per stream: 300 for a stable p99, or a few seconds in a quick run. */
export function loopbackFrames(options: ScenarioOptions): number {
  return options.quick ? 90 : 300;
}

async function runStream(res: Resolution, frames: number, transport: LoopbackTransport): Promise<StreamRun> {
  const clip = rawClip(res, frames);
  progress(`${res.label}: sending ${frames} frames in real time through a loopback pair${transport === 'srtp' ? ' over DTLS-SRTP' : ''}`);
  const run = await loopClip(clip, transport === 'srtp' ? await srtpPair(res) : await plainPair(res));
  if (run.badStamps) progress(`${res.label}: ${run.badStamps} frames had missing or out-of-order stamps`);
  if (run.rtpWrapped) progress(`${res.label}: rtpToMonotonicMs() was off by whole RTP periods for ${run.rtpWrapped} frames`);
  return run;
}

const tagOf = (res: Resolution) => `${res.label}${FPS}`;

function streamFigures(res: Resolution, run: StreamRun): Figure[] {
  const tag = tagOf(res);
  const s = run.stages;
  const tx = run.tx.send;
  const rx = run.rx;
  const dropped = (tx?.framesDroppedQueue ?? 0) + (tx?.encodeErrors ?? 0) + rx.framesIncomplete +
    rx.framesDroppedDecodeQueue + rx.framesSkippedBehind + rx.framesDroppedDelivery + rx.decodeErrors;
  const figures = [
    sampleFigure(`glass_to_glass_${tag}`, 'ms', s.glass),
    // Encode is paired with the frames it made when nothing was dropped; else it stands alone.
    sampleFigure(`loopback_encode_${tag}`, 'ms', s.encode.length ? s.encode : run.encodeMs),
  ];
  if (s.sendOverhead.length) figures.push(sampleFigure(`loopback_send_overhead_${tag}`, 'ms', s.sendOverhead));
  figures.push(
    sampleFigure(`loopback_network_${tag}`, 'ms', s.network),
    sampleFigure(`loopback_decode_${tag}`, 'ms', s.decode),
    sampleFigure(`loopback_recv_overhead_${tag}`, 'ms', s.receiveOverhead),
    // Sent but never seen by the listener, whatever the reason (should equal dropped).
    valueFigure(`loopback_lost_${tag}`, 'count', run.framesSent - run.framesReceived, run.framesSent),
    valueFigure(`loopback_dropped_${tag}`, 'count', dropped, run.framesSent),
  );
  return figures;
}

function mean(values: number[]): number {
  return values.length ? values.reduce((a, b) => a + b, 0) / values.length : NaN;
}

/** Where the slowest 1% of frames spend their time: the mean of each stage over those frames. */
function tailNote(res: Resolution, run: StreamRun): string {
  const s = run.stages;
  const order = s.glass.map((_, k) => k).sort((a, b) => s.glass[b] - s.glass[a]);
  const tail = order.slice(0, Math.max(1, Math.ceil(order.length / 100)));
  const at = (list: number[]) => round3(mean(tail.map((k) => list[k])));
  const keys = tail.filter((k) => s.keyFrame[k]).length;
  const receive = `network ${at(s.network)} + decode ${at(s.decode)} + receive ${at(s.receiveOverhead)}`;
  const parts = s.encode.length
    ? `encode ${at(s.encode)} + send ${at(s.sendOverhead)} + ${receive}`
    : `${receive} (encode not paired with frames)`;
  const frames = `${tail.length} frame${tail.length === 1 ? '' : 's'}, ${keys} key frame${keys === 1 ? '' : 's'}`;
  return `slowest 1% at ${tagOf(res)} (${frames}): glass-to-glass ${at(s.glass)} ms = ${parts} ms (means)`;
}

/** Said only when it happened: rtpToMonotonicMs() gave times whole RTP periods before the send() call. */
function wrapNote(runs: StreamRun[]): string[] {
  const frames = runs.reduce((n, r) => n + r.rtpWrapped, 0);
  if (!frames) return [];
  return [`rtpToMonotonicMs() answered modulo the RTP period (${round3(RTP_PERIOD_MS / 3.6e6)} h) for ${frames} frames: ` +
    'the monotonic clock is past it; send times were put back in the period of each send() call'];
}

function targetNote(figures: Figure[]): string {
  const f = figures.find((x) => x.name === `glass_to_glass_${TARGET.label}${FPS}`) as Figure;
  const met = f.p99 <= TARGET.p99Ms ? 'met' : 'NOT met';
  return `glass-to-glass p99 ${TARGET.label}${FPS}: ${f.p99} ms (target ≤ ${TARGET.p99Ms} ms): ${met}`;
}

async function run(options: ScenarioOptions): Promise<ScenarioResult> {
  const frames = loopbackFrames(options);
  const runs: StreamRun[] = [];
  const srtpRuns: StreamRun[] = [];
  for (const res of RESOLUTIONS) {
    runs.push(await loopbackStream(res, frames).run);
    srtpRuns.push(await loopbackStream(res, frames, 'srtp').run);
  }
  const perStream = RESOLUTIONS.map((res, i) => streamFigures(res, runs[i]));
  // The same frames over DTLS-SRTP: glass-to-glass beside plain RTP's, and what was dropped.
  const srtp = RESOLUTIONS.flatMap((res, i) => {
    const [glass, , ...rest] = streamFigures(res, srtpRuns[i]);
    const dropped = rest.find((f) => f.name.startsWith('loopback_dropped_')) as Figure;
    return [{ ...glass, name: `glass_to_glass_srtp_${tagOf(res)}` }, { ...dropped, name: `loopback_dropped_srtp_${tagOf(res)}` }];
  });

  // Like figures side by side (all glass-to-glass, then all encodes, ...), counts last; a
  // stage a stream could not measure is simply absent.
  const all = [...perStream.flat(), ...srtp];
  const order = ['glass_to_glass', 'glass_to_glass_srtp', ...FIGURE_ORDER.slice(1), 'loopback_dropped_srtp'];
  const figures = order.flatMap((prefix) =>
    RESOLUTIONS.map((res) => all.find((f) => f.name === `${prefix}_${tagOf(res)}`)).filter((f): f is Figure => f !== undefined));
  const notes = [
    targetNote(figures),
    ...RESOLUTIONS.map((res, i) => tailNote(res, runs[i])),
    `per-frame figures leave out the first ${WARMUP_FRAMES} frames of each stream (warm-up); their glass-to-glass: ` +
      RESOLUTIONS.map((res, i) => `${res.label} ${runs[i].warmupGlass.map(round3).join(', ') || 'not received'} ms`).join('; '),
    ...wrapNote(runs),
    `sender: OpenH264 (the default), bitrates ${RESOLUTIONS.map((r) => `${r.label} ${r.bitrate / 1e6}`).join(' / ')} Mbit/s, ` +
      `key frame every ${KEY_FRAME_INTERVAL} frames; both sockets share this process's media thread and worker pool`,
    `*_srtp_*: the same frames from a media server's side (ServerSession: controlling ICE agent, DTLS client) to a ` +
      `bot's MediaSession over DTLS-SRTP, one media port each`,
  ];
  return { figures, notes };
}

export const loopback: Scenario = {
  name: 'loopback',
  summary: `glass-to-glass at 360p/720p/1080p${FPS}: a sending VideoSocket to a receiving one on 127.0.0.1`,
  run,
};
