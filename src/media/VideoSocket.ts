import { QualityChange, VideoQoe, VideoQuality } from './quality';
import { Readable, Writable } from 'stream';
import { CallMediaError } from './errors';
import { LatencyWindow, Percentiles, summarize } from './LatencyStats';
import { BundleSlot, MediaSocket, transportOptions } from './MediaSocket';
import { NativeFrame, NativeReceiverStats, NativeRoute, NativeSendStats, NativeVideoChannel, monotonicNowMs, native } from './native';
import { RawVideoFormat, VIDEO_FORMATS, VideoFormat, VideoFrame, formatCode } from './VideoFrame';

/** OpenH264 and x264 write H.264, libvpx VP8 (a WebRTC session picks what the far end takes). */
export type VideoEncoderName = 'openh264' | 'x264' | 'vp8';

/** Settings of the send half. */
export interface VideoSendOptions {
  width: number;
  height: number;
  /** Frames per second the encoder plans for (default 30). */
  fps?: number;
  /** Target bitrate in bit/s (default 2 Mbit/s). */
  bitrate?: number;
  /** Frames between IDRs (default 2 s of frames). */
  keyFrameInterval?: number;
  /** H.264 encoder (default OpenH264: constrained baseline, decodable by every WebRTC endpoint). */
  encoder?: VideoEncoderName;
  payloadType?: number;
  /** Raw frames waiting for the encoder before the oldest is dropped (default 3). */
  maxSendQueue?: number;
  /** Scale frames of another size instead of refusing them (default false). */
  scale?: boolean;
  /** Tune the encoder for screen content (set by VbssSocket). */
  screenContent?: boolean;
  /**
   * Simulcast (RFC 8853), as Microsoft's SupportedSendVideoFormats: several encodings of every
   * frame sent, largest first, each under its own SSRC and RFC 8852 stream id, scaled once by
   * libyuv and encoded on a strand of its own. A media server forwards each subscriber the
   * layer it asked for. The first layer is the socket's own size (`scaleResolutionDownBy` 1);
   * a far end that takes no simulcast receives the first layer alone. At most 4 layers.
   */
  simulcast?: SimulcastLayer[];
}

/** One encoding of a simulcast socket, in WebRTC's RTCRtpEncodingParameters terms. */
export interface SimulcastLayer {
  /** The RFC 8851 stream id: 1..16 letters, digits, '-' or '_', unique in the socket. */
  rid: string;
  /** Width and height divided by this (default 1 for the first layer, then 2, 4, 8). */
  scaleResolutionDownBy?: number;
  /** Bit/s for this layer (default: the socket's bitrate shared by area, at least 30 kbit/s). */
  maxBitrate?: number;
}

/** A simulcast layer as it is sent: its stream id, size and SSRCs. */
export interface SimulcastLayerInfo {
  rid: string;
  width: number;
  height: number;
  ssrc: number;
  rtxSsrc?: number;
}

export interface VideoSocketOptions {
  /** Local address to bind (default 127.0.0.1; '0.0.0.0' or '::' for all). */
  address?: string;
  /** Local UDP port (default 0: the system picks one; read it from `socket.port`). */
  port?: number;
  /** Where RTP and RTCP go. Without it, feedback goes back to whoever sends media. */
  remote?: { address?: string; port: number };
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
  /**
   * Compressed frames waiting for the decoder beyond which it is behind (default 8). It then
   * still decodes every frame, so no reference is lost, but skips converting and delivering the
   * oldest pictures (counted in `framesSkippedBehind`) until it catches up.
   */
  maxDecodeQueue?: number;
  /**
   * Compressed frames waiting for the decoder beyond which input is dropped (default 60, 2 s
   * at 30 fps): disposable frames from half of it, reference frames at it (then the stream
   * waits for a key frame). Counted in `framesDroppedDecodeQueue`.
   */
  decodeQueueLimit?: number;
  /** Settings to send video; without them the socket only receives. */
  send?: VideoSendOptions;
}

/** Latency of each receive stage in ms (network: first→last packet of a frame; overhead: all but decode). */
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

export interface VideoSendLayerStats extends Omit<NativeSendStats, 'encodeMs' | 'sendMs' | 'layers'> {
  /** Time in the encoder (scaling and conversion included), ms. */
  encode: Percentiles;
  /** send() called → last packet of the frame on the wire, ms. */
  sendLatency: Percentiles;
}

export interface VideoSendStats extends VideoSendLayerStats {
  /** Bitrate sent since the previous stats() call, bit/s (every layer). */
  bitrate: number;
  /** A simulcast socket's layers, largest first; the figures above are the first's. */
  layers?: VideoSendLayerStats[];
}

export interface VideoSocketStats extends Omit<NativeReceiverStats, 'send'> {
  /** Frames dropped because an iterator or Readable consumer did not keep up. */
  framesDroppedConsumer: number;
  /** Frames received by bot code (events, iterators). */
  framesReceived: number;
  latency: VideoLatency;
  /** Quality as a viewer would judge it: loss before and after recovery, freezes, fps, bitrate. */
  qoe: VideoQoe;
  send?: VideoSendStats;
}

/** Why a key frame is needed: 'receive' = this socket asked its sender; 'send' = the far end asked us. */
export interface KeyFrameNeededEvent {
  direction: 'receive' | 'send';
  reason: string;
}

export type SendStatus = 'active' | 'inactive';

/** A frame to send: raw pixels of any layout, or one H.264 access unit (Annex-B). */
export interface OutgoingVideoFrame {
  format: VideoFormat;
  width?: number;
  height?: number;
  data: Buffer;
  /** RTP timestamp (90 kHz); default: from the engine's monotonic clock. */
  timestamp?: number;
}

/** Resolutions a subscription can ask for (the Microsoft platform's set). */
export const VIDEO_RESOLUTIONS = {
  '1080p': [1920, 1080],
  '720p': [1280, 720],
  '540p': [960, 540],
  '360p': [640, 360],
  '240p': [424, 240],
  '180p': [320, 180],
} as const;
export type VideoResolution = keyof typeof VIDEO_RESOLUTIONS;

/** A participant as Graph's roster describes it: its media streams carry the source ids. */
export interface RosterParticipant {
  id?: string | null;
  mediaStreams?: { mediaType?: string | null; sourceId?: string | null }[] | null;
}

/** Anything that names a media source: its id, or a participant whose roster entry carries one. */
export type VideoSource = number | { mediaSourceId: number } | RosterParticipant;

type Stage = keyof VideoLatency;
const STAGES: Stage[] = ['network', 'assemble', 'queue', 'decode', 'convert', 'deliver', 'total', 'overhead'];

export interface VideoSocketEvents {
  frame: [VideoFrame];
  keyFrameNeeded: [KeyFrameNeededEvent];
  sendStatusChanged: [SendStatus];
  /** The subscribed source sent nothing for 2 s (it left, or stopped its camera). The socket stays usable. */
  sourceLost: [number];
  /** The quality level (good, fair, poor) changed; checked every second while someone listens. */
  qualityChanged: [QualityChange];
  error: [CallMediaError];
  close: [];
}

/**
 * A video channel on one UDP port. Receive: the frames of one RTP H.264 stream, decoded and
 * converted to the format asked for, as 'frame' events, an async iterator or a Readable.
 * Send (with `send` settings): raw frames or H.264 access units out as RTP H.264.
 */
export class VideoSocket extends MediaSocket<VideoFrame, NativeReceiverStats> {
  readonly format: VideoFormat;
  protected declare channel: NativeVideoChannel;
  private readonly latency = new Map<Stage, LatencyWindow>(STAGES.map((s) => [s, new LatencyWindow()]));
  private readonly timestampBase = Math.floor(Math.random() * 0x7fffffff);
  private received = 0;
  private lastBitrateSample?: { at: number; bytes: number };
  private subscribedSource?: number;
  private readonly quality = new VideoQuality(monotonicNowMs());
  private qualityTimer?: NodeJS.Timeout;

  /** `bundle` is set by a MediaSession: the socket then lives on the session's transport. */
  constructor(options: VideoSocketOptions = {}, bundle?: BundleSlot) {
    super('video', options.send !== undefined, options.maxBufferedFrames ?? 4);
    this.format = options.format ?? 'I420';
    if (!VIDEO_FORMATS.includes(this.format)) {
      throw new CallMediaError('INVALID_ARGUMENT', `format must be one of ${VIDEO_FORMATS.join(', ')}`);
    }
    if (options.send?.simulcast && !bundle) {
      // Plain RTP has no stream ids: a receiver would see the layers as one stream jumping between sources.
      throw new CallMediaError('INVALID_ARGUMENT', 'simulcast needs a WebRTC session (its layers are named by RFC 8852 stream ids)');
    }
    const nativeOptions = {
      ...transportOptions(bundle, options),
      format: formatCode(this.format),
      payloadType: options.payloadType ?? -1,
      reorderWindowMs: positiveInt(options.reorderWindowMs, 50, 'reorderWindowMs'),
      maxQueuedFrames: positiveInt(options.maxQueuedFrames, 4, 'maxQueuedFrames'),
      maxDecodeQueue: positiveInt(options.maxDecodeQueue, 8, 'maxDecodeQueue'),
      decodeQueueLimit: positiveInt(options.decodeQueueLimit, 60, 'decodeQueueLimit'),
      send: options.send ? nativeSendOptions(options.send) : undefined,
    };
    this.attach((callback) => new (native().VideoChannel)(nativeOptions, callback), bundle ? undefined : options.remote);
  }

  /** What the session's negotiation settled (used by MediaSession). */
  setRtpParameters(parameters: {
    route: NativeRoute;
    receiveCodecs?: { payloadType: number; codec: 'H264' | 'VP8' }[];
    receiveRtx?: { payloadType: number; apt: number }[];
    sendPayloadType?: number;
    sendCodec?: 'H264' | 'VP8';
    sendRtxPayloadType?: number;
    sendLayers?: string[];
  }): void {
    if (!this.isClosed) this.channel.setRtpParameters(parameters);
  }

  /** The SSRC this socket sends with, and the one its receiver reports from (used by MediaSession's descriptions). */
  get ssrcs(): { send?: number; sendRtx?: number; rtcp: number; layers?: SimulcastLayerInfo[] } {
    const s = this.nativeStats();
    return { send: s.send?.ssrc, sendRtx: s.send?.rtxSsrc, rtcp: s.rtcpSsrc, layers: this.simulcastLayers };
  }

  /** A simulcast socket's layers as they are sent (undefined when it sends one stream). */
  get simulcastLayers(): SimulcastLayerInfo[] | undefined {
    const layers = this.nativeStats().send?.layers;
    return layers?.map((l) => ({ rid: l.rid, width: l.width, height: l.height, ssrc: l.ssrc, rtxSsrc: l.rtxSsrc }));
  }

  /** @internal Marks the socket able to send (its session's transport connected). */
  transportReady(): void {
    this.markSendReady();
  }

  /**
   * Sends one frame: raw pixels (converted and encoded on a worker) or an H.264 access unit
   * (packetized as it is). Returns the RTP timestamp it goes out with. Never blocks: when the
   * encoder is behind, the oldest waiting raw frame is dropped and counted.
   */
  send(frame: OutgoingVideoFrame | VideoFrame): number {
    this.assertSending();
    const timestamp = frame.timestamp !== undefined && !(frame instanceof VideoFrame) ? frame.timestamp >>> 0 : this.rtpNow();
    if (!frame.data || !Buffer.isBuffer(frame.data) || frame.data.length === 0) {
      throw new CallMediaError('INVALID_FRAME_SIZE', 'a frame needs a non-empty Buffer of data');
    }
    try {
      if (frame.format === 'H264') {
        this.channel.sendAccessUnit(frame.data, timestamp);
      } else {
        if (!Number.isInteger(frame.width) || !Number.isInteger(frame.height)) {
          throw new CallMediaError('INVALID_ARGUMENT', 'a raw frame needs an integer width and height');
        }
        this.channel.sendFrame(formatCode(frame.format), frame.data, frame.width as number, frame.height as number, timestamp);
      }
    } catch (err) {
      throw CallMediaError.fromNative(err);
    }
    return timestamp;
  }

  /** The RTP timestamp (90 kHz) for a moment on the engine's monotonic clock (default: now). */
  rtpNow(atMs = monotonicNowMs()): number {
    return (this.timestampBase + Math.round(atMs * 90)) >>> 0;
  }

  /**
   * The monotonic time (ms) at which a timestamp this socket sent was taken. RTP time wraps
   * every 13.25 h: the answer is the one within 6.6 h of now.
   */
  rtpToMonotonicMs(timestamp: number, nowMs = monotonicNowMs()): number {
    const delta = (timestamp - this.rtpNow(nowMs)) | 0; // signed 32-bit distance
    return nowMs + delta / 90;
  }

  /**
   * Receives only this source from now on: frames of the previous one stop at once and the new
   * one starts at its next key frame. The media server learns of it in-band (RTCP), so a
   * subscription works with any signaling. `resolution` is what the bot wants (a hint the server
   * honours by scaling or choosing a layer).
   */
  subscribe(source: VideoSource, options: { resolution?: VideoResolution } = {}): void {
    this.assertOpen();
    const id = this.sourceIdOf(source);
    if (!Number.isInteger(id) || id <= 0 || id > 0xffffffff) {
      throw new CallMediaError('INVALID_ARGUMENT', 'a media source id is an integer in 1..2^32-1');
    }
    const resolution = options.resolution ?? '720p';
    const size = VIDEO_RESOLUTIONS[resolution];
    if (!size) throw new CallMediaError('INVALID_ARGUMENT', `resolution is one of ${Object.keys(VIDEO_RESOLUTIONS).join(', ')}`);
    this.channel.subscribe(id >>> 0, size[0], size[1]);
    this.subscribedSource = id >>> 0;
  }

  /** The media stream type this socket subscribes to in a roster. */
  protected get rosterMediaType(): string {
    return 'video';
  }

  private sourceIdOf(source: VideoSource): number {
    if (typeof source === 'number') return source;
    if ('mediaSourceId' in source) return source.mediaSourceId;
    const stream = source.mediaStreams?.find((s) => s.mediaType === this.rosterMediaType);
    if (!stream?.sourceId) {
      throw new CallMediaError('NO_SUCH_SOURCE', `participant ${source.id ?? '?'} has no ${this.rosterMediaType} stream`);
    }
    return Number(stream.sourceId);
  }

  /** Stops receiving the subscribed source. */
  unsubscribe(): void {
    this.assertOpen();
    this.channel.subscribe(0, 0, 0);
    this.subscribedSource = undefined;
  }

  /** The media source id this socket is subscribed to, if any. */
  get subscription(): number | undefined {
    return this.subscribedSource;
  }

  /**
   * @internal The platform sheds this socket's conversion while it is overloaded: of every two
   * decoded pictures one is converted and delivered, key frames always (`framesShed` counts the
   * rest). The decoder still decodes every frame, so the picture never breaks.
   */
  shed(on: boolean): void {
    if (this.isClosed || on === this.shedding) return;
    this.shedding = on;
    this.channel.setShedding(on);
  }

  /** @internal Whether the platform is shedding this socket's conversion now. */
  shedding = false;

  /** @internal Frames its consumer lost so far: dropped for a busy event loop, or by an iterator that did not read. */
  lostByConsumer(): number {
    return this.isClosed ? 0 : this.nativeStats().framesDroppedDelivery + this.consumerDrops();
  }

  /**
   * Asks for a key frame in each direction the socket works in: its sender gets a PLI, and
   * the next frame this socket encodes is an IDR.
   */
  requestKeyFrame(): void {
    this.assertOpen();
    this.channel.requestKeyFrame();
  }

  stats(): VideoSocketStats {
    const { send, ...base } = this.nativeStats();
    const droppedConsumer = this.consumerDrops();
    const latency = {} as VideoLatency;
    for (const stage of STAGES) latency[stage] = (this.latency.get(stage) as LatencyWindow).summary();
    const qoe = this.quality.snapshot({ ...base, send }, monotonicNowMs());
    const stats: VideoSocketStats = { ...base, framesDroppedConsumer: droppedConsumer, framesReceived: this.received, latency, qoe };
    if (send) {
      const { encodeMs, sendMs, layers, ...counts } = send;
      const total = layers ? layers.reduce((sum, l) => sum + l.bytesSent, 0) : counts.bytesSent;
      stats.send = { ...counts, bitrate: this.bitrate(total), encode: summarize(encodeMs), sendLatency: summarize(sendMs) };
      if (layers) {
        stats.send.layers = layers.map(({ encodeMs: e, sendMs: t, ...c }) => ({ ...c, encode: summarize(e), sendLatency: summarize(t) }));
      }
    }
    return stats;
  }

  /** A Readable (object mode) of received frames, for piping into Writables and transforms. */
  readable(): Readable {
    return Readable.from(this.frames(), { objectMode: true, highWaterMark: 1 });
  }

  /** A Writable (object mode) that sends each frame written to it (an ffmpeg pipe, a renderer). */
  writable(): Writable {
    return new Writable({
      objectMode: true,
      highWaterMark: 2,
      write: (frame: OutgoingVideoFrame, _encoding, callback) => {
        try {
          this.send(frame);
          callback();
        } catch (err) {
          callback(err as Error);
        }
      },
    });
  }

  override on<K extends keyof VideoSocketEvents>(event: K, listener: (...args: VideoSocketEvents[K]) => void): this {
    if (event === 'qualityChanged') this.watchQuality();
    return super.on(event, listener as (...args: unknown[]) => void);
  }

  /** Checks the quality level every second while a 'qualityChanged' listener is there (the timer never holds the process). */
  private watchQuality(): void {
    if (this.qualityTimer || this.isClosed) return;
    this.qualityTimer = setInterval(() => {
      if (this.isClosed || this.listenerCount('qualityChanged') === 0) {
        clearInterval(this.qualityTimer);
        this.qualityTimer = undefined;
        return;
      }
      const previous = this.quality.level;
      const { send, ...base } = this.nativeStats();
      const qoe = this.quality.snapshot({ ...base, send }, monotonicNowMs());
      if (qoe.level !== previous) this.emit('qualityChanged', { previous, current: qoe.level, qoe });
    }, 1000);
    this.qualityTimer.unref();
  }

  override once<K extends keyof VideoSocketEvents>(event: K, listener: (...args: VideoSocketEvents[K]) => void): this {
    return super.once(event, listener as (...args: unknown[]) => void);
  }

  private bitrate(bytesSent: number): number {
    const now = monotonicNowMs();
    const last = this.lastBitrateSample;
    this.lastBitrateSample = { at: now, bytes: bytesSent };
    if (!last || now - last.at <= 0) return 0;
    return ((bytesSent - last.bytes) * 8 * 1000) / (now - last.at);
  }

  protected onEvent(kind: string, payload: unknown): void {
    switch (kind) {
      case 'frames':
        for (const f of payload as NativeFrame[]) this.deliver(f);
        break;
      case 'keyFrameRequested':
        this.emit('keyFrameNeeded', { direction: 'receive', reason: payload as string });
        break;
      case 'keyFrameNeeded':
        this.emit('keyFrameNeeded', { direction: 'send', reason: payload as string });
        break;
      case 'sourceLost':
        this.emit('sourceLost', Number(payload));
        break;
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
    this.quality.onFrame(monotonicNowMs());
    const frame = new VideoFrame(this.format, f.width, f.height, f.timestamp, f.ssrc, f.data, f.keyFrame, stamps);
    this.received++;
    this.enqueue(frame);
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

function nativeSendOptions(o: VideoSendOptions): Record<string, unknown> {
  if (!Number.isInteger(o.width) || !Number.isInteger(o.height) || o.width < 16 || o.height < 16 || o.width > 4096 || o.height > 4096) {
    throw new CallMediaError('INVALID_ARGUMENT', 'send.width and send.height must be integers in 16..4096');
  }
  const fps = o.fps ?? 30;
  if (!(fps > 0 && fps <= 120)) throw new CallMediaError('INVALID_ARGUMENT', 'send.fps must be in (0, 120]');
  const bitrate = o.bitrate ?? 2_000_000;
  if (!(bitrate >= 10_000)) throw new CallMediaError('INVALID_ARGUMENT', 'send.bitrate must be at least 10000 bit/s');
  const encoder = o.encoder ?? 'openh264';
  if (encoder !== 'openh264' && encoder !== 'x264' && encoder !== 'vp8') {
    throw new CallMediaError('INVALID_ARGUMENT', "send.encoder is 'openh264', 'x264' or 'vp8'");
  }
  const layers = simulcastLayers(o, bitrate);
  return {
    encoder,
    width: o.width,
    height: o.height,
    fps,
    bitrateKbps: Math.round((layers ? layers[0].bitrate : bitrate) / 1000),
    ...(layers
      ? {
          rid: layers[0].rid,
          layers: layers.slice(1).map((l) => ({ rid: l.rid, width: l.width, height: l.height, bitrateKbps: Math.round(l.bitrate / 1000) })),
        }
      : {}),
    keyFrameInterval: positiveInt(o.keyFrameInterval, Math.round(fps * 2), 'send.keyFrameInterval'),
    payloadType: o.payloadType ?? 96,
    maxSendQueue: positiveInt(o.maxSendQueue, 3, 'send.maxSendQueue'),
    scale: o.scale ?? false,
    screenContent: o.screenContent ?? false,
  };
}

/** The layers of a simulcast socket, checked: sizes from the socket's, bitrates shared by area. */
function simulcastLayers(o: VideoSendOptions, bitrate: number): { rid: string; width: number; height: number; bitrate: number }[] | undefined {
  const list = o.simulcast;
  if (list === undefined) return undefined;
  if (!Array.isArray(list) || list.length < 1 || list.length > 4) throw new CallMediaError('INVALID_ARGUMENT', 'send.simulcast is a list of 1 to 4 layers');
  const rids = new Set<string>();
  const scales = list.map((l, i) => l.scaleResolutionDownBy ?? 2 ** i);
  const area = scales.reduce((sum, k) => sum + 1 / (k * k), 0);
  return list.map((l, i) => {
    if (typeof l.rid !== 'string' || !/^[A-Za-z0-9_-]{1,16}$/.test(l.rid)) {
      throw new CallMediaError('INVALID_ARGUMENT', "send.simulcast[].rid is 1..16 letters, digits, '-' or '_'");
    }
    if (rids.has(l.rid)) throw new CallMediaError('INVALID_ARGUMENT', `send.simulcast names the rid ${l.rid} twice`);
    rids.add(l.rid);
    const k = scales[i];
    if (!(k >= 1) || (i === 0 && k !== 1) || (i > 0 && k < scales[i - 1])) {
      throw new CallMediaError('INVALID_ARGUMENT', 'send.simulcast runs largest first: the first layer has scaleResolutionDownBy 1, each next one at least the one before');
    }
    const even = (v: number) => Math.max(16, Math.floor(v / k / 2) * 2);
    const share = Math.max(30_000, Math.round((bitrate * (1 / (k * k))) / area));
    const layerBitrate = l.maxBitrate ?? share;
    if (!(layerBitrate >= 10_000)) throw new CallMediaError('INVALID_ARGUMENT', 'send.simulcast[].maxBitrate must be at least 10000 bit/s');
    return { rid: l.rid, width: i === 0 ? o.width : even(o.width), height: i === 0 ? o.height : even(o.height), bitrate: layerBitrate };
  });
}

function positiveInt(value: number | undefined, fallback: number, name: string): number {
  if (value === undefined) return fallback;
  if (!Number.isInteger(value) || value < 1) throw new CallMediaError('INVALID_ARGUMENT', `${name} must be a positive integer`);
  return value;
}

export type { RawVideoFormat };
