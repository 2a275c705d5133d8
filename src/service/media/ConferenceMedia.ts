import type { Call, MediaPrompt, Modality, Participant } from '@microsoft/microsoft-graph-types';
import { Readable } from 'stream';
import { pipeline } from 'stream/promises';
import { setTimeout as sleep } from 'timers/promises';
import { AudioSocket, MediaPlatform, parseDescription, parseMediaConfiguration, playAudio } from '../../media';
import type { CommunicationsService } from '../CommunicationsService';
import type { AudioRouting, BrowserAnswer, CallSpeakers, MediaBridge, ParticipantCounters, RecordOptions, RecordResult } from '../MediaBridge';
import type { MediaConfigJson } from '../model/ServiceCall';
import { BotLeg, ServiceVoiceLeg, openBotLeg } from './BotLeg';
import { BrowserLeg } from './BrowserLeg';
import { AUDIO_SOCKET_PAYLOAD_TYPES, ForwardingPort } from './ForwardingPort';
import { ServiceHostedMedia } from './ServiceHostedMedia';
import { SYNTHETIC_PAYLOAD_TYPES, SyntheticParticipant } from './SyntheticParticipant';

export interface ConferenceMediaOptions {
  /** Size and rate of the synthetic participants' camera (default 320x180 at 15 fps). */
  video?: { width: number; height: number; fps: number };
  /** Size and rate of a synthetic screen share (default 640x360 at 5 fps). */
  screen?: { width: number; height: number; fps: number };
  /**
   * A browser silent this long has left (its tab closed): it leaves the roster (default 30000
   * ms, RFC 7675's consent timeout). The bots' sessions use the same.
   */
  consentTimeoutMs?: number;
}

interface ParticipantMedia {
  sources: Map<number, ForwardingPort>; // source id → its ingest
  audio?: ForwardingPort;
  /** Where the bot's audio and video reach this participant (what it hears and sees). */
  ears?: ForwardingPort;
  /** A synthetic participant's ears are fed the bot's audio (unless routing groups keep the bot from it). */
  hearsBot?: boolean;
  /** On hold with music (startHoldMusic): it hears only that, and nobody hears it. */
  held?: HoldMusic;
  eyes?: ForwardingPort;
  /** A synthetic participant's camera as it is sent, and smaller encodings made for subscriptions that ask for less. */
  camera?: { sourceId: number; width: number; height: number; fps: number };
  layers: Map<string, { port: ForwardingPort; encoder: SyntheticParticipant }>;
  /** Its media: ffmpeg (synthetic), or a person's browser. */
  synthetic?: SyntheticParticipant;
  browser?: BrowserLeg;
  /** A browser's ears: its own mix of the bot and everyone else, not itself (mix-minus). */
  mix?: MixMinus;
  /** A browser's tiles: the camera ingest each one shows now. */
  tiles?: (ForwardingPort | undefined)[];
  muted: boolean;
}

/**
 * What one person hears: an AudioSocket mixes the voices forwarded to it on the engine's clock,
 * and sends each 20 ms of the mix back out as Opus to a plain ingest that feeds the person's
 * audio receiver. `heard` is what is forwarded to it now.
 */
interface MixMinus {
  mixer: AudioSocket;
  ingest: ForwardingPort;
  heard: Set<ForwardingPort>;
}

interface CallMedia {
  /** The service's end of the bot's media session. */
  bot: BotLeg;
  hosted: ServiceHostedMedia;
  participants: Map<string, ParticipantMedia>;
  /** Browsers answered and waiting for their participant to join the roster. */
  browsers: Map<string, BrowserLeg>;
  /** Bot video socket → the ingest currently forwarded to it. */
  routes: Map<string, ForwardingPort>;
  toneSocket?: AudioSocket;
  /** The service's own ear on the call: every voice the bot hears, for who speaks and how loud. */
  listener: AudioSocket;
  levels: Map<number, { level: number; at: number }>;
  /** What the call's audio routing groups say of the bot's audio; null: the whole call. */
  routing: AudioRouting;
  /** The voices forwarded now to the bot, and to the service's listener. */
  botHears: Set<ForwardingPort>;
  listenerHears: Set<ForwardingPort>;
}

const TONE_FREQUENCIES = [440, 660, 550, 770, 330, 880, 495, 605, 715, 385];

/** How long each DTMF digit the bot sends (sendDtmfTones) sounds, and the three end packets after it (RFC 4733 2.5). */
const BOT_TONE_MS = 120;
const TONE_END_MS = 60;

/** How tall a browser shows the bot's camera: of a simulcast camera, the layer that fits. */
const BROWSER_TILE_HEIGHT = 720;

export class ConferenceMedia implements MediaBridge {
  private readonly calls = new Map<string, CallMedia>();
  private service?: CommunicationsService;
  /** The service's own media port and DTLS certificate, for the bots' WebRTC sessions. */
  private platform?: MediaPlatform;
  private readonly video: { width: number; height: number; fps: number };
  private readonly screen: { width: number; height: number; fps: number };
  private readonly consentTimeoutMs?: number;

  constructor(options: ConferenceMediaOptions = {}) {
    this.consentTimeoutMs = options.consentTimeoutMs;
    this.video = options.video ?? { width: 320, height: 180, fps: 15 };
    this.screen = options.screen ?? { width: 640, height: 360, fps: 5 };
  }

  /** Lets DTMF pressed through the service (admin API) reach the bot's audio as RFC 4733 too. */
  attach(service: CommunicationsService): void {
    this.service = service;
    service.on('tone', ({ callId, digit, heardInMedia }: { callId: string; digit: string; heardInMedia: boolean }) => {
      if (heardInMedia) return; // already in the audio the bot gets
      const media = this.calls.get(callId);
      if (media?.toneSocket && !media.toneSocket.isClosed) media.toneSocket.sendTone(digit, 120);
    });
  }

  /** What is flowing in a call: per participant, the bot's packets it heard and saw. */
  describe(callId: string): { participants: Record<string, { heard: number; seen: number; mix?: string[] }>; routes: [string, number][] } | undefined {
    const media = this.calls.get(callId);
    if (!media) return undefined;
    // A plain port counts what reaches it; a point on a browser's transport, what it sent there.
    const reached = (port?: ForwardingPort) => (port ? (port.bundled ? port.stats().packetsConsumed : port.stats().packetsIn) : 0);
    // Whose voices a person's mix carries: 'bot' and participant ids.
    const voiceOf = (port: ForwardingPort) => (port === media.bot.audioIn ? 'bot' : ([...media.participants].find(([, p]) => p.audio === port)?.[0] ?? '?'));
    const participants: Record<string, { heard: number; seen: number; mix?: string[] }> = {};
    for (const [id, p] of media.participants) {
      participants[id] = { heard: reached(p.ears), seen: reached(p.eyes) };
      if (p.mix) participants[id].mix = [...p.mix.heard].map(voiceOf);
    }
    return { participants, routes: [...media.routes].map(([socket, ingest]) => [socket, ingest.localPort]) };
  }

  /** An app-hosted configuration must be a media session's, with an offer that has media in it. */
  checkMediaConfig(mediaConfig: MediaConfigJson): void {
    if (typeof mediaConfig.blob !== 'string') return;
    const offer = parseDescription(parseMediaConfiguration(mediaConfig.blob).sdp);
    if (!offer.media.some((m) => m.port !== 0)) throw new Error('its offer has no media line with a port');
  }

  /** Wires the bot's media; returns the blob completed with the service's answer when it offered WebRTC. */
  onCallAnswered(call: Call, mediaConfig: MediaConfigJson): MediaConfigJson | void {
    if (!call.id) return;
    // Service-hosted media: the service speaks where the bot's media session would be.
    const bot: BotLeg = typeof mediaConfig.blob === 'string' ? openBotLeg(mediaConfig.blob, () => this.servicePlatform()) : new ServiceVoiceLeg();
    const participants = new Map<string, ParticipantMedia>();
    const voices = () => [...participants.values()].filter((p) => p.audio && !p.muted && !p.held).map((p) => p.audio as ForwardingPort);
    const listener = new AudioSocket({ unmixed: 4 }).unref();
    const levels = new Map<number, { level: number; at: number }>();
    listener.on('audio', (frame) => {
      const at = Date.now();
      for (const u of frame.unmixed) levels.set(u.sourceId, { level: u.level, at });
    });
    // A participant's own RFC 4733 (a browser's keypad) reaches the bot in-band as it is; the
    // service hears it too, as Graph does, for toneInfo notifications and recordings' stop tones.
    listener.on('toneReceived', (t) => {
      if (!call.id || !participantOfSource(participants, t.sourceId)) return;
      try {
        this.service?.tonesHeard(call.id, t.tone);
      } catch {
        // The call ended, or a tone Graph has no name for: nothing to tell the bot.
      }
    });
    const media: CallMedia = {
      bot,
      hosted: new ServiceHostedMedia(bot, voices),
      participants,
      browsers: new Map(),
      routes: new Map(),
      listener,
      levels,
      routing: { botHears: null, botHeardBy: null },
      botHears: new Set(),
      listenerHears: new Set(),
    };
    // Keys pressed through the admin API reach a bot that hosts its media as RFC 4733 in its audio.
    if (bot.kind !== 'service') media.toneSocket = bot.audioSender();
    for (const [socket, point] of bot.videoSockets) {
      point.on('subscription', (s: { sourceId: number; width: number; height: number }) => this.route(media, socket, s));
      // The bot's receiver asks for a key frame (a new source, a loss): ask whoever it is shown.
      point.on('keyFrameRequested', () => media.routes.get(socket)?.requestKeyFrame());
    }
    this.calls.set(call.id, media);
    return bot.completedBlob ? { ...mediaConfig, blob: bot.completedBlob } : undefined;
  }

  /** Answers a person's browser; the participant it becomes is wired when it joins the roster. */
  acceptBrowser(call: Call, participantId: string, offerSdp: string): BrowserAnswer {
    const media = call.id ? this.calls.get(call.id) : undefined;
    if (!media) throw Object.assign(new Error('the call has no conference media yet: join once the bot answered'), { code: 'INVALID_ARGUMENT' });
    if (media.bot.kind !== 'webrtc') {
      const why = media.bot.kind === 'rtp' ? "the bot's session is plain RTP" : 'the call has service-hosted media';
      throw Object.assign(new Error(`${why}; a browser joins calls whose bot hosts its media over WebRTC`), { code: 'INVALID_ARGUMENT' });
    }
    const leg = new BrowserLeg(this.servicePlatform(), offerSdp);
    media.browsers.set(participantId, leg);
    const modalities: Modality[] = [];
    if (leg.audio) modalities.push('audio');
    if (leg.camera) modalities.push('video');
    if (leg.screen) modalities.push('videoBasedScreenSharing');
    leg.once('gone', () => {
      // A tab that closed, or lost its network: it leaves the roster, and the bot hears of it.
      try {
        if (call.id) this.service?.dropParticipant(call.id, participantId);
      } catch {
        // already gone from the roster (hung up, or the call ended)
      }
      void leg.close();
    });
    return { sdp: leg.answer, modalities };
  }

  abandonBrowser(call: Call, participantId: string): void {
    const media = call.id ? this.calls.get(call.id) : undefined;
    const leg = media?.browsers.get(participantId);
    media?.browsers.delete(participantId);
    void leg?.close();
  }

  onParticipantJoined(call: Call, participant: Participant): void {
    const media = call.id ? this.calls.get(call.id) : undefined;
    if (!media || !participant.id || participant.id === call.myParticipantId || media.participants.has(participant.id)) return;
    const streams = participant.mediaStreams ?? [];
    const sourceOf = (type: string) => {
      const s = streams.find((x) => x.mediaType === type && x.direction !== 'receiveOnly');
      return s?.sourceId ? Number(s.sourceId) : undefined;
    };
    const ids = { audio: sourceOf('audio'), video: sourceOf('video'), screen: sourceOf('videoBasedScreenSharing') };
    const browser = media.browsers.get(participant.id);
    // A browser's screen m-line carries what it shares whenever it shares: its source id is the stream's, sharing or not.
    if (browser) ids.screen = Number(streams.find((x) => x.mediaType === 'videoBasedScreenSharing')?.sourceId) || undefined;
    media.browsers.delete(participant.id);
    const p = browser ? this.browserMedia(media, browser, ids) : this.syntheticMedia(media, participant.id, ids);
    media.participants.set(participant.id, p);
    this.routeAudio(media);
    this.fillTiles(media);
  }

  onParticipantLeft(call: Call, participant: Participant): void {
    const media = call.id ? this.calls.get(call.id) : undefined;
    const p = participant.id ? media?.participants.get(participant.id) : undefined;
    if (!media || !p || !participant.id) return;
    const unroute = (port: ForwardingPort) => {
      for (const [socket, routed] of media.routes) if (routed === port) media.routes.delete(socket);
    };
    for (const ingest of p.sources.values()) unroute(ingest);
    for (const layer of p.layers.values()) unroute(layer.port);
    // A browser hears the bot through its mix (closed with it); a synthetic participant directly.
    if (p.ears && p.hearsBot) media.bot.audioIn?.stopFeeding(p.ears);
    if (p.eyes) media.bot.hideCamera(p.eyes);
    if (p.browser?.screen) media.bot.screenIn?.stopFeeding(p.browser.screen);
    media.participants.delete(participant.id);
    this.routeAudio(media);
    this.stopParticipant(p);
    this.fillTiles(media);
  }

  onMuteChanged(call: Call, participant: Participant, muted: boolean): void {
    const media = call.id ? this.calls.get(call.id) : undefined;
    const p = participant.id ? media?.participants.get(participant.id) : undefined;
    if (!media || !p?.audio) return;
    p.muted = muted;
    // A muted participant is not heard: its audio stops at the server.
    this.routeAudio(media);
  }

  /** startHoldMusic / stopHoldMusic: the participant hears the music instead of the call, and drops out of everyone's audio. */
  onHoldMusicChanged(call: Call, participant: Participant, held: boolean, prompt?: MediaPrompt): void {
    const media = call.id ? this.calls.get(call.id) : undefined;
    const p = participant.id ? media?.participants.get(participant.id) : undefined;
    if (!media || !p) return;
    const before = p.held;
    p.held = held ? startHoldMusic(prompt, (err) => this.service?.emit('warning', err)) : undefined;
    this.routeAudio(media);
    before?.stop(); // after routing, so nothing still forwards from it
  }

  /** The call's audio routing groups changed: the bot hears only their sources, and only their receivers hear it. */
  onAudioRoutingChanged(call: Call, routing: AudioRouting): void {
    const media = call.id ? this.calls.get(call.id) : undefined;
    if (!media) return;
    media.routing = routing;
    this.routeAudio(media);
  }

  speakers(call: Call): CallSpeakers | undefined {
    const media = call.id ? this.calls.get(call.id) : undefined;
    if (!media) return undefined;
    const bySource = new Map<number, string>();
    for (const [id, p] of media.participants) for (const source of p.sources.keys()) bySource.set(source, id);
    const levels: Record<string, number> = {};
    const recent = Date.now() - 300;
    for (const [source, l] of media.levels) {
      const id = bySource.get(source);
      if (id && l.at >= recent) levels[id] = l.level;
    }
    const dominant = media.listener.dominantSpeaker;
    return { dominantSpeaker: dominant !== null ? (bySource.get(dominant) ?? null) : null, levels };
  }

  /** Bytes into the service from each participant so far: its voice, and its camera and screen share. */
  participantCounters(call: Call): Record<string, ParticipantCounters> | undefined {
    const media = call.id ? this.calls.get(call.id) : undefined;
    if (!media) return undefined;
    const out: Record<string, ParticipantCounters> = {};
    for (const [id, p] of media.participants) {
      let videoBytes = 0;
      for (const ingest of p.sources.values()) if (ingest !== p.audio) videoBytes += ingest.stats().bytesIn;
      out[id] = { audioBytes: p.audio?.stats().bytesIn ?? 0, videoBytes };
    }
    return out;
  }

  /**
   * Where each voice goes, recomputed after every change (a join, a leave, a mute, the routing
   * groups): what changed since the last time is added or removed.
   * - The service's listener hears every unmuted voice (who speaks, recordings, tones).
   * - The bot hears every unmuted voice, or with routing groups to it, only their sources.
   * - Each person hears the bot (unless routing groups from the bot leave them out) and every
   *   other unmuted voice, never their own: each browser's mixer is fed exactly that set.
   * - A synthetic participant's ears get the bot's audio on the same terms.
   */
  private routeAudio(media: CallMedia): void {
    const { botHears, botHeardBy } = media.routing;
    const toBot = new Set<ForwardingPort>();
    const toListener = new Set<ForwardingPort>();
    for (const [id, p] of media.participants) {
      if (!p.audio || p.muted || p.held) continue;
      toListener.add(p.audio);
      if (!botHears || botHears.includes(id)) toBot.add(p.audio);
    }
    for (const voice of media.botHears) if (!toBot.has(voice)) media.bot.unhear(voice);
    for (const voice of toBot) if (!media.botHears.has(voice)) media.bot.hear(voice);
    media.botHears = toBot;
    for (const voice of media.listenerHears) if (!toListener.has(voice)) voice.stopForwardingTo(media.listener.port);
    for (const voice of toListener) if (!media.listenerHears.has(voice)) voice.forwardTo(media.listener.port, '127.0.0.1', undefined, AUDIO_SOCKET_PAYLOAD_TYPES);
    media.listenerHears = toListener;

    for (const [id, listener] of media.participants) {
      const hearsBot = !listener.held && (!botHeardBy || botHeardBy.includes(id));
      const mix = listener.mix;
      if (!mix) {
        if (listener.ears && listener.held && !listener.held.feeding) {
          listener.held.ingest.feed(listener.ears);
          listener.held.feeding = true;
        }
        if (!listener.ears || !media.bot.audioIn || (listener.hearsBot ?? false) === hearsBot) continue;
        if (hearsBot) media.bot.audioIn.feed(listener.ears);
        else media.bot.audioIn.stopFeeding(listener.ears);
        listener.hearsBot = hearsBot;
        continue;
      }
      const want = new Set<ForwardingPort>();
      if (listener.held) want.add(listener.held.ingest);
      if (media.bot.audioIn && hearsBot) want.add(media.bot.audioIn);
      if (!listener.held) for (const other of media.participants.values()) if (other !== listener && other.audio && !other.muted && !other.held) want.add(other.audio);
      for (const voice of mix.heard) if (!want.has(voice)) voice.stopForwardingTo(mix.mixer.port);
      for (const voice of want) if (!mix.heard.has(voice)) voice.forwardTo(mix.mixer.port, '127.0.0.1', undefined, AUDIO_SOCKET_PAYLOAD_TYPES);
      mix.heard = want;
    }
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
    for (const p of media.participants.values()) this.stopParticipant(p);
    for (const leg of media.browsers.values()) void leg.close();
    void media.toneSocket?.close();
    void media.listener.close();
    void media.bot.close();
  }

  async playPrompts(call: Call, prompts: MediaPrompt[], signal: AbortSignal): Promise<void> {
    const media = call.id ? this.calls.get(call.id) : undefined;
    await media?.hosted.playPrompts(prompts, signal);
  }

  async recordResponse(call: Call, options: RecordOptions, signal: AbortSignal): Promise<RecordResult> {
    const media = call.id ? this.calls.get(call.id) : undefined;
    if (!media) return { completionReason: 'mediaReceiveTimeout' };
    return media.hosted.recordResponse(options, signal);
  }

  /**
   * The bot's DTMF (sendDtmfTones) reaches every participant as RFC 4733, in the audio it hears:
   * a person's mix carries it into their browser, and a voice of the service's own, opened for
   * the request, sends it to each synthetic participant. One digit at a time, `delayMs` apart.
   */
  async sendTones(call: Call, digits: string[], delayMs: number, signal: AbortSignal): Promise<void> {
    const media = call.id ? this.calls.get(call.id) : undefined;
    const voice = media ? openToneVoice() : undefined;
    try {
      for (const [i, digit] of digits.entries()) {
        signal.throwIfAborted();
        if (media && voice && this.calls.get(call.id as string) === media) this.toneToEveryone(media, voice, digit);
        await sleep(BOT_TONE_MS + TONE_END_MS + (i < digits.length - 1 ? delayMs : 0), undefined, { signal });
      }
    } finally {
      voice?.close();
    }
  }

  private toneToEveryone(media: CallMedia, voice: ToneVoice, digit: string): void {
    for (const p of media.participants.values()) {
      if (p.mix) {
        p.mix.mixer.sendTone(digit, BOT_TONE_MS);
      } else if (p.ears && !voice.fed.has(p.ears)) {
        voice.ingest.feed(p.ears);
        voice.fed.add(p.ears);
      }
    }
    voice.socket.sendTone(digit, BOT_TONE_MS);
  }

  /**
   * What a participant hears (the bot, and for a person the others too) also goes to this UDP
   * address as RTP: to record it, or to check it with any RTP receiver. Returns the undo.
   */
  listen(callId: string, participantId: string, port: number, address = '127.0.0.1'): () => void {
    const p = this.calls.get(callId)?.participants.get(participantId);
    const heard = p?.mix?.ingest ?? p?.ears;
    if (!heard) throw Object.assign(new Error(`participant '${participantId}' of call '${callId}' hears nothing here`), { code: 'INVALID_ARGUMENT' });
    heard.forwardTo(port, address);
    return () => heard.stopForwardingTo(port, address);
  }

  private servicePlatform(): MediaPlatform {
    return (this.platform ??= MediaPlatform.initialize({ applicationId: 'callmedia-local-service', consentTimeoutMs: this.consentTimeoutMs }));
  }

  /** ffmpeg speaks and shows for a participant that is not a person: ports for what it sends and for what it gets. */
  private syntheticMedia(media: CallMedia, name: string, ids: { audio?: number; video?: number; screen?: number }): ParticipantMedia {
    const sources = new Map<number, ForwardingPort>();
    const ingest = (kind: 'audio' | 'video', id?: number) => {
      if (id === undefined) return undefined;
      const port = new ForwardingPort(kind);
      port.setPayloadTypes(SYNTHETIC_PAYLOAD_TYPES);
      sources.set(id, port);
      return port;
    };
    const audio = ingest('audio', ids.audio);
    const video = ingest('video', ids.video);
    const screen = ingest('video', ids.screen);
    const index = media.participants.size;
    const synthetic = new SyntheticParticipant(name, {
      audio: audio && ids.audio !== undefined ? { port: audio.localPort, sourceId: ids.audio, frequency: TONE_FREQUENCIES[index % TONE_FREQUENCIES.length] } : undefined,
      video: video && ids.video !== undefined ? { port: video.localPort, sourceId: ids.video, ...this.video } : undefined,
      screen: screen && ids.screen !== undefined ? { port: screen.localPort, sourceId: ids.screen, ...this.screen } : undefined,
    });
    // The bot's own audio (fed by routeAudio) and camera (its first video socket) reach every participant.
    const ears = new ForwardingPort('audio');
    const eyes = new ForwardingPort('video');
    // A participant shows the bot in a tile the size of its own camera: of a simulcast camera, that layer.
    media.bot.showCamera(eyes, this.video.height);
    const camera = ids.video !== undefined ? { sourceId: ids.video, ...this.video } : undefined;
    return { sources, audio, ears, eyes, camera, layers: new Map(), synthetic, muted: false };
  }

  /** A person's browser: its microphone and camera are sources; it hears and sees the bot, and its screen share. */
  private browserMedia(media: CallMedia, leg: BrowserLeg, ids: { audio?: number; video?: number; screen?: number }): ParticipantMedia {
    leg.setSources(ids);
    const sources = new Map<number, ForwardingPort>();
    if (leg.audio && ids.audio !== undefined) sources.set(ids.audio, leg.audio);
    if (leg.camera && ids.video !== undefined) sources.set(ids.video, leg.camera);
    if (leg.screen && ids.screen !== undefined) sources.set(ids.screen, leg.screen);
    const mix = leg.audio ? openMixMinus(leg.audio) : undefined;
    if (leg.camera) {
      media.bot.showCamera(leg.camera, BROWSER_TILE_HEIGHT);
      // The browser's decoder starts at a key frame: ask the bot for one now, and whenever the browser asks.
      media.bot.cameraIn?.requestKeyFrame();
      leg.camera.on('keyFrameRequested', () => media.bot.cameraIn?.requestKeyFrame());
    }
    if (leg.screen && media.bot.screenIn) {
      media.bot.screenIn.feed(leg.screen);
      media.bot.screenIn.requestKeyFrame();
      leg.screen.on('keyFrameRequested', () => media.bot.screenIn?.requestKeyFrame());
    }
    const tiles: (ForwardingPort | undefined)[] = leg.tiles.map(() => undefined);
    leg.tiles.forEach((tile, i) => tile.on('keyFrameRequested', () => tiles[i]?.requestKeyFrame()));
    return { sources, audio: leg.audio, ears: leg.audio, eyes: leg.camera, layers: new Map(), browser: leg, tiles, mix, muted: false };
  }

  /**
   * Every browser's tiles show the other participants' cameras, in roster order, one each;
   * a tile whose participant left takes the next one, and a new picture starts at a key frame.
   */
  private fillTiles(media: CallMedia): void {
    for (const viewer of media.participants.values()) {
      const leg = viewer.browser;
      if (!leg || !viewer.tiles) continue;
      const cameras = [...media.participants.values()].filter((p) => p !== viewer).flatMap((p) => {
        const id = p.camera?.sourceId ?? [...p.sources.entries()].find(([, port]) => port === p.browser?.camera)?.[0];
        const ingest = id !== undefined ? p.sources.get(id) : undefined;
        return ingest ? [ingest] : [];
      });
      leg.tiles.forEach((tile, i) => {
        const want = cameras[i];
        const now = viewer.tiles?.[i];
        if (want === now) return;
        now?.stopFeeding(tile);
        if (want) {
          want.feed(tile);
          want.requestKeyFrame();
        }
        if (viewer.tiles) viewer.tiles[i] = want;
      });
    }
  }

  private stopParticipant(p: ParticipantMedia): void {
    p.held?.stop();
    p.synthetic?.stop();
    for (const layer of p.layers.values()) {
      layer.encoder.stop();
      void layer.port.close();
    }
    if (p.mix) closeMixMinus(p.mix);
    if (p.browser) {
      void p.browser.close();
      return;
    }
    for (const port of [...p.sources.values(), p.ears, p.eyes]) void port?.close();
  }

  /**
   * Sends a bot socket the source it subscribed to. A synthetic camera asked for at a smaller
   * size than it is sent gets an encoding of its own at that size (same source id), as a server
   * that scales or picks a simulcast layer would; the socket starts on its next key frame
   * either way, asked for at once.
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
      ingest.requestKeyFrame();
      return;
    }
  }

  private layer(p: ParticipantMedia, camera: NonNullable<ParticipantMedia['camera']>, width: number, height: number): ForwardingPort {
    const key = `${width}x${height}`;
    let layer = p.layers.get(key);
    if (!layer) {
      const port = new ForwardingPort('video');
      port.setPayloadTypes(SYNTHETIC_PAYLOAD_TYPES);
      const encoder = new SyntheticParticipant(`${p.synthetic?.name}@${key}`, {
        video: { port: port.localPort, sourceId: camera.sourceId, width, height, fps: camera.fps },
      });
      layer = { port, encoder };
      p.layers.set(key, layer);
    }
    return layer.port;
  }
}

function participantOfSource(participants: Map<string, ParticipantMedia>, sourceId: number): string | undefined {
  for (const [id, p] of participants) if (p.sources.has(sourceId)) return id;
  return undefined;
}

/** What a held participant hears: a voice of its own, looping the bot's prompt or the hold tone. */
interface HoldMusic {
  ingest: ForwardingPort;
  /** Its ingest feeds the (synthetic) participant's ears; a browser's mix takes it as a voice. */
  feeding: boolean;
  stop(): void;
}

/** Three notes, each 400 ms, over and over: the hold tone when the bot gives no prompt. */
const HOLD_NOTES_HZ = [587.33, 698.46, 783.99];
const HOLD_NOTE_FRAMES = 20;

function startHoldMusic(prompt: MediaPrompt | undefined, warn: (err: Error) => void): HoldMusic {
  const ingest = new ForwardingPort('audio');
  ingest.setPayloadTypes(AUDIO_SOCKET_PAYLOAD_TYPES);
  const socket = new AudioSocket({ send: {}, remote: { port: ingest.localPort } }).unref();
  const stopped = new AbortController();
  const uri = (prompt as { mediaInfo?: { uri?: string } } | undefined)?.mediaInfo?.uri;
  void (async () => {
    let file = uri?.startsWith('file://') ? new URL(uri).pathname : uri;
    while (!stopped.signal.aborted) {
      try {
        if (file) await playAudio(socket, file);
        else await pipeline(Readable.from(holdTone(stopped.signal)), socket.writable());
      } catch (err) {
        if (stopped.signal.aborted) return;
        // A prompt that cannot be played: the hold tone instead, for as long as the hold lasts.
        warn(new Error(`hold music: ${(err as Error).message}; playing the hold tone`));
        file = undefined;
      }
    }
  })();
  return {
    ingest,
    feeding: false,
    stop() {
      stopped.abort();
      void socket.close();
      void ingest.close();
    },
  };
}

function* holdTone(signal: AbortSignal): Generator<Buffer> {
  for (let frame = 0; !signal.aborted; frame++) {
    const hz = HOLD_NOTES_HZ[Math.floor(frame / HOLD_NOTE_FRAMES) % HOLD_NOTES_HZ.length];
    const pcm = Buffer.alloc(640);
    for (let i = 0; i < 320; i++) pcm.writeInt16LE(Math.round(5000 * Math.sin((2 * Math.PI * hz * (frame * 320 + i)) / 16000)), i * 2);
    yield pcm;
  }
}

/** A voice of the service's own for the bot's DTMF: it sends to an ingest that feeds participants' ears. */
interface ToneVoice {
  socket: AudioSocket;
  ingest: ForwardingPort;
  fed: Set<ForwardingPort>;
  close(): void;
}

function openToneVoice(): ToneVoice {
  const ingest = new ForwardingPort('audio');
  const socket = new AudioSocket({ send: {}, remote: { port: ingest.localPort } }).unref();
  return {
    socket,
    ingest,
    fed: new Set(),
    close() {
      void socket.close();
      void ingest.close();
    },
  };
}

/** A person's mix: the mixer sends what it mixes to an ingest that feeds the person's audio receiver. */
function openMixMinus(ears: ForwardingPort): MixMinus {
  const ingest = new ForwardingPort('audio');
  ingest.setPayloadTypes(AUDIO_SOCKET_PAYLOAD_TYPES);
  const mixer = new AudioSocket({ send: {}, remote: { port: ingest.localPort } }).unref();
  mixer.on('audio', (frame) => {
    try {
      mixer.send(frame.data);
    } catch {
      // Closing: a frame delivered as the socket closes has nowhere to go.
    }
  });
  ingest.feed(ears);
  return { mixer, ingest, heard: new Set() };
}

function closeMixMinus(mix: MixMinus): void {
  for (const voice of mix.heard) voice.stopForwardingTo(mix.mixer.port);
  mix.heard.clear();
  void mix.mixer.close();
  void mix.ingest.close();
}
