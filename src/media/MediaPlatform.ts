import { randomUUID } from 'crypto';
import { AudioSocket, AudioSocketOptions } from './AudioSocket';
import { CallMediaError } from './errors';
import { VbssSocket } from './VbssSocket';
import type { AudioSocketStats } from './AudioSocket';
import { RosterParticipant, VideoResolution, VideoSocket, VideoSocketOptions, VideoSocketStats } from './VideoSocket';

export interface MediaSessionStats {
  audio?: AudioSocketStats;
  video: VideoSocketStats[];
  vbss?: VideoSocketStats;
  framesReceived: number;
  framesDropped: number;
  bytesReceived: number;
}

/** The platform's hard limits, as the Microsoft platform has them. */
export const MAX_VIDEO_SOCKETS = 10;

export interface MediaPlatformSettings {
  /** The bot's application id. */
  applicationId: string;
  /** The address the far end sends media to (this machine's public or loopback address). */
  publicAddress?: string;
  /** The local address the sockets bind (default: publicAddress, else 127.0.0.1). */
  localAddress?: string;
}

export interface MediaSessionOptions {
  audio?: AudioSocketOptions | false;
  /** Up to 10 video sockets, each subscribed to one participant at a time. */
  video?: VideoSocketOptions[];
  vbss?: VideoSocketOptions;
  /** Id of the session (default: a new UUID), as `mediaSessionId` in the configuration. */
  id?: string;
}

/** What the media configuration blob holds: a version and an SDP offer naming every socket. */
export interface MediaConfiguration {
  version: string;
  mediaSessionId: string;
  sdp: string;
}

/**
 * The media platform of a bot instance (the Microsoft SDK's MediaPlatform): settings shared by
 * every call, and the factory of media sessions.
 */
export class MediaPlatform {
  private constructor(readonly settings: Required<MediaPlatformSettings>) {}

  static initialize(settings: MediaPlatformSettings): MediaPlatform {
    if (!settings.applicationId) throw new CallMediaError('INVALID_ARGUMENT', 'applicationId is required');
    const publicAddress = settings.publicAddress ?? '127.0.0.1';
    return new MediaPlatform({ applicationId: settings.applicationId, publicAddress, localAddress: settings.localAddress ?? publicAddress });
  }

  createMediaSession(options: MediaSessionOptions = {}): MediaSession {
    return new MediaSession(this, options);
  }
}

/**
 * The media of one call: an audio socket, up to ten video sockets and a screen-share socket.
 * `mediaConfiguration` is the blob to answer or join with (`appHostedMediaConfig.blob`); the
 * roster tells the session which media source belongs to which participant.
 */
export class MediaSession {
  readonly id: string;
  readonly audioSocket?: AudioSocket;
  readonly videoSockets: readonly VideoSocket[];
  readonly vbssSocket?: VbssSocket;
  private readonly sources = new Map<number, { participantId: string; mediaType: string }>();
  /** Sockets following the dominant speaker: re-evaluated when the speaker or the roster changes. */
  private readonly followers = new Set<() => void>();

  constructor(readonly platform: MediaPlatform, options: MediaSessionOptions) {
    const video = options.video ?? [];
    if (video.length > MAX_VIDEO_SOCKETS) {
      throw new CallMediaError('LIMIT_EXCEEDED', `a media session has at most ${MAX_VIDEO_SOCKETS} video sockets`);
    }
    this.id = options.id ?? randomUUID();
    const address = platform.settings.localAddress;
    const opened: { close(): Promise<void> }[] = [];
    try {
      if (options.audio !== false) {
        this.audioSocket = new AudioSocket({ address, ...(options.audio ?? {}) });
        opened.push(this.audioSocket);
      }
      this.videoSockets = video.map((o) => {
        const socket = new VideoSocket({ address, ...o });
        opened.push(socket);
        return socket;
      });
      if (options.vbss) this.vbssSocket = new VbssSocket({ address, ...options.vbss });
    } catch (err) {
      for (const s of opened) void s.close();
      throw err;
    }
  }

  /** The blob for `answer` / `join`: JSON with a version and an SDP offer of every socket. */
  get mediaConfiguration(): string {
    const config: MediaConfiguration = { version: '1.0', mediaSessionId: this.id, sdp: this.offer() };
    return JSON.stringify(config);
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

  /** Per-socket figures and the session's totals. */
  stats(): MediaSessionStats {
    const video = this.videoSockets.map((s) => s.stats());
    const vbss = this.vbssSocket?.stats();
    const audio = this.audioSocket?.stats();
    const all = vbss ? [...video, vbss] : video;
    return {
      audio,
      video,
      vbss,
      framesReceived: all.reduce((n, s) => n + s.framesReceived, 0),
      framesDropped: all.reduce((n, s) => n + s.framesDroppedDelivery + s.framesDroppedConsumer + s.framesDroppedDecodeQueue + s.framesSkippedBehind, 0),
      bytesReceived: all.reduce((n, s) => n + s.bytes, 0) + (audio?.bytes ?? 0),
    };
  }

  private videoSourceOf(participantId: string): number | undefined {
    for (const [id, s] of this.sources) if (s.participantId === participantId && s.mediaType === 'video') return id;
    return undefined;
  }

  /** The participant a media source id belongs to (e.g. a frame's mediaSourceId), if the roster says. */
  participantOf(sourceId: number): string | undefined {
    return this.sources.get(sourceId)?.participantId;
  }

  async close(): Promise<void> {
    const sockets = [this.audioSocket, ...this.videoSockets, this.vbssSocket].filter(Boolean) as { close(): Promise<void> }[];
    await Promise.all(sockets.map((s) => s.close()));
  }

  private offer(): string {
    const address = this.platform.settings.publicAddress;
    const family = address.includes(':') ? 'IP6' : 'IP4';
    const lines = ['v=0', `o=callmedia ${Date.now()} 1 IN ${family} ${address}`, `s=${this.id}`, `c=IN ${family} ${address}`, 't=0 0'];
    if (this.audioSocket) {
      lines.push(`m=audio ${this.audioSocket.port} RTP/AVP 111 0 8 101`, 'a=rtpmap:111 opus/48000/2', 'a=rtpmap:0 PCMU/8000',
        'a=rtpmap:8 PCMA/8000', 'a=rtpmap:101 telephone-event/48000', 'a=rtcp-mux', 'a=label:main-audio', 'a=sendrecv');
    }
    this.videoSockets.forEach((socket, i) => {
      lines.push(`m=video ${socket.port} RTP/AVP 96`, 'a=rtpmap:96 H264/90000', 'a=fmtp:96 packetization-mode=1;profile-level-id=42e01f',
        'a=rtcp-fb:96 nack pli', 'a=rtcp-fb:96 ccm fir', 'a=rtcp-mux', `a=label:video-${i}`, i === 0 ? 'a=sendrecv' : 'a=recvonly');
    });
    if (this.vbssSocket) {
      lines.push(`m=video ${this.vbssSocket.port} RTP/AVP 96`, 'a=rtpmap:96 H264/90000', 'a=fmtp:96 packetization-mode=1',
        'a=content:slides', 'a=rtcp-mux', 'a=label:main-vbss', 'a=recvonly');
    }
    return lines.join('\r\n') + '\r\n';
  }
}

/** Reads the sockets a media configuration blob offers (what the service sends media to). */
export function parseMediaConfiguration(blob: string): { mediaSessionId: string; address: string; media: { kind: string; label: string; port: number }[] } {
  let config: MediaConfiguration;
  try {
    config = JSON.parse(blob) as MediaConfiguration;
  } catch {
    throw new CallMediaError('INVALID_ARGUMENT', 'the media configuration is not JSON');
  }
  if (typeof config?.sdp !== 'string') throw new CallMediaError('INVALID_ARGUMENT', 'the media configuration has no sdp');
  let address = '127.0.0.1';
  const media: { kind: string; label: string; port: number }[] = [];
  for (const line of config.sdp.split(/\r?\n/)) {
    const c = /^c=IN IP[46] (\S+)/.exec(line);
    if (c) address = c[1];
    const m = /^m=(audio|video) (\d+) /.exec(line);
    if (m) media.push({ kind: m[1], label: '', port: Number(m[2]) });
    const label = /^a=label:(\S+)/.exec(line);
    if (label && media.length) media[media.length - 1].label = label[1];
  }
  return { mediaSessionId: config.mediaSessionId, address, media };
}
