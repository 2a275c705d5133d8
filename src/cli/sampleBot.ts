/**
 * A sample calling bot: it answers incoming calls with its own media, watches every
 * participant's video on a socket of its own, tells who is speaking, greets the caller in its
 * own audio and hears the keys they press in it. Run it against the local service (`callmedia serve`)
 * or see it in `npm start`.
 */
import * as http from 'http';
import type { AddressInfo } from 'net';
import { MediaPlatform, MediaSession, VideoSocket, playAudio } from '../media';
import { Call, CommunicationsClient, appHostedMediaConfig } from '../signaling';

export interface SampleBotOptions {
  serviceUrl: string;
  appId: string;
  /** The app's client secret, for its access tokens from the service's authority. */
  appSecret: string;
  /** An audio file (path or URL) the bot plays in its own audio once a call's media is up. */
  greeting?: string;
  /** Video sockets per call, one participant each (default 4, at most 10). */
  videoSockets?: number;
  /** The first video socket also sends the bot's camera at this size (what the bot's code sends on it). */
  camera?: { width: number; height: number; fps: number };
  /** The media transport: WebRTC (ICE-lite, DTLS-SRTP; the default) or plain RTP, a port per socket. */
  transport?: 'webrtc' | 'rtp';
  /** Post each call's per-socket figures to the service's console once a second (MediaSession.reportTo). */
  reportStats?: boolean;
  log?: (line: string) => void;
}

export interface SampleBot {
  client: CommunicationsClient;
  callbackUri: string;
  /** The media of each call the bot answered. */
  sessions: Map<string, MediaSession>;
  close(): Promise<void>;
}

export async function startSampleBot(options: SampleBotOptions): Promise<SampleBot> {
  const log = options.log ?? ((line: string) => console.log(line));
  const platform = MediaPlatform.initialize({ applicationId: options.appId });
  const sessions = new Map<string, MediaSession>();

  // The webhook: notifications are verified (signature, issuer, audience) before anything else.
  let webhook: http.RequestListener = (_req, res) => res.end();
  const server = http.createServer((req, res) => webhook(req, res));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const callbackUri = `http://127.0.0.1:${(server.address() as AddressInfo).port}/callback`;
  const client = new CommunicationsClient({ appId: options.appId, appSecret: options.appSecret, callbackUri, baseUrl: options.serviceUrl });
  webhook = client.webhook;

  client.on('incomingCall', (call: Call) => {
    answer(call).catch((err) => log(`call ${call.id}: ${(err as Error).message}`));
  });

  async function answer(call: Call): Promise<void> {
    const video = Array.from({ length: options.videoSockets ?? 4 }, (_, i) => (i === 0 && options.camera ? { send: options.camera } : {}));
    const session = platform.createMediaSession({ audio: { unmixed: 4, send: {} }, video, vbss: {}, transport: options.transport });
    sessions.set(call.id, session);
    // The service answers a WebRTC session's offer in the call's media configuration: apply it
    // when it comes, and ICE, DTLS and SRTP finish. (Plain RTP has nothing to negotiate.)
    call.on('updated', (resource: { mediaConfig?: { blob?: string } | null }) => {
      const blob = resource.mediaConfig?.blob;
      if (blob && options.transport !== 'rtp') session.applyMediaConfiguration(blob).catch((err) => log(`call ${call.id}: ${(err as Error).message}`));
    });
    session.on('transportStateChanged', (e) => {
      if (e.state === 'failed' || e.state === 'disconnected') log(`call ${call.id}: media ${e.state}: ${e.reason ?? e.code}`);
    });
    const name = (sourceId: number | null) => {
      const id = sourceId === null ? undefined : session.participantOf(sourceId);
      return (id && call.participants.get(id)?.displayName) ?? (sourceId === null ? 'nobody' : `source ${sourceId}`);
    };
    session.audioSocket?.on('dominantSpeakerChanged', (id) => log(`dominant speaker: ${name(id)}`));
    session.audioSocket?.on('toneReceived', (t) => log(`DTMF from ${name(t.sourceId)}: ${t.tone}`));
    call.on('participantsChanged', () => watchEveryone(call, session, log));
    // A camera that went away frees its socket for someone else.
    for (const socket of session.videoSockets) {
      socket.on('sourceLost', (id) => {
        log(`${name(id)} stopped sending video`);
        socket.unsubscribe();
        watchEveryone(call, session, log);
      });
    }
    call.on('terminated', () => {
      sessions.delete(call.id);
      void session.close();
    });

    await call.answer({ mediaConfig: appHostedMediaConfig(session.mediaConfiguration), acceptedModalities: ['audio', 'video'] });
    if (options.reportStats) session.reportTo(options.serviceUrl, { callId: call.id });
    log(`answered call ${call.id} from ${call.source?.identity?.user?.displayName ?? 'someone'}`);
    watchEveryone(call, session, log);
    // A bot that hosts its media plays its own prompts (Graph's playPrompt is for service-hosted calls).
    if (options.greeting) await greet(session, options.greeting);
  }

  return {
    client,
    callbackUri,
    sessions,
    async close() {
      await Promise.all([...sessions.values()].map((s) => s.close()));
      platform.close();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeAllConnections();
    },
  };
}

/** Plays an audio file in the session's audio once its media is connected. */
async function greet(session: MediaSession, file: string): Promise<void> {
  const socket = session.audioSocket;
  if (!socket) return;
  if (session.transportKind === 'webrtc' && session.transportState !== 'connected') {
    await new Promise<void>((resolve, reject) => {
      const onState = (e: { state: string; reason?: string }) => {
        if (e.state === 'connected') resolve();
        else if (e.state === 'failed' || e.state === 'closed') reject(new Error(`media ${e.state} before the greeting: ${e.reason ?? ''}`));
        else return;
        session.off('transportStateChanged', onState);
      };
      session.on('transportStateChanged', onState);
    });
  }
  await playAudio(socket, file);
}

/** Gives every participant with a camera a video socket of its own (and the sharer the screen socket). */
function watchEveryone(call: Call, session: MediaSession, log: (line: string) => void): void {
  session.updateRoster([...call.participants.values()]);
  const others = [...call.participants.values()].filter((p) => p !== call.me);
  const watched = new Set(session.videoSockets.map((s) => s.subscription).filter((id): id is number => id !== undefined));
  for (const p of others) {
    const sourceId = p.videoSourceIds[0] ? Number(p.videoSourceIds[0]) : undefined;
    if (sourceId === undefined || watched.has(sourceId)) continue;
    const free: VideoSocket | undefined = session.videoSockets.find((s) => s.subscription === undefined);
    if (!free) break; // more cameras than sockets: the first ones are watched
    free.subscribe(p, { resolution: '360p' });
    watched.add(sourceId);
    log(`watching ${p.displayName ?? p.id} on video socket ${session.videoSockets.indexOf(free)}`);
  }
  const sharer = others.find((p) => p.screenSharingSourceId);
  if (sharer && session.vbssSocket && session.vbssSocket.subscription === undefined) session.vbssSocket.subscribe(sharer);
}
