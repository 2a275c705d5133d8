import { EventEmitter } from 'events';
import { CallMediaError } from './errors';
import { FrameQueue } from './FrameQueue';
import type { NativeWebRtcTransport } from './native';

/**
 * A socket's place on its media session's transport (set by MediaSession): the socket has no
 * port of its own; its packets are found by MID, SSRC and payload type in the session's bundle.
 */
export interface BundleSlot {
  transport: NativeWebRtcTransport;
  mid: string;
  payloadTypes: number[];
}

/** Native options that put a channel on its session's transport, or on a plain RTP port of its own. */
export function transportOptions(
  bundle: BundleSlot | undefined,
  plain: { address?: string; port?: number; remote?: { address?: string; port: number } },
): Record<string, unknown> {
  if (bundle) return { transport: bundle.transport, route: { mid: bundle.mid, payloadTypes: bundle.payloadTypes } };
  return {
    address: plain.address ?? '127.0.0.1',
    port: plain.port ?? 0,
    remoteAddress: plain.remote ? plain.remote.address ?? '127.0.0.1' : '',
    remotePort: plain.remote?.port ?? 0,
  };
}

/** What every native channel handle offers (see native/net/RtpChannel.h). */
export interface NativeChannel<S> {
  localPort(): number;
  stats(): S;
  setRemote(address: string, port: number): void;
  close(): void;
  ref(): void;
  unref(): void;
}

export interface RemoteAddress {
  address?: string;
  port: number;
}

/**
 * What audio and video sockets share: the native channel's lifecycle (remote, ref, close),
 * the send status, bounded pull queues for iterators, and turning native callbacks into
 * events without letting a bot's exception unwind into the engine.
 */
export abstract class MediaSocket<F, S> extends EventEmitter implements AsyncIterable<F> {
  protected channel!: NativeChannel<S>;
  protected finalStats?: S;
  private readonly queues = new Set<FrameQueue<F>>();
  private droppedByQueuesClosed = 0;
  private closing?: Promise<void>;
  private closed = false;
  private remoteKnown = false;

  protected constructor(
    private readonly kind: 'audio' | 'video',
    protected readonly sending: boolean,
    private readonly maxBufferedFrames: number,
  ) {
    super();
    if (!Number.isInteger(maxBufferedFrames) || maxBufferedFrames < 1) {
      throw new CallMediaError('INVALID_ARGUMENT', 'maxBufferedFrames must be a positive integer');
    }
  }

  /** Creates the native channel; `create` gets the callback that routes its events here. */
  protected attach(create: (callback: (kind: string, payload: unknown) => void) => NativeChannel<S>, remote?: RemoteAddress): void {
    try {
      this.channel = create((kind, payload) => this.onNativeEvent(kind, payload));
    } catch (err) {
      throw CallMediaError.fromNative(err);
    }
    if (remote) this.markRemoteKnown();
  }

  /** The local UDP port the socket receives on (for a socket of a WebRTC session: the platform's media port). */
  get port(): number {
    return this.channel.localPort();
  }

  get isClosed(): boolean {
    return this.closed;
  }

  /** The socket was opened with send settings. */
  get isSending(): boolean {
    return this.sending;
  }

  /** Sends RTP (and RTCP feedback) to this address from now on (plain RTP sockets only: a session's come from ICE). */
  connect(port: number, address = '127.0.0.1'): this {
    this.assertOpen();
    try {
      this.channel.setRemote(address, port);
    } catch (err) {
      throw CallMediaError.fromNative(err);
    }
    this.markRemoteKnown();
    return this;
  }

  /** Frames as an async iterator. Frames that arrive while nobody reads are bounded (oldest dropped). */
  frames(): AsyncIterableIterator<F> {
    const queue: FrameQueue<F> = new FrameQueue<F>(this.maxBufferedFrames, () => {
      this.droppedByQueuesClosed += queue.dropped;
      this.queues.delete(queue);
    });
    if (this.closed) queue.end();
    else this.queues.add(queue);
    return queue;
  }

  [Symbol.asyncIterator](): AsyncIterator<F> {
    return this.frames();
  }

  /** Lets the process exit while the socket is open (like net.Socket#unref). */
  unref(): this {
    if (!this.closed) this.channel.unref();
    return this;
  }

  ref(): this {
    if (!this.closed) this.channel.ref();
    return this;
  }

  /** Stops receiving and sending. Resolves once every frame in flight was delivered, sent or dropped. */
  close(): Promise<void> {
    if (!this.closing) {
      this.closing = new Promise((resolve) => this.once('close', resolve));
      this.channel.close();
    }
    return this.closing;
  }

  protected assertOpen(): void {
    if (this.closed || this.closing) throw new CallMediaError('SOCKET_CLOSED', `the ${this.kind} socket is closed`);
  }

  protected assertSending(): void {
    this.assertOpen();
    if (!this.sending) throw new CallMediaError('NOT_SENDING', 'the socket was opened without send settings');
  }

  /** Native stats, or the last ones once closed. */
  protected nativeStats(): S {
    return this.finalStats ?? this.channel.stats();
  }

  /** Frames dropped because an iterator or Readable did not keep up. */
  protected consumerDrops(): number {
    let dropped = this.droppedByQueuesClosed;
    for (const q of this.queues) dropped += q.dropped;
    return dropped;
  }

  /** Hands a received frame to pull consumers; the subclass emits its event. */
  protected enqueue(frame: F): void {
    for (const q of this.queues) q.push(frame);
  }

  /** Socket-specific native events ('frames', 'audio', tones, …). */
  protected abstract onEvent(kind: string, payload: unknown): void;

  /** The socket can send now (a session's transport connected): 'sendStatusChanged' says so once. */
  protected markSendReady(): void {
    this.markRemoteKnown();
  }

  private markRemoteKnown(): void {
    if (!this.remoteKnown && this.sending) process.nextTick(() => this.emit('sendStatusChanged', 'active'));
    this.remoteKnown = true;
  }

  private onNativeEvent(kind: string, payload: unknown): void {
    // Bot code errors must not unwind into the addon: rethrow them on a clean stack.
    try {
      if (kind === 'error') {
        const err = CallMediaError.fromNative(payload);
        if (this.listenerCount('error') > 0) this.emit('error', err);
      } else if (kind === 'closed') {
        this.finalStats = this.channel.stats();
        this.closed = true;
        for (const q of this.queues) q.end();
        if (this.sending && this.remoteKnown) this.emit('sendStatusChanged', 'inactive');
        this.emit('close');
      } else {
        this.onEvent(kind, payload);
      }
    } catch (err) {
      queueMicrotask(() => {
        throw err;
      });
    }
  }
}
