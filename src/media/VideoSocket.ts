import { EventEmitter } from 'events';
import { Readable } from 'stream';
import { CallMediaError } from './errors';
import { FrameQueue } from './FrameQueue';
import { LatencyWindow, Percentiles } from './LatencyStats';
import { NativeFrame, NativeReceiverStats, NativeVideoReceiver, native } from './native';
import { VIDEO_FORMATS, VideoFormat, VideoFrame, formatCode } from './VideoFrame';

export interface VideoSocketOptions {
  /** Local address to bind (default 127.0.0.1; '0.0.0.0' or '::' for all). */
  address?: string;
  /** Local UDP port (default 0: the system picks one; read it from `socket.port`). */
  port?: number;
  /** What bot code receives: a raw layout, or 'H264' access units without decoding. Default I420. */
  format?: VideoFormat;
  /** Accept only this RTP payload type (default: any). */
  payloadType?: number;
  /** How long a hole in the packet sequence may wait for a reordered packet (default 50 ms). */
  reorderWindowMs?: number;
  /** Frames the engine holds for JavaScript when the event loop is busy (default 4). Oldest drop first. */
  maxQueuedFrames?: number;
  /** Frames buffered for an iterator or Readable that is not reading (default 4). Oldest drop first. */
  maxBufferedFrames?: number;
  /** Compressed frames waiting for the decoder before frames are dropped until a key frame (default 6). */
  maxDecodeQueue?: number;
}

/** Latency of each stage in ms (network: first→last packet of a frame; overhead: everything but decode). */
export interface VideoLatency {
  network: Percentiles;
  assemble: Percentiles;
  queue: Percentiles;
  decode: Percentiles;
  convert: Percentiles;
  deliver: Percentiles;
  total: Percentiles;
  overhead: Percentiles;
}

export interface VideoSocketStats extends NativeReceiverStats {
  /** Frames dropped because an iterator or Readable consumer did not keep up. */
  framesDroppedConsumer: number;
  /** Frames received by bot code (events, iterators). */
  framesReceived: number;
  latency: VideoLatency;
}

type Stage = keyof VideoLatency;
const STAGES: Stage[] = ['network', 'assemble', 'queue', 'decode', 'convert', 'deliver', 'total', 'overhead'];

export interface VideoSocketEvents {
  frame: [VideoFrame];
  /** The socket asked the sender for a key frame (loss, corrupt data, or requestKeyFrame()). */
  keyFrameNeeded: [string];
  error: [CallMediaError];
  close: [];
}

/**
 * A video channel. Receive: frames of one RTP H.264 stream, decoded and converted to the
 * format asked for, as 'frame' events, an async iterator, or a Readable.
 */
export class VideoSocket extends EventEmitter implements AsyncIterable<VideoFrame> {
  readonly format: VideoFormat;
  private readonly receiver: NativeVideoReceiver;
  private readonly latency = new Map<Stage, LatencyWindow>(STAGES.map((s) => [s, new LatencyWindow()]));
  private readonly queues = new Set<FrameQueue<VideoFrame>>();
  private readonly maxBufferedFrames: number;
  private droppedByQueuesClosed = 0;
  private received = 0;
  private closing?: Promise<void>;
  private closed = false;
  private finalStats?: NativeReceiverStats;

  constructor(options: VideoSocketOptions = {}) {
    super();
    this.format = options.format ?? 'I420';
    if (!VIDEO_FORMATS.includes(this.format)) {
      throw new CallMediaError('INVALID_ARGUMENT', `format must be one of ${VIDEO_FORMATS.join(', ')}`);
    }
    this.maxBufferedFrames = positiveInt(options.maxBufferedFrames, 4, 'maxBufferedFrames');
    const nativeOptions = {
      address: options.address ?? '127.0.0.1',
      port: options.port ?? 0,
      format: formatCode(this.format),
      payloadType: options.payloadType ?? -1,
      reorderWindowMs: positiveInt(options.reorderWindowMs, 50, 'reorderWindowMs'),
      maxQueuedFrames: positiveInt(options.maxQueuedFrames, 4, 'maxQueuedFrames'),
      maxDecodeQueue: positiveInt(options.maxDecodeQueue, 6, 'maxDecodeQueue'),
    };
    try {
      this.receiver = new (native().VideoReceiver)(nativeOptions, (kind, payload) => this.onNative(kind, payload));
    } catch (err) {
      throw CallMediaError.fromNative(err);
    }
  }

  /** The local UDP port the socket receives on. */
  get port(): number {
    return this.receiver.localPort();
  }

  get isClosed(): boolean {
    return this.closed;
  }

  /** Asks the sender for a key frame (RTCP PLI) and holds frames back until one arrives. */
  requestKeyFrame(): void {
    this.assertOpen();
    this.receiver.requestKeyFrame();
  }

  stats(): VideoSocketStats {
    const base = this.finalStats ?? this.receiver.stats();
    let droppedConsumer = this.droppedByQueuesClosed;
    for (const q of this.queues) droppedConsumer += q.dropped;
    const latency = {} as VideoLatency;
    for (const stage of STAGES) latency[stage] = (this.latency.get(stage) as LatencyWindow).summary();
    return { ...base, framesDroppedConsumer: droppedConsumer, framesReceived: this.received, latency };
  }

  /** Frames as an async iterator. Frames that arrive while nobody reads are bounded (oldest dropped). */
  frames(): AsyncIterableIterator<VideoFrame> {
    const queue: FrameQueue<VideoFrame> = new FrameQueue<VideoFrame>(this.maxBufferedFrames, () => {
      this.droppedByQueuesClosed += queue.dropped;
      this.queues.delete(queue);
    });
    if (this.closed) queue.end();
    else this.queues.add(queue);
    return queue;
  }

  [Symbol.asyncIterator](): AsyncIterator<VideoFrame> {
    return this.frames();
  }

  /** A Readable (object mode) of frames, for piping into Writables and transforms. */
  readable(): Readable {
    return Readable.from(this.frames(), { objectMode: true, highWaterMark: 1 });
  }

  /** Lets the process exit while the socket is open (like net.Socket#unref). */
  unref(): this {
    if (!this.closed) this.receiver.unref();
    return this;
  }

  ref(): this {
    if (!this.closed) this.receiver.ref();
    return this;
  }

  /** Stops receiving. Resolves once every frame in flight has been delivered or dropped. */
  close(): Promise<void> {
    if (!this.closing) {
      this.closing = new Promise((resolve) => this.once('close', resolve));
      this.receiver.close();
    }
    return this.closing;
  }

  override on<K extends keyof VideoSocketEvents>(event: K, listener: (...args: VideoSocketEvents[K]) => void): this {
    return super.on(event, listener as (...args: unknown[]) => void);
  }

  override once<K extends keyof VideoSocketEvents>(event: K, listener: (...args: VideoSocketEvents[K]) => void): this {
    return super.once(event, listener as (...args: unknown[]) => void);
  }

  private assertOpen(): void {
    if (this.closed || this.closing) throw new CallMediaError('SOCKET_CLOSED', 'the video socket is closed');
  }

  private onNative(kind: string, payload: unknown): void {
    // Bot code errors must not unwind into the addon: rethrow them on a clean stack.
    try {
      switch (kind) {
        case 'frames':
          for (const f of payload as NativeFrame[]) this.deliver(f);
          break;
        case 'keyFrameRequested':
          this.emit('keyFrameNeeded', payload as string);
          break;
        case 'error': {
          const e = payload as { code: string; message: string };
          const err = CallMediaError.fromNative(e);
          if (this.listenerCount('error') > 0) this.emit('error', err);
          break;
        }
        case 'closed':
          this.finalStats = this.receiver.stats();
          this.closed = true;
          for (const q of this.queues) q.end();
          this.emit('close');
          break;
      }
    } catch (err) {
      queueMicrotask(() => {
        throw err;
      });
    }
  }

  private deliver(f: NativeFrame): void {
    const s = f.stamps;
    const stamps = {
      firstPacket: s[0],
      lastPacket: s[1],
      assembled: s[2],
      decodeStart: s[3],
      decoded: s[4],
      converted: s[5],
      delivered: s[6],
    };
    this.record(stamps);
    const frame = new VideoFrame(this.format, f.width, f.height, f.timestamp, f.ssrc, f.data, f.keyFrame, stamps);
    this.received++;
    for (const q of this.queues) q.push(frame);
    this.emit('frame', frame);
  }

  private record(s: VideoFrame['stamps']): void {
    const add = (stage: Stage, v: number) => (this.latency.get(stage) as LatencyWindow).add(v);
    const decode = s.decoded - s.decodeStart;
    const total = s.delivered - s.lastPacket;
    add('network', s.lastPacket - s.firstPacket);
    add('assemble', s.assembled - s.lastPacket);
    add('queue', s.decodeStart - s.assembled);
    add('decode', decode);
    add('convert', s.converted - s.decoded);
    add('deliver', s.delivered - s.converted);
    add('total', total);
    add('overhead', total - decode);
  }
}

function positiveInt(value: number | undefined, fallback: number, name: string): number {
  if (value === undefined) return fallback;
  if (!Number.isInteger(value) || value < 1) throw new CallMediaError('INVALID_ARGUMENT', `${name} must be a positive integer`);
  return value;
}
