import * as fs from 'fs';
import * as os from 'os';
import { startSampleBot, type SampleBot } from '../src/cli/sampleBot';
import { AudioFrame, MediaSession, VideoFrame, VideoSocket, VideoSocketStats } from '../src/media';
import { Figure, round3, sampleFigure, valueFigure } from './report';
import { Scenario, ScenarioOptions, ScenarioResult, progress } from './scenario';
import { startServiceProcess } from './serviceProcess';

/** Camera streams the bot receives in each step; participants are added between steps. */
const STREAM_COUNTS = [1, 4, 10] as const;
const CAMERA = { width: 640, height: 360, fps: 30 } as const;
const SCREEN = { width: 1920, height: 1080, fps: 15 } as const;
const APP_ID = 'scale-bench-bot';
const TARGET = { streams: 10, cores: 0.5 } as const;
/** Longest wait for a step's subscriptions and first frames. */
const SETTLE_TIMEOUT_MS = 20_000;
/** Once every stream delivers, how long to let them run before measuring (key frames, jitter buffers). */
const WARMUP_MS = 1500;

const tagOf = (streams: number) => `${streams}x360p${CAMERA.fps}`;

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

// ---------------------------------------------------------------------------------------------
// CPU accounting

/** CPU time of a process tree from /proc (Linux): the root itself and all its descendants, ms. */
function treeCpuMs(rootPid: number): { root: number; descendants: number; processes: number } | undefined {
  const tick = 1000 / 100; // USER_HZ is 100 on Linux
  let entries: string[];
  try {
    entries = fs.readdirSync('/proc').filter((e) => /^\d+$/.test(e));
  } catch {
    return undefined;
  }
  const procs = new Map<number, { ppid: number; cpu: number }>();
  for (const e of entries) {
    try {
      const stat = fs.readFileSync(`/proc/${e}/stat`, 'utf8');
      const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      procs.set(Number(e), { ppid: Number(f[1]), cpu: (Number(f[11]) + Number(f[12])) * tick });
    } catch {
      /* the process ended meanwhile */
    }
  }
  const root = procs.get(rootPid);
  if (!root) return undefined;
  let descendants = 0;
  let count = 0;
  const frontier = [rootPid];
  while (frontier.length) {
    const parent = frontier.pop() as number;
    for (const [pid, p] of procs) {
      if (p.ppid !== parent) continue;
      descendants += p.cpu;
      count++;
      frontier.push(pid);
    }
  }
  return { root: root.cpu, descendants, processes: count };
}

/** CPU time of this process's main (JavaScript) thread and of all its other threads, ms (Linux). */
function threadCpuMs(): { main: number; others: number } | undefined {
  const tick = 1000 / 100;
  try {
    let main = 0;
    let others = 0;
    for (const tid of fs.readdirSync('/proc/self/task')) {
      let stat: string;
      try {
        stat = fs.readFileSync(`/proc/self/task/${tid}/stat`, 'utf8');
      } catch {
        continue; // the thread ended meanwhile
      }
      const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      const cpu = (Number(f[11]) + Number(f[12])) * tick;
      if (Number(tid) === process.pid) main += cpu;
      else others += cpu;
    }
    return { main, others };
  } catch {
    return undefined;
  }
}

/** Busy and total CPU time of the whole machine, ms, summed over its CPUs. */
function machineCpuMs(): { busy: number; total: number } {
  let busy = 0;
  let total = 0;
  for (const c of os.cpus()) {
    const t = c.times;
    busy += t.user + t.nice + t.sys + t.irq;
    total += t.user + t.nice + t.sys + t.irq + t.idle;
  }
  return { busy, total };
}

interface CpuSnapshot {
  at: number;
  self: NodeJS.CpuUsage;
  tree?: { root: number; descendants: number; processes: number };
  threads?: { main: number; others: number };
  machine: { busy: number; total: number };
}

function cpuSnapshot(servicePid: number): CpuSnapshot {
  return { at: performance.now(), self: process.cpuUsage(), threads: threadCpuMs(), tree: treeCpuMs(servicePid), machine: machineCpuMs() };
}

interface CpuUse {
  /** Cores this process used over the window: its user + system time / wall time. */
  self: number;
  /** Of `self`: the main thread (JavaScript, libuv) and every other thread (the engine's, V8's helpers). */
  mainThread?: number;
  otherThreads?: number;
  service?: number;
  senders?: number;
  senderProcesses?: number;
  /** Cores the whole machine was busy, of os.cpus().length. */
  machine: number;
}

function cpuUse(a: CpuSnapshot, b: CpuSnapshot): CpuUse {
  const wallMs = b.at - a.at;
  const selfMs = (b.self.user - a.self.user + b.self.system - a.self.system) / 1000;
  const machineTotal = b.machine.total - a.machine.total;
  const use: CpuUse = {
    self: selfMs / wallMs,
    machine: machineTotal > 0 ? ((b.machine.busy - a.machine.busy) / machineTotal) * os.cpus().length : NaN,
  };
  if (a.threads && b.threads) {
    use.mainThread = (b.threads.main - a.threads.main) / wallMs;
    use.otherThreads = (b.threads.others - a.threads.others) / wallMs;
  }
  if (a.tree && b.tree) {
    use.service = (b.tree.root - a.tree.root) / wallMs;
    use.senders = (b.tree.descendants - a.tree.descendants) / wallMs;
    use.senderProcesses = b.tree.processes;
  }
  return use;
}

// ---------------------------------------------------------------------------------------------
// What the bot's sockets deliver

interface Tap {
  measuring: boolean;
  /** Frames delivered per video socket (index) and for the share, since the step began. */
  frames: Map<VideoSocket, number>;
  camera: { latency: number[]; decode: number[] };
  share: { latency: number[]; decode: number[] };
  audio: { frames: number; added: number[] };
}

function tapSession(session: MediaSession): Tap {
  const tap: Tap = {
    measuring: false,
    frames: new Map(),
    camera: { latency: [], decode: [] },
    share: { latency: [], decode: [] },
    audio: { frames: 0, added: [] },
  };
  const listen = (socket: VideoSocket, kind: 'camera' | 'share') => {
    tap.frames.set(socket, 0);
    socket.on('frame', (f: VideoFrame) => {
      tap.frames.set(socket, (tap.frames.get(socket) ?? 0) + 1);
      if (!tap.measuring) return;
      const s = f.stamps;
      tap[kind].latency.push(s.delivered - s.lastPacket);
      tap[kind].decode.push(s.decoded - s.decodeStart);
    });
  };
  for (const s of session.videoSockets) listen(s, 'camera');
  if (session.vbssSocket) listen(session.vbssSocket, 'share');
  session.audioSocket?.on('audio', (f: AudioFrame) => {
    if (!tap.measuring) return;
    tap.audio.frames++;
    if (!f.isSilence && f.stamps.newestPacket > 0) tap.audio.added.push(f.stamps.delivered - f.stamps.newestPacket);
  });
  return tap;
}

/** Counters of every receiving socket, summed: what the engine dropped, and what never arrived whole. */
interface Counts {
  engineDrops: number;
  incomplete: number;
  packetsLost: number;
  framesWaitingKeyFrame: number;
  audioDrops: number;
  audioConcealed: number;
}

function counts(session: MediaSession): Counts {
  const video: VideoSocketStats[] = [...session.videoSockets, ...(session.vbssSocket ? [session.vbssSocket] : [])].map((s) => s.stats());
  const sum = (f: (s: VideoSocketStats) => number) => video.reduce((n, s) => n + f(s), 0);
  const audio = session.audioSocket?.stats();
  return {
    engineDrops: sum((s) => s.framesDroppedDecodeQueue + s.framesSkippedBehind + s.framesDroppedDelivery + s.decodeErrors),
    incomplete: sum((s) => s.framesIncomplete),
    packetsLost: sum((s) => s.packetsLost),
    framesWaitingKeyFrame: sum((s) => s.framesWaitingKeyFrame),
    audioDrops: audio ? audio.framesDroppedDelivery + audio.decodeErrors : 0,
    audioConcealed: audio?.concealed ?? 0,
  };
}

function countsDelta(a: Counts, b: Counts): Counts {
  const out = {} as Counts;
  for (const k of Object.keys(a) as (keyof Counts)[]) out[k] = b[k] - a[k];
  return out;
}

// ---------------------------------------------------------------------------------------------
// One step: N camera streams, the share and the mix, measured over a window

interface StepRun {
  streams: number;
  windowMs: number;
  cpu: CpuUse;
  counts: Counts;
  camera: Tap['camera'];
  share: Tap['share'];
  audio: Tap['audio'];
  /** Frames per second each receiving socket delivered in the window: cameras, then the share. */
  cameraFps: number[];
  shareFps: number;
  settled: boolean;
}

function receiving(session: MediaSession): VideoSocket[] {
  return session.videoSockets.filter((s) => s.subscription !== undefined);
}

/** Waits until `streams` sockets and the share are subscribed and each has delivered frames since `mark`. */
async function settle(session: MediaSession, tap: Tap, streams: number): Promise<boolean> {
  const mark = new Map(tap.frames);
  const fresh = (s: VideoSocket, n: number) => (tap.frames.get(s) ?? 0) - (mark.get(s) ?? 0) >= n;
  const until = Date.now() + SETTLE_TIMEOUT_MS;
  while (Date.now() < until) {
    const cams = receiving(session);
    const share = session.vbssSocket;
    if (cams.length >= streams && cams.every((s) => fresh(s, 10)) && share?.subscription !== undefined && fresh(share, 5)) return true;
    await delay(50);
  }
  const cams = receiving(session);
  progress(`${tagOf(streams)}: after ${SETTLE_TIMEOUT_MS / 1000} s, ${cams.length} camera sockets subscribed, ` +
    `${cams.filter((s) => fresh(s, 10)).length} delivering; share ${session.vbssSocket?.subscription !== undefined ? 'subscribed' : 'not subscribed'}`);
  return false;
}

async function measureStep(session: MediaSession, tap: Tap, streams: number, servicePid: number, windowMs: number): Promise<StepRun> {
  const settled = await settle(session, tap, streams);
  await delay(WARMUP_MS);
  tap.camera = { latency: [], decode: [] };
  tap.share = { latency: [], decode: [] };
  tap.audio = { frames: 0, added: [] };
  const cams = receiving(session);
  const framesBefore = new Map(tap.frames);
  const countsBefore = counts(session);
  progress(`${tagOf(streams)} + share + audio: measuring for ${windowMs / 1000} s`);
  const cpuBefore = cpuSnapshot(servicePid);
  tap.measuring = true;
  await delay(windowMs);
  tap.measuring = false;
  const cpuAfter = cpuSnapshot(servicePid);
  const elapsed = cpuAfter.at - cpuBefore.at;
  const fps = (s: VideoSocket) => (((tap.frames.get(s) ?? 0) - (framesBefore.get(s) ?? 0)) * 1000) / elapsed;
  return {
    streams,
    windowMs: elapsed,
    cpu: cpuUse(cpuBefore, cpuAfter),
    counts: countsDelta(countsBefore, counts(session)),
    camera: tap.camera,
    share: tap.share,
    audio: tap.audio,
    cameraFps: cams.map(fps),
    shareFps: session.vbssSocket ? fps(session.vbssSocket) : 0,
    settled,
  };
}

// ---------------------------------------------------------------------------------------------
// The scenario

function stepFigures(r: StepRun): { cores: Figure; dropped: Figure; latency: Figure[] } {
  const tag = tagOf(r.streams);
  const frames = r.camera.latency.length + r.share.latency.length;
  return {
    cores: valueFigure(`cores_${tag}_share_audio`, 'cores', r.cpu.self),
    dropped: valueFigure(`dropped_${tag}`, 'count', r.counts.engineDrops + r.counts.audioDrops, frames),
    latency: [
      sampleFigure(`latency_${tag}`, 'ms', r.camera.latency),
      sampleFigure(`latency_share_1080p${SCREEN.fps}_with_${tag}`, 'ms', r.share.latency),
    ],
  };
}

function mean(values: number[]): number {
  return values.length ? values.reduce((a, b) => a + b, 0) / values.length : NaN;
}

function stepNote(r: StepRun): string {
  const c = r.cpu;
  const others = c.service !== undefined
    ? `service + forwarding ${round3(c.service)}, ffmpeg senders (${c.senderProcesses}) ${round3(c.senders ?? NaN)}, `
    : '';
  const k = r.counts;
  const fps = r.cameraFps.length ? `${round3(Math.min(...r.cameraFps))}–${round3(Math.max(...r.cameraFps))}` : 'none';
  const decode = (d: number[]) => sampleFigure('', 'ms', d);
  const added = sampleFigure('', 'ms', r.audio.added);
  const threads = c.mainThread !== undefined
    ? ` (main thread ${round3(c.mainThread)}, other threads ${round3(c.otherThreads ?? NaN)})`
    : '';
  return `${tagOf(r.streams)}: cores this process ${round3(c.self)}${threads}, ${others}whole machine ${round3(c.machine)} of ${os.cpus().length}; ` +
    `camera fps per stream ${fps}, share ${round3(r.shareFps)} fps; decode p50 camera ${decode(r.camera.decode).p50} ms, ` +
    `share ${decode(r.share.decode).p50} ms (mean ${round3(mean(r.share.decode))}); incomplete frames ${k.incomplete}, ` +
    `packets lost ${k.packetsLost}; audio ${r.audio.frames} frames, added latency p50 ${added.p50} / p99 ${added.p99} ms, ` +
    `concealed ${k.audioConcealed}${r.settled ? '' : '; NOT every stream was delivering when the window opened'}`;
}

function targetNote(runs: StepRun[]): string {
  const r = runs.find((x) => x.streams === TARGET.streams) as StepRun;
  const drops = r.counts.engineDrops + r.counts.audioDrops;
  const ok = r.cpu.self <= TARGET.cores && drops === 0;
  return `${tagOf(TARGET.streams)} + 1080p${SCREEN.fps} share + audio: ${round3(r.cpu.self)} cores, ${drops} frames dropped by the engine ` +
    `(target ≤ ${TARGET.cores} core with no engine drops): ${ok ? 'met' : 'NOT met'}`;
}

async function run(options: ScenarioOptions): Promise<ScenarioResult> {
  const windowMs = options.quick ? 3000 : 20_000;
  progress('starting the local service (its own process) and the sample bot');
  const service = await startServiceProcess({ video: { ...CAMERA }, screen: { ...SCREEN } });
  let bot: SampleBot | undefined;
  const runs: StepRun[] = [];
  let callId: string | undefined;
  try {
    bot = await startSampleBot({ serviceUrl: service.url, appId: APP_ID, appSecret: (await service.request({ op: 'registerApp', appId: APP_ID })) as string, videoSockets: STREAM_COUNTS[STREAM_COUNTS.length - 1], log: () => undefined });
    await service.request({ op: 'register', appId: APP_ID, callbackUri: bot.callbackUri, displayName: 'Scale bench bot' });
    callId = (await service.request({ op: 'call', appId: APP_ID })) as string;
    const until = Date.now() + SETTLE_TIMEOUT_MS;
    while (!bot.sessions.get(callId) && Date.now() < until) await delay(25);
    const session = bot.sessions.get(callId);
    if (!session) throw new Error(`the bot did not answer within ${SETTLE_TIMEOUT_MS / 1000} s`);
    const tap = tapSession(session);
    let participants = 1;
    for (const streams of STREAM_COUNTS) {
      if (streams > participants) {
        progress(`adding participants ${participants}..${streams - 1} (camera ${CAMERA.width}x${CAMERA.height}@${CAMERA.fps} and a tone each)`);
        await service.request({ op: 'add', callId, from: participants, to: streams });
        participants = streams;
      }
      runs.push(await measureStep(session, tap, streams, service.pid, windowMs));
    }
  } finally {
    if (callId) await service.request({ op: 'hangUp', callId }).catch(() => undefined);
    await bot?.close();
    await service.stop();
  }

  const per = runs.map(stepFigures);
  const ten = runs.find((r) => r.streams === TARGET.streams) as StepRun;
  const figures = [
    ...per.map((p) => p.cores),
    valueFigure(`streams_per_core_360p${CAMERA.fps}`, 'streams_per_core', ten.streams / ten.cpu.self),
    ...per.flatMap((p) => p.latency),
    ...per.map((p) => p.dropped),
  ];
  const notes = [
    targetNote(runs),
    ...runs.map(stepNote),
    `cores = user + system CPU time of this process (the bot: its engine, its JavaScript, its webhook) over each ` +
      `${round3(ten.windowMs / 1000)} s window ÷ wall time; the local service, its forwarding ports and the ffmpeg senders ` +
      `(one x264 per camera, one for the share, one Opus per voice) run in other processes and are not in it`,
    `streams_per_core = ${ten.streams} camera streams ÷ the cores of that step (the share and the mix included)`,
    `latency = last packet of a frame received → frame handed to JavaScript (decode included), all camera sockets together; ` +
      `dropped = frames the engine dropped (decode queue, delivery queue, decode errors; audio delivery drops) in the window; ` +
      `incomplete frames (packets that never arrived) are counted apart`,
  ];
  return { figures, notes };
}

export const scale: Scenario = {
  name: 'scale',
  summary: `CPU and drops of the bot with ${STREAM_COUNTS.join(' / ')} × 360p${CAMERA.fps} + a 1080p${SCREEN.fps} share + mixed audio from the local service`,
  run,
};
