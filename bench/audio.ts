import { ChildProcess } from 'child_process';
import * as dgram from 'dgram';
import { AudioFrame, AudioSocket, AudioSocketStats } from '../src/media';
import { exited, sendOpusTone } from '../src/peers/ffmpeg';
import { Figure, round3, sampleFigure, valueFigure } from './report';
import { Scenario, ScenarioOptions, ScenarioResult, progress } from './scenario';

/** Network jitter the relay adds: each packet waits a uniformly random 0..J ms. */
const JITTERS_MS = [0, 20, 50] as const;
/** Sources mixed at once for the mix-cost figures. */
const SOURCE_COUNTS = [1, 4, 16] as const;
/** Loudest speakers the socket also hands over unmixed (the platform's maximum). */
const UNMIXED = 4;
/** Time from every source heard to the window: the jitter buffer finds its depth. */
const WARMUP_MS = 1000;
/** The window closes this long before the senders stop. */
const TAIL_MS = 300;
const FREQUENCIES = [440, 660, 550, 770, 330, 880, 495, 605, 715, 385, 935, 825, 275, 990, 520, 840];
const TARGET = { addedMs: 20, mixUs: 50, mixSources: 4 } as const;
/** Longest wait for ffmpeg's first packets (it starts in a few hundred ms). */
const START_TIMEOUT_MS = 5000;

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

// ---------------------------------------------------------------------------------------------
// A relay that adds jitter

interface JitterRelay {
  /** Where the sender sends. */
  port: number;
  forwarded: number;
  /** Packets that reached the relay after their paced time (sent on at once, plus their jitter). */
  arrivedLate: number;
  /** Largest lateness of the relay's own timers beyond the delay drawn, ms. */
  maxTimerLateMs: number;
  close(): Promise<void>;
}

/** Opus RTP runs on a 48 kHz clock. */
const RTP_CLOCK_KHZ = 48;
/** How far behind the first packet the relay's paced schedule runs: room for a sender's bursts. */
const PACING_SLACK_MS = 30;

/**
 * A UDP port that forwards RTP to `target` as a network with `jitterMs` of jitter would. It
 * first paces the packets on their RTP timestamps (ffmpeg sends its 20 ms Opus packets in
 * bursts that follow its 21.3 ms input frames: a few ms of jitter of its own), then holds each
 * one a further uniformly random 0..jitterMs. Packets that draw very different delays overtake
 * each other, as on a real network. What comes back from the target (RTCP) is not forwarded.
 */
async function openJitterRelay(target: number, jitterMs: number): Promise<JitterRelay> {
  const socket = dgram.createSocket('udp4');
  const held = new Set<NodeJS.Timeout>();
  let closed = false;
  let first: { at: number; timestamp: number } | undefined;
  const relay: JitterRelay = {
    port: 0,
    forwarded: 0,
    arrivedLate: 0,
    maxTimerLateMs: 0,
    close: () => {
      closed = true;
      for (const t of held) clearTimeout(t);
      return new Promise((resolve) => socket.close(() => resolve()));
    },
  };
  const forward = (msg: Buffer, dueAt: number) => {
    if (closed) return;
    relay.maxTimerLateMs = Math.max(relay.maxTimerLateMs, performance.now() - dueAt);
    relay.forwarded++;
    socket.send(msg, target, '127.0.0.1');
  };
  socket.on('message', (msg, from) => {
    // RTP version 2 only (not RTCP, whose packet types sit where RTP has marker + payload type).
    if (from.port === target || msg.length < 12 || msg[0] >> 6 !== 2 || (msg[1] >= 200 && msg[1] <= 204)) return;
    const now = performance.now();
    const timestamp = msg.readUInt32BE(4);
    first ??= { at: now + PACING_SLACK_MS, timestamp };
    let pacedAt = first.at + ((timestamp - first.timestamp) >>> 0) / RTP_CLOCK_KHZ;
    if (pacedAt < now) {
      relay.arrivedLate++;
      pacedAt = now;
    }
    const dueAt = pacedAt + Math.random() * jitterMs;
    const t = setTimeout(() => {
      held.delete(t);
      forward(msg, dueAt);
    }, dueAt - now);
    held.add(t);
  });
  await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve));
  relay.port = socket.address().port;
  return relay;
}

// ---------------------------------------------------------------------------------------------
// One run: senders → (relay) → an AudioSocket, frames recorded as they are delivered

/** An AudioSocket that also hands out the per-frame mix times its stats() only summarizes. */
class ProbeAudioSocket extends AudioSocket {
  mixSamples(): Float64Array {
    return this.channel.stats().mixUs;
  }
}

interface FrameRecord {
  sequence: number;
  speakers: number;
  unmixed: number;
  newestPacket: number;
  delivered: number;
}

/** Counters of the socket over the measuring window (end − start), and its buffer state at the end. */
interface WindowStats {
  underruns: number;
  concealed: number;
  packetsLate: number;
  discarded: number;
  dropped: number;
  framesMixed: number;
  jitterMs: number;
  bufferTargetMs: number;
  bufferDepthMs: number;
}

function windowStats(a: AudioSocketStats, b: AudioSocketStats): WindowStats {
  return {
    underruns: b.underruns - a.underruns,
    concealed: b.concealed - a.concealed,
    packetsLate: b.packetsLate - a.packetsLate,
    discarded: b.discarded - a.discarded,
    dropped: b.framesDroppedDelivery + b.decodeErrors - a.framesDroppedDelivery - a.decodeErrors,
    framesMixed: b.framesMixed - a.framesMixed,
    jitterMs: b.jitterMs,
    bufferTargetMs: b.jitterBufferTargetMs,
    bufferDepthMs: b.jitterBufferDepthMs,
  };
}

interface AudioRun {
  /** The frames delivered in the measuring window. */
  frames: FrameRecord[];
  /** Mix time of frame k (µs) at index k: the engine's samples in sequence order. */
  mixUs: Float64Array;
  stats: WindowStats;
  relay?: { forwarded: number; arrivedLate: number; maxTimerLateMs: number };
}

interface RunOptions {
  sources: number;
  seconds: number;
  /** Put a jitter relay of this many ms between the single sender and the socket. */
  jitterMs?: number;
}

/**
 * Senders for `seconds`, into one socket. The window opens WARMUP_MS after every source was
 * first heard (the jitter buffer has found its depth) and closes TAIL_MS before the senders
 * stop, so neither the start nor the end of the streams is in it.
 */
async function runAudio(o: RunOptions): Promise<AudioRun> {
  const socket = new ProbeAudioSocket({ unmixed: UNMIXED });
  socket.on('error', (err) => progress(`socket error: ${err.message}`));
  const frames: FrameRecord[] = [];
  let measuring = false;
  let allHeard = false;
  socket.on('audio', (f: AudioFrame) => {
    if (f.activeSpeakers.length >= o.sources) allHeard = true;
    if (!measuring) return;
    frames.push({
      sequence: f.sequence,
      speakers: f.activeSpeakers.length,
      unmixed: f.unmixed.length,
      newestPacket: f.stamps.newestPacket,
      delivered: f.stamps.delivered,
    });
  });
  const relay = o.jitterMs !== undefined ? await openJitterRelay(socket.port, o.jitterMs) : undefined;
  const senders: ChildProcess[] = [];
  let stats: WindowStats;
  let mixUs: Float64Array;
  try {
    const started = Date.now();
    for (let i = 0; i < o.sources; i++) {
      senders.push(sendOpusTone({ port: relay?.port ?? socket.port, frequency: FREQUENCIES[i % FREQUENCIES.length],
        seconds: o.seconds, ssrc: 0x1000 + i }));
    }
    const done = Promise.all(senders.map(exited));
    while (!allHeard && Date.now() - started < START_TIMEOUT_MS) await delay(20);
    if (!allHeard) progress(`not every one of ${o.sources} sources was heard ${START_TIMEOUT_MS} ms after the senders started`);
    await delay(WARMUP_MS);
    const before = socket.stats();
    measuring = true;
    await delay(Math.max(0, started + o.seconds * 1000 - TAIL_MS - Date.now()));
    measuring = false;
    stats = windowStats(before, socket.stats());
    // The engine keeps its last 1024 mix times in order of the frames while it has fewer
    // (20 s of frames): index k is the frame with sequence k.
    mixUs = socket.mixSamples();
    await done;
  } finally {
    for (const s of senders) if (s.exitCode === null) s.kill('SIGTERM');
    await relay?.close();
    await socket.close();
  }
  return { frames, mixUs, stats, relay: relay && { forwarded: relay.forwarded, arrivedLate: relay.arrivedLate, maxTimerLateMs: relay.maxTimerLateMs } };
}

/** The frames of the window in which every source was heard. */
function steadyFrames(run: AudioRun, sources: number): FrameRecord[] {
  return run.frames.filter((f) => f.speakers >= sources);
}

// ---------------------------------------------------------------------------------------------
// Added latency under jitter

interface LatencyResult {
  jitterMs: number;
  figure: Figure;
  /** Frames that played no new packet (concealed): their stamp is the last packet played before. */
  repeated: number;
  frames: number;
  stats: WindowStats;
  relay: { forwarded: number; arrivedLate: number; maxTimerLateMs: number };
}

async function addedLatency(jitterMs: number, seconds: number): Promise<LatencyResult> {
  progress(`jitter ${jitterMs} ms: one Opus sender for ${seconds} s through the relay`);
  const run = await runAudio({ sources: 1, seconds, jitterMs });
  const samples: number[] = [];
  let repeated = 0;
  let previous = 0;
  const steady = steadyFrames(run, 1);
  for (const f of steady) {
    // A concealed frame carries the arrival of the last packet played before it: not a new packet.
    if (f.newestPacket <= 0 || f.newestPacket === previous) repeated++;
    else samples.push(f.delivered - f.newestPacket);
    previous = f.newestPacket;
  }
  return {
    jitterMs,
    figure: sampleFigure(`audio_added_latency_jitter_${jitterMs}ms`, 'ms', samples),
    repeated,
    frames: steady.length,
    stats: run.stats,
    relay: run.relay as LatencyResult['relay'],
  };
}

// ---------------------------------------------------------------------------------------------
// Mix cost

interface MixResult {
  sources: number;
  figure: Figure;
  stats: WindowStats;
  /** Unmixed copies per frame at p50 of the measured frames. */
  unmixed: number;
}

async function mixCost(sources: number, seconds: number): Promise<MixResult> {
  progress(`mix: ${sources} Opus sender${sources === 1 ? '' : 's'} for ${seconds} s, ${UNMIXED} unmixed`);
  const run = await runAudio({ sources, seconds });
  const steady = steadyFrames(run, sources);
  const samples = steady.filter((f) => f.sequence < run.mixUs.length).map((f) => run.mixUs[f.sequence]);
  if (samples.length < steady.length) progress(`mix: ${steady.length - samples.length} frames past the engine's sample ring left out`);
  const unmixed = steady.length ? steady[Math.floor(steady.length / 2)].unmixed : 0;
  return { sources, figure: sampleFigure(`mix_cost_${sources}_sources`, 'µs', samples), stats: run.stats, unmixed };
}

// ---------------------------------------------------------------------------------------------
// Notes

function latencyNote(r: LatencyResult): string {
  const s = r.stats;
  return `jitter ${r.jitterMs} ms: at the window's end buffer target ${round3(s.bufferTargetMs)} ms, depth ${round3(s.bufferDepthMs)} ms, ` +
    `measured jitter ${round3(s.jitterMs)} ms; ${r.repeated} of ${r.frames} frames played no new packet (left out); ` +
    `in the window concealed ${s.concealed}, late ${s.packetsLate}, underruns ${s.underruns}, discarded ${s.discarded}; ` +
    `relay forwarded ${r.relay.forwarded} packets (${r.relay.arrivedLate} reached it after their paced time), ` +
    `its timers at most ${round3(r.relay.maxTimerLateMs)} ms late`;
}

function targetNotes(latency: LatencyResult[], mix: MixResult[]): string[] {
  const zero = latency.find((r) => r.jitterMs === 0) as LatencyResult;
  const four = mix.find((r) => r.sources === TARGET.mixSources) as MixResult;
  const met = (ok: boolean) => (ok ? 'met' : 'NOT met');
  return [
    `added latency at zero jitter: p50 ${zero.figure.p50} ms, p99 ${zero.figure.p99} ms (target ≤ ${TARGET.addedMs} ms at p99): ` +
      met(zero.figure.p99 <= TARGET.addedMs),
    `mix of ${TARGET.mixSources} speakers with ${four.unmixed} unmixed buffers: p50 ${four.figure.p50} µs, p99 ${four.figure.p99} µs ` +
      `(target ≤ ${TARGET.mixUs} µs per frame at p99): ${met(four.figure.p99 <= TARGET.mixUs)}`,
  ];
}

async function run(options: ScenarioOptions): Promise<ScenarioResult> {
  // 10 s of tone leaves a window of about 7 s (350 frames) once the sources start and settle.
  const seconds = options.quick ? 4 : 10;
  const latency: LatencyResult[] = [];
  for (const j of JITTERS_MS) latency.push(await addedLatency(j, seconds));
  const mix: MixResult[] = [];
  for (const n of SOURCE_COUNTS) mix.push(await mixCost(n, seconds));
  const dropped = [...latency.map((r) => r.stats), ...mix.map((r) => r.stats)]
    .reduce((n, s) => n + s.dropped, 0);
  const frames = [...latency, ...mix].reduce((n, r) => n + r.stats.framesMixed, 0);
  const figures = [
    ...latency.map((r) => r.figure),
    ...mix.map((r) => r.figure),
    valueFigure('audio_dropped', 'count', dropped, frames),
  ];
  const notes = [
    ...targetNotes(latency, mix),
    ...latency.map(latencyNote),
    `added latency = arrival of the packet a frame plays → frame delivered to JavaScript (the engine's stamps), ` +
      `one Opus source (ffmpeg, 20 ms packets) re-paced on its RTP timestamps by the relay, then held 0..J ms; each ` +
      `window opens ${WARMUP_MS / 1000} s after every source was heard and closes ${TAIL_MS} ms before the senders stop`,
    `at zero jitter a packet waits for the engine's next 20 ms tick: that phase is random per run (0–20 ms) and ` +
      `every underrun (a packet later than its tick) adds a frame for the rest of the stream`,
    `mix cost = the engine's mix time per 20 ms frame (sum, levels, ${UNMIXED} unmixed copies, speaker tracking; ` +
      `jitter buffer and Opus decoding excluded), over frames in which every source was heard`,
    `audio_dropped = frames dropped on the way to JavaScript plus decode errors, in all windows`,
  ];
  return { figures, notes };
}

export const audio: Scenario = {
  name: 'audio',
  summary: `mixed-audio added latency at ${JITTERS_MS.join(' / ')} ms jitter and mix cost with ${SOURCE_COUNTS.join(' / ')} sources`,
  run,
};
