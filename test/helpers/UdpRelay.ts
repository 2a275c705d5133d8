import * as dgram from 'dgram';

export interface RelayOptions {
  /** Where media goes (the socket under test). */
  target: number;
  /** Probability of dropping a media packet (after the warm-up). */
  loss?: number;
  /** Probability of holding a packet back by `reorderDelayMs` so later ones overtake it. */
  reorder?: number;
  reorderDelayMs?: number;
  /** Each forwarded packet waits a random 0..jitterMs first. */
  jitterMs?: number;
  /** Packets forwarded untouched first, so the stream starts cleanly. */
  warmupPackets?: number;
  /** A network stall: from this packet on, everything is held for `ms`, then sent in one burst. */
  stall?: { afterPackets: number; ms: number };
  /** Rewrites a media packet before forwarding (return null to drop it). */
  mutate?: (packet: Buffer, index: number) => Buffer | null;
  seed?: number;
}

/**
 * A UDP relay between an RTP sender and the socket under test: drops, reorders or mutates
 * media packets, and records the RTCP the socket sends back (returned to the sender too).
 */
export class UdpRelay {
  readonly rtcpFromReceiver: Buffer[] = [];
  forwarded = 0;
  dropped = 0;
  reordered = 0;
  private readonly socket = dgram.createSocket('udp4');
  private sender?: { address: string; port: number };
  private index = 0;
  private random: () => number;
  private readonly timers = new Set<NodeJS.Timeout>();
  private stalled?: Buffer[];
  private stallOver = false;

  constructor(private readonly options: RelayOptions) {
    this.random = mulberry32(options.seed ?? 12345);
    this.socket.on('message', (msg, rinfo) => this.onMessage(msg, rinfo));
  }

  async listen(): Promise<number> {
    await new Promise<void>((resolve) => this.socket.bind(0, '127.0.0.1', resolve));
    return this.socket.address().port;
  }

  /** Sends an arbitrary datagram to the target, as if from the sender. */
  inject(data: Buffer): void {
    this.socket.send(data, this.options.target, '127.0.0.1');
  }

  /** RTCP PSFB (206) packets with FMT 1 (PLI) seen in what the receiver sent. */
  pliCount(): number {
    return this.countFeedback(1);
  }

  firCount(): number {
    return this.countFeedback(4);
  }

  close(): void {
    for (const t of this.timers) clearTimeout(t);
    this.socket.close();
  }

  private countFeedback(fmt: number): number {
    let n = 0;
    for (const packet of this.rtcpFromReceiver) {
      for (let off = 0; off + 4 <= packet.length; ) {
        const type = packet[off + 1];
        const length = (packet.readUInt16BE(off + 2) + 1) * 4;
        if (type === 206 && (packet[off] & 0x1f) === fmt) n++;
        off += length;
      }
    }
    return n;
  }

  private onMessage(msg: Buffer, rinfo: dgram.RemoteInfo): void {
    if (rinfo.port === this.options.target) {
      this.rtcpFromReceiver.push(Buffer.from(msg));
      if (this.sender) this.socket.send(msg, this.sender.port, this.sender.address);
      return;
    }
    this.sender = { address: rinfo.address, port: rinfo.port };
    const i = this.index++;
    if (this.holdForStall(msg, i)) return;
    const warm = i < (this.options.warmupPackets ?? 0);
    let packet: Buffer | null = msg;
    if (!warm && this.options.mutate) packet = this.options.mutate(Buffer.from(msg), i);
    if (!packet || (!warm && this.random() < (this.options.loss ?? 0))) {
      this.dropped++;
      return;
    }
    if (!warm && this.random() < (this.options.reorder ?? 0)) {
      this.reordered++;
      const t = setTimeout(() => {
        this.timers.delete(t);
        this.forward(packet as Buffer);
      }, this.options.reorderDelayMs ?? 4);
      this.timers.add(t);
      return;
    }
    this.forward(packet);
  }

  private holdForStall(msg: Buffer, i: number): boolean {
    const stall = this.options.stall;
    if (!stall || this.stallOver || i < stall.afterPackets) return false;
    if (!this.stalled) {
      this.stalled = [];
      const t = setTimeout(() => {
        this.timers.delete(t);
        this.stallOver = true;
        for (const packet of this.stalled as Buffer[]) this.forward(packet);
      }, stall.ms);
      this.timers.add(t);
    }
    this.stalled.push(msg);
    return true;
  }

  private forward(packet: Buffer): void {
    const send = () => {
      this.forwarded++;
      this.socket.send(packet, this.options.target, '127.0.0.1');
    };
    if (!this.options.jitterMs) {
      send();
      return;
    }
    const t = setTimeout(() => {
      this.timers.delete(t);
      send();
    }, this.random() * this.options.jitterMs);
    this.timers.add(t);
  }
}

/** A small seeded PRNG so a failing run can be replayed. */
export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
