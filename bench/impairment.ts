import { randomFillSync } from 'crypto';
import * as dgram from 'dgram';
import { Bottleneck } from './bottleneck';
import { MediaPlatform, VideoFrame, VideoSocket, monotonicNowMs } from '../src/media';
import { WrtcModule, limitWrtcSender, loadWrtc, markFrame, negotiateWrtc, readMark } from './latency';
import { Figure, PeerFigure, peerFromSamples, peerFromValue, round3, sampleFigure, valueFigure } from './report';
import { Scenario, ScenarioOptions, ScenarioResult, progress } from './scenario';
import { FPS, RESOLUTIONS, RawClip, delay, rawClip } from './send';

/**
 * Impairment: the same frames through a relay that loses (and with jitter, delays and so
 * reorders) media packets, from one engine socket to another and, as the peer, from one wrtc
 * peer connection to another over the same relay in the same run. What it shows: how much of
 * the video arrives, the longest freeze, and what recovery adds to latency.
 */

const RES = RESOLUTIONS[0]; // 360p
/** One key frame for the whole stream, as wrtc sends (it makes more only when asked). */
const KEY_FRAME_INTERVAL = 100_000;
/** After the last frame: time for the last retransmissions and frames to come out. */
const DRAIN_MS = 1000;
const CONNECT_TIMEOUT_MS = 10_000;
const GOALS = { delivered1: 0.995, delivered5: 0.97, freeze5Ms: 200 } as const;

interface Condition {
  loss: number;
  jitterMs: number;
  seed: number;
}
const CONDITIONS: Condition[] = [
  { loss: 0, jitterMs: 0, seed: 1 },
  { loss: 0.01, jitterMs: 0, seed: 2 },
  { loss: 0.05, jitterMs: 0, seed: 3 },
  { loss: 0.01, jitterMs: 30, seed: 4 },
  { loss: 0.05, jitterMs: 30, seed: 5 },
];
const label = (c: Condition) => `loss_${c.loss * 100}pct${c.jitterMs ? `_jitter${c.jitterMs}` : ''}`;

/** A deterministic generator, so each condition loses the same packets run after run. */
function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** RTP and RTCP (RFC 7983: first byte 128..191), what the impairment applies to; ICE and DTLS pass. */
const isMedia = (d: Buffer) => d.length >= 12 && d[0] >= 128 && d[0] <= 191;

/**
 * A UDP relay: what the sender sends to its port goes on to `target`, impaired; what comes back
 * from the target (feedback, ICE answers) goes to the sender untouched.
 */
class ImpairedLink {
  dropped = 0;
  forwarded = 0;
  private readonly inside = dgram.createSocket('udp4');
  private readonly outside = dgram.createSocket('udp4');
  private sender?: dgram.RemoteInfo;
  private readonly random: () => number;
  private readonly timers = new Set<NodeJS.Timeout>();
  target?: { address: string; port: number };
  /** A bottleneck each way, when set: sender → target (forward) and back. */
  forward?: Bottleneck;
  back?: Bottleneck;

  constructor(private readonly condition: Condition) {
    this.random = mulberry32(condition.seed);
    this.inside.on('message', (msg, from) => this.fromSender(msg, from));
    this.outside.on('message', (msg) => {
      const sender = this.sender;
      if (!sender) return;
      if (!this.back) this.inside.send(msg, sender.port, sender.address);
      else void this.back.pass(msg).then((d) => d && this.inside.send(d, sender.port, sender.address));
    });
  }

  async listen(): Promise<number> {
    await new Promise<void>((resolve) => this.inside.bind(0, '127.0.0.1', resolve));
    await new Promise<void>((resolve) => this.outside.bind(0, '127.0.0.1', resolve));
    return this.inside.address().port;
  }

  close(): void {
    for (const t of this.timers) clearTimeout(t);
    this.forward?.close();
    this.back?.close();
    this.inside.close();
    this.outside.close();
  }

  private fromSender(msg: Buffer, from: dgram.RemoteInfo): void {
    this.sender = from;
    if (!this.target) return;
    const media = isMedia(msg);
    if (media && this.random() < this.condition.loss) {
      this.dropped++;
      return;
    }
    const target = this.target;
    if (this.forward) {
      void this.forward.pass(msg).then((d) => d && this.outside.send(d, target.port, target.address));
      return;
    }
    const wait = media && this.condition.jitterMs ? this.random() * this.condition.jitterMs : 0;
    if (wait === 0) {
      this.forwarded++;
      this.outside.send(msg, target.port, target.address);
      return;
    }
    const t = setTimeout(() => {
      this.timers.delete(t);
      this.forwarded++;
      this.outside.send(msg, target.port, target.address);
    }, wait);
    this.timers.add(t);
  }
}

/** What one stream did: when each frame was sent and when (if) it arrived. */
interface StreamRun {
  sentAt: number[];
  arrivedAt: (number | undefined)[];
  notes: string[];
}

function delivered(r: StreamRun): number {
  return r.arrivedAt.filter((t) => t !== undefined).length / r.sentAt.length;
}

/** The longest time between two frames on screen, from the first frame's arrival to the last one's due time. */
function longestFreeze(r: StreamRun): number {
  const end = r.sentAt[r.sentAt.length - 1] + 1000 / FPS;
  const shown = r.arrivedAt.filter((t): t is number => t !== undefined).sort((a, b) => a - b);
  if (shown.length === 0) return end - r.sentAt[0];
  let longest = 0;
  for (let i = 1; i < shown.length; i++) longest = Math.max(longest, shown[i] - shown[i - 1]);
  return Math.max(longest, end - shown[shown.length - 1]);
}

function glass(r: StreamRun): number[] {
  const out: number[] = [];
  r.arrivedAt.forEach((t, i) => t !== undefined && out.push(t - r.sentAt[i]));
  return out;
}

// ---------------------------------------------------------------------------------------------
// Ours: one VideoSocket sends to another through the link

async function ours(condition: Condition, clip: RawClip): Promise<StreamRun> {
  const link = new ImpairedLink(condition);
  const rx = new VideoSocket({ format: 'I420', maxQueuedFrames: clip.count });
  link.target = { address: '127.0.0.1', port: rx.port };
  const tx = new VideoSocket({
    send: { width: RES.width, height: RES.height, fps: FPS, bitrate: RES.bitrate, keyFrameInterval: KEY_FRAME_INTERVAL },
    remote: { port: await link.listen() },
  });
  const byTimestamp = new Map<number, number>();
  const arrivedAt: (number | undefined)[] = new Array(clip.count).fill(undefined);
  rx.on('frame', (f: VideoFrame) => {
    const i = byTimestamp.get(f.timestamp);
    if (i !== undefined && arrivedAt[i] === undefined) arrivedAt[i] = monotonicNowMs();
  });
  const sentAt: number[] = [];
  try {
    const start = monotonicNowMs() + 20;
    for (let i = 0; i < clip.count; i++) {
      const wait = start + (i * 1000) / FPS - monotonicNowMs();
      if (wait > 0) await delay(wait);
      sentAt.push(monotonicNowMs());
      byTimestamp.set(tx.send({ format: 'I420', width: clip.width, height: clip.height, data: clip.frame(i) }), i);
    }
    const until = monotonicNowMs() + DRAIN_MS;
    while (arrivedAt.some((t) => t === undefined) && monotonicNowMs() < until) await delay(10);
  } finally {
    await Promise.all([tx.close(), rx.close()]);
    link.close();
  }
  const s = rx.stats();
  const sent = tx.stats().send;
  return {
    sentAt,
    arrivedAt,
    notes: [
      `ours ${label(condition)}: relay dropped ${link.dropped} of ${link.dropped + link.forwarded} packets; NACKs ${s.nackSent} ` +
        `(${s.packetsNacked} asked, ${s.packetsRecovered} recovered, ${s.nackGaveUp} given up), ${sent?.packetsRetransmitted ?? 0} ` +
        `retransmitted; ${s.framesIncomplete} frames incomplete, ${s.pliSent} PLI`,
    ],
  };
}

// ---------------------------------------------------------------------------------------------
// The peer: two wrtc peer connections, the sender's media through the same kind of link

interface WrtcCandidate {
  candidate: string;
  sdpMid?: string | null;
  sdpMLineIndex?: number | null;
}

/** Two wrtc peer connections, a sending one and a receiving one, with the link between them. */
async function wrtcPairThrough(wrtc: WrtcModule, link: ImpairedLink) {
  const relayPort = await link.listen();
  const source = new wrtc.nonstandard.RTCVideoSource();
  const track = source.createTrack();
  const tx = new wrtc.RTCPeerConnection();
  const rx = new wrtc.RTCPeerConnection();
  // The receiver's first IPv4 UDP host candidate is the relay's target; the sender knows only
  // the relay. The receiver learns the sender from its checks (peer reflexive): all goes through.
  rx.onicecandidate = (e) => {
    const c = e.candidate as WrtcCandidate | null;
    const m = c && /^(candidate:\S+ 1 udp \d+ )(\d+\.\d+\.\d+\.\d+) (\d+)( typ host.*)$/.exec(c.candidate);
    if (!c || !m || link.target) return;
    link.target = { address: m[2], port: Number(m[3]) };
    void tx.addIceCandidate({ ...c, candidate: `${m[1]}127.0.0.1 ${relayPort}${m[4]}` });
  };
  const sender = tx.addTrack(track);
  return { source, track, tx, rx, sender };
}

async function wrtcStream(wrtc: WrtcModule, condition: Condition, clip: RawClip): Promise<StreamRun> {
  const link = new ImpairedLink(condition);
  const { source, track, tx, rx, sender } = await wrtcPairThrough(wrtc, link);
  const sinkReady = new Promise<InstanceType<WrtcModule['nonstandard']['RTCVideoSink']>>((resolve) => {
    rx.ontrack = (e) => resolve(new wrtc.nonstandard.RTCVideoSink(e.track));
  });
  await negotiateWrtc(tx, rx);
  await limitWrtcSender(sender, RES.bitrate);
  const arrivedAt: (number | undefined)[] = new Array(clip.count).fill(undefined);
  const sentAt: number[] = [];
  let sink: Awaited<typeof sinkReady> | undefined;
  void sinkReady.then((s) => {
    sink = s;
    s.onframe = (e) => {
      const n = readMark(e.frame, RES.width);
      if (n >= 0 && n < clip.count && arrivedAt[n] === undefined) arrivedAt[n] = monotonicNowMs();
    };
  });
  try {
    const connectBy = monotonicNowMs() + CONNECT_TIMEOUT_MS;
    while (tx.connectionState !== 'connected' && monotonicNowMs() < connectBy) await delay(10);
    if (tx.connectionState !== 'connected') throw new Error(`wrtc peers did not connect through the relay (${tx.connectionState})`);
    const start = monotonicNowMs() + 20;
    for (let i = 0; i < clip.count; i++) {
      const data = new Uint8Array(clip.frame(i));
      markFrame(data, RES.width, i);
      const wait = start + (i * 1000) / FPS - monotonicNowMs();
      if (wait > 0) await delay(wait);
      sentAt.push(monotonicNowMs());
      source.onFrame({ width: clip.width, height: clip.height, data: new Uint8ClampedArray(data.buffer, data.byteOffset, data.length) });
    }
    const until = monotonicNowMs() + DRAIN_MS;
    while (arrivedAt.some((t) => t === undefined) && monotonicNowMs() < until) await delay(10);
  } finally {
    sink?.stop();
    track.stop();
    tx.close();
    rx.close();
    link.close();
  }
  return { sentAt, arrivedAt, notes: [`wrtc ${label(condition)}: relay dropped ${link.dropped} of ${link.dropped + link.forwarded} packets`] };
}

// ---------------------------------------------------------------------------------------------
// A 500 kbit/s bottleneck: how long a sender that was sending well over it takes to come under

const CAP_BPS = 500_000;
const CAP_SEND_BPS = 2_000_000;
const CAP_WARMUP_MS = 4000;
const CAP_WATCH_S = 10;

/** The clip's frame with grain, new every frame: content that takes every bit an encoder is given. */
function grainy(clip: RawClip, i: number): Uint8Array {
  const data = new Uint8Array(clip.frame(i));
  const grain = randomFillSync(Buffer.alloc(clip.width * clip.height));
  for (let k = 0; k < grain.length; k++) data[k] = Math.max(0, Math.min(255, data[k] + (grain[k] & 15) - 8));
  return data;
}

interface CapRun {
  /** Seconds from the cap to a trailing second under it; undefined: never within the watch. */
  seconds?: number;
  before: number;
  note: string;
}

/** Capped after the warm-up; returns the time the sender took to fit. */
async function capWatch(link: Bottleneck, send: () => void, what: string): Promise<CapRun> {
  const start = monotonicNowMs();
  let i = 0;
  const timer = setInterval(() => {
    const due = Math.floor((monotonicNowMs() - start) / (1000 / FPS));
    while (i <= due) {
      send();
      i++;
    }
  }, 5);
  try {
    await delay(CAP_WARMUP_MS);
    const capAt = link.elapsedS;
    link.bitsPerSecond = CAP_BPS;
    await delay(CAP_WATCH_S * 1000 + 100);
    const before = link.offeredBps(capAt - 1);
    const seconds = link.secondsUntilUnder(CAP_BPS, capAt, capAt + CAP_WATCH_S);
    const tail = link.offeredBps(capAt + CAP_WATCH_S - 1);
    return {
      seconds,
      before,
      note: `${what} at a ${CAP_BPS / 1000} kbit/s cap: ${Math.round(before / 1000)} kbit/s before, under the cap after ${seconds ?? 'more than ' + CAP_WATCH_S} s, ` +
        `${Math.round(tail / 1000)} kbit/s in the last second; ${link.dropped} packets dropped at the bottleneck`,
    };
  } finally {
    clearInterval(timer);
  }
}

/** Ours: a MediaSession sends to a wrtc peer through the bottleneck; wrtc's transport-cc feedback comes back. */
async function oursCapped(wrtc: WrtcModule, clip: RawClip): Promise<CapRun> {
  const link = new ImpairedLink({ loss: 0, jitterMs: 0, seed: 9 });
  link.back = new Bottleneck(100_000_000);
  const platform = MediaPlatform.initialize({ applicationId: 'bench-cap' });
  const session = platform.createMediaSession({
    audio: false,
    video: [{ format: 'I420', send: { width: RES.width, height: RES.height, fps: FPS, bitrate: CAP_SEND_BPS } }],
  });
  const pc = new wrtc.RTCPeerConnection();
  const source = new wrtc.nonstandard.RTCVideoSource();
  const track = source.createTrack();
  try {
    pc.addTrack(track);  // sendrecv: wrtc offers to receive; it sends nothing
    const relayPort = await link.listen();
    link.target = { address: '127.0.0.1', port: platform.mediaPort };
    const offer = await pc.createOffer();
    await pc.setLocalDescription(offer);
    const answer = await session.acceptOffer({ type: 'offer', sdp: offer.sdp });
    const sdp = answer.sdp
      .replace(new RegExp(`^(a=candidate:\\S+ 1 udp \\d+ 127\\.0\\.0\\.1 )${platform.mediaPort}( typ host)`, 'gm'), `$1${relayPort}$2`)
      .replace(new RegExp(`^(m=\\S+ )${platform.mediaPort}( )`, 'gm'), `$1${relayPort}$2`);
    await pc.setRemoteDescription({ type: 'answer', sdp });
    const connectBy = monotonicNowMs() + CONNECT_TIMEOUT_MS;
    while (session.transportState !== 'connected' && monotonicNowMs() < connectBy) await delay(10);
    if (session.transportState !== 'connected') throw new Error(`the session did not connect through the relay (${session.transportState})`);
    const socket = session.videoSockets[0];
    let n = 0;
    const run = await capWatch(link.back, () => socket.send({ format: 'I420', width: clip.width, height: clip.height, data: Buffer.from(grainy(clip, n++ % clip.count).buffer) }), 'ours → wrtc');
    const c = session.stats().transport?.congestion;
    return { ...run, note: `${run.note}; ${c?.feedbackReceived ?? 0} feedback messages, ${c?.decreases ?? 0} delay-based cuts` };
  } finally {
    track.stop();
    pc.close();
    await session.close();
    platform.close();
    link.close();
  }
}

/** The peer: wrtc → wrtc through the same bottleneck. */
async function wrtcCapped(wrtc: WrtcModule, clip: RawClip): Promise<CapRun> {
  const link = new ImpairedLink({ loss: 0, jitterMs: 0, seed: 9 });
  link.forward = new Bottleneck(100_000_000);
  const { source, track, tx, rx, sender } = await wrtcPairThrough(wrtc, link);
  try {
    await negotiateWrtc(tx, rx);
    await limitWrtcSender(sender, CAP_SEND_BPS);
    const connectBy = monotonicNowMs() + CONNECT_TIMEOUT_MS;
    while (tx.connectionState !== 'connected' && monotonicNowMs() < connectBy) await delay(10);
    if (tx.connectionState !== 'connected') throw new Error(`wrtc peers did not connect through the relay (${tx.connectionState})`);
    let n = 0;
    return await capWatch(link.forward, () => {
      const data = grainy(clip, n++ % clip.count);
      source.onFrame({ width: clip.width, height: clip.height, data: new Uint8ClampedArray(data.buffer, data.byteOffset, data.length) });
    }, 'wrtc → wrtc');
  } finally {
    track.stop();
    tx.close();
    rx.close();
    link.close();
  }
}

// ---------------------------------------------------------------------------------------------
// The scenario

async function run(options: ScenarioOptions): Promise<ScenarioResult> {
  const frames = options.quick ? 90 : 300;
  const clip = rawClip(RES, frames);
  const loaded = loadWrtc();
  const figures: Figure[] = [];
  const notes: string[] = [];
  if ('error' in loaded) notes.push(`wrtc could not be loaded, no peer figures: ${loaded.error}`);
  const runs = new Map<string, { ours: StreamRun; wrtc?: StreamRun }>();
  for (const c of CONDITIONS) {
    progress(`${label(c)}: ${frames} frames of ${RES.label}${FPS}, ours then wrtc`);
    const o = await ours(c, clip);
    let w: StreamRun | undefined;
    if ('wrtc' in loaded) {
      try {
        w = await wrtcStream(loaded.wrtc, c, clip);
      } catch (err) {
        notes.push(`wrtc ${label(c)} not measured: ${(err as Error).message}`);
      }
    }
    runs.set(label(c), { ours: o, wrtc: w });
    notes.push(...o.notes, ...(w?.notes ?? []));
  }
  const clean = runs.get('loss_0pct');
  const baseline = clean ? median(glass(clean.ours)) : 0;
  const wrtcBaseline = clean?.wrtc ? median(glass(clean.wrtc)) : 0;
  const withPeer = (f: Figure, peer?: PeerFigure): Figure => {
    if (!peer) return f;
    const ratio = (a: number, b: number) => (b > 0 ? round3(a / b) : undefined);
    return { ...f, peer, ratio_p50: ratio(f.p50, peer.p50), ratio_p99: ratio(f.p99, peer.p99) };
  };
  for (const [name, r] of runs) {
    const peer = r.wrtc ? peerFromValue('wrtc', delivered(r.wrtc)) : undefined;
    figures.push(withPeer(valueFigure(`delivered_ratio_${name}`, 'ratio', delivered(r.ours), r.ours.sentAt.length), peer));
    if (name === 'loss_1pct' || name === 'loss_5pct') {
      const freezePeer = r.wrtc ? peerFromValue('wrtc', longestFreeze(r.wrtc)) : undefined;
      figures.push(withPeer(valueFigure(`longest_freeze_ms_${name}`, 'ms', longestFreeze(r.ours), r.ours.sentAt.length), freezePeer));
      const added = glass(r.ours).map((g) => g - baseline);
      const addedPeer = r.wrtc ? peerFromSamples('wrtc', glass(r.wrtc).map((g) => g - wrtcBaseline)) : undefined;
      figures.push(sampleFigure(`added_latency_${name}`, 'ms', added, addedPeer));
    }
  }
  const fig = (n: string) => figures.find((f) => f.name === n)?.p50 ?? NaN;
  const met = (ok: boolean) => (ok ? 'met' : 'NOT met');
  notes.push(
    `goals: delivered ≥ ${GOALS.delivered1} at 1 % loss (${fig('delivered_ratio_loss_1pct')}: ${met(fig('delivered_ratio_loss_1pct') >= GOALS.delivered1)}), ` +
      `≥ ${GOALS.delivered5} at 5 % (${fig('delivered_ratio_loss_5pct')}: ${met(fig('delivered_ratio_loss_5pct') >= GOALS.delivered5)}), ` +
      `longest freeze ≤ ${GOALS.freeze5Ms} ms at 5 % (${fig('longest_freeze_ms_loss_5pct')} ms: ${met(fig('longest_freeze_ms_loss_5pct') <= GOALS.freeze5Ms)})`,
    `added latency is glass-to-glass under loss minus the median of the clean run (ours ${round3(baseline)} ms, wrtc ${round3(wrtcBaseline)} ms)`,
  );
  if ('wrtc' in loaded) {
    progress(`a ${CAP_BPS / 1000} kbit/s cap on a sender of ${CAP_SEND_BPS / 1e6} Mbit/s: ours → wrtc, then wrtc → wrtc`);
    try {
      const o = await oursCapped(loaded.wrtc, clip);
      let w: CapRun | undefined;
      try {
        w = await wrtcCapped(loaded.wrtc, clip);
      } catch (err) {
        notes.push(`wrtc at the cap not measured: ${(err as Error).message}`);
      }
      notes.push(o.note, ...(w ? [w.note] : []));
      // Never under the cap within the watch counts as the whole watch and then some.
      const value = (r: CapRun) => r.seconds ?? CAP_WATCH_S * 2;
      figures.push(withPeer(valueFigure('bitrate_converge_s_cap500k', 's', value(o), 1), w ? peerFromValue('wrtc', value(w)) : undefined));
    } catch (err) {
      notes.push(`bitrate_converge_s_cap500k not measured: ${(err as Error).message}`);
    }
  }
  return { figures, notes };
}

function median(values: number[]): number {
  if (values.length === 0) return 0;
  const s = [...values].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

export const impairment: Scenario = {
  name: 'impairment',
  summary: `frames delivered, longest freeze and added latency of ${RES.label}${FPS} at 0 / 1 / 5 % loss, with and without 30 ms jitter, beside wrtc → wrtc over the same relay`,
  run,
};
