import { spawnSync } from 'child_process';
import * as dgram from 'dgram';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { VideoEncoderName, VideoSocket, VideoSocketStats, monotonicNowMs } from '../src/media';
import { ffmpegPath, run as runTool } from '../src/peers/ffmpeg';
import { Figure, peerFromSamples, round3, sampleFigure, valueFigure } from './report';
import { Scenario, ScenarioOptions, ScenarioResult, progress } from './scenario';

export const FPS = 30;
export const KEY_FRAME_INTERVAL = 60;
/** Bitrates per resolution; 360p and 720p at the top of the Real-time Media Platform's bands. */
export const RESOLUTIONS = [
  { label: '360p', width: 640, height: 360, bitrate: 800_000 },
  { label: '720p', width: 1280, height: 720, bitrate: 2_500_000 },
  { label: '1080p', width: 1920, height: 1080, bitrate: 4_000_000 },
] as const;
export type Resolution = (typeof RESOLUTIONS)[number];

export const ENCODERS: readonly VideoEncoderName[] = ['openh264', 'x264'];
/** The ffmpeg encoder that runs the same codec library as each of ours. */
export const FFMPEG_ENCODERS: Record<VideoEncoderName, string> = { openh264: 'libopenh264', x264: 'libx264', vp8: 'libvpx' };
const OVERHEAD_RESOLUTION = '720p';
const OVERHEAD_TARGET_MS = 0.5;
/**
 * Frames left out of every per-frame figure, on our side and ffmpeg's alike: x264 allocates its
 * buffers in its first two encode calls (about 5 and 12 ms at 720p against 2.5 ms after).
 */
export const WARMUP_FRAMES = 2;
/** Longest wait for the encoder and the pacer to finish the frames sent before the run closes. */
const DRAIN_TIMEOUT_MS = 2000;

// ---------------------------------------------------------------------------------------------
// Shared with the loopback scenario: raw test frames and a real-time sender

/** Raw I420 frames of testsrc2, written once to a file (ffmpeg's input) and held in memory (ours). */
export interface RawClip {
  file: string;
  width: number;
  height: number;
  count: number;
  frame(i: number): Buffer;
}

const clips = new Map<string, RawClip>();
let clipDir: string | undefined;

/** `count` frames of testsrc2 at `res` as I420, cached per process and removed at exit. */
export function rawClip(res: Resolution, count: number): RawClip {
  const key = `${res.width}x${res.height}x${count}`;
  const cached = clips.get(key);
  if (cached) return cached;
  if (!clipDir) {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'callmedia-raw-'));
    // A 1080p clip is about 1 GB: never leave it behind.
    process.on('exit', () => fs.rmSync(dir, { recursive: true, force: true }));
    clipDir = dir;
  }
  const file = path.join(clipDir, `testsrc2_${key}.yuv`);
  progress(`${res.label}: writing ${count} raw frames of testsrc2`);
  runTool(ffmpegPath(), ['-hide_banner', '-loglevel', 'error', '-y',
    '-f', 'lavfi', '-i', `testsrc2=size=${res.width}x${res.height}:rate=${FPS}`,
    '-frames:v', String(count), '-pix_fmt', 'yuv420p', '-f', 'rawvideo', file]);
  const data = fs.readFileSync(file);
  const size = (res.width * res.height * 3) / 2;
  if (data.length !== size * count) throw new Error(`ffmpeg wrote ${data.length} bytes of testsrc2, expected ${size * count}`);
  const frame = (i: number) => data.subarray(i * size, (i + 1) * size);
  const clip: RawClip = { file, width: res.width, height: res.height, count, frame };
  clips.set(key, clip);
  return clip;
}

/**
 * A VideoSocket that also hands out the per-frame send timings its stats() only summarizes:
 * encodeMs[i] and sendMs[i] in the order the engine recorded them.
 */
export class ProbeSocket extends VideoSocket {
  sendSamples(): { encodeMs: Float64Array; sendMs: Float64Array } {
    const send = this.channel.stats().send;
    if (!send) throw new Error('the socket has no send half');
    return { encodeMs: send.encodeMs, sendMs: send.sendMs };
  }
}

/** A sending socket and the receiving one it reaches, with what closes both. */
export interface SocketPair {
  tx: ProbeSocket;
  rx: VideoSocket;
  close(): Promise<void>;
}

/** The send settings every loopback stream uses at `res`. */
export function sendSettings(res: Resolution) {
  return { width: res.width, height: res.height, fps: FPS, bitrate: res.bitrate, keyFrameInterval: KEY_FRAME_INTERVAL };
}

export function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Each frame's RTP timestamp as send() returned it, and the monotonic time (ms) just before the call. */
export interface SentFrames {
  timestamps: number[];
  calledAt: number[];
}

/** Sends every frame of the clip at FPS on the monotonic clock (no drift). */
export async function sendInRealTime(socket: VideoSocket, clip: RawClip): Promise<SentFrames> {
  const sent: SentFrames = { timestamps: [], calledAt: [] };
  const start = monotonicNowMs() + 20;
  for (let i = 0; i < clip.count; i++) {
    const wait = start + (i * 1000) / FPS - monotonicNowMs();
    if (wait > 0) await delay(wait);
    sent.calledAt.push(monotonicNowMs());
    sent.timestamps.push(socket.send({ format: 'I420', width: clip.width, height: clip.height, data: clip.frame(i) }));
  }
  return sent;
}

/** Waits until every frame handed to the sender was encoded and on the wire, dropped or failed. */
export async function drainSender(socket: ProbeSocket): Promise<void> {
  const until = monotonicNowMs() + DRAIN_TIMEOUT_MS;
  while (monotonicNowMs() < until) {
    const s = socket.stats().send;
    if (!s) return;
    const settled = s.framesEncoded + s.framesDroppedQueue + s.framesSkipped + s.encodeErrors;
    if (settled >= s.framesIn && socket.sendSamples().sendMs.length >= s.framesEncoded) return;
    await delay(10);
  }
  progress(`the sender had not settled ${DRAIN_TIMEOUT_MS} ms after its last frame`);
}

/**
 * Pairs the engine's encode and send samples per frame. They are recorded in frame order, one
 * encode sample per encoded frame and one send sample per frame that left; a skipped frame has
 * the first without the second, so the pairing holds only when nothing was skipped or failed.
 */
export function pairedEncodes(stats: VideoSocketStats, samples: { encodeMs: Float64Array; sendMs: Float64Array }): boolean {
  const s = stats.send;
  // The engine keeps the last 1024 samples of each: past that, index 0 is no longer the first frame.
  return !!s && s.framesSkipped === 0 && s.encodeErrors === 0 && s.accessUnitsIn === 0 && s.framesEncoded <= 1024 &&
    samples.encodeMs.length === s.framesEncoded && samples.sendMs.length === s.framesEncoded;
}

// ---------------------------------------------------------------------------------------------
// ffmpeg peer

interface FfmpegEncode {
  /** Wall time of each frame's encode calls (-benchmark_all), ms: comparable with our per-frame stamps. */
  perFrameMs: number[];
  /** -benchmark user CPU time / frames, ms. */
  utimeMsPerFrame: number;
  bitrate: number;
}

/** The encoders this ffmpeg build has (cached). */
let ffmpegEncoderList: string | undefined;
export function ffmpegHasEncoder(name: string): boolean {
  ffmpegEncoderList ??= runTool(ffmpegPath(), ['-hide_banner', '-encoders']).toString();
  return new RegExp(`^\\s*V\\S*\\s+${name}\\s`, 'm').test(ffmpegEncoderList);
}

/** Our encoders' settings as ffmpeg options (see native/video/H264Encoder.cc). */
function ffmpegEncoderArgs(encoder: VideoEncoderName, res: Resolution): string[] {
  const rate = ['-b:v', String(res.bitrate), '-g', String(KEY_FRAME_INTERVAL)];
  if (encoder === 'openh264') return ['-c:v', 'libopenh264', ...rate];
  return ['-c:v', 'libx264', '-preset', 'ultrafast', '-tune', 'zerolatency', '-profile:v', 'baseline', ...rate,
    '-maxrate', String((res.bitrate * 3) / 2), '-bufsize', String(res.bitrate), '-threads', '1'];
}

/** ffmpeg encoding the same raw frames in real time: per-frame wall time of its encode calls, and its -benchmark mean. */
function ffmpegEncode(encoder: VideoEncoderName, res: Resolution, clip: RawClip): FfmpegEncode {
  // -re: one frame every 1/FPS s as ours gets them. Encoding flat out instead keeps caches and
  // clocks warm and makes each frame about 0.6 ms (720p) cheaper than in a real-time stream.
  const r = spawnSync(ffmpegPath(), ['-hide_banner', '-nostats', '-benchmark', '-benchmark_all', '-re',
    '-f', 'rawvideo', '-pix_fmt', 'yuv420p', '-s', `${clip.width}x${clip.height}`, '-r', String(FPS), '-i', clip.file,
    ...ffmpegEncoderArgs(encoder, res), '-f', 'null', '-'], { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  const stderr = r.stderr ?? '';
  if (r.status !== 0) throw new Error(`ffmpeg encode failed: ${stderr.slice(-2000)}`);
  // Per frame ffmpeg prints decode_video lines (the raw input) then encode_video lines: one
  // for the send/receive call that returns the packet and one for the call that finds none.
  const perFrameMs: number[] = [];
  let current: number | undefined;
  for (const line of stderr.split('\n')) {
    const m = /bench:\s+\d+ user\s+\d+ sys\s+(\d+) real (encode|decode)_video/.exec(line);
    if (!m) continue;
    if (m[2] === 'encode') current = (current ?? 0) + Number(m[1]) / 1000;
    else if (current !== undefined) {
      perFrameMs.push(current);
      current = undefined;
    }
  }
  if (current !== undefined) perFrameMs.push(current);
  const utime = /bench: utime=([\d.]+)s/.exec(stderr);
  const size = /video:(\d+)kB/.exec(stderr);
  if (!utime || !size || perFrameMs.length !== clip.count) {
    const got = `${perFrameMs.length} encode times for ${clip.count} frames`;
    throw new Error(`ffmpeg -benchmark_all gave ${got}: ${stderr.slice(-2000)}`);
  }
  return {
    perFrameMs: perFrameMs.slice(WARMUP_FRAMES),
    utimeMsPerFrame: (parseFloat(utime[1]) * 1000) / clip.count,
    bitrate: (Number(size[1]) * 1024 * 8 * FPS) / clip.count,
  };
}

// ---------------------------------------------------------------------------------------------
// Our sender

interface SendRun {
  encodeMs: number[];
  sendMs: number[];
  /** sendLatency − encode of the same frame; empty when the samples could not be paired. */
  overheadMs: number[];
  /** RTP packets of the frame each overheadMs sample belongs to (empty when that is not known). */
  packetsPerFrame: number[];
  stats: VideoSocketStats;
  framesSent: number;
  bitrate: number;
}

interface Sink {
  port: number;
  /** RTP packets seen per RTP timestamp (one frame each). */
  packets: Map<number, number>;
  close(): Promise<void>;
}

/** A UDP port on this machine that takes the packets and only counts them per frame. */
async function openSink(): Promise<Sink> {
  const sink = dgram.createSocket('udp4');
  const packets = new Map<number, number>();
  sink.on('message', (msg) => {
    // RTP version 2, and not RTCP (packet types 200-204 sit where RTP has marker + payload type).
    if (msg.length < 12 || msg[0] >> 6 !== 2 || (msg[1] >= 200 && msg[1] <= 204)) return;
    const ts = msg.readUInt32BE(4);
    packets.set(ts, (packets.get(ts) ?? 0) + 1);
  });
  await new Promise<void>((resolve) => sink.bind(0, '127.0.0.1', resolve));
  return { port: sink.address().port, packets, close: () => new Promise((resolve) => sink.close(() => resolve())) };
}

async function sendClip(encoder: VideoEncoderName, res: Resolution, clip: RawClip): Promise<SendRun> {
  const sink = await openSink();
  const socket = new ProbeSocket({
    send: { width: res.width, height: res.height, fps: FPS, bitrate: res.bitrate, keyFrameInterval: KEY_FRAME_INTERVAL, encoder },
    remote: { port: sink.port },
  });
  socket.on('error', (err) => progress(`socket error: ${err.message}`));
  let samples: { encodeMs: Float64Array; sendMs: Float64Array };
  let stats: VideoSocketStats;
  let sent: SentFrames;
  try {
    sent = await sendInRealTime(socket, clip);
    await drainSender(socket);
    samples = socket.sendSamples();
    stats = socket.stats();
  } finally {
    await socket.close();
    await sink.close();
  }
  const encodeMs = Array.from(samples.encodeMs);
  const sendMs = Array.from(samples.sendMs);
  const send = stats.send as NonNullable<VideoSocketStats['send']>;
  const overheadMs = pairedEncodes(stats, samples) ? sendMs.map((v, i) => v - encodeMs[i]) : [];
  // With no frame dropped, the i-th encoded frame is the i-th one sent.
  const packetsPerFrame = overheadMs.length && send.framesDroppedQueue === 0
    ? sent.timestamps.map((ts) => sink.packets.get(ts) ?? 0)
    : [];
  // Samples run in frame order from the first frame (fewer than the ring's 1024), so the
  // warm-up frames are the first ones.
  return {
    encodeMs: encodeMs.slice(WARMUP_FRAMES),
    sendMs: sendMs.slice(WARMUP_FRAMES),
    overheadMs: overheadMs.slice(WARMUP_FRAMES),
    packetsPerFrame: packetsPerFrame.slice(WARMUP_FRAMES),
    stats,
    framesSent: clip.count,
    bitrate: (send.bytesSent * 8 * FPS) / clip.count,
  };
}

// ---------------------------------------------------------------------------------------------
// Figures and notes

export interface EncoderRun {
  encoder: VideoEncoderName;
  res: Resolution;
  ours: SendRun;
  ffmpeg?: FfmpegEncode;
}

const encoderRuns = new Map<string, Promise<EncoderRun>>();

/**
 * ffmpeg's encoder, then ours, on the same `frames` raw frames at `res`, each in real time.
 * Measured once per process: a full run whose send and encode scenarios both ask for an
 * encoder gets the same measurement.
 */
export function measureEncoder(encoder: VideoEncoderName, res: Resolution, frames: number): { run: Promise<EncoderRun>; cached: boolean } {
  const key = `${encoder}/${res.label}/${frames}`;
  const cached = encoderRuns.get(key);
  if (cached) return { run: cached, cached: true };
  const run = (async (): Promise<EncoderRun> => {
    const clip = rawClip(res, frames);
    // The peer runs before the stream so the two encoders never compete for a core.
    let ffmpeg: FfmpegEncode | undefined;
    if (ffmpegHasEncoder(FFMPEG_ENCODERS[encoder])) {
      progress(`${res.label} ${encoder}: ffmpeg ${FFMPEG_ENCODERS[encoder]} on the same frames`);
      ffmpeg = ffmpegEncode(encoder, res, clip);
    }
    progress(`${res.label} ${encoder}: sending ${frames} frames in real time`);
    return { encoder, res, ours: await sendClip(encoder, res, clip), ffmpeg };
  })();
  encoderRuns.set(key, run);
  return { run, cached: false };
}

/** Raw frames per stream: 300 for a stable p99, or a few seconds in a quick run. */
export function sendFrames(options: ScenarioOptions): number {
  return options.quick ? 90 : 300;
}

const tagOf = (res: Resolution) => `${res.label}${FPS}`;

export function encodeFigure(r: EncoderRun): Figure {
  const peer = r.ffmpeg ? peerFromSamples('ffmpeg', r.ffmpeg.perFrameMs) : undefined;
  return sampleFigure(`encode_${r.encoder}_${tagOf(r.res)}`, 'ms', r.ours.encodeMs, peer);
}

/**
 * Ours minus ffmpeg at each percentile: two separate runs of the same frames, so it is an
 * estimate of what the engine adds around the codec call, not a per-frame difference. A few
 * slow frames (a busy neighbour on the machine) decide p99; p50 is the steady estimate.
 */
export function overheadNote(f: Figure): string {
  if (!f.peer) return `${f.name}: no ffmpeg peer, encoder overhead not measured`;
  const peer = f.peer;
  const d = (p: 'p50' | 'p95' | 'p99') => round3(f[p] - peer[p]);
  const met = d('p99') <= OVERHEAD_TARGET_MS ? 'met' : 'NOT met';
  return `encoder overhead ${f.name.replace(/^encode_/, '')}: ours − ffmpeg per-frame encode p50 ${d('p50')} ms, ` +
    `p95 ${d('p95')} ms, p99 ${d('p99')} ms (target ≤ ${OVERHEAD_TARGET_MS} ms p99): ${met}`;
}

/** The pacer sends this many packets of a frame at once (kBurstPackets in native/video/VideoSender.cc). */
const PACER_BURST = 8;

/** Send overhead per frame size at each resolution: frames the pacer sends at once and frames it spreads out. */
function pacingNote(encoder: VideoEncoderName, runs: EncoderRun[]): string | undefined {
  const of = runs.filter((r) => r.encoder === encoder && r.ours.packetsPerFrame.length);
  if (!of.length) return undefined;
  const part = (r: EncoderRun, label: string, keep: (packets: number) => boolean) => {
    const v = r.ours.overheadMs.filter((_, i) => keep(r.ours.packetsPerFrame[i]));
    return v.length ? `${label} ${sampleFigure('', 'ms', v).p50} ms (${v.length})` : `${label} none`;
  };
  return `send overhead ${encoder} by frame size, p50 (frames): ` + of.map((r) => `${r.res.label} ` +
    `${part(r, `≤ ${PACER_BURST} packets`, (p) => p <= PACER_BURST)}, ${part(r, `> ${PACER_BURST}`, (p) => p > PACER_BURST)}`).join('; ');
}

function sendOverheadNote(main: EncoderRun, alt: EncoderRun, paired: boolean, encodeP50: number): string {
  const how = paired
    ? 'paired per frame by order'
    : `NOT paired per frame (skipped or failed frames): send latency minus the encode median ${encodeP50} ms`;
  const other = alt.ours.overheadMs.length ? sampleFigure('', 'ms', alt.ours.overheadMs) : undefined;
  return `send_overhead_${tagOf(main.res)} (${main.encoder}) = send() → last packet on the wire minus that frame's encode, ${how}` +
    (other ? `; ${alt.encoder}: p50 ${other.p50} ms, p99 ${other.p99} ms` : '');
}

export function peerMeanNote(runs: EncoderRun[]): string {
  const means = runs.flatMap((r) => (r.ffmpeg ? [`${r.encoder} ${r.res.label} ${round3(r.ffmpeg.utimeMsPerFrame)} ms`] : []));
  return `ffmpeg peer = wall time of its encode calls per frame (-benchmark_all, -re, one thread); ` +
    `its -benchmark user time / frames: ${means.join(', ')}`;
}

function mbps(bitrate: number): string {
  return `${round3(bitrate / 1e6)}`;
}

/** What each encoder really sent, beside its target: the settings took when they are close. */
function bitrateNote(runs: EncoderRun[]): string {
  const ours = ENCODERS.map((e) => `${e} ${runs.filter((r) => r.encoder === e).map((r) => mbps(r.ours.bitrate)).join(' / ')}`);
  const peers = runs.flatMap((r) => (r.ffmpeg ? [`${r.res.label} ${mbps(r.ffmpeg.bitrate)}`] : []));
  return `bitrate sent, Mbit/s (targets ${RESOLUTIONS.map((r) => mbps(r.bitrate)).join(' / ')}): ${ours.join(', ')}` +
    (peers.length ? `; ffmpeg x264 ${peers.join(' / ')}` : '');
}

async function run(options: ScenarioOptions): Promise<ScenarioResult> {
  const frames = sendFrames(options);
  const runs: EncoderRun[] = [];
  const noPeer = ENCODERS.filter((e) => !ffmpegHasEncoder(FFMPEG_ENCODERS[e]));
  for (const res of RESOLUTIONS) {
    for (const encoder of ENCODERS) runs.push(await measureEncoder(encoder, res, frames).run);
  }

  const encodes = ENCODERS.flatMap((e) => runs.filter((r) => r.encoder === e).map(encodeFigure));
  const at = (encoder: VideoEncoderName) => runs.find((r) => r.encoder === encoder && r.res.label === OVERHEAD_RESOLUTION) as EncoderRun;
  const main = at(ENCODERS[0]);
  const paired = main.ours.overheadMs.length > 0;
  const encodeP50 = sampleFigure('', 'ms', main.ours.encodeMs).p50;
  // Unpaired, the overhead falls back to the send latency's percentiles minus the encode median.
  const overheadSamples = paired ? main.ours.overheadMs : main.ours.sendMs.map((v) => v - encodeP50);
  const sendFigures = [
    sampleFigure(`send_overhead_${tagOf(main.res)}`, 'ms', overheadSamples),
    sampleFigure(`send_latency_${tagOf(main.res)}`, 'ms', main.ours.sendMs),
  ];
  const counts = RESOLUTIONS.map((res) => {
    const of = runs.filter((r) => r.res === res);
    const dropped = of.reduce((sum, r) => sum + (r.ours.stats.send?.framesDroppedQueue ?? 0), 0);
    return valueFigure(`dropped_send_${tagOf(res)}`, 'count', dropped, of.reduce((sum, r) => sum + r.ours.framesSent, 0));
  });

  const notes = [
    `per-frame figures leave out the first ${WARMUP_FRAMES} frames of each stream (encoder warm-up), ours and ffmpeg's alike`,
    ...encodes.filter((f) => f.peer).map(overheadNote),
    ...noPeer.map((e) => `${e}: this ffmpeg has no ${FFMPEG_ENCODERS[e]} encoder, so encode_${e}_* have no peer and its ` +
      'overhead beyond the codec call is not measured'),
    peerMeanNote(runs),
    sendOverheadNote(main, at(ENCODERS[1]), paired, encodeP50),
    ...ENCODERS.map((e) => pacingNote(e, runs)).filter((n): n is string => n !== undefined),
    bitrateNote(runs),
  ];
  return { figures: [...encodes, ...sendFigures, ...counts], notes };
}

export const send: Scenario = {
  name: 'send',
  summary: `encode time per frame at 360p/720p/1080p${FPS} for OpenH264 and x264 beside ffmpeg, and send-path overhead`,
  run,
};
