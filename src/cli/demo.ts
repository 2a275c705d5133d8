import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { startSampleBot } from './sampleBot';
import type { MediaSession } from '../media';
import { ffmpegPath, run } from '../peers/ffmpeg';
import { ConferenceMedia, startService } from '../service';

export interface DemoOptions {
  /** Seconds to run (default: until Ctrl-C). */
  seconds?: number;
  port?: number;
}

const pad = (s: string | number, n: number) => String(s).padStart(n);

/**
 * The whole loop on one machine: the local communications service with conference media, the
 * sample bot, and three synthetic participants — one calls the bot, one joins, one joins and
 * shares its screen and presses keys. Every second: each video channel's frame rate and
 * latency, and who is speaking.
 */
export async function runDemo(options: DemoOptions = {}): Promise<void> {
  const media = new ConferenceMedia();
  const running = await startService({ port: options.port ?? 0, mediaBridge: media });
  media.attach(running.service);
  const greeting = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'callmedia-demo-')), 'greeting.wav');
  run(ffmpegPath(), ['-hide_banner', '-loglevel', 'error', '-f', 'lavfi', '-i', 'sine=frequency=1000:duration=0.6', '-ar', '16000', greeting]);

  const appId = 'callmedia-demo-bot';
  // The demo's app registration: every calls permission, a secret made for this run.
  const appSecret = running.service.authority.apps.register({ appId, displayName: 'Demo bot' }).secrets[0];
  const bot = await startSampleBot({ serviceUrl: running.url, appId, appSecret, greeting, log: (l) => console.log(`  bot: ${l}`), camera: BOT_CAMERA, reportStats: true });
  running.service.directory.registerBot({ appId, callbackUri: bot.callbackUri, displayName: 'Demo bot' });
  console.log(`callmedia demo: local service at ${running.url} (Graph at ${running.url}/v1.0), Ctrl-C stops`);
  console.log(`  console: ${running.url}/console  (open it to join the call from your browser)`);

  const call = running.service.placeIncomingCall({ from: { displayName: 'Alice' }, toAppId: appId, modalities: ['audio', 'video'] });
  const established = await waitFor(() => running.service.findCall(call.id)?.state === 'established', 10_000);
  if (!established) throw new Error('the bot did not answer');
  running.service.addParticipant(call.id, { displayName: 'Bob', modalities: ['audio', 'video'] });
  running.service.addParticipant(call.id, { displayName: 'Carol', modalities: ['audio', 'video'], sharing: true });
  setTimeout(() => {
    if (running.service.findCall(call.id)?.state === 'established') running.service.sendTones(call.id, '42#');
  }, 4000).unref();

  const session = bot.sessions.get(call.id);
  if (session && (await waitFor(() => session.transportState === 'connected', 5000))) {
    const t = session.stats().transport;
    console.log(`  media: ${session.transportKind === 'webrtc' ? `DTLS-SRTP (${t?.srtpCipher}), ICE to ${t?.selectedRemote}, one port` : 'plain RTP'}`);
  }
  const showing = session ? showBotCamera(session) : undefined;
  console.log('  time  socket  source         fps  latency p50/p99 ms  lost  dropped');
  const started = Date.now();
  const timer = setInterval(() => {
    const session = bot.sessions.get(call.id);
    if (!session) return;
    const t = pad(((Date.now() - started) / 1000).toFixed(0), 5);
    for (const [i, socket] of [...session.videoSockets, ...(session.vbssSocket ? [session.vbssSocket] : [])].entries()) {
      if (socket.subscription === undefined) continue;
      const s = socket.stats();
      const who = session.participantOf(socket.subscription) ?? '?';
      const name = bot.client.calls.get(call.id)?.participants.get(who)?.displayName ?? `#${socket.subscription}`;
      const fps = s.framesReceived - (previous.get(socket) ?? 0);
      previous.set(socket, s.framesReceived);
      const label = i < session.videoSockets.length ? `video${i}` : 'screen';
      console.log(`${t}s  ${label.padEnd(6)}  ${name.padEnd(12)} ${pad(fps, 4)}  ${pad(s.latency.total.p50.toFixed(2), 8)}/${s.latency.total.p99.toFixed(2).padEnd(8)} ${pad(s.packetsLost, 5)} ${pad(s.framesDroppedDelivery + s.framesDroppedConsumer, 8)}`);
    }
    const audio = session.audioSocket?.stats();
    if (audio) {
      const dominant = session.audioSocket?.dominantSpeaker;
      const id = dominant ? session.participantOf(dominant) : undefined;
      const name = id ? bot.client.calls.get(call.id)?.participants.get(id)?.displayName : undefined;
      console.log(`${t}s  audio   ${audio.sourcesActive} sources, dominant: ${name ?? 'nobody'}, added latency p50 ${audio.addedLatency.p50.toFixed(1)} ms, concealed ${audio.concealed}`);
    }
  }, 1000);
  const previous = new Map<object, number>();

  await new Promise<void>((resolve) => {
    process.once('SIGINT', () => resolve());
    process.once('SIGTERM', () => resolve());
    // A reader that went away (`callmedia demo | head`) ends the demo as Ctrl-C does.
    process.stdout.on('error', (err: NodeJS.ErrnoException) => {
      if (err.code === 'EPIPE') resolve();
    });
    if (options.seconds) setTimeout(resolve, options.seconds * 1000);
  });
  clearInterval(timer);
  if (showing) clearInterval(showing);
  if (running.service.findCall(call.id)?.state === 'established') running.service.remoteHangUp(call.id);
  await new Promise((r) => setTimeout(r, 300));
  media.close();
  await bot.close();
  await running.close();
  console.log('demo: done');
}

const BOT_CAMERA = { width: 320, height: 240, fps: 15 };

/** The bot shows itself on its first video socket: a bar that sweeps across, so a viewer sees it live. */
function showBotCamera(session: MediaSession): NodeJS.Timeout {
  const { width, height, fps } = BOT_CAMERA;
  const picture = Buffer.alloc((width * height * 3) / 2);
  let n = 0;
  return setInterval(() => {
    const bar = (n * 4) % width;
    for (let y = 0; y < height; y++) {
      for (let x = 0; x < width; x++) picture[y * width + x] = Math.abs(x - bar) < 12 ? 235 : 40 + ((x + y) >> 3);
    }
    picture.fill(100, width * height, (width * height * 5) / 4);
    picture.fill(170, (width * height * 5) / 4);
    if (!session.videoSockets[0].isClosed) session.videoSockets[0].send({ format: 'I420', width, height, data: picture });
    n++;
  }, 1000 / fps);
}

async function waitFor(condition: () => boolean, timeoutMs: number): Promise<boolean> {
  const end = Date.now() + timeoutMs;
  while (Date.now() < end) {
    if (condition()) return true;
    await new Promise((r) => setTimeout(r, 50));
  }
  return condition();
}
