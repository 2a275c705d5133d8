/**
 * A link of fixed capacity with a drop-tail queue, as an access link's bottleneck: each datagram
 * leaves once the ones before it have, at `bitsPerSecond`; one that would make the queue hold
 * more than `queueMs` of data is dropped. What enters is counted per 100 ms, so a benchmark or a
 * test can watch the sender adapt to the capacity. Shared by the impairment benchmark and the
 * congestion control tests.
 */
export class Bottleneck {
  dropped = 0;
  forwarded = 0;
  /** Bytes offered to the link in each 100 ms since it was made. */
  readonly offered: number[] = [];
  private freeAt = 0;
  private readonly started = performance.now();
  private readonly timers = new Set<NodeJS.Timeout>();
  private closed = false;

  constructor(public bitsPerSecond: number, private readonly queueMs = 300) {}

  /** The datagram, when it leaves the link; null when the queue is full. */
  pass(datagram: Buffer): Promise<Buffer | null> {
    const now = performance.now();
    const slot = Math.floor((now - this.started) / 100);
    while (this.offered.length <= slot) this.offered.push(0);
    this.offered[slot] += datagram.length;
    const start = Math.max(now, this.freeAt);
    if (this.closed || start - now > this.queueMs) {
      this.dropped++;
      return Promise.resolve(null);
    }
    this.freeAt = start + (datagram.length * 8 * 1000) / this.bitsPerSecond;
    return new Promise((resolve) => {
      const t = setTimeout(() => {
        this.timers.delete(t);
        this.forwarded++;
        resolve(this.closed ? null : datagram);
      }, this.freeAt - now);
      this.timers.add(t);
    });
  }

  /** Seconds since the link was made. */
  get elapsedS(): number {
    return (performance.now() - this.started) / 1000;
  }

  /** Bits per second offered over the second from `fromS` (seconds since the link was made, in steps of 0.1). */
  offeredBps(fromS: number): number {
    const first = Math.round(fromS * 10);
    let bytes = 0;
    for (let i = first; i < first + 10; i++) bytes += this.offered[i] ?? 0;
    return bytes * 8;
  }

  /**
   * Seconds from `fromS` until the rate offered over the trailing second first falls under
   * `bps` (checked every 100 ms, up to `untilS`); undefined when it never does.
   */
  secondsUntilUnder(bps: number, fromS: number, untilS: number): number | undefined {
    for (let t = fromS; t + 1 <= untilS + 1e-9; t += 0.1) if (this.offeredBps(t) < bps) return Math.round((t + 1 - fromS) * 10) / 10;
    return undefined;
  }

  close(): void {
    this.closed = true;
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
  }
}
