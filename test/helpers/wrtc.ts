import { setTimeout as delay } from 'timers/promises';
import type { MediaPlatform, MediaSession } from '../../src/media';

// The parts of @roamhq/wrtc the tests use (its own typings lean on the DOM's, which this
// project does not compile against).

export interface WrtcVideoFrame {
  width: number;
  height: number;
  /** I420; wrtc takes a Uint8ClampedArray and hands out a Uint8Array. */
  data: Uint8Array | Uint8ClampedArray;
}
export interface WrtcAudioData {
  samples: Int16Array;
  sampleRate: number;
  bitsPerSample?: number;
  channelCount?: number;
  numberOfFrames?: number;
}
export interface WrtcTrack {
  readonly kind: string;
  stop(): void;
}
export interface WrtcSender {
  getParameters(): { encodings?: Record<string, unknown>[]; degradationPreference?: string };
  setParameters(p: unknown): Promise<void>;
}
export interface WrtcTransceiver {
  readonly mid: string | null;
  readonly receiver: { track: WrtcTrack };
  readonly sender: WrtcSender;
}
export interface WrtcDescription {
  type: 'offer' | 'answer';
  sdp: string;
}
export interface WrtcPeerConnection {
  onicecandidate: ((e: { candidate: unknown }) => void) | null;
  readonly connectionState: string;
  readonly iceConnectionState: string;
  readonly iceGatheringState: string;
  readonly localDescription: WrtcDescription | null;
  ontrack: ((e: { track: WrtcTrack }) => void) | null;
  addTransceiver(track: WrtcTrack, init: { direction: string }): WrtcTransceiver;
  addTrack(track: WrtcTrack): WrtcSender;
  createOffer(): Promise<WrtcDescription>;
  createAnswer(): Promise<WrtcDescription>;
  setLocalDescription(d: WrtcDescription): Promise<void>;
  setRemoteDescription(d: WrtcDescription): Promise<void>;
  close(): void;
}
export interface WrtcVideoSource {
  createTrack(): WrtcTrack;
  onFrame(frame: WrtcVideoFrame): void;
}
export interface WrtcVideoSink {
  onframe: ((e: { frame: WrtcVideoFrame }) => void) | null;
  stop(): void;
}
export interface WrtcAudioSource {
  createTrack(): WrtcTrack;
  onData(data: WrtcAudioData): void;
}
export interface WrtcAudioSink {
  ondata: ((d: WrtcAudioData) => void) | null;
  stop(): void;
}
export interface WrtcModule {
  RTCPeerConnection: new (config?: unknown) => WrtcPeerConnection;
  nonstandard: {
    RTCVideoSource: new (init?: { isScreencast?: boolean }) => WrtcVideoSource;
    RTCVideoSink: new (track: WrtcTrack) => WrtcVideoSink;
    RTCAudioSource: new () => WrtcAudioSource;
    RTCAudioSink: new (track: WrtcTrack) => WrtcAudioSink;
  };
}

// eslint-disable-next-line @typescript-eslint/no-require-imports
export const wrtc = require('@roamhq/wrtc') as WrtcModule;

// wrtc's addon crashes (SIGSEGV in napi_reference_unref, from its RTCRtpReceiver and
// RTCPeerConnection finalizers) when Node frees the environment at exit after a call
// (node-webrtc#636, WonderInventions/node-webrtc#35). Once nothing is left to run, leave
// without that clean-up, keeping the exit code mocha set.
process.once('beforeExit', () => process.exit(process.exitCode ?? 0));

/** Polls `condition` until it holds; fails after `timeoutMs` with what was awaited and `detail()`. */
export async function waitFor(what: string, condition: () => boolean, timeoutMs = 20_000, detail?: () => string): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > until) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${detail ? `: ${detail()}` : ''}`);
    await delay(20);
  }
}

/**
 * Calls `tick(i)` for the i-th period since start, on a timer. With `catchUp`, a late timer
 * runs every tick it missed (audio: no gap); without, it runs only the latest (video: a frame
 * skipped, as a camera would).
 */
export class Pacer {
  ticks = 0;
  private readonly timer: NodeJS.Timeout;
  private readonly start = performance.now();

  /**
   * `lead`: ticks run this many periods early, as a real-time producer keeps a few frames queued
   * ahead, so that an event loop held up for less than `lead` periods (a busy machine, a GC)
   * leaves no gap in what is sent.
   */
  constructor(
    private readonly periodMs: number,
    private readonly tick: (index: number) => void,
    private readonly catchUp: boolean,
    private readonly lead = 0,
  ) {
    this.timer = setInterval(() => this.run(), Math.max(1, Math.floor(periodMs / 2)));
    this.run();
  }

  stop(): void {
    clearInterval(this.timer);
  }

  private run(): void {
    const due = Math.floor((performance.now() - this.start) / this.periodMs) + 1 + this.lead;
    if (due <= this.ticks) return;
    if (!this.catchUp) this.ticks = due - 1;
    while (this.ticks < due) this.tick(this.ticks++);
  }
}

/**
 * A wrtc peer: its connection, the sources it sends from and what it receives, and one close()
 * for all of it.
 */
export class WrtcPeer {
  readonly pc = new wrtc.RTCPeerConnection();
  private readonly closers: (() => void)[] = [];
  private closed = false;

  /** A video transceiver sending from a new source. */
  addVideo(): { source: WrtcVideoSource; transceiver: WrtcTransceiver } {
    const source = new wrtc.nonstandard.RTCVideoSource();
    const track = source.createTrack();
    const transceiver = this.pc.addTransceiver(track, { direction: 'sendrecv' });
    this.closers.push(() => track.stop());
    return { source, transceiver };
  }

  addAudio(): { source: WrtcAudioSource; transceiver: WrtcTransceiver } {
    const source = new wrtc.nonstandard.RTCAudioSource();
    const track = source.createTrack();
    const transceiver = this.pc.addTransceiver(track, { direction: 'sendrecv' });
    this.closers.push(() => track.stop());
    return { source, transceiver };
  }

  /** Frames of what the transceiver receives. */
  videoSink(transceiver: WrtcTransceiver, onFrame: (frame: WrtcVideoFrame) => void): void {
    const sink = new wrtc.nonstandard.RTCVideoSink(transceiver.receiver.track);
    sink.onframe = (e) => onFrame(e.frame);
    this.closers.push(() => sink.stop());
  }

  audioSink(transceiver: WrtcTransceiver, onData: (d: WrtcAudioData) => void): void {
    const sink = new wrtc.nonstandard.RTCAudioSink(transceiver.receiver.track);
    sink.ondata = onData;
    this.closers.push(() => sink.stop());
  }

  /** Keeps the sent resolution whatever the CPU or bandwidth estimate says (a busy test machine). */
  async keepResolution(transceiver: WrtcTransceiver): Promise<void> {
    try {
      const params = transceiver.sender.getParameters();
      params.degradationPreference = 'maintain-resolution';
      await transceiver.sender.setParameters(params);
    } catch {
      // Not every build takes it; frames of another size are then left out by the tests.
    }
  }

  /** Runs `fn` at close (a pacer's stop). */
  onClose(fn: () => void): void {
    this.closers.push(fn);
  }

  /** The offer with every host candidate in it (wrtc gathers them itself). */
  async gatheredOffer(timeoutMs = 10_000): Promise<WrtcDescription> {
    await this.pc.setLocalDescription(await this.pc.createOffer());
    return this.gathered(timeoutMs);
  }

  /**
   * Answers an offer: `beforeAnswer` runs once the offer is applied (add tracks there, they take
   * the offered transceivers); resolves with the answer and every host candidate in it.
   */
  async gatheredAnswer(offer: WrtcDescription, beforeAnswer: () => void, timeoutMs = 10_000): Promise<WrtcDescription> {
    await this.pc.setRemoteDescription(offer);
    beforeAnswer();
    await this.pc.setLocalDescription(await this.pc.createAnswer());
    return this.gathered(timeoutMs);
  }

  /** A video track sent with addTrack (after an offer is applied, it takes the offered transceiver). */
  addVideoTrack(): WrtcVideoSource {
    const source = new wrtc.nonstandard.RTCVideoSource();
    const track = source.createTrack();
    this.pc.addTrack(track);
    this.closers.push(() => track.stop());
    return source;
  }

  addAudioTrack(): WrtcAudioSource {
    const source = new wrtc.nonstandard.RTCAudioSource();
    const track = source.createTrack();
    this.pc.addTrack(track);
    this.closers.push(() => track.stop());
    return source;
  }

  /** Sinks on the tracks the peer receives (as `ontrack` announces them). */
  onTrack(video: (frame: WrtcVideoFrame) => void, audio: (d: WrtcAudioData) => void): void {
    this.pc.ontrack = (e) => {
      if (e.track.kind === 'video') {
        const sink = new wrtc.nonstandard.RTCVideoSink(e.track);
        sink.onframe = (f) => video(f.frame);
        this.closers.push(() => sink.stop());
      } else {
        const sink = new wrtc.nonstandard.RTCAudioSink(e.track);
        sink.ondata = audio;
        this.closers.push(() => sink.stop());
      }
    };
  }

  private async gathered(timeoutMs: number): Promise<WrtcDescription> {
    let done = false;
    this.pc.onicecandidate = (e) => {
      if (!e.candidate) done = true;
    };
    await waitFor('wrtc to gather its candidates', () => done || this.pc.iceGatheringState === 'complete', timeoutMs);
    return this.pc.localDescription as WrtcDescription;
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    for (const c of this.closers.splice(0).reverse()) {
      try {
        c();
      } catch {
        // closing what is closed already
      }
    }
    this.pc.close();
  }
}

/**
 * Closes what a test opened, in order: the peer first (so the session sees it leave), then the
 * session within a time limit, then the platform, which is closed even when the session's
 * close fails.
 */
export async function closeCallParts(peer?: WrtcPeer, session?: MediaSession, platform?: MediaPlatform): Promise<void> {
  peer?.close();
  try {
    if (session) await closeSession(session);
  } finally {
    platform?.close();
  }
}

/**
 * Closes a session, failing (instead of hanging the suite) if it does not close in time: the
 * error says which of its sockets and its transport are still open.
 */
export async function closeSession(session: MediaSession, timeoutMs = 15_000): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      const open = [
        ...(session.audioSocket && !session.audioSocket.isClosed ? ['audio socket'] : []),
        ...session.videoSockets.flatMap((v, i) => (v.isClosed ? [] : [`video socket ${i}`])),
      ];
      reject(new Error(`session.close() did not resolve in ${timeoutMs} ms: transport ${session.transportState}, still open: ${open.join(', ') || 'no socket'}`));
    }, timeoutMs);
  });
  try {
    await Promise.race([session.close(), timeout]);
  } finally {
    clearTimeout(timer);
  }
}
