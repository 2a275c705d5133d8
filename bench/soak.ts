import { monitorEventLoopDelay } from 'perf_hooks';
import * as v8 from 'v8';
import * as vm from 'vm';
import { startSampleBot, type SampleBot } from '../src/cli/sampleBot';
import { MediaSession, VideoSocket, VideoSocketStats, engineMemory } from '../src/media';
import { Figure, round3, valueFigure } from './report';
import { Scenario, ScenarioOptions, ScenarioResult, progress } from './scenario';
import { startServiceProcess, type ServiceProcess } from './serviceProcess';

/**
 * Soak: one bot in one call for half an hour (two minutes with --quick), receiving 10 cameras,
 * a screen share and the mix, while its subscriptions rotate every 10 s and a participant
 * leaves and another joins every 30 s. What it shows: memory that stays flat once warm, no frame
 * dropped by the engine, an event loop that stays responsive, and every pooled frame buffer
 * back in the pool once the call is over.
 */

const CAMERAS = 10;
const CAMERA = { width: 640, height: 360, fps: 30 } as const;
const SCREEN = { width: 1920, height: 1080, fps: 15 } as const;
const APP_ID = 'soak-bench-bot';
const SWAP_EVERY_MS = 10_000;
const CHURN_EVERY_MS = 30_000;
const SAMPLE_EVERY_MS = 5_000;
const SETTLE_TIMEOUT_MS = 30_000;
/** The lag monitor's timer period: what it records is the period plus the lag. */
const LAG_RESOLUTION_MS = 10;
const GOAL = { growthMb: 5, dropped: 0, outstanding: 0 } as const;

const MB = 1024 * 1024;

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/**
 * A full garbage collection, when the flag can be set at run time: memory is compared between
 * collected heaps, not between whatever garbage happened to be waiting.
 */
function collector(): (() => void) | undefined {
  try {
    v8.setFlagsFromString('--expose-gc');
    const gc = vm.runInNewContext('gc') as () => void;
    return typeof gc === 'function' ? gc : undefined;
  } catch {
    return undefined;
  }
}

interface MemorySample {
  atS: number;
  rssMb: number;
  externalMb: number;
  heapUsedMb: number;
  buffersOutstanding: number;
}

function sampleMemory(startedAt: number): MemorySample {
  const m = process.memoryUsage();
  return {
    atS: (Date.now() - startedAt) / 1000,
    rssMb: m.rss / MB,
    externalMb: m.external / MB,
    heapUsedMb: m.heapUsed / MB,
    buffersOutstanding: engineMemory().buffersOutstanding,
  };
}

/** Collects twice (finalizers of external buffers run between), then samples. */
async function settledMemory(gc: (() => void) | undefined, startedAt: number): Promise<MemorySample> {
  for (let i = 0; i < 3 && gc; i++) {
    gc();
    await new Promise((resolve) => setImmediate(resolve));
    await delay(20);
  }
  return sampleMemory(startedAt);
}

/** What the engine dropped across every receiving socket, and what it delivered. */
interface Counts {
  delivered: number;
  engineDrops: number;
  incomplete: number;
  waitingKeyFrame: number;
  packetsLost: number;
  audioFrames: number;
  audioDrops: number;
}

function counts(session: MediaSession): Counts {
  const sockets: VideoSocket[] = [...session.videoSockets, ...(session.vbssSocket ? [session.vbssSocket] : [])];
  const video: VideoSocketStats[] = sockets.map((s) => s.stats());
  const sum = (f: (s: VideoSocketStats) => number) => video.reduce((n, s) => n + f(s), 0);
  const audio = session.audioSocket?.stats();
  return {
    delivered: sum((s) => s.framesDelivered),
    engineDrops: sum((s) => s.framesDroppedDecodeQueue + s.framesSkippedBehind + s.framesDroppedDelivery + s.decodeErrors + s.framesConvertFailed + s.framesDiscardedByDecoder),
    incomplete: sum((s) => s.framesIncomplete),
    waitingKeyFrame: sum((s) => s.framesWaitingKeyFrame),
    packetsLost: sum((s) => s.packetsLost),
    audioFrames: audio?.framesDelivered ?? 0,
    audioDrops: audio ? audio.framesDroppedDelivery + audio.decodeErrors : 0,
  };
}

function delta(a: Counts, b: Counts): Counts {
  const out = {} as Counts;
  for (const k of Object.keys(a) as (keyof Counts)[]) out[k] = b[k] - a[k];
  return out;
}

/** Waits until every camera socket and the share are subscribed and each has delivered a frame. */
async function settle(session: MediaSession): Promise<boolean> {
  const seen = new Set<VideoSocket>();
  const sockets = [...session.videoSockets, ...(session.vbssSocket ? [session.vbssSocket] : [])];
  const listeners = sockets.map((s) => {
    const l = () => seen.add(s);
    s.on('frame', l);
    return () => s.off('frame', l);
  });
  const until = Date.now() + SETTLE_TIMEOUT_MS;
  try {
    while (Date.now() < until) {
      if (sockets.every((s) => s.subscription !== undefined && seen.has(s))) return true;
      await delay(100);
    }
    return false;
  } finally {
    for (const off of listeners) off();
  }
}

/** Every camera socket takes the source its neighbour had: the same sources, all moved. */
function rotateSubscriptions(session: MediaSession): number {
  const cams = session.videoSockets.filter((s) => s.subscription !== undefined);
  if (cams.length < 2) return 0;
  const sources = cams.map((s) => s.subscription as number);
  cams.forEach((s, i) => s.subscribe(sources[(i + 1) % sources.length], { resolution: '360p' }));
  return cams.length;
}

async function addWhenEstablished(service: ServiceProcess, callId: string, to: number): Promise<string[]> {
  const until = Date.now() + SETTLE_TIMEOUT_MS;
  for (;;) {
    try {
      return (await service.request({ op: 'add', callId, from: 1, to })) as string[];
    } catch (err) {
      if (Date.now() > until || !/establishing|incoming/.test((err as Error).message)) throw err;
      await delay(100);
    }
  }
}

async function run(options: ScenarioOptions): Promise<ScenarioResult> {
  const durationMs = options.quick ? 120_000 : 30 * 60_000;
  const warmupMs = options.quick ? 30_000 : 5 * 60_000;
  const gc = collector();
  const startedAt = Date.now();
  const outstandingAtStart = (await settledMemory(gc, startedAt)).buffersOutstanding;

  progress(`starting the local service (its own process) and the sample bot; ${CAMERAS} cameras ${CAMERA.width}x${CAMERA.height}@${CAMERA.fps}, ` +
    `a ${SCREEN.width}x${SCREEN.height}@${SCREEN.fps} share and a voice each, for ${durationMs / 60_000} min`);
  let service: ServiceProcess | undefined;
  let bot: SampleBot | undefined;
  let callId: string | undefined;
  const samples: MemorySample[] = [];
  const lag = monitorEventLoopDelay({ resolution: LAG_RESOLUTION_MS });
  let warm: MemorySample | undefined;
  let end: MemorySample | undefined;
  let countsWarm: Counts | undefined;
  let soaked: Counts | undefined;
  let swaps = 0;
  let churns = 0;
  let settled = false;
  try {
    service = await startServiceProcess({ video: { ...CAMERA }, screen: { ...SCREEN } });
    bot = await startSampleBot({ serviceUrl: service.url, appId: APP_ID, appSecret: (await service.request({ op: 'registerApp', appId: APP_ID })) as string, videoSockets: CAMERAS, log: () => undefined });
    await service.request({ op: 'register', appId: APP_ID, callbackUri: bot.callbackUri, displayName: 'Soak bench bot' });
    callId = (await service.request({ op: 'call', appId: APP_ID })) as string;
    const answerBy = Date.now() + SETTLE_TIMEOUT_MS;
    while (!bot.sessions.get(callId) && Date.now() < answerBy) await delay(25);
    const session = bot.sessions.get(callId);
    if (!session) throw new Error(`the bot did not answer within ${SETTLE_TIMEOUT_MS / 1000} s`);
    // P0 (the caller, sharing) and P1..P9: ten cameras. Those who join later replace a leaver.
    // Participants join once the call is established.
    const joined = await addWhenEstablished(service, callId, CAMERAS);
    let nextName = CAMERAS;
    settled = await settle(session);
    progress(settled ? 'every socket delivering; soaking' : 'NOT every socket delivered within the settle time; soaking anyway');

    const soakStart = Date.now();
    let nextSwap = soakStart + SWAP_EVERY_MS;
    let nextChurn = soakStart + CHURN_EVERY_MS;
    let nextSample = soakStart;
    while (Date.now() - soakStart < durationMs) {
      const now = Date.now();
      if (!warm && now - soakStart >= warmupMs) {
        warm = await settledMemory(gc, startedAt);
        countsWarm = counts(session);
        lag.reset();
        lag.enable();
        progress(`warm after ${warmupMs / 1000} s: rss ${round3(warm.rssMb)} MB, external ${round3(warm.externalMb)} MB`);
      }
      if (now >= nextSwap) {
        nextSwap += SWAP_EVERY_MS;
        if (rotateSubscriptions(session)) swaps++;
      }
      if (now >= nextChurn) {
        nextChurn += CHURN_EVERY_MS;
        // The longest-present participant after the caller leaves; a new one joins.
        const leaver = joined.shift();
        if (leaver) await service.request({ op: 'drop', callId, participantId: leaver });
        joined.push(...((await service.request({ op: 'add', callId, from: nextName, to: nextName + 1 })) as string[]));
        nextName++;
        churns++;
      }
      if (now >= nextSample) {
        nextSample += SAMPLE_EVERY_MS;
        samples.push(sampleMemory(startedAt));
        const c = counts(session);
        if (samples.length % 12 === 0) {
          const s = samples[samples.length - 1];
          progress(`${round3(s.atS)} s: rss ${round3(s.rssMb)} MB, external ${round3(s.externalMb)} MB, ` +
            `frames delivered ${c.delivered}, engine drops ${c.engineDrops}`);
        }
      }
      await delay(250);
    }
    lag.disable();
    if (countsWarm) soaked = delta(countsWarm, counts(session));
    end = await settledMemory(gc, startedAt);
  } finally {
    lag.disable();
    if (callId && service) await service.request({ op: 'hangUp', callId }).catch(() => undefined);
    await bot?.close();
    await service?.stop();
  }

  // Once the call is over and its sockets closed, every frame buffer handed out comes back as
  // the frames are collected.
  let after = await settledMemory(gc, startedAt);
  for (let i = 0; i < 20 && after.buffersOutstanding > outstandingAtStart; i++) {
    await delay(100);
    after = await settledMemory(gc, startedAt);
  }

  if (!warm || !end || !soaked) throw new Error('the soak ended before it was warm');
  const rssGrowth = end.rssMb - warm.rssMb;
  const externalGrowth = end.externalMb - warm.externalMb;
  const dropped = soaked.engineDrops + soaked.audioDrops;
  const lagMs = (ns: number) => Math.max(0, ns / 1e6 - LAG_RESOLUTION_MS);
  const lagP99 = lag.count > 0 ? lagMs(lag.percentile(99)) : NaN;
  const soakS = (durationMs - warmupMs) / 1000;
  const figures: Figure[] = [
    valueFigure('rss_growth_mb', 'MB', rssGrowth, samples.length),
    valueFigure('external_growth_mb', 'MB', externalGrowth, samples.length),
    valueFigure('dropped_frames', 'count', dropped, soaked.delivered + soaked.audioFrames),
    valueFigure('event_loop_lag_p99_ms', 'ms', lagP99, lag.count),
    valueFigure('pool_buffers_outstanding', 'count', after.buffersOutstanding),
  ];
  const met = (ok: boolean) => (ok ? 'met' : 'NOT met');
  const notes = [
    `memory growth over ${round3(soakS)} s after a ${warmupMs / 1000} s warm-up: rss ${round3(rssGrowth)} MB ` +
      `(${round3(warm.rssMb)} → ${round3(end.rssMb)}), external ${round3(externalGrowth)} MB ` +
      `(${round3(warm.externalMb)} → ${round3(end.externalMb)}), heap ${round3(end.heapUsedMb - warm.heapUsedMb)} MB; ` +
      `goal < ${GOAL.growthMb} MB: ${met(rssGrowth < GOAL.growthMb && externalGrowth < GOAL.growthMb)}` +
      (gc ? '' : ' (no forced collection was possible: figures include garbage)'),
    `frames dropped by the engine after warm-up: ${dropped} of ${soaked.delivered} video and ${soaked.audioFrames} audio frames ` +
      `delivered; goal ${GOAL.dropped}: ${met(dropped === GOAL.dropped)}. Apart from it: ${soaked.incomplete} incomplete frames, ` +
      `${soaked.packetsLost} packets lost, ${soaked.waitingKeyFrame} frames before a key frame (after each swap and join)`,
    `event-loop lag p99 ${round3(lagP99)} ms (p50 ${round3(lagMs(lag.percentile(50)))}, max ${round3(lagMs(lag.max))} ms) over the soak: ` +
      `how late a ${LAG_RESOLUTION_MS} ms timer fired`,
    `pooled frame buffers outstanding once the call was over: ${after.buffersOutstanding} ` +
      `(${outstandingAtStart} before it); goal ${GOAL.outstanding}: ${met(after.buffersOutstanding - outstandingAtStart === GOAL.outstanding)}`,
    `${swaps} subscription rotations (every socket to its neighbour's source, every ${SWAP_EVERY_MS / 1000} s), ${churns} participants ` +
      `left and as many joined (every ${CHURN_EVERY_MS / 1000} s)${settled ? '' : '; NOT every socket was delivering when the soak began'}`,
    `rss over time (MB, every ${SAMPLE_EVERY_MS / 1000} s): ${samples.filter((_, i) => i % 12 === 0).map((s) => round3(s.rssMb)).join(' ')}`,
  ];
  return { figures, notes };
}

export const soak: Scenario = {
  name: 'soak',
  summary: `memory, drops, event-loop lag and pooled buffers of a bot receiving ${CAMERAS} × 360p${CAMERA.fps} + a share + audio for 30 min ` +
    '(--quick: 2 min), with subscriptions rotating and participants coming and going',
  run,
};
