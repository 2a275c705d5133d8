import type { MediaPlatformHealthStatus } from './PlatformHealth';

/** A socket as load shedding sees it (a receiving VideoSocket). */
export interface SheddableSocket {
  readonly isClosed: boolean;
  /** Frames its consumer lost so far: the engine's queue to JavaScript and the iterator's buffer. */
  lostByConsumer(): number;
  shed(on: boolean): void;
}

/**
 * Samples of Overloaded, with only the slow consumers shed, after which every receiving video
 * socket sheds (HEALTH_SAMPLE_MS each: one second).
 */
export const SHED_ALL_AFTER_SAMPLES = 4;

/**
 * What the engine gives up when the platform is Overloaded, in order, and never anything else:
 *   1. conversion and delivery of every other decoded picture, for the video sockets whose
 *      consumers are not keeping up (they lost frames since the last sample): those frames
 *      would be dropped anyway, later and after costing a conversion;
 *   2. if the platform is still Overloaded SHED_ALL_AFTER_SAMPLES samples later, the same for
 *      every receiving video socket.
 * Decoding is never shed (a lost reference would freeze the picture until a key frame), nor
 * is anything of audio: the mix, the unmixed buffers and what the bot sends go on as they are.
 * Once health is back under Overloaded, every socket converts every picture again.
 * A state machine over samples, without timers, so it is tested sample by sample.
 */
export class LoadShedder {
  private overloadedSamples = 0;
  private readonly lastDrops = new WeakMap<SheddableSocket, number>();
  private readonly shed = new Set<SheddableSocket>();

  /** The sockets shed now. */
  get shedCount(): number {
    return this.shed.size;
  }

  /** One health sample, with the receiving video sockets of the platform. */
  sample(status: MediaPlatformHealthStatus, sockets: Iterable<SheddableSocket>): void {
    const open = [...sockets].filter((s) => !s.isClosed);
    for (const s of this.shed) if (s.isClosed) this.shed.delete(s);
    const slow = new Set<SheddableSocket>();
    for (const s of open) {
      const drops = s.lostByConsumer();
      const before = this.lastDrops.get(s);
      this.lastDrops.set(s, drops);
      if (before !== undefined && drops > before) slow.add(s);
    }
    if (status !== 'Overloaded') {
      this.overloadedSamples = 0;
      for (const s of this.shed) s.shed(false);
      this.shed.clear();
      return;
    }
    this.overloadedSamples++;
    const targets = this.overloadedSamples > SHED_ALL_AFTER_SAMPLES ? open : open.filter((s) => slow.has(s));
    for (const s of targets) {
      if (this.shed.has(s)) continue;
      s.shed(true);
      this.shed.add(s);
    }
  }
}
