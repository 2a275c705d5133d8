import type { Call, MediaPrompt, Participant } from '@microsoft/microsoft-graph-types';
import { AudioFrame, AudioSocket, MediaPlatform, playAudio, wavFile } from '../../media';
import type { CommunicationsService } from '../CommunicationsService';
import type { MediaBridge, RecordOptions, RecordResult } from '../MediaBridge';
import type { MediaConfigJson } from '../model/ServiceCall';
import { BotLeg, openBotLeg } from './BotLeg';
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
  /** The service's end of the bot's media session. */
  bot: BotLeg;
  participants: Map<string, ParticipantMedia>;
  /** Bot video socket → the ingest currently forwarded to it. */
  routes: Map<string, ForwardingPort>;
  toneSocket?: AudioSocket;
}

const TONE_FREQUENCIES = [440, 660, 550, 770, 330, 880, 495, 605, 715, 385];

/**
 * The local service's conference media. Participants that are not bots are synthetic: ffmpeg
 * sends each one's voice (a tone) and camera (a test pattern) to forwarding ports, whose RTP
 * SSRC is the participant's roster source id. The bot's media session (its configuration blob)
 * is answered by the service's end of it (a BotLeg: WebRTC, encrypted, or plain RTP): every
 * participant's audio goes to the bot's audio socket (the bot mixes and picks the loudest), and
 * each bot video socket gets the source it subscribes to, in-band. Prompts are played into the
 * bot's audio socket; recordings hear the participants.
 */
export class ConferenceMedia implements MediaBridge {
  private readonly calls = new Map<string, CallMedia>();
  private service?: CommunicationsService;
  /** The service's own media port and DTLS certificate, for the bots' WebRTC sessions. */
  private platform?: MediaPlatform;
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
  describe(callId: string): { participants: Record<string, { heard: number; seen: number }>; routes: [string, number][] } | undefined {
    const media = this.calls.get(callId);
    if (!media) return undefined;
    const participants: Record<string, { heard: number; seen: number }> = {};
    for (const [id, p] of media.participants) participants[id] = { heard: p.ears.stats().packetsIn, seen: p.eyes.stats().packetsIn };
    return { participants, routes: [...media.routes].map(([socket, ingest]) => [socket, ingest.localPort]) };
  }

  /** Wires the bot's media; returns the blob completed with the service's answer when it offered WebRTC. */
  onCallAnswered(call: Call, mediaConfig: MediaConfigJson): MediaConfigJson | void {
    if (!call.id || typeof mediaConfig.blob !== 'string') return; // service-hosted media: nothing to wire
    const bot = openBotLeg(mediaConfig.blob, () => (this.platform ??= MediaPlatform.initialize({ applicationId: 'callmedia-local-service' })));
    const media: CallMedia = { bot, participants: new Map(), routes: new Map() };
    media.toneSocket = bot.audioSender();
    for (const [socket, point] of bot.videoSockets) {
      point.on('subscription', (s: { sourceId: number; width: number; height: number }) => this.route(media, socket, s));
    }
    this.calls.set(call.id, media);
    return bot.completedBlob ? { ...mediaConfig, blob: bot.completedBlob } : undefined;
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
    if (audio) media.bot.hear(audio);
    // The bot's own audio and camera (its first video socket) reach every participant.
    const ears = new ForwardingPort('audio');
    const eyes = new ForwardingPort('video');
    media.bot.audioIn?.forwardTo(ears.localPort);
    // A participant shows the bot in a tile the size of its own camera: of a simulcast camera, that layer.
    media.bot.showCamera(eyes.localPort, this.video.height);
    const camera = videoId !== undefined ? { sourceId: videoId, ...this.video } : undefined;
    media.participants.set(participant.id, { sources, audio, ears, eyes, camera, layers: new Map(), synthetic, muted: false });
  }

  onParticipantLeft(call: Call, participant: Participant): void {
    const media = call.id ? this.calls.get(call.id) : undefined;
    const p = participant.id ? media?.participants.get(participant.id) : undefined;
    if (!media || !p || !participant.id) return;
    p.synthetic.stop();
    for (const ingest of p.sources.values()) {
      for (const [socket, routed] of media.routes) if (routed === ingest) media.routes.delete(socket);
      void ingest.close();
    }
    for (const layer of p.layers.values()) {
      layer.encoder.stop();
      for (const [socket, routed] of media.routes) if (routed === layer.port) media.routes.delete(socket);
      void layer.port.close();
    }
    media.bot.audioIn?.stopForwardingTo(p.ears.localPort);
    media.bot.hideCamera(p.eyes.localPort);
    void p.ears.close();
    void p.eyes.close();
    media.participants.delete(participant.id);
  }

  onMuteChanged(call: Call, participant: Participant, muted: boolean): void {
    const media = call.id ? this.calls.get(call.id) : undefined;
    const p = participant.id ? media?.participants.get(participant.id) : undefined;
    if (!media || !p?.audio) return;
    p.muted = muted;
    // A muted participant is not heard: its audio stops at the server.
    if (muted) media.bot.unhear(p.audio);
    else media.bot.hear(p.audio);
  }

  /** Stops every call's media (the service stopping leaves calls as they are, not their ffmpegs). */
  close(): void {
    for (const id of [...this.calls.keys()]) this.onCallTerminated({ id });
    this.platform?.close();
    this.platform = undefined;
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
    void media.toneSocket?.close();
    void media.bot.close();
  }

  async playPrompts(call: Call, prompts: MediaPrompt[], signal: AbortSignal): Promise<void> {
    const media = call.id ? this.calls.get(call.id) : undefined;
    const socket = media?.bot.audioSender();
    if (!socket) return;
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
    if (options.playBeep && !signal.aborted) await this.beep(media, signal);
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
    const socket = media.bot.audioSender();
    if (!socket) return;
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
  private route(media: CallMedia, socket: string, s: { sourceId: number; width: number; height: number }): void {
    const previous = media.routes.get(socket);
    if (previous) media.bot.unshow(socket, previous);
    media.routes.delete(socket);
    if (s.sourceId === 0) return;
    for (const p of media.participants.values()) {
      let ingest = p.sources.get(s.sourceId);
      if (!ingest || ingest.kind !== 'video') continue;
      const camera = p.camera;
      if (camera && camera.sourceId === s.sourceId && s.height > 0 && s.height < camera.height) ingest = this.layer(p, camera, s.width, s.height);
      media.bot.show(socket, ingest);
      media.routes.set(socket, ingest);
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
