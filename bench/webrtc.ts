import * as http from 'http';
import type { AddressInfo } from 'net';
import { MediaPlatform, ServerSession, VideoFrame, monotonicNowMs, parseMediaConfiguration } from '../src/media';
import { progress } from './scenario';
import { ProbeSocket, Resolution, SocketPair, delay, sendSettings } from './send';

/** Longest wait for a connection (ICE, DTLS) before a measurement gives up. */
const CONNECT_TIMEOUT_MS = 10_000;

async function until(condition: () => boolean, what: string, timeoutMs = CONNECT_TIMEOUT_MS): Promise<void> {
  const end = monotonicNowMs() + timeoutMs;
  while (!condition()) {
    if (monotonicNowMs() > end) throw new Error(`timed out waiting for ${what}`);
    await delay(5);
  }
}

/**
 * The loopback pair over DTLS-SRTP: a bot's MediaSession receives on its first video socket;
 * the sender sits on a media server's side of that session (a ServerSession, the controlling
 * ICE agent and DTLS client), each on a media port of its own on 127.0.0.1.
 */
export async function srtpPair(res: Resolution): Promise<SocketPair> {
  const botPlatform = MediaPlatform.initialize({ applicationId: 'bench-bot' });
  const serverPlatform = MediaPlatform.initialize({ applicationId: 'bench-server' });
  const session = botPlatform.createMediaSession({ audio: false, video: [{ format: 'I420' }] });
  const server = new ServerSession(serverPlatform, parseMediaConfiguration(session.mediaConfiguration).sdp);
  const section = server.sections[0];
  const tx = new ProbeSocket({ send: sendSettings(res) }, { transport: server.transport, mid: section.mid, payloadTypes: [] });
  tx.setRtpParameters({ route: { mid: section.mid, payloadTypes: [], remoteSsrcs: section.sessionSsrcs }, sendPayloadType: 96, sendCodec: 'H264' });
  await session.setRemoteDescription({ type: 'answer', sdp: server.answer(new Map([[section.mid, tx.ssrcs.send as number]])) });
  await until(() => session.transportState === 'connected' && server.transportState === 'connected', 'DTLS-SRTP to connect');
  const cipher = session.stats().transport?.srtpCipher;
  progress(`${res.label}: DTLS-SRTP connected (${cipher})`);
  return {
    tx,
    rx: session.videoSockets[0],
    async close() {
      await tx.close();
      await session.close();
      await server.close();
      botPlatform.close();
      serverPlatform.close();
    },
  };
}

// ---------------------------------------------------------------------------------------------
// Time to media with real WebRTC peers: acceptOffer → the first decoded frame

/** The parts of @roamhq/wrtc used here. */
interface WrtcModule {
  RTCPeerConnection: new () => {
    readonly iceGatheringState: string;
    readonly localDescription: { type: 'offer'; sdp: string } | null;
    onicegatheringstatechange: (() => void) | null;
    addTransceiver(track: unknown, init: { direction: string }): unknown;
    createOffer(): Promise<{ type: 'offer'; sdp: string }>;
    setLocalDescription(d: { type: 'offer'; sdp: string }): Promise<void>;
    setRemoteDescription(d: { type: 'answer'; sdp: string }): Promise<void>;
    close(): void;
  };
  nonstandard: { RTCVideoSource: new () => { createTrack(): { stop(): void }; onFrame(f: { width: number; height: number; data: Uint8ClampedArray }): void } };
}

/** acceptOffer → first decoded frame, once per attempt, each with a new wrtc peer and session. */
export async function connectWrtc(attempts: number): Promise<{ samples: number[] } | { error: string }> {
  let wrtc: WrtcModule;
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    wrtc = require('@roamhq/wrtc') as WrtcModule;
  } catch (err) {
    return { error: `@roamhq/wrtc could not be loaded: ${(err as Error).message.split('\n')[0]}` };
  }
  const samples: number[] = [];
  const platform = MediaPlatform.initialize({ applicationId: 'bench-connect' });
  try {
    for (let i = 0; i < attempts; i++) {
      const session = platform.createMediaSession({ audio: false, video: [{ format: 'I420' }] });
      const pc = new wrtc.RTCPeerConnection();
      const source = new wrtc.nonstandard.RTCVideoSource();
      const track = source.createTrack();
      pc.addTransceiver(track, { direction: 'sendonly' });
      const picture = new Uint8ClampedArray((320 * 240 * 3) / 2).fill(128);
      const feeder = setInterval(() => source.onFrame({ width: 320, height: 240, data: picture }), 33);
      try {
        await pc.setLocalDescription(await pc.createOffer());
        await until(() => pc.iceGatheringState === 'complete', 'wrtc to gather candidates');
        let firstFrameAt = 0;
        session.videoSockets[0].once('frame', () => (firstFrameAt = monotonicNowMs()));
        const accepted = monotonicNowMs();
        const answer = await session.acceptOffer(pc.localDescription as { type: 'offer'; sdp: string });
        await pc.setRemoteDescription(answer as { type: 'answer'; sdp: string });
        await until(() => firstFrameAt > 0, 'the first frame from wrtc');
        samples.push(firstFrameAt - accepted);
      } finally {
        clearInterval(feeder);
        track.stop();
        pc.close();
        await session.close();
      }
    }
  } finally {
    platform.close();
  }
  return { samples };
}

/** The same with headless Chromium (Debian's, through playwright-core): a new page per attempt. */
export async function connectChromium(attempts: number): Promise<{ samples: number[]; version: string } | { error: string }> {
  let chromium: typeof import('playwright-core').chromium;
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    chromium = (require('playwright-core') as typeof import('playwright-core')).chromium;
  } catch (err) {
    return { error: `playwright-core could not be loaded: ${(err as Error).message.split('\n')[0]}` };
  }
  let browser: Awaited<ReturnType<typeof chromium.launch>>;
  try {
    browser = await chromium.launch({
      executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
      args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
        '--disable-component-update', '--disable-sync', '--use-fake-device-for-media-stream', '--use-fake-ui-for-media-stream'],
    });
  } catch (err) {
    return { error: `Chromium could not be started: ${(err as Error).message.split('\n')[0]}` };
  }
  const samples: number[] = [];
  const platform = MediaPlatform.initialize({ applicationId: 'bench-connect' });
  // Capture needs a secure context: a page from http://127.0.0.1 is one, about:blank is not.
  const server = http.createServer((_req, res) => res.end('<!doctype html><title>callmedia peer</title>'));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
  try {
    for (let i = 0; i < attempts; i++) {
      const page = await browser.newPage();
      const session = platform.createMediaSession({ audio: false, video: [{ format: 'I420' }] });
      try {
        await page.goto(url);
        const offer = await page.evaluate(async () => {
          const g = globalThis as unknown as Record<string, unknown> & { navigator: { mediaDevices: { getUserMedia(c: unknown): Promise<{ getTracks(): unknown[] }> } } };
          const stream = await g.navigator.mediaDevices.getUserMedia({ video: { width: 640, height: 480 } });
          const PC = g.RTCPeerConnection as new () => Record<string, (...a: unknown[]) => Promise<unknown>> & { iceGatheringState: string; localDescription: { sdp: string }; addEventListener(e: string, f: () => void): void };
          const pc = new PC();
          g.pc = pc;
          for (const t of stream.getTracks()) await pc.addTrack(t, stream);
          await pc.setLocalDescription(await pc.createOffer());
          if (pc.iceGatheringState !== 'complete') {
            await new Promise<void>((resolve) => pc.addEventListener('icegatheringstatechange', () => pc.iceGatheringState === 'complete' && resolve()));
          }
          return pc.localDescription.sdp;
        });
        let firstFrameAt = 0;
        session.videoSockets[0].once('frame', (_f: VideoFrame) => (firstFrameAt = monotonicNowMs()));
        const accepted = monotonicNowMs();
        const answer = await session.acceptOffer(offer);
        await page.evaluate((sdp) => {
          const pc = (globalThis as unknown as { pc: { setRemoteDescription(d: unknown): Promise<void> } }).pc;
          return pc.setRemoteDescription({ type: 'answer', sdp });
        }, answer.sdp);
        await until(() => firstFrameAt > 0, 'the first frame from Chromium');
        samples.push(firstFrameAt - accepted);
      } finally {
        await page.close();
        await session.close();
      }
    }
    return { samples, version: browser.version() };
  } finally {
    platform.close();
    await browser.close();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
}
