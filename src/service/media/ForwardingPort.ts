import { EventEmitter } from 'events';
import { NativeForwarder, NativeForwarderStats, native } from '../../media/native';

/**
 * A UDP port of the service's media forwarding: what arrives (a participant's RTP) goes out to
 * every target, on the engine's media thread. For video, a new target starts at a key frame.
 * Events: 'subscription' ({ sourceId, width, height }) and 'keyFrameRequested' from the RTCP a
 * bot socket sends to this port.
 */
export class ForwardingPort extends EventEmitter {
  private readonly port: NativeForwarder;
  private readonly targets = new Set<string>();
  private closed?: Promise<void>;

  constructor(readonly kind: 'audio' | 'video') {
    super();
    this.port = new (native().Forwarder)({ video: kind === 'video' }, (event, payload) => this.onEvent(event, payload));
    this.port.unref(); // the service's HTTP server keeps the process alive, not its media ports
  }

  get localPort(): number {
    return this.port.localPort();
  }

  stats(): NativeForwarderStats {
    return this.port.stats();
  }

  forwardTo(port: number, address = '127.0.0.1'): void {
    this.targets.add(`${address}:${port}`);
    this.port.addTarget(address, port);
  }

  stopForwardingTo(port: number, address = '127.0.0.1'): void {
    this.targets.delete(`${address}:${port}`);
    this.port.removeTarget(address, port);
  }

  isForwardingTo(port: number, address = '127.0.0.1'): boolean {
    return this.targets.has(`${address}:${port}`);
  }

  /** Reports to a socket from this port, so that its RTCP (and media) come here. */
  announceTo(port: number, address = '127.0.0.1'): void {
    this.port.announce(address, port);
  }

  requestKeyFrame(): void {
    this.port.requestKeyFrame();
  }

  close(): Promise<void> {
    this.closed ??= new Promise((resolve) => {
      this.once('closed', resolve);
      this.port.close();
    });
    return this.closed;
  }

  private onEvent(event: string, payload: unknown): void {
    if (event === 'subscription') {
      const { code, message } = payload as { code: string; message: string };
      const [width, height] = message.split('x').map(Number);
      this.emit('subscription', { sourceId: Number(code), width, height });
    } else if (event === 'keyFrameRequested') {
      this.emit('keyFrameRequested');
    } else if (event === 'closed') {
      this.emit('closed');
    }
  }
}
