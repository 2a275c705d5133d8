import { randomInt, randomUUID } from 'crypto';
import { EventEmitter } from 'events';
import { AudioSocket, AudioSocketOptions } from './AudioSocket';
import type { AudioSocketStats } from './AudioSocket';
import { CallMediaError, CallMediaErrorCode } from './errors';
import type { MediaPlatform } from './MediaPlatform';
import { MAX_VIDEO_SOCKETS } from './MediaPlatform';
import { NativeTransportStats, NativeWebRtcTransport, native } from './native';
import { LocalTrack, Negotiation, OFFERED_AUDIO, OFFERED_VIDEO, answerOffer, createOffer, createPlainOffer, readAnswer } from './sdp/negotiation';
import { StatsReporter, type StatsReporterOptions } from './StatsReporter';
import { VbssSocket } from './VbssSocket';
import { RosterParticipant, VideoResolution, VideoSocket, VideoSocketOptions, VideoSocketStats } from './VideoSocket';

export interface MediaSessionStats {
  audio?: AudioSocketStats;
  video: VideoSocketStats[];
  vbss?: VideoSocketStats;
  framesReceived: number;
  framesDropped: number;
  bytesReceived: number;
  /** The session's transport (WebRTC sessions): ICE pair, DTLS, SRTP and what was refused. */
  transport?: MediaTransportStats;
}

export interface MediaTransportStats extends Omit<NativeTransportStats, 'state'> {
  state: TransportState;
}

/**
 * 'webrtc' (the default): ICE-lite, DTLS-SRTP and BUNDLE on the platform's media port, as every
 * WebRTC endpoint speaks. 'rtp': plain RTP in the clear, a port per socket, for RTP pipelines
 * such as ffmpeg or GStreamer.
 */
export type MediaTransportKind = 'webrtc' | 'rtp';

export interface MediaSessionOptions {
  audio?: AudioSocketOptions | false;
  /** Up to 10 video sockets, each subscribed to one participant at a time. */
  video?: VideoSocketOptions[];
  vbss?: VideoSocketOptions;
  /** Id of the session (default: a new UUID), as `mediaSessionId` in the configuration. */
  id?: string;
  transport?: MediaTransportKind;
}

/** What the media configuration blob holds: a version, the session's offer, and the answer once known. */
export interface MediaConfiguration {
  version: string;
  mediaSessionId: string;
  sdp: string;
  /** The media server's answer, when it completed the blob. */
  answer?: string;
}

/** A JSEP session description (what RTCPeerConnection takes and gives). */
export interface SessionDescription {
  type: 'offer' | 'answer';
  sdp: string;
}

export type TransportState = 'new' | 'checking' | 'connected' | 'disconnected' | 'failed' | 'closed';

export interface TransportStateChange {
  state: TransportState;
  /** Why, when the state is failed, disconnected or closed by the peer. */
  code?: CallMediaErrorCode;
  reason?: string;
}

export interface MediaSessionEvents {
  transportStateChanged: [TransportStateChange];
}

/**
 * The media of one call: an audio socket, up to ten video sockets and a screen-share socket,
 * all on one transport. `mediaConfiguration` is the blob to answer or join with
 * (`appHostedMediaConfig.blob`); the roster tells the session which media source belongs to
 * which participant. With a WebRTC peer, negotiate JSEP-style: `createOffer()` then
 * `setRemoteDescription(answer)`, or `acceptOffer(offer)` which returns the answer.
 */
export class MediaSession extends EventEmitter {
  readonly id: string;
  readonly transportKind: MediaTransportKind;
  readonly audioSocket?: AudioSocket;
  readonly videoSockets: readonly VideoSocket[];
  readonly vbssSocket?: VbssSocket;
  private readonly reporters = new Set<StatsReporter>();
  private closeCalled = false;
  private readonly sources = new Map<number, { participantId: string; mediaType: string }>();
  /** Sockets following the dominant speaker: re-evaluated when the speaker or the roster changes. */
  private readonly followers = new Set<() => void>();
  private readonly transport?: NativeWebRtcTransport;
  private readonly mids = new Map<AudioSocket | VideoSocket, string>();
  private state: TransportState = 'new';
  private lastChange?: TransportStateChange;
  private transportClosed?: Promise<void>;
  private resolveTransportClosed?: () => void;
  private localOffer?: { sdp: string; tracks: LocalTrack[] };
  private negotiated = false;
  private version = 1;
  /** RFC 4566 sess-id: a number, as o= lines carry it. */
  private readonly sdpSessionId = String(randomInt(1, 2 ** 47)) + String(randomInt(0, 100000)).padStart(5, '0');
  private finalTransportStats?: NativeTransportStats;

  constructor(readonly platform: MediaPlatform, options: MediaSessionOptions) {
    super();
    const video = options.video ?? [];
    if (video.length > MAX_VIDEO_SOCKETS) {
      throw new CallMediaError('LIMIT_EXCEEDED', `a media session has at most ${MAX_VIDEO_SOCKETS} video sockets`);
    }
    this.id = options.id ?? randomUUID();
    this.transportKind = options.transport ?? 'webrtc';
    if (this.transportKind !== 'webrtc' && this.transportKind !== 'rtp') throw new CallMediaError('INVALID_ARGUMENT', "transport is 'webrtc' or 'rtp'");
    const address = platform.settings.localAddress;
    const opened: { close(): Promise<void> }[] = [];
    try {
      if (this.transportKind === 'webrtc') {
        this.transport = new (native().WebRtcTransport)(
          platform.nativePort(),
          { iceTimeoutMs: platform.settings.iceTimeoutMs, consentTimeoutMs: platform.settings.consentTimeoutMs },
          (kind, payload) => this.onTransportEvent(kind, payload),
        );
        this.transportClosed = new Promise((resolve) => (this.resolveTransportClosed = resolve));
      }
      const slot = (mid: string, kind: 'audio' | 'video') =>
        this.transport ? { transport: this.transport, mid, payloadTypes: (kind === 'audio' ? OFFERED_AUDIO : OFFERED_VIDEO).map((c) => c.payloadType) } : undefined;
      if (options.audio !== false) {
        this.audioSocket = new AudioSocket({ address, ...(options.audio ?? {}) }, slot('audio', 'audio'));
        this.mids.set(this.audioSocket, 'audio');
        opened.push(this.audioSocket);
      }
      this.videoSockets = video.map((o, i) => {
        const socket = new VideoSocket({ address, ...o }, slot(`video${i}`, 'video'));
        this.mids.set(socket, `video${i}`);
        opened.push(socket);
        return socket;
      });
      if (options.vbss) {
        this.vbssSocket = new VbssSocket({ address, ...options.vbss }, slot('vbss', 'video'));
        this.mids.set(this.vbssSocket, 'vbss');
      }
    } catch (err) {
      for (const s of opened) void s.close();
      this.transport?.close();
      throw err;
    }
  }

  /** The transport's state: 'new' until negotiated, then checking → connected (or failed). Plain RTP sessions stay 'new'. */
  get transportState(): TransportState {
    return this.state;
  }

  /** The sockets in description order: audio, video, screen share. */
  private get sockets(): (AudioSocket | VideoSocket)[] {
    return [this.audioSocket, ...this.videoSockets, this.vbssSocket].filter(Boolean) as (AudioSocket | VideoSocket)[];
  }

  /** The blob for `answer` / `join`: JSON with a version and the session's offer. */
  get mediaConfiguration(): string {
    const config: MediaConfiguration = { version: '1.0', mediaSessionId: this.id, sdp: this.offerSdp() };
    return JSON.stringify(config);
  }

  /**
   * Completes the session from a blob its media server completed with an answer
   * (`MediaConfiguration.answer`), as the local service does. A blob without one changes nothing.
   */
  async applyMediaConfiguration(blob: string): Promise<void> {
    const config = parseMediaConfiguration(blob);
    if (config.answer && !this.negotiated) await this.setRemoteDescription({ type: 'answer', sdp: config.answer });
  }

  /** JSEP: an offer of every socket (ICE-lite, a=setup:actpass, BUNDLE). */
  async createOffer(): Promise<SessionDescription> {
    return { type: 'offer', sdp: this.offerSdp() };
  }

  /** JSEP: applies the answer to this session's offer; ICE and DTLS start. */
  async setRemoteDescription(description: SessionDescription | string): Promise<void> {
    const sdp = typeof description === 'string' ? description : description?.sdp;
    if (typeof description === 'object' && description?.type !== 'answer') {
      throw new CallMediaError('SDP_INVALID', 'setRemoteDescription takes the answer to this session\'s offer; use acceptOffer for an offer');
    }
    this.assertNegotiable();
    if (!this.localOffer) throw new CallMediaError('SDP_INVALID', 'there is no offer to answer: call createOffer first');
    const negotiation = readAnswer(sdp, this.localOffer.tracks);
    this.apply(negotiation);
  }

  /**
   * JSEP: answers a remote offer (a browser, wrtc, an SFU). Its audio section goes to the audio
   * socket and its video sections, in order, to the video sockets and then the screen share;
   * what has no socket or no common codec is rejected in the answer.
   */
  async acceptOffer(offer: SessionDescription | string): Promise<SessionDescription> {
    const sdp = typeof offer === 'string' ? offer : offer?.sdp;
    if (typeof offer === 'object' && offer?.type !== 'offer') throw new CallMediaError('SDP_INVALID', 'acceptOffer takes an offer');
    this.assertNegotiable();
    if (this.localOffer) throw new CallMediaError('SDP_INVALID', 'this session already made an offer: apply the answer with setRemoteDescription');
    const videos = [...this.videoSockets, ...(this.vbssSocket ? [this.vbssSocket] : [])];
    const chosen = new Map<string, AudioSocket | VideoSocket>();
    const { sdp: answer, negotiation } = answerOffer(
      sdp,
      (sections) => {
        let v = 0;
        let audioTaken = false;
        return sections.map((section) => {
          let socket: AudioSocket | VideoSocket | undefined;
          if (section.kind === 'audio' && this.audioSocket && !audioTaken) {
            audioTaken = true;
            socket = this.audioSocket;
          } else if (section.kind === 'video' && v < videos.length) {
            socket = videos[v++];
          }
          if (!socket) return undefined;
          chosen.set(section.mid, socket);
          return this.track(socket, section.mid);
        });
      },
      this.sdpSessionId,
      this.version++,
      this.localTransport(),
    );
    // The offer's MIDs are the sockets' from now on.
    for (const [mid, socket] of chosen) this.mids.set(socket, mid);
    this.apply(negotiation);
    return { type: 'answer', sdp: answer };
  }

  /** Learns from a roster (Graph participants) which media source id belongs to whom. */
  updateRoster(participants: readonly RosterParticipant[]): void {
    this.sources.clear();
    for (const p of participants) {
      for (const s of p.mediaStreams ?? []) {
        if (p.id && s.sourceId && s.mediaType) this.sources.set(Number(s.sourceId), { participantId: p.id, mediaType: s.mediaType });
      }
    }
    // A speaker heard before the roster named them is put on stage now.
    for (const follow of this.followers) follow();
  }

  /**
   * Keeps `socket` subscribed to whoever the audio says is the dominant speaker (their camera,
   * through the roster). Returns a function that stops following.
   */
  followDominantSpeaker(socket: VideoSocket, options: { resolution?: VideoResolution } = {}): () => void {
    const audio = this.audioSocket;
    if (!audio) throw new CallMediaError('INVALID_ARGUMENT', 'following the dominant speaker needs the audio socket');
    const follow = () => {
      const audioSourceId = audio.dominantSpeaker;
      if (audioSourceId === null || socket.isClosed) return;
      const participantId = this.participantOf(audioSourceId);
      const video = participantId ? this.videoSourceOf(participantId) : undefined;
      if (video !== undefined && socket.subscription !== video) socket.subscribe(video, options);
    };
    audio.on('dominantSpeakerChanged', follow);
    this.followers.add(follow);
    follow();
    return () => {
      audio.off('dominantSpeakerChanged', follow);
      this.followers.delete(follow);
    };
  }

  /** Per-socket figures, the session's totals, and its transport. */
  stats(): MediaSessionStats {
    const video = this.videoSockets.map((s) => s.stats());
    const vbss = this.vbssSocket?.stats();
    const audio = this.audioSocket?.stats();
    const all = vbss ? [...video, vbss] : video;
    const t = this.finalTransportStats ?? this.transport?.stats();
    return {
      audio,
      video,
      vbss,
      framesReceived: all.reduce((n, s) => n + s.framesReceived, 0),
      framesDropped: all.reduce((n, s) => n + s.framesDroppedDelivery + s.framesDroppedConsumer + s.framesDroppedDecodeQueue + s.framesSkippedBehind + s.framesShed, 0),
      bytesReceived: all.reduce((n, s) => n + s.bytes, 0) + (audio?.bytes ?? 0),
      transport: t ? { ...t, state: this.state } : undefined,
    };
  }

  /** The participant a media source id belongs to (e.g. a frame's mediaSourceId), if the roster says. */
  participantOf(sourceId: number): string | undefined {
    return this.sources.get(sourceId)?.participantId;
  }

  /** Lets the process exit while the session is open. */
  unref(): this {
    for (const s of this.sockets) s.unref();
    this.transport?.unref();
    return this;
  }

  /** True once close() was called, or every socket is closed (the transport went away). */
  get isClosed(): boolean {
    return this.closeCalled || this.sockets.every((s) => s.isClosed);
  }

  /**
   * Posts this session's per-socket figures (fps, bitrate, loss, RTT, latency p50/p99) to a
   * communications service's console once a second, filed under `callId`, until the session
   * closes or the reporter is stopped. Off the media path: it reads stats() on an unref'd timer.
   */
  reportTo(serviceUrl: string, options: StatsReporterOptions): StatsReporter {
    const reporter = new StatsReporter(
      () => (this.isClosed ? undefined : { stats: this.stats(), subscriptions: this.videoSockets.map((s) => s.subscription) }),
      serviceUrl,
      options,
    );
    this.reporters.add(reporter);
    return reporter;
  }

  async close(): Promise<void> {
    this.closeCalled = true;
    for (const r of this.reporters) r.stop();
    this.reporters.clear();
    await Promise.all(this.sockets.map((s) => s.close()));
    // Close the handle even when the peer already closed DTLS: that ended the media, not the transport.
    if (this.transport && !this.finalTransportStats) {
      this.finalTransportStats = this.transport.stats();
      this.transport.close();
    }
    await this.transportClosed;
  }

  override on<K extends keyof MediaSessionEvents>(event: K, listener: (...args: MediaSessionEvents[K]) => void): this {
    return super.on(event, listener as (...args: unknown[]) => void);
  }

  override once<K extends keyof MediaSessionEvents>(event: K, listener: (...args: MediaSessionEvents[K]) => void): this {
    return super.once(event, listener as (...args: unknown[]) => void);
  }

  private videoSourceOf(participantId: string): number | undefined {
    for (const [id, s] of this.sources) if (s.participantId === participantId && s.mediaType === 'video') return id;
    return undefined;
  }

  private assertNegotiable(): void {
    if (this.transportKind !== 'webrtc') throw new CallMediaError('INVALID_ARGUMENT', 'a plain RTP session does not negotiate: its blob says where its ports are');
    if (this.negotiated) throw new CallMediaError('SDP_INVALID', 'the session is already negotiated (renegotiation is not supported)');
    if (this.state === 'closed') throw new CallMediaError('SESSION_CLOSED', 'the session is closed');
  }

  private localTransport() {
    const local = (this.transport as NativeWebRtcTransport).localParameters();
    return { iceUfrag: local.usernameFragment, icePwd: local.password, fingerprint: local.fingerprint, candidates: this.platform.candidates };
  }

  private track(socket: AudioSocket | VideoSocket, mid?: string): LocalTrack {
    const kind = socket instanceof AudioSocket ? 'audio' : 'video';
    const ssrcs = socket instanceof AudioSocket ? { send: socket.sendSsrc, rtcp: undefined } : socket.ssrcs;
    const label = socket === this.audioSocket ? 'main-audio' : socket === this.vbssSocket ? 'main-vbss' : `video-${this.videoSockets.indexOf(socket as VideoSocket)}`;
    return {
      kind,
      mid: mid ?? (this.mids.get(socket) as string),
      send: socket.isSending,
      sendSsrc: ssrcs.send,
      sendRtxSsrc: 'sendRtx' in ssrcs ? ssrcs.sendRtx : undefined,
      rtcpSsrc: ssrcs.rtcp,
      label,
      content: socket === this.vbssSocket ? 'slides' : undefined,
      videoCodecs: socket instanceof VideoSocket && socket.format === 'H264' ? ['H264'] : undefined,
      simulcast: 'layers' in ssrcs && ssrcs.layers && socket.isSending ? ssrcs.layers : undefined,
      streamId: this.id,
      trackId: `${this.id}-${label}`,
    };
  }

  private offerSdp(): string {
    if (this.transportKind === 'rtp') {
      const address = this.platform.settings.publicAddress;
      return createPlainOffer(this.sdpSessionId, this.id, address, this.sockets.map((s) => ({ ...this.track(s), port: s.port })));
    }
    if (!this.localOffer) {
      if (this.negotiated) throw new CallMediaError('SDP_INVALID', 'the session answered an offer: it has no offer of its own');
      if (this.sockets.length === 0) throw new CallMediaError('INVALID_ARGUMENT', 'the session has no socket to offer');
      const tracks = this.sockets.map((s) => this.track(s));
      this.localOffer = { sdp: createOffer(this.sdpSessionId, this.version++, this.localTransport(), tracks), tracks };
    }
    return this.localOffer.sdp;
  }

  /** Puts what was negotiated into the sockets and the transport. */
  private apply(negotiation: Negotiation): void {
    for (const t of negotiation.tracks) {
      const socket = this.sockets.find((s) => this.mids.get(s) === t.mid);
      if (!socket) continue;
      const route = { mid: t.mid, payloadTypes: t.receivePayloadTypes, remoteSsrcs: t.remoteSsrcs };
      if (socket instanceof AudioSocket) {
        const a = t.audio;
        socket.setRtpParameters({
          route,
          opusPayloadType: a?.opus,
          pcmuPayloadType: a?.pcmu,
          pcmaPayloadType: a?.pcma,
          telephoneEventPayloadType: a?.telephoneEvent,
          telephoneEventRate: a?.telephoneEventRate,
          audioLevelExtensionId: a?.audioLevelExtensionId,
          sendPayloadType: t.sendPayloadType,
          sendTelephoneEventPayloadType: a && a.telephoneEventRate === 48000 ? a.telephoneEvent : -1,
        });
      } else {
        // A simulcast layer's packets, and its retransmissions, name their layer (RFC 8852).
        const layers = t.sendLayers && negotiation.transport.ridExtensionId > 0 ? socket.simulcastLayers : undefined;
        const sendStreams = layers?.flatMap((l) => [{ ssrc: l.ssrc, rid: l.rid }, ...(l.rtxSsrc ? [{ ssrc: l.rtxSsrc, rid: l.rid, repair: true }] : [])]);
        socket.setRtpParameters({
          route: sendStreams ? { ...route, sendStreams } : route,
          sendLayers: t.sendLayers,
          receiveCodecs: t.receiveCodecs,
          receiveRtx: t.receiveRtx ?? [],
          sendPayloadType: t.sendPayloadType,
          sendCodec: t.sendCodec,
          sendRtxPayloadType: t.sendRtxPayloadType ?? -1,
        });
      }
    }
    const r = negotiation.transport;
    try {
      (this.transport as NativeWebRtcTransport).setRemote({
        usernameFragment: r.iceUfrag,
        password: r.icePwd,
        dtlsRole: r.dtlsRole,
        fingerprint: r.fingerprint,
        candidates: r.candidates,
        midExtensionId: r.midExtensionId,
        transportCcExtensionId: r.transportCcExtensionId,
        ridExtensionId: r.ridExtensionId,
        repairedRidExtensionId: r.repairedRidExtensionId,
      });
    } catch (err) {
      throw CallMediaError.fromNative(err);
    }
    this.negotiated = true;
    // Checks may start at once: the state says so now, the transport's own event confirms it.
    if (this.state === 'new') this.changeState({ state: 'checking' });
  }

  private changeState(change: TransportStateChange): void {
    if (change.state === this.state && !change.code) return;
    this.state = change.state;
    this.lastChange = change;
    if (change.state === 'connected') for (const s of this.sockets) s.transportReady();
    this.emit('transportStateChanged', change);
  }

  private onTransportEvent(kind: string, payload: unknown): void {
    try {
      if (kind === 'state') {
        for (const change of transportStateChanges(payload)) this.changeState(change);
      } else if (kind === 'closed') {
        this.state = 'closed';
        this.resolveTransportClosed?.();
      }
    } catch (err) {
      queueMicrotask(() => {
        throw err;
      });
    }
  }

  /** Why the transport failed or disconnected, if it did. */
  get transportError(): CallMediaError | undefined {
    const c = this.lastChange;
    return c?.code ? new CallMediaError(c.code, c.reason ?? c.code) : undefined;
  }
}

/** The state changes a native transport reports ({ state, code, reason } items), as the API gives them. */
export function transportStateChanges(payload: unknown): TransportStateChange[] {
  return (payload as { state: TransportState; code: string; reason: string }[]).map((e) => ({
    state: e.state,
    ...(e.code ? { code: e.code as CallMediaErrorCode } : {}),
    ...(e.reason ? { reason: e.reason } : {}),
  }));
}

/** Reads a media configuration blob: the session id and its offer (and the answer, when completed). */
export function parseMediaConfiguration(blob: string): MediaConfiguration {
  let config: MediaConfiguration;
  try {
    config = JSON.parse(blob) as MediaConfiguration;
  } catch {
    throw new CallMediaError('INVALID_ARGUMENT', 'the media configuration is not JSON');
  }
  if (typeof config?.sdp !== 'string') throw new CallMediaError('INVALID_ARGUMENT', 'the media configuration has no sdp');
  if (config.answer !== undefined && typeof config.answer !== 'string') throw new CallMediaError('INVALID_ARGUMENT', 'the media configuration answer is not SDP text');
  return config;
}
