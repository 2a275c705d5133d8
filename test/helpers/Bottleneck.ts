/**
 * A link of fixed capacity with a drop-tail queue, as an access link's bottleneck: each datagram
 * leaves once the ones before it have, at `bitsPerSecond`; one that would make the queue hold
 * more than `queueMs` of data is dropped. What enters is counted per second, so a test can
 * watch the sender adapt to the capacity.
 */
export class Bottleneck {
  dropped = 0;
  forwarded = 0;
  /** Bytes offered to the link in each second since it was made (index: whole seconds). */
  readonly offered: number[] = [];
  private freeAt = 0;
  private readonly started = performance.now();
  private readonly timers = new Set<NodeJS.Timeout>();
  private closed = false;

  constructor(public bitsPerSecond: number, private readonly queueMs = 300) {}

  /** The datagram, when it leaves the link; null when the queue is full. */
  pass(datagram: Buffer): Promise<Buffer | null> {
    const now = performance.now();
    const second = Math.floor((now - this.started) / 1000);
    while (this.offered.length <= second) this.offered.push(0);
    this.offered[second] += datagram.length;
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

  /** Bits per second offered in whole second `s`. */
  offeredBps(s: number): number {
    return (this.offered[s] ?? 0) * 8;
  }

  close(): void {
    this.closed = true;
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
  }
}
