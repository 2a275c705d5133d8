import { monotonicNowMs } from '../src/media';
import { native } from '../src/media/native';
import { Figure, PeerFigure, peerFromSamples, round3, sampleFigure, valueFigure } from './report';
import { Scenario, ScenarioOptions, ScenarioResult, progress } from './scenario';
import { StreamRun, loopbackFrames, loopbackStream } from './loopback';
import { FPS, KEY_FRAME_INTERVAL, RESOLUTIONS, RawClip, Resolution, WARMUP_FRAMES, delay, rawClip } from './send';
import { connectChromium, connectWrtc } from './webrtc';

const TARGET = { label: '720p', p99Ms: 8, ratio: 0.2 } as const;
/** Longest wait for the two peer connections to connect. */
const CONNECT_TIMEOUT_MS = 10_000;
/** Longest wait, after the last frame, for wrtc's last frames to come out of its sink. */
const DRAIN_MS = 1000;

// ---------------------------------------------------------------------------------------------
// The parts of @roamhq/wrtc used here (loaded at run time: it is a devDependency and may be absent)

export interface WrtcFrame {
  width: number;
  height: number;
  /** I420; wrtc wants a Uint8ClampedArray and hands one out. */
  data: Uint8Array | Uint8ClampedArray;
}
export interface WrtcTrack {
  stop(): void;
}
export interface WrtcSender {
  getParameters(): { encodings?: Record<string, unknown>[]; degradationPreference?: string };
  setParameters(p: unknown): Promise<void>;
}
export interface WrtcDescription {
  type: string;
  sdp: string;
}
export interface WrtcPeerConnection {
  onicecandidate: ((e: { candidate: unknown }) => void) | null;
  ontrack: ((e: { track: WrtcTrack }) => void) | null;
  readonly connectionState: string;
  readonly iceConnectionState: string;
  addTrack(track: WrtcTrack): WrtcSender;
  addIceCandidate(candidate: unknown): Promise<void>;
  createOffer(): Promise<WrtcDescription>;
  createAnswer(): Promise<WrtcDescription>;
  setLocalDescription(d: WrtcDescription): Promise<void>;
  setRemoteDescription(d: WrtcDescription): Promise<void>;
  close(): void;
}
export interface WrtcModule {
  RTCPeerConnection: new (config?: unknown) => WrtcPeerConnection;
  nonstandard: {
    RTCVideoSource: new (init?: { isScreencast?: boolean }) => { createTrack(): WrtcTrack; onFrame(frame: WrtcFrame): void };
    RTCVideoSink: new (track: WrtcTrack) => { onframe: ((e: { frame: WrtcFrame }) => void) | null; stop(): void };
  };
}

/** The wrtc module, or why it could not be loaded on this machine. */
export function loadWrtc(): { wrtc: WrtcModule } | { error: string } {
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    return { wrtc: require('@roamhq/wrtc') as WrtcModule };
  } catch (err) {
    return { error: err instanceof Error ? err.message.split('\n')[0] : String(err) };
  }
}

// ---------------------------------------------------------------------------------------------
// A frame counter in the pixels

/** 16 bits of the frame number and their complement, as one row of 32 black or white luma blocks. */
const MARK_BITS = 16;
const MARK_BLOCKS = 2 * MARK_BITS;

/**
 * Writes frame number `n` into the top of the luma plane: block k is white when bit k is set
 * (k < 16) or clear (k ≥ 16, the complement). Blocks are 1/32 of the width square, so they
 * survive a lossy codec and a scaled-down frame.
 */
export function markFrame(frame: Uint8Array, width: number, n: number): void {
  const block = Math.floor(width / MARK_BLOCKS);
  for (let k = 0; k < MARK_BLOCKS; k++) {
    const bit = k < MARK_BITS ? (n >> k) & 1 : 1 - ((n >> (k - MARK_BITS)) & 1);
    const value = bit ? 235 : 16;
    for (let y = 0; y < block; y++) frame.fill(value, y * width + k * block, y * width + (k + 1) * block);
  }
}

/** The frame number markFrame wrote, read from the block centres of a frame of any size; -1 if unreadable. */
export function readMark(frame: WrtcFrame, sentWidth: number): number {
  const scale = frame.width / sentWidth;
  const block = Math.floor(sentWidth / MARK_BLOCKS) * scale;
  const y = Math.floor(block / 2);
  let n = 0;
  for (let k = 0; k < MARK_BITS; k++) {
    const at = (i: number) => frame.data[y * frame.width + Math.floor((i + 0.5) * block)] > 128;
    const bit = at(k);
    if (bit === at(k + MARK_BITS)) return -1; // a bit and its complement agree: not a mark
    if (bit) n |= 1 << k;
  }
  return n;
}

// ---------------------------------------------------------------------------------------------
// wrtc: the same frames through two peer connections in this process

interface WrtcRun {
  /** onFrame() called → the sink's 'frame' listener runs, ms, per frame after the warm-up. */
  glass: number[];
  warmupGlass: number[];
  framesSent: number;
  framesReceived: number;
  /** Frames whose counter could not be read, or was read twice. */
  unreadable: number;
  codec: string;
  settings: string;
  /** Received frame sizes and how many of each. */
  sizes: Map<string, number>;
  /** Frame numbers never received. */
  missing: number[];
}

/** Offer and answer between two wrtc peer connections of this process; returns the answer. */
export async function negotiateWrtc(tx: WrtcPeerConnection, rx: WrtcPeerConnection): Promise<WrtcDescription> {
  const offer = await tx.createOffer();
  await tx.setLocalDescription(offer);
  await rx.setRemoteDescription(offer);
  const answer = await rx.createAnswer();
  await rx.setLocalDescription(answer);
  await tx.setRemoteDescription(answer);
  return answer;
}

/** Our sender's bitrate as wrtc's ceiling, and its resolution kept rather than scaled down; says what applied. */
export async function limitWrtcSender(sender: WrtcSender, bitrate: number): Promise<string> {
  try {
    const params = sender.getParameters();
    for (const e of params.encodings ?? []) e.maxBitrate = bitrate;
    params.degradationPreference = 'maintain-resolution';
    await sender.setParameters(params);
    return `maxBitrate ${bitrate / 1e6} Mbit/s, maintain-resolution`;
  } catch (err) {
    return `its defaults (setParameters refused: ${(err as Error).name || String(err)})`;
  }
}

async function connect(wrtc: WrtcModule, res: Resolution): Promise<{
  source: InstanceType<WrtcModule['nonstandard']['RTCVideoSource']>;
  track: WrtcTrack;
  pcs: WrtcPeerConnection[];
  sink: Promise<InstanceType<WrtcModule['nonstandard']['RTCVideoSink']>>;
  codec: string;
  settings: string;
}> {
  const source = new wrtc.nonstandard.RTCVideoSource();
  const track = source.createTrack();
  const tx = new wrtc.RTCPeerConnection();
  const rx = new wrtc.RTCPeerConnection();
  tx.onicecandidate = (e) => void (e.candidate && rx.addIceCandidate(e.candidate));
  rx.onicecandidate = (e) => void (e.candidate && tx.addIceCandidate(e.candidate));
  const sender = tx.addTrack(track);
  const sink = new Promise<InstanceType<WrtcModule['nonstandard']['RTCVideoSink']>>((resolve) => {
    rx.ontrack = (e) => resolve(new wrtc.nonstandard.RTCVideoSink(e.track));
  });
  const answer = await negotiateWrtc(tx, rx);
  const settings = await limitWrtcSender(sender, res.bitrate);
  const until = monotonicNowMs() + CONNECT_TIMEOUT_MS;
  while (tx.connectionState !== 'connected' && monotonicNowMs() < until) await delay(10);
  if (tx.connectionState !== 'connected') throw new Error(`wrtc peer connections did not connect (${tx.connectionState})`);
  // The first codec of the answer's video line is the one both sides send with.
  const pt = /m=video \d+ \S+ (\d+)/.exec(answer.sdp)?.[1];
  const codec = (pt && new RegExp(`a=rtpmap:${pt} ([^/\\r\\n]+)`).exec(answer.sdp)?.[1]) || 'unknown';
  return { source, track, pcs: [tx, rx], sink, codec, settings };
}

async function wrtcClip(wrtc: WrtcModule, res: Resolution, clip: RawClip): Promise<WrtcRun> {
  const { source, track, pcs, sink: sinkReady, codec, settings } = await connect(wrtc, res);
  const calledAt: number[] = [];
  const receivedAt = new Map<number, number>();
  const sizes = new Map<string, number>();
  let framesReceived = 0;
  let unreadable = 0;
  const onFrame = (e: { frame: WrtcFrame }) => {
    const now = monotonicNowMs();
    framesReceived++;
    const f = e.frame;
    const size = `${f.width}x${f.height}`;
    sizes.set(size, (sizes.get(size) ?? 0) + 1);
    const n = readMark(f, res.width);
    if (n < 0 || n >= clip.count || receivedAt.has(n)) unreadable++;
    else receivedAt.set(n, now);
  };
  // The sink exists once the track arrives, which may be only after the first frame: listen as soon as it does.
  let sink: Awaited<typeof sinkReady> | undefined;
  void sinkReady.then((s) => {
    sink = s;
    s.onframe = onFrame;
  });
  try {
    // The same pacing as our sender: one frame every 1/FPS s on the monotonic clock.
    const start = monotonicNowMs() + 20;
    for (let i = 0; i < clip.count; i++) {
      const data = new Uint8Array(clip.frame(i));
      markFrame(data, res.width, i);
      const wait = start + (i * 1000) / FPS - monotonicNowMs();
      if (wait > 0) await delay(wait);
      calledAt.push(monotonicNowMs());
      source.onFrame({ width: clip.width, height: clip.height, data: new Uint8ClampedArray(data.buffer, data.byteOffset, data.length) });
    }
    const until = monotonicNowMs() + DRAIN_MS;
    while (receivedAt.size + unreadable < clip.count && monotonicNowMs() < until) await delay(10);
  } finally {
    sink?.stop();
    track.stop();
    for (const pc of pcs) pc.close();
  }
  const glass: number[] = [];
  const warmupGlass: number[] = [];
  for (const [n, at] of [...receivedAt].sort((a, b) => a[0] - b[0])) {
    (n < WARMUP_FRAMES ? warmupGlass : glass).push(at - calledAt[n]);
  }
  const missing: number[] = [];
  for (let n = 0; n < clip.count; n++) if (!receivedAt.has(n)) missing.push(n);
  return { glass, warmupGlass, framesSent: clip.count, framesReceived, unreadable, codec, settings, sizes, missing };
}

// ---------------------------------------------------------------------------------------------
// The scenario

interface ResolutionRun {
  res: Resolution;
  ours: StreamRun;
  oursCached: boolean;
  /** The same frames over DTLS-SRTP. */
  srtp: StreamRun;
  wrtc?: WrtcRun;
}

const tagOf = (res: Resolution) => `${res.label}${FPS}`;

function figuresOf(r: ResolutionRun): { glass: Figure[]; counts: Figure[] } {
  const tag = tagOf(r.res);
  const peer: PeerFigure | undefined = r.wrtc?.glass.length ? peerFromSamples('wrtc', r.wrtc.glass) : undefined;
  const counts = [
    valueFigure(`lost_${tag}`, 'count', r.ours.framesSent - r.ours.framesReceived, r.ours.framesSent),
    valueFigure(`lost_srtp_${tag}`, 'count', r.srtp.framesSent - r.srtp.framesReceived, r.srtp.framesSent),
  ];
  return {
    glass: [sampleFigure(`glass_to_glass_${tag}`, 'ms', r.ours.stages.glass, peer), sampleFigure(`glass_to_glass_srtp_${tag}`, 'ms', r.srtp.stages.glass, peer)],
    counts,
  };
}

/**
 * SRTP's own cost per frame (protect on the sender, unprotect on the receiver) at the 720p
 * stream's packets: as many as its frames had on average, of their average size.
 */
function srtpCost(run: StreamRun, frames: number): { figure: Figure; note: string } {
  const send = run.tx.send;
  const packets = send && send.framesEncoded ? Math.max(1, Math.round(send.packetsSent / send.framesEncoded)) : 9;
  const size = send && send.packetsSent ? Math.min(1400, Math.max(16, Math.round(send.bytesSent / send.packetsSent))) : 1100;
  const r = native().benchSrtp(packets, size, frames);
  const perFrame = Array.from(r.protect, (p, i) => p + r.unprotect[i]);
  const memcpy = [...r.memcpy].sort((a, b) => a - b)[Math.floor(r.memcpy.length / 2)];
  return {
    figure: sampleFigure('srtp_cost_720p30', 'ms', perFrame),
    note: `srtp_cost_720p30: AEAD_AES_128_GCM protect + unprotect of ${packets} packets of ${size} bytes (the 720p stream's mean frame), ` +
      `libsrtp2; a memcpy of the same bytes takes ${round3(memcpy)} ms (goal ≤ 0.05 ms at p50)`,
  };
}

/** acceptOffer → first decoded frame with wrtc and with Chromium, each with a new peer per attempt. */
async function connectFigures(options: ScenarioOptions): Promise<{ figures: Figure[]; notes: string[] }> {
  const attempts = options.quick ? 2 : 10;
  const figures: Figure[] = [];
  const notes: string[] = [];
  progress(`connect: ${attempts} wrtc peers, one after another`);
  const w = await connectWrtc(attempts).catch((err: Error) => ({ error: err.message }));
  if ('samples' in w) figures.push(sampleFigure('connect_ms_wrtc', 'ms', w.samples));
  else notes.push(`connect_ms_wrtc not measured: ${w.error}`);
  progress(`connect: ${attempts} Chromium pages, one after another`);
  const c = await connectChromium(attempts).catch((err: Error) => ({ error: err.message }));
  if ('samples' in c) {
    figures.push(sampleFigure('connect_ms_chromium', 'ms', c.samples));
    notes.push(`connect_ms_*: acceptOffer() called → first decoded frame in JavaScript (ICE, DTLS, first key frame, decode) on ` +
      `127.0.0.1; Chromium ${c.version}; goal < 500 ms (Microsoft's platform: 5-10 s from answer to media, as its users report)`);
  } else {
    notes.push(`connect_ms_chromium not measured: ${c.error}`);
  }
  return { figures, notes };
}

function targetNote(figures: Figure[], wrtcError?: string): string {
  const f = figures.find((x) => x.name === `glass_to_glass_${TARGET.label}${FPS}`) as Figure;
  const absolute = f.p99 <= TARGET.p99Ms;
  if (!f.peer) {
    return `glass-to-glass p99 ${TARGET.label}${FPS}: ${f.p99} ms (target ≤ ${TARGET.p99Ms} ms: ${absolute ? 'met' : 'NOT met'}; ` +
      `≤ ${TARGET.ratio} × wrtc: not measured, ${wrtcError ?? 'wrtc delivered no frames'})`;
  }
  const ratio = f.ratio_p99 ?? NaN;
  const relative = ratio <= TARGET.ratio;
  const verdict = absolute && relative ? 'met' : absolute ? `NOT met (${ratio}× wrtc)` : relative ? `NOT met (${f.p99} ms)` : 'NOT met';
  return `glass-to-glass p99 ${TARGET.label}${FPS}: ${f.p99} ms vs wrtc ${f.peer.p99} ms = ${ratio}× ` +
    `(target ≤ ${TARGET.p99Ms} ms and ≤ ${TARGET.ratio}× wrtc): ${verdict}`;
}

/** 0,1,2,5,7,8 → "0–2, 5, 7–8". */
function ranges(values: number[]): string {
  const out: string[] = [];
  for (let i = 0; i < values.length; i++) {
    let j = i;
    while (j + 1 < values.length && values[j + 1] === values[j] + 1) j++;
    out.push(j > i ? `${values[i]}–${values[j]}` : `${values[i]}`);
    i = j;
  }
  return out.join(', ');
}

function wrtcNote(r: ResolutionRun): string | undefined {
  const w = r.wrtc;
  if (!w) return undefined;
  const sizes = [...w.sizes].sort((a, b) => b[1] - a[1]).map(([s, n]) => `${s} ×${n}`).join(', ');
  return `wrtc ${tagOf(r.res)}: ${w.codec}, ${w.settings}; received ${w.framesReceived} of ${w.framesSent} frames ` +
    `(${sizes || 'none'}), ${w.unreadable} with an unreadable counter; never received: ${ranges(w.missing) || 'none'}; ` +
    `warm-up frames ${w.warmupGlass.map(round3).join(', ') || 'not received'} ms`;
}

async function run(options: ScenarioOptions): Promise<ScenarioResult> {
  const frames = loopbackFrames(options);
  const loaded = loadWrtc();
  const wrtcError = 'error' in loaded ? `@roamhq/wrtc could not be loaded: ${loaded.error}` : undefined;
  if (wrtcError) progress(`${wrtcError}; the latency scenario runs without its peer`);
  const runs: ResolutionRun[] = [];
  for (const res of RESOLUTIONS) {
    const ours = loopbackStream(res, frames);
    if (ours.cached) progress(`${res.label}: our loopback stream was measured earlier in this run`);
    const oursRun = await ours.run;
    const srtp = await loopbackStream(res, frames, 'srtp').run;
    const r: ResolutionRun = { res, ours: oursRun, oursCached: ours.cached, srtp };
    if ('wrtc' in loaded) {
      progress(`${res.label}: the same ${frames} frames through two wrtc peer connections`);
      r.wrtc = await wrtcClip(loaded.wrtc, res, rawClip(res, frames));
    }
    runs.push(r);
  }
  const per = runs.map(figuresOf);
  const run720 = runs.find((r) => r.res.label === '720p') as ResolutionRun;
  const cost = srtpCost(run720.srtp, frames);
  const connect = await connectFigures(options);
  const figures = [
    ...per.map((p) => p.glass[0]),
    ...per.map((p) => p.glass[1]),
    cost.figure,
    ...connect.figures,
    ...per.flatMap((p) => p.counts),
  ];
  const notes = [
    targetNote(figures, wrtcError),
    cost.note,
    `glass_to_glass_srtp_*: the same frames from a media server's ServerSession to a bot's MediaSession over ICE and ` +
      `DTLS-SRTP (one media port each on 127.0.0.1)`,
    ...connect.notes,
    ...runs.map(wrtcNote).filter((n): n is string => n !== undefined),
    `ours = send() called → frame handed to JavaScript by the receiving VideoSocket (the loopback scenario's measurement` +
      `${runs.some((r) => r.oursCached) ? ', taken once for both scenarios in this run' : ''}); OpenH264 at ` +
      `${RESOLUTIONS.map((r) => `${r.label} ${r.bitrate / 1e6}`).join(' / ')} Mbit/s, key frame every ${KEY_FRAME_INTERVAL} frames`,
  ];
  if (wrtcError) notes.push(`wrtc unavailable: ${wrtcError}`);
  else {
    notes.push(`wrtc = RTCVideoSource.onFrame() called → RTCVideoSink 'frame' listener runs, two RTCPeerConnections in ` +
      `this process over 127.0.0.1, its default codec, frames matched by a counter drawn in their top luma row; both ` +
      `leave out the first ${WARMUP_FRAMES} frames`);
  }
  return { figures, notes };
}

export const latency: Scenario = {
  name: 'latency',
  summary: `glass-to-glass at ${RESOLUTIONS.map((r) => r.label).join('/')}${FPS} on loopback, plain RTP and DTLS-SRTP, beside the same frames through wrtc; time to media with wrtc and Chromium`,
  run,
};
