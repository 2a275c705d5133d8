import type { Call, MediaPrompt, Participant } from '@microsoft/microsoft-graph-types';
import { AudioFrame, AudioSocket, parseDescription, parseMediaConfiguration, playAudio, wavFile } from '../../media';
import type { CommunicationsService } from '../CommunicationsService';
import type { MediaBridge, RecordOptions, RecordResult } from '../MediaBridge';
import type { MediaConfigJson } from '../model/ServiceCall';
import { ForwardingPort } from './ForwardingPort';
import { SyntheticParticipant } from './SyntheticParticipant';

export interface ConferenceMediaOptions {
  /** Size and rate of the synthetic participants' camera (default 320x180 at 15 fps). */
  video?: { width: number; height: number; fps: number };
  /** Size and rate of a synthetic screen share (default 640x360 at 5 fps). */
  screen?: { width: number; height: number; fps: number };
}

interface ParticipantMedia {
  sources: Map<number, ForwardingPort>; // source id → its ingest port
  audio?: ForwardingPort;
  /** Where the bot's audio and video reach this participant (what it hears and sees). */
  ears: ForwardingPort;
  eyes: ForwardingPort;
  /** The camera as it is sent, and smaller encodings made for subscriptions that ask for less. */
  camera?: { sourceId: number; width: number; height: number; fps: number };
  layers: Map<string, { port: ForwardingPort; encoder: SyntheticParticipant }>;
  synthetic: SyntheticParticipant;
  muted: boolean;
}

interface CallMedia {
  address: string;
  audioPort?: number;
  /** Bot video and screen-share sockets: their port → the control port they send RTCP to. */
  controls: Map<number, ForwardingPort>;
  audioControl?: ForwardingPort;
  participants: Map<string, ParticipantMedia>;
  /** Bot socket port → the ingest port currently forwarded to it. */
  routes: Map<number, ForwardingPort>;
  /** The bot's sending video socket (the first one). */
  botCameraPort?: number;
  toneSocket?: AudioSocket;
}

const TONE_FREQUENCIES = [440, 660, 550, 770, 330, 880, 495, 605, 715, 385];

/**
 * The local service's conference media. Participants that are not bots are synthetic: ffmpeg
 * sends each one's voice (a tone) and camera (a test pattern) to forwarding ports, whose RTP
 * SSRC is the participant's roster source id. The bot's media session (its configuration blob)
 * says where its sockets are: every participant's audio goes to the bot's audio socket (the bot
 * mixes and picks the loudest), and each bot video socket gets the source it subscribes to,
 * in-band. Prompts are played into the bot's audio socket; recordings hear the participants.
 */
export class ConferenceMedia implements MediaBridge {
  private readonly calls = new Map<string, CallMedia>();
  private service?: CommunicationsService;
  private readonly video: { width: number; height: number; fps: number };
  private readonly screen: { width: number; height: number; fps: number };

  constructor(options: ConferenceMediaOptions = {}) {
    this.video = options.video ?? { width: 320, height: 180, fps: 15 };
    this.screen = options.screen ?? { width: 640, height: 360, fps: 5 };
  }

  /** Lets DTMF pressed through the service (admin API) reach the bot's audio as RFC 4733 too. */
  attach(service: CommunicationsService): void {
    this.service = service;
    service.on('tone', ({ callId, digit }: { callId: string; digit: string }) => {
      const media = this.calls.get(callId);
      if (media?.toneSocket && !media.toneSocket.isClosed) media.toneSocket.sendTone(digit, 120);
    });
  }

  /** What is flowing in a call: per participant, the bot's packets it heard and saw. */
  describe(callId: string): { participants: Record<string, { heard: number; seen: number }>; routes: [number, number][] } | undefined {
    const media = this.calls.get(callId);
    if (!media) return undefined;
    const participants: Record<string, { heard: number; seen: number }> = {};
    for (const [id, p] of media.participants) participants[id] = { heard: p.ears.stats().packetsIn, seen: p.eyes.stats().packetsIn };
    return { participants, routes: [...media.routes].map(([port, ingest]) => [port, ingest.localPort]) };
  }

  onCallAnswered(call: Call, mediaConfig: MediaConfigJson): void {
    if (!call.id || typeof mediaConfig.blob !== 'string') return; // service-hosted media: nothing to wire
    const config = plainMediaOf(mediaConfig.blob);
    const media: CallMedia = { address: config.address, controls: new Map(), participants: new Map(), routes: new Map() };
    for (const m of config.media) {
      if (m.kind === 'audio') {
        media.audioPort = m.port;
        media.audioControl = new ForwardingPort('audio');
        media.audioControl.announceTo(m.port, media.address);
        media.toneSocket = new AudioSocket({ send: {}, remote: { port: m.port, address: media.address } }).unref();
      } else {
        const control = new ForwardingPort('video');
        control.announceTo(m.port, media.address);
        control.on('subscription', (s: { sourceId: number; width: number; height: number }) => this.route(media, m.port, s));
        media.controls.set(m.port, control);
        if (m.label === 'video-0') media.botCameraPort = m.port;
      }
    }
    this.calls.set(call.id, media);
  }

  onParticipantJoined(call: Call, participant: Participant): void {
    const media = call.id ? this.calls.get(call.id) : undefined;
    if (!media || !participant.id || participant.id === call.myParticipantId || media.participants.has(participant.id)) return;
    const streams = participant.mediaStreams ?? [];
    const sourceOf = (type: string) => {
      const s = streams.find((x) => x.mediaType === type && x.direction !== 'receiveOnly');
      return s?.sourceId ? Number(s.sourceId) : undefined;
    };
    const sources = new Map<number, ForwardingPort>();
    const audioId = sourceOf('audio');
    const videoId = sourceOf('video');
    const screenId = sourceOf('videoBasedScreenSharing');
    const audio = audioId !== undefined ? new ForwardingPort('audio') : undefined;
    if (audio && audioId !== undefined) sources.set(audioId, audio);
    const video = videoId !== undefined ? new ForwardingPort('video') : undefined;
    if (video && videoId !== undefined) sources.set(videoId, video);
    const screen = screenId !== undefined ? new ForwardingPort('video') : undefined;
    if (screen && screenId !== undefined) sources.set(screenId, screen);
    const index = media.participants.size;
    const synthetic = new SyntheticParticipant(participant.id, {
      audio: audio && audioId !== undefined ? { port: audio.localPort, sourceId: audioId, frequency: TONE_FREQUENCIES[index % TONE_FREQUENCIES.length] } : undefined,
      video: video && videoId !== undefined ? { port: video.localPort, sourceId: videoId, ...this.video } : undefined,
      screen: screen && screenId !== undefined ? { port: screen.localPort, sourceId: screenId, ...this.screen } : undefined,
    });
    if (audio && media.audioPort) audio.forwardTo(media.audioPort, media.address);
    // The bot's own audio and camera (its first video socket) reach every participant.
    const ears = new ForwardingPort('audio');
    const eyes = new ForwardingPort('video');
    media.audioControl?.forwardTo(ears.localPort);
    media.controls.get(media.botCameraPort ?? -1)?.forwardTo(eyes.localPort);
    const camera = videoId !== undefined ? { sourceId: videoId, ...this.video } : undefined;
    media.participants.set(participant.id, { sources, audio, ears, eyes, camera, layers: new Map(), synthetic, muted: false });
  }

  onParticipantLeft(call: Call, participant: Participant): void {
    const media = call.id ? this.calls.get(call.id) : undefined;
    const p = participant.id ? media?.participants.get(participant.id) : undefined;
    if (!media || !p || !participant.id) return;
    p.synthetic.stop();
    for (const ingest of p.sources.values()) {
      for (const [port, routed] of media.routes) if (routed === ingest) media.routes.delete(port);
      void ingest.close();
    }
    for (const layer of p.layers.values()) {
      layer.encoder.stop();
      for (const [port, routed] of media.routes) if (routed === layer.port) media.routes.delete(port);
      void layer.port.close();
    }
    media.audioControl?.stopForwardingTo(p.ears.localPort);
    media.controls.get(media.botCameraPort ?? -1)?.stopForwardingTo(p.eyes.localPort);
    void p.ears.close();
    void p.eyes.close();
    media.participants.delete(participant.id);
  }

  onMuteChanged(call: Call, participant: Participant, muted: boolean): void {
    const media = call.id ? this.calls.get(call.id) : undefined;
    const p = participant.id ? media?.participants.get(participant.id) : undefined;
    if (!media?.audioPort || !p?.audio) return;
    p.muted = muted;
    // A muted participant is not heard: its audio stops at the server.
    if (muted) p.audio.stopForwardingTo(media.audioPort, media.address);
    else p.audio.forwardTo(media.audioPort, media.address);
  }

  /** Stops every call's media (the service stopping leaves calls as they are, not their ffmpegs). */
  close(): void {
    for (const id of [...this.calls.keys()]) this.onCallTerminated({ id });
  }

  onCallTerminated(call: Call): void {
    const media = call.id ? this.calls.get(call.id) : undefined;
    if (!media || !call.id) return;
    this.calls.delete(call.id);
    for (const p of media.participants.values()) {
      p.synthetic.stop();
      for (const layer of p.layers.values()) layer.encoder.stop();
      for (const port of [...p.sources.values(), ...[...p.layers.values()].map((l) => l.port), p.ears, p.eyes]) void port.close();
    }
    for (const control of media.controls.values()) void control.close();
    void media.audioControl?.close();
    void media.toneSocket?.close();
  }

  async playPrompts(call: Call, prompts: MediaPrompt[], signal: AbortSignal): Promise<void> {
    const media = call.id ? this.calls.get(call.id) : undefined;
    if (!media?.audioPort) return;
    const socket = new AudioSocket({ send: {}, remote: { port: media.audioPort, address: media.address } }).unref();
    const stop = () => void socket.close();
    signal.addEventListener('abort', stop);
    try {
      for (const prompt of prompts) {
        if (signal.aborted) break;
        const uri = (prompt as { mediaInfo?: { uri?: string } }).mediaInfo?.uri;
        if (!uri) throw new Error('a prompt without mediaInfo.uri');
        await playAudio(socket, uri.startsWith('file://') ? new URL(uri).pathname : uri);
        // Let the engine's clock send what is queued before the next prompt or the end.
        while (!socket.isClosed && socket.queuedFrames > 0) await new Promise((r) => setTimeout(r, 20));
      }
    } finally {
      signal.removeEventListener('abort', stop);
      await socket.close();
    }
  }

  async recordResponse(call: Call, options: RecordOptions, signal: AbortSignal): Promise<RecordResult> {
    const media = call.id ? this.calls.get(call.id) : undefined;
    if (!media) return { completionReason: 'mediaReceiveTimeout' };
    if (options.prompts.length) await this.playPrompts(call, options.prompts, signal);
    if (options.playBeep && !signal.aborted && media.audioPort) await this.beep(media, signal);
    // The recorder hears what the bot hears from the participants.
    const recorder = new AudioSocket().unref();
    const ingests = [...media.participants.values()].filter((p) => p.audio && !p.muted).map((p) => p.audio as ForwardingPort);
    for (const ingest of ingests) ingest.forwardTo(recorder.port);
    const chunks: Buffer[] = [];
    const started = Date.now();
    let heardAt: number | undefined;
    let lastSound = started;
    try {
      const reason = await new Promise<RecordResult['completionReason']>((resolve) => {
        const finish = (r: RecordResult['completionReason']) => {
          clearTimeout(maxTimer);
          recorder.off('audio', onAudio);
          signal.removeEventListener('abort', onAbort);
          resolve(r);
        };
        const onAbort = () => finish('operationCanceled');
        const onAudio = (frame: AudioFrame) => {
          const now = Date.now();
          if (heardAt !== undefined || !frame.isSilence) chunks.push(Buffer.from(frame.data));
          if (!frame.isSilence) {
            heardAt ??= now;
            lastSound = now;
          }
          if (heardAt === undefined && now - started > options.initialSilenceTimeoutInSeconds * 1000) finish('initialSilenceTimeout');
          else if (heardAt !== undefined && now - lastSound > options.maxSilenceTimeoutInSeconds * 1000) finish('maxSilenceTimeout');
        };
        const maxTimer = setTimeout(() => finish('maxRecordDurationReached'), options.maxRecordDurationInSeconds * 1000);
        signal.addEventListener('abort', onAbort);
        recorder.on('audio', onAudio);
      });
      const pcm = Buffer.concat(chunks);
      return { completionReason: reason, recording: pcm.length ? { contentType: 'audio/wav', data: wavFile(pcm) } : undefined };
    } finally {
      for (const ingest of ingests) ingest.stopForwardingTo(recorder.port);
      await recorder.close();
    }
  }

  /** 200 ms of 1 kHz into the bot's audio: "speak after the tone". */
  private async beep(media: CallMedia, signal: AbortSignal): Promise<void> {
    const socket = new AudioSocket({ send: {}, remote: { port: media.audioPort as number, address: media.address } }).unref();
    for (let frame = 0; frame < 10 && !signal.aborted; frame++) {
      const pcm = Buffer.alloc(640);
      for (let i = 0; i < 320; i++) pcm.writeInt16LE(Math.round(8000 * Math.sin((2 * Math.PI * 1000 * (frame * 320 + i)) / 16000)), i * 2);
      socket.send(pcm);
    }
    while (!socket.isClosed && socket.queuedFrames > 0 && !signal.aborted) await new Promise((r) => setTimeout(r, 20));
    await socket.close();
  }

  /**
   * Sends a bot socket the source it subscribed to. A camera asked for at a smaller size than it
   * is sent gets an encoding of its own at that size (same source id), as a server that scales
   * or picks a simulcast layer would; the socket starts on its next key frame either way.
   */
  private route(media: CallMedia, botPort: number, s: { sourceId: number; width: number; height: number }): void {
    media.routes.get(botPort)?.stopForwardingTo(botPort, media.address);
    media.routes.delete(botPort);
    if (s.sourceId === 0) return;
    for (const p of media.participants.values()) {
      let ingest = p.sources.get(s.sourceId);
      if (!ingest || ingest.kind !== 'video') continue;
      const camera = p.camera;
      if (camera && camera.sourceId === s.sourceId && s.height > 0 && s.height < camera.height) ingest = this.layer(p, camera, s.width, s.height);
      ingest.forwardTo(botPort, media.address);
      media.routes.set(botPort, ingest);
      return;
    }
  }

  private layer(p: ParticipantMedia, camera: NonNullable<ParticipantMedia['camera']>, width: number, height: number): ForwardingPort {
    const key = `${width}x${height}`;
    let layer = p.layers.get(key);
    if (!layer) {
      const port = new ForwardingPort('video');
      const encoder = new SyntheticParticipant(`${p.synthetic.name}@${key}`, {
        video: { port: port.localPort, sourceId: camera.sourceId, width, height, fps: camera.fps },
      });
      layer = { port, encoder };
      p.layers.set(key, layer);
    }
    return layer.port;
  }
}

/** The sockets a plain RTP blob offers: where the service sends each kind of media. */
function plainMediaOf(blob: string): { address: string; media: { kind: string; label: string; port: number }[] } {
  const offer = parseDescription(parseMediaConfiguration(blob).sdp);
  return {
    address: offer.address ?? offer.media.find((m) => m.address)?.address ?? '127.0.0.1',
    media: offer.media.map((m) => ({ kind: m.kind, label: m.label ?? '', port: m.port })),
  };
}
