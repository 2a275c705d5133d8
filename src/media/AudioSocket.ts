import { Readable, Writable } from 'stream';
import { CallMediaError } from './errors';
import { LatencyWindow, Percentiles, summarize } from './LatencyStats';
import { BundleSlot, MediaSocket, transportOptions } from './MediaSocket';
import { NativeAudioChannel, NativeAudioFrame, NativeAudioRtpParameters, NativeAudioStats, native } from './native';

/** 20 ms of 16 kHz mono 16-bit PCM. */
export const AUDIO_FRAME_BYTES = 640;
export const AUDIO_SAMPLE_RATE = 16000;

export interface UnmixedAudio {
  /** The speaker's media source id (its SSRC until a roster maps it). */
  sourceId: number;
  /** RFC 6464 level in -dBov: 0 is loudest, 127 silence. */
  level: number;
  data: Buffer;
}

/** One 20 ms frame of the call's audio. */
export interface AudioFrame {
  /** 640 bytes: the mix of every source (saturating sum). */
  data: Buffer;
  /** ms since the socket opened, on the engine's 20 ms clock (sequence × 20). */
  timestamp: number;
  sequence: number;
  /** Nothing was heard in this frame. */
  isSilence: boolean;
  /** Media source ids speaking in this frame. */
  activeSpeakers: number[];
  /** The loudest sources, unmixed (when the socket asked for them), loudest first. */
  unmixed: UnmixedAudio[];
  /** Monotonic ms: the mix tick, arrival of the newest packet in it, delivery to JavaScript. */
  stamps: { mixed: number; newestPacket: number; delivered: number };
}

export interface ToneReceived {
  tone: string;
  durationMs: number;
  sourceId: number;
}

export interface AudioSocketOptions {
  address?: string;
  port?: number;
  remote?: { address?: string; port: number };
  /** How many of the loudest speakers ride unmixed with each frame (0–4, default 0). */
  unmixed?: number;
  /** RTP payload types (defaults: Opus 111, PCMU 0, PCMA 8, telephone-event 101, L16 none). */
  payloadTypes?: {
    opus?: number;
    pcmu?: number;
    pcma?: number;
    l16?: number;
    l16Rate?: 8000 | 16000 | 48000;
    telephoneEvent?: number;
    /** Clock of telephone events: 48000 beside Opus (default), 8000 beside G.711. */
    telephoneEventRate?: number;
  };
  /** RFC 6464 audio-level header extension id (default 1). */
  audioLevelExtensionId?: number;
  maxSources?: number;
  /** Frames the engine holds while the event loop is busy (default 8). Oldest drop first. */
  maxQueuedFrames?: number;
  /** Frames buffered for an iterator or Readable that is not reading (default 8). */
  maxBufferedFrames?: number;
  /** Send settings; without them the socket only receives. */
  send?: { bitrate?: number; payloadType?: number; maxQueue?: number };
}

export interface AudioSocketStats extends Omit<NativeAudioStats, 'mixUs'> {
  /** Time to mix one frame (all sources, unmixed copies), µs. */
  mixTime: Percentiles;
  /** Newest packet arrival → frame in bot code, ms. */
  addedLatency: Percentiles;
  framesDroppedConsumer: number;
}

export interface AudioSocketEvents {
  audio: [AudioFrame];
  dominantSpeakerChanged: [number | null];
  toneReceived: [ToneReceived];
  sendStatusChanged: ['active' | 'inactive'];
  error: [CallMediaError];
  close: [];
}

/**
 * The call's audio: every 20 ms, one frame of the mix (and the loudest speakers unmixed), on
 * the engine's own clock, even when nothing arrives. Sends 20 ms PCM frames as Opus RTP.
 */
export class AudioSocket extends MediaSocket<AudioFrame, NativeAudioStats> {
  protected declare channel: NativeAudioChannel;
  private readonly latency = new LatencyWindow();
  private dominant: number | null = null;

  /** `bundle` is set by a MediaSession: the socket then lives on the session's transport. */
  constructor(options: AudioSocketOptions = {}, bundle?: BundleSlot) {
    super('audio', options.send !== undefined, options.maxBufferedFrames ?? 8);
    const unmixed = options.unmixed ?? 0;
    if (!Number.isInteger(unmixed) || unmixed < 0 || unmixed > 4) throw new CallMediaError('INVALID_ARGUMENT', 'unmixed is 0..4');
    const pt = options.payloadTypes ?? {};
    const nativeOptions = {
      ...transportOptions(bundle, options),
      opusPayloadType: pt.opus ?? 111,
      pcmuPayloadType: pt.pcmu ?? 0,
      pcmaPayloadType: pt.pcma ?? 8,
      l16PayloadType: pt.l16 ?? -1,
      l16Rate: pt.l16Rate ?? 16000,
      telephoneEventPayloadType: pt.telephoneEvent ?? 101,
      telephoneEventRate: pt.telephoneEventRate ?? 48000,
      audioLevelExtensionId: options.audioLevelExtensionId ?? 1,
      unmixed,
      maxSources: options.maxSources ?? 64,
      maxQueuedFrames: options.maxQueuedFrames ?? 8,
      send: options.send,
    };
    this.attach((callback) => new (native().AudioChannel)(nativeOptions, callback), bundle ? undefined : options.remote);
  }

  /** What the session's negotiation settled (used by MediaSession). */
  setRtpParameters(parameters: NativeAudioRtpParameters): void {
    if (!this.isClosed) this.channel.setRtpParameters(parameters);
  }

  /** The SSRC this socket sends with (used by MediaSession's descriptions). */
  get sendSsrc(): number | undefined {
    return this.nativeStats().send?.ssrc;
  }

  /** @internal Marks the socket able to send (its session's transport connected). */
  transportReady(): void {
    this.markSendReady();
  }

  /** The current dominant speaker's media source id (null: nobody is speaking). */
  get dominantSpeaker(): number | null {
    return this.dominant;
  }

  /** Queues one 20 ms frame (640 bytes) to send. The engine's clock paces it; a late bot is covered with silence. */
  send(pcm: Buffer): void {
    this.assertSending();
    try {
      this.channel.send(pcm);
    } catch (err) {
      throw CallMediaError.fromNative(err);
    }
  }

  /** Sends a DTMF tone (RFC 4733): '0'-'9', '*', '#', 'A'-'D', 40..5000 ms. */
  sendTone(tone: string, durationMs = 160): void {
    this.assertSending();
    try {
      this.channel.sendTone(tone, durationMs);
    } catch (err) {
      throw CallMediaError.fromNative(err);
    }
  }

  /** Frames waiting to be sent: a producer keeps this small (a few frames) for low latency. */
  get queuedFrames(): number {
    return this.channel.stats().send?.queued ?? 0;
  }

  stats(): AudioSocketStats {
    const { mixUs, ...base } = this.nativeStats();
    return { ...base, mixTime: summarize(mixUs), addedLatency: this.latency.summary(), framesDroppedConsumer: this.consumerDrops() };
  }

  /** Mixed PCM as a byte stream (16 kHz mono s16le), e.g. for a WAV writer or a transcriber. */
  readable(): Readable {
    const frames = this.frames();
    return Readable.from(
      (async function* () {
        for await (const frame of frames) yield frame.data;
      })(),
      { objectMode: false, highWaterMark: AUDIO_FRAME_BYTES * 4 },
    );
  }

  /** A byte-stream Writable of 16 kHz mono s16le PCM, cut into 20 ms frames, with backpressure. */
  writable(): Writable {
    let pending: Buffer = Buffer.alloc(0);
    return new Writable({
      write: (chunk: Buffer, _encoding, callback) => {
        pending = pending.length ? Buffer.concat([pending, chunk]) : chunk;
        const sendReady = () => {
          try {
            while (pending.length >= AUDIO_FRAME_BYTES && this.queuedFrames < 6) {
              this.send(pending.subarray(0, AUDIO_FRAME_BYTES));
              pending = pending.subarray(AUDIO_FRAME_BYTES);
            }
          } catch (err) {
            callback(err as Error);
            return;
          }
          // The engine's clock drains a frame every 20 ms: come back when there is room.
          if (pending.length >= AUDIO_FRAME_BYTES) setTimeout(sendReady, 20);
          else callback();
        };
        sendReady();
      },
      final: (callback) => {
        if (pending.length > 0 && !this.isClosed) {
          const last = Buffer.alloc(AUDIO_FRAME_BYTES);
          pending.copy(last);
          this.send(last);
        }
        callback();
      },
    });
  }

  override on<K extends keyof AudioSocketEvents>(event: K, listener: (...args: AudioSocketEvents[K]) => void): this {
    return super.on(event, listener as (...args: unknown[]) => void);
  }

  override once<K extends keyof AudioSocketEvents>(event: K, listener: (...args: AudioSocketEvents[K]) => void): this {
    return super.once(event, listener as (...args: unknown[]) => void);
  }

  protected onEvent(kind: string, payload: unknown): void {
    switch (kind) {
      case 'audio':
        for (const f of payload as NativeAudioFrame[]) this.deliver(f);
        break;
      case 'dominantSpeakerChanged': {
        const id = Number(payload);
        this.dominant = id === 0 ? null : id;
        this.emit('dominantSpeakerChanged', this.dominant);
        break;
      }
      case 'toneReceived': {
        const { code, message } = payload as { code: string; message: string };
        const [source, duration] = message.split(' ').map(Number);
        this.emit('toneReceived', { tone: code, durationMs: duration, sourceId: source });
        break;
      }
    }
  }

  private deliver(f: NativeAudioFrame): void {
    const frame: AudioFrame = {
      data: f.data,
      timestamp: f.sequence * 20,
      sequence: f.sequence,
      isSilence: f.isSilence,
      activeSpeakers: f.activeSpeakers,
      unmixed: f.unmixed,
      stamps: { mixed: f.mixedAt, newestPacket: f.newestPacketAt, delivered: f.deliveredAt },
    };
    if (f.newestPacketAt > 0) this.latency.add(f.deliveredAt - f.newestPacketAt);
    this.enqueue(frame);
    this.emit('audio', frame);
  }
}
