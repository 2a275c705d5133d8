import { AudioSocket, MediaPlatform, ServerSession, parseDescription, parseMediaConfiguration } from '../../media';
import { AUDIO_SOCKET_PAYLOAD_TYPES, ForwardingPort, payloadTypesOfSection } from './ForwardingPort';
import type { ForwardedCodecName } from '../../media/native';

/**
 * The service's end of a bot's media session: where the participants' media goes in, where the
 * bot's own media comes out, and where its video sockets' subscriptions arrive. Two kinds, as
 * the bot's configuration blob offers: WebRTC (one DTLS-SRTP transport, the service answering
 * as the controlling agent) and plain RTP (a port per socket, in the clear).
 */
export interface BotLeg {
  /**
   * What the bot offered: one DTLS-SRTP transport, or a plain RTP port per socket; 'service'
   * when the call's media is service-hosted and the service speaks in the bot's place.
   */
  readonly kind: 'webrtc' | 'rtp' | 'service';
  /** The bot's audio socket sends here (or, service-hosted, the service's prompts); forward it to whoever hears the bot. */
  readonly audioIn?: ForwardingPort;
  /** The bot's camera (its first video socket) sends here. */
  readonly cameraIn?: ForwardingPort;
  /** The bot's screen share (its VBSS socket) sends here. */
  readonly screenIn?: ForwardingPort;
  /** The layers of the bot's camera when it sends simulcast (largest first), else undefined. */
  readonly cameraLayers?: readonly { rid: string; width: number; height: number }[];
  /**
   * The bot's camera to a participant (a plain port, or a point on a browser's transport), at
   * the size it shows it: of a simulcast camera, the smallest layer at least `height` tall
   * (else the largest), as Teams forwards a layer.
   */
  showCamera(eyes: ForwardingPort, height: number): void;
  hideCamera(eyes: ForwardingPort): void;
  /** Each video socket of the bot (by key) and the point its subscriptions arrive at. */
  readonly videoSockets: ReadonlyMap<string, ForwardingPort>;
  /** The blob completed with the service's answer, when the bot's offer needed one. */
  readonly completedBlob?: string;
  /** A participant's voice into the bot's audio socket (or out of it). */
  hear(ingest: ForwardingPort): void;
  unhear(ingest: ForwardingPort): void;
  /** A participant's video into one of the bot's video sockets (or out of it). */
  show(socket: string, ingest: ForwardingPort): void;
  unshow(socket: string, ingest: ForwardingPort): void;
  /**
   * A socket for the service's own audio in the call (prompts, beeps, DTMF): into the bot's
   * audio socket when the bot hosts its media, to the participants when the service does.
   */
  audioSender(): AudioSocket | undefined;
  close(): Promise<void>;
}

/** Opens the service's end for a bot's media configuration blob. */
export function openBotLeg(blob: string, platform: () => MediaPlatform): BotLeg {
  const config = parseMediaConfiguration(blob);
  const offer = parseDescription(config.sdp);
  const webrtc = offer.media.some((m) => m.port !== 0 && /^UDP\/TLS\/RTP\/SAVPF?$/.test(m.protocol));
  return webrtc ? new WebRtcBotLeg(blob, platform()) : new PlainBotLeg(blob);
}

/** Plain RTP: every socket a port of its own, learned by the service's ports announcing themselves. */
class PlainBotLeg implements BotLeg {
  readonly kind = 'rtp';
  readonly audioIn?: ForwardingPort;
  readonly cameraIn?: ForwardingPort;
  readonly screenIn?: ForwardingPort;
  readonly videoSockets = new Map<string, ForwardingPort>();
  private readonly address: string;
  private readonly audioPort?: number;
  /** What the bot's plain ports take, by port: voices and cameras reach them in the bot's own numbers. */
  private readonly payloadTypes = new Map<number, { payloadType: number; codec: ForwardedCodecName }[]>();

  constructor(blob: string) {
    const offer = parseDescription(parseMediaConfiguration(blob).sdp);
    this.address = offer.address ?? offer.media.find((m) => m.address)?.address ?? '127.0.0.1';
    for (const m of offer.media) {
      if (m.port === 0) continue;
      this.payloadTypes.set(m.port, payloadTypesOfSection(m.codecs));
      if (m.kind === 'audio') {
        this.audioPort = m.port;
        this.audioIn = new ForwardingPort('audio');
        this.audioIn.announceTo(m.port, this.address);
      } else if (m.kind === 'video') {
        const control = new ForwardingPort('video');
        control.announceTo(m.port, this.address);
        this.videoSockets.set(String(m.port), control);
        if (m.label === 'video-0') this.cameraIn = control;
        if (m.label === 'main-vbss') this.screenIn = control;
      }
    }
  }

  hear(ingest: ForwardingPort): void {
    if (this.audioPort) ingest.forwardTo(this.audioPort, this.address, undefined, this.payloadTypes.get(this.audioPort));
  }

  unhear(ingest: ForwardingPort): void {
    if (this.audioPort) ingest.stopForwardingTo(this.audioPort, this.address);
  }

  show(socket: string, ingest: ForwardingPort): void {
    ingest.forwardTo(Number(socket), this.address, undefined, this.payloadTypes.get(Number(socket)));
  }

  unshow(socket: string, ingest: ForwardingPort): void {
    ingest.stopForwardingTo(Number(socket), this.address);
  }

  showCamera(eyes: ForwardingPort): void {
    this.cameraIn?.feed(eyes);
  }

  hideCamera(eyes: ForwardingPort): void {
    this.cameraIn?.stopFeeding(eyes);
  }

  audioSender(): AudioSocket | undefined {
    return this.audioPort ? new AudioSocket({ send: {}, remote: { port: this.audioPort, address: this.address } }).unref() : undefined;
  }

  async close(): Promise<void> {
    await Promise.all([this.audioIn?.close(), ...[...this.videoSockets.values()].map((p) => p.close())]);
  }
}

/**
 * WebRTC: the service answers the bot's offer on its own media port as the controlling ICE
 * agent and DTLS client; every m-line has a forwarding point on that one transport.
 */
class WebRtcBotLeg implements BotLeg {
  readonly kind = 'webrtc';
  readonly audioIn?: ForwardingPort;
  readonly cameraIn?: ForwardingPort;
  readonly screenIn?: ForwardingPort;
  readonly videoSockets = new Map<string, ForwardingPort>();
  readonly completedBlob: string;
  readonly cameraLayers?: readonly { rid: string; width: number; height: number }[];
  private readonly server: ServerSession;
  private readonly audioMid?: string;

  constructor(blob: string, platform: MediaPlatform) {
    const config = parseMediaConfiguration(blob);
    this.server = new ServerSession(platform, config.sdp);
    const sendSsrcs = new Map<string, number>();
    for (const s of this.server.sections) {
      const bundle = { transport: this.server.transport, mid: s.mid, remoteSsrcs: s.sessionSsrcs };
      if (s.kind === 'audio' && !this.audioIn) {
        this.audioIn = new ForwardingPort('audio', bundle);
        this.audioMid = s.mid;
      } else if (s.kind === 'video') {
        const point = new ForwardingPort('video', bundle);
        this.videoSockets.set(s.mid, point);
        sendSsrcs.set(s.mid, point.ssrc);
        if (s.label === 'video-0') this.cameraIn = point;
        if (s.label === 'main-vbss') this.screenIn = point;
      }
    }
    const answer = this.server.answer(sendSsrcs);
    this.completedBlob = JSON.stringify({ ...config, answer });
    // Packets forwarded from other sessions (a browser's) arrive in this session's numbers.
    if (this.audioIn && this.audioMid) this.audioIn.setPayloadTypes(this.server.payloadTypesOf(this.audioMid));
    for (const [mid, point] of this.videoSockets) point.setPayloadTypes(this.server.payloadTypesOf(mid));
    // A simulcast socket's layers are told apart by the stream id each packet names.
    for (const [mid, point] of this.videoSockets) if (this.server.layersOf(mid)) point.setStreamIdExtension(this.server.streamIdExtensionId);
    const camera = [...this.videoSockets].find(([, point]) => point === this.cameraIn)?.[0];
    this.cameraLayers = camera !== undefined ? this.server.layersOf(camera) : undefined;
  }

  showCamera(eyes: ForwardingPort, height: number): void {
    const layers = this.cameraLayers;
    const fits = layers?.filter((l) => l.height >= height).sort((a, b) => a.height - b.height)[0];
    this.cameraIn?.feed(eyes, layers ? (fits ?? layers[0]).rid : undefined);
  }

  hideCamera(eyes: ForwardingPort): void {
    this.cameraIn?.stopFeeding(eyes);
  }

  hear(ingest: ForwardingPort): void {
    if (this.audioIn) ingest.feed(this.audioIn);
  }

  unhear(ingest: ForwardingPort): void {
    if (this.audioIn) ingest.stopFeeding(this.audioIn);
  }

  show(socket: string, ingest: ForwardingPort): void {
    const point = this.videoSockets.get(socket);
    if (point) ingest.forwardToConsumer(point);
  }

  unshow(socket: string, ingest: ForwardingPort): void {
    const point = this.videoSockets.get(socket);
    if (point) ingest.stopForwardingToConsumer(point);
  }

  audioSender(): AudioSocket | undefined {
    if (!this.audioMid) return undefined;
    return new AudioSocket({ send: {} }, { transport: this.server.transport, mid: this.audioMid, payloadTypes: [] }).unref();
  }

  async close(): Promise<void> {
    await Promise.all([this.audioIn?.close(), ...[...this.videoSockets.values()].map((p) => p.close())]);
    await this.server.close();
  }
}

/**
 * A call whose media Graph hosts (serviceHostedMediaConfig): no bot media session, and the
 * service's own voice where the bot's would be. What it plays (prompts, the beep) goes in at
 * `audioIn` and reaches every participant as the bot's audio would; there is nothing to show
 * and no one to hear, since the bot takes no media itself.
 */
export class ServiceVoiceLeg implements BotLeg {
  readonly kind = 'service';
  readonly audioIn = new ForwardingPort('audio');
  readonly videoSockets = new Map<string, ForwardingPort>();

  constructor() {
    this.audioIn.setPayloadTypes(AUDIO_SOCKET_PAYLOAD_TYPES);
  }

  showCamera(): void {}
  hideCamera(): void {}
  hear(): void {}
  unhear(): void {}
  show(): void {}
  unshow(): void {}

  audioSender(): AudioSocket {
    return new AudioSocket({ send: {}, remote: { port: this.audioIn.localPort } }).unref();
  }

  async close(): Promise<void> {
    await this.audioIn.close();
  }
}
