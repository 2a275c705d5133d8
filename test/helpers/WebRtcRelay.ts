import * as dgram from 'dgram';

/**
 * What the relay does with one datagram: forward it (possibly rewritten), drop it, send it
 * several times, or send it when the promise settles (a queue on the way; null: dropped).
 */
export type RelayAction = Buffer | null | Buffer[] | Promise<Buffer | null>;

function send(action: RelayAction, to: (d: Buffer) => void): void {
  if (action instanceof Promise) {
    void action.then((d) => d && to(d));
    return;
  }
  for (const d of action === null ? [] : Array.isArray(action) ? action : [action]) to(d);
}

/**
 * A UDP relay between a WebRTC peer and the media port, as a NAT would be: the peer reaches
 * the relay's port (the answer's candidate, rewritten), and each address the peer sends from
 * gets an outside socket of its own towards the media port, so ICE sees one remote per peer
 * candidate and answers go back to the right one. `mutate` sees every datagram from the peer.
 */
export class WebRtcRelay {
  /** Datagrams from the peer, and from the media port. */
  fromPeer = 0;
  fromPort = 0;
  private readonly inside = dgram.createSocket('udp4');
  private readonly outside = new Map<string, dgram.Socket>();
  private closed = false;

  constructor(
    private readonly target: { address: string; port: number },
    private readonly mutate: (datagram: Buffer, index: number) => RelayAction = (d) => d,
    /** Sees each datagram from the media port; what it returns is sent on (nothing returned: the datagram as it came). */
    private readonly onFromPort?: (datagram: Buffer) => RelayAction | void,
  ) {
    this.inside.on('message', (msg, rinfo) => this.fromPeerDatagram(msg, rinfo));
  }

  async listen(): Promise<number> {
    await new Promise<void>((resolve) => this.inside.bind(0, '0.0.0.0', resolve));
    return this.inside.address().port;
  }

  /** The outside addresses (as the media port sees the peer). */
  get outsidePorts(): number[] {
    return [...this.outside.values()].map((s) => s.address().port);
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.inside.close();
    for (const s of this.outside.values()) s.close();
  }

  private fromPeerDatagram(msg: Buffer, rinfo: dgram.RemoteInfo): void {
    if (this.closed) return;
    const key = `${rinfo.address}:${rinfo.port}`;
    let socket = this.outside.get(key);
    if (!socket) {
      const s = dgram.createSocket('udp4');
      s.on('message', (reply) => {
        if (this.closed) return;
        this.fromPort++;
        const action = this.onFromPort?.(reply);
        send(action === undefined ? reply : action, (d) => !this.closed && this.inside.send(d, rinfo.port, rinfo.address));
      });
      s.bind(0, '127.0.0.1');
      this.outside.set(key, s);
      socket = s;
    }
    const out = socket;
    send(this.mutate(Buffer.from(msg), this.fromPeer++), (d) => !this.closed && out.send(d, this.target.port, this.target.address));
  }
}

/** The answer with its candidates (and m= ports) moved to the relay's port. */
export function answerThroughRelay(sdp: string, mediaPort: number, relayPort: number): string {
  return sdp
    .replace(new RegExp(`^(a=candidate:\\S+ 1 udp \\d+ 127\\.0\\.0\\.1 )${mediaPort}( typ host)`, 'gm'), `$1${relayPort}$2`)
    .replace(new RegExp(`^(m=\\S+ )${mediaPort}( )`, 'gm'), `$1${relayPort}$2`);
}

/** RTP or RTCP (RFC 7983: first byte 128..191); RTCP when the second byte is a packet type 192..223. */
export function isRtpOrRtcp(d: Buffer): boolean {
  return d.length >= 12 && d[0] >= 128 && d[0] <= 191;
}

export function isRtcp(d: Buffer): boolean {
  return isRtpOrRtcp(d) && d[1] >= 192 && d[1] <= 223;
}
