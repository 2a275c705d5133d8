import { EventEmitter } from 'events';
import { IntervalHistogram, monitorEventLoopDelay } from 'perf_hooks';
import { EngineLoad, native } from './native';

/** As Microsoft's MediaPlatformHealthStatus. */
export type MediaPlatformHealthStatus = 'Normal' | 'HeavilyLoaded' | 'Overloaded';

/** What health is judged on, each the worst seen over one sample (250 ms). */
export interface HealthMeasures {
  /** How late the Node event loop ran (bot code, frame delivery, signaling). */
  eventLoopDelayMs: number;
  /** How late the engine's media thread ran (every packet, timer and RTCP of every call). */
  mediaThreadLagMs: number;
  /** The longest a decode, encode or conversion waited for a worker thread. */
  workerWaitMs: number;
  /** Tasks waiting for a worker at the end of the sample. */
  workerQueue: number;
}

export interface HealthChange {
  previous: MediaPlatformHealthStatus;
  current: MediaPlatformHealthStatus;
  /** The measure that moved it, e.g. 'eventLoopDelayMs 212 ≥ 150'; on the way down, what it fell under. */
  reason: string;
  measures: HealthMeasures;
}

/**
 * The thresholds, in ms: a measure at or over `heavy` makes a sample HeavilyLoaded, at or over
 * `overloaded` Overloaded. They follow a 30 fps call: a media thread late by a frame interval
 * delays every stream; a worker wait of half a frame interval means the pool is the bottleneck.
 */
export const HEALTH_THRESHOLDS = {
  eventLoopDelayMs: { heavy: 40, overloaded: 150 },
  mediaThreadLagMs: { heavy: 10, overloaded: 33 },
  workerWaitMs: { heavy: 16, overloaded: 50 },
} as const;

/** Samples in a row at a higher level before health rises; samples in a row under a level before it falls. */
export const HEALTH_RISE_SAMPLES = 2;
export const HEALTH_FALL_SAMPLES = 8;
export const HEALTH_SAMPLE_MS = 250;

const LEVELS: MediaPlatformHealthStatus[] = ['Normal', 'HeavilyLoaded', 'Overloaded'];

/** The level one sample shows, and the measure that decides it. */
export function sampleLevel(m: HealthMeasures): { level: number; reason: string } {
  let level = 0;
  let reason = 'every measure under its threshold';
  for (const key of Object.keys(HEALTH_THRESHOLDS) as (keyof typeof HEALTH_THRESHOLDS)[]) {
    const t = HEALTH_THRESHOLDS[key];
    const v = m[key];
    const l = v >= t.overloaded ? 2 : v >= t.heavy ? 1 : 0;
    if (l > level) {
      level = l;
      reason = `${key} ${Math.round(v)} ≥ ${l === 2 ? t.overloaded : t.heavy}`;
    }
  }
  return { level, reason };
}

/**
 * Health as a state machine over samples, without timers (so it is tested sample by sample):
 * it rises one level once the last HEALTH_RISE_SAMPLES samples all reach a higher one (so
 * Overloaded is always announced by HeavilyLoaded, half a second before at the least), and falls
 * to the highest level of the last HEALTH_FALL_SAMPLES once they are all under the current one.
 */
export class HealthState {
  private level = 0;
  private readonly recent: number[] = [];

  get status(): MediaPlatformHealthStatus {
    return LEVELS[this.level];
  }

  /** One sample; the change it makes, if any. */
  add(m: HealthMeasures): HealthChange | undefined {
    const { level, reason } = sampleLevel(m);
    this.recent.push(level);
    if (this.recent.length > HEALTH_FALL_SAMPLES) this.recent.shift();
    const previous = this.status;
    const rise = Math.min(...this.recent.slice(-HEALTH_RISE_SAMPLES));
    if (this.recent.length >= HEALTH_RISE_SAMPLES && rise > this.level) {
      this.level += 1;
      this.recent.length = 0;  // the next level needs samples of its own
      return { previous, current: this.status, reason, measures: m };
    }
    const fall = Math.max(...this.recent);
    if (this.recent.length >= HEALTH_FALL_SAMPLES && fall < this.level) {
      this.level = fall;
      return { previous, current: this.status, reason: `${HEALTH_FALL_SAMPLES} samples under ${previous}: ${reason}`, measures: m };
    }
    return undefined;
  }
}

/**
 * Samples the measures every HEALTH_SAMPLE_MS and emits 'healthChanged'. Its timer never keeps
 * the process alive.
 */
export class HealthMonitor extends EventEmitter {
  readonly state = new HealthState();
  last: HealthMeasures = { eventLoopDelayMs: 0, mediaThreadLagMs: 0, workerWaitMs: 0, workerQueue: 0 };
  private readonly histogram: IntervalHistogram = monitorEventLoopDelay({ resolution: 10 });
  private readonly timer: NodeJS.Timeout;
  private lastSampleAt = performance.now();

  constructor(private readonly load: () => EngineLoad = () => native().engineLoad()) {
    super();
    this.histogram.enable();
    this.load();  // starts the counts from now
    this.timer = setInterval(() => this.sample(), HEALTH_SAMPLE_MS);
    this.timer.unref();
  }

  stop(): void {
    clearInterval(this.timer);
    this.histogram.disable();
  }

  private sample(): void {
    const engine = this.load();
    // The histogram counts delay beyond its 10 ms resolution; max is the worst stall of the sample.
    // This timer's own lateness covers a stall the histogram has not recorded yet.
    const now = performance.now();
    const late = now - this.lastSampleAt - HEALTH_SAMPLE_MS;
    this.lastSampleAt = now;
    const loop = Math.max(late, this.histogram.count > 0 ? this.histogram.max / 1e6 - 10 : 0, 0);
    this.histogram.reset();
    this.last = { eventLoopDelayMs: loop, mediaThreadLagMs: engine.mediaThreadLagMs, workerWaitMs: engine.workerWaitMs, workerQueue: engine.workerQueue };
    const change = this.state.add(this.last);
    if (change) this.emit('healthChanged', change);
    this.emit('sample', this.state.status);
  }
}
