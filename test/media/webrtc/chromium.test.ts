import * as assert from 'assert';
import type { Browser } from 'playwright-core';
import { setTimeout as delay } from 'timers/promises';
import { AudioFrame, MediaPlatform, MediaSession, VideoFrame } from '../../../src/media';
import { launchChromium, openBrowserPeer, type BrowserPeer } from '../../helpers/browserPeer';
import { pcmBytes, sine } from '../../helpers/tones';
import { until } from '../../helpers/until';

/** The dominant frequency of 16 kHz mono PCM, by a coarse scan (50 Hz steps up to 2 kHz). */
function dominantFrequency(pcm: Buffer): number {
  const n = Math.min(pcm.length / 2, 16000);
  let best = 0;
  let bestPower = -1;
  for (let f = 100; f <= 2000; f += 10) {
    let re = 0;
    let im = 0;
    for (let i = 0; i < n; i++) {
      const s = pcm.readInt16LE(i * 2);
      re += s * Math.cos((2 * Math.PI * f * i) / 16000);
      im += s * Math.sin((2 * Math.PI * f * i) / 16000);
    }
    const power = re * re + im * im;
    if (power > bestPower) {
      bestPower = power;
      best = f;
    }
  }
  return best;
}

describe('media/webrtc: headless Chromium joins a MediaSession', function () {
  this.timeout(90_000);
  let browser: Browser;
  let peer: BrowserPeer | undefined;
  let platform: MediaPlatform;
  let session: MediaSession | undefined;
  let sender: NodeJS.Timeout | undefined;

  before(async () => {
    browser = await launchChromium();
  });

  after(async () => {
    await browser?.close();
  });

  afterEach(async () => {
    if (sender) clearInterval(sender);
    await peer?.close();
    await session?.close();
    platform?.close();
  });

  it('camera and microphone reach the bot decoded, the bot is seen and heard in the page, over DTLS-SRTP', async () => {
    platform = MediaPlatform.initialize({ applicationId: 'chromium-test' });
    session = platform.createMediaSession({
      audio: { send: {}, unmixed: 2 },
      video: [{ format: 'I420', send: { width: 320, height: 240, fps: 30 } }],
    });
    const s = session;
    peer = await openBrowserPeer(browser);
    const offer = await peer.offer();
    const frames: VideoFrame[] = [];
    const audio: AudioFrame[] = [];
    s.videoSockets[0].on('frame', (f) => frames.push(f));
    s.audioSocket?.on('audio', (f) => audio.push(f));

    const accepted = performance.now();
    const answer = await s.acceptOffer(offer);
    assert.ok(/a=ice-lite/.test(answer.sdp) && /a=setup:passive/.test(answer.sdp), 'an ICE-lite answer that serves DTLS');
    await peer.answer(answer.sdp);
    await until(() => s.transportState === 'connected', 'the transport to connect');

    // The bot talks (660 Hz) and shows a moving picture while the page's camera and mic run.
    let n = 0;
    const picture = Buffer.alloc((320 * 240 * 3) / 2);
    sender = setInterval(() => {
      for (let i = 0; i < 320 * 240; i++) picture[i] = (i + n * 4) & 0xff;
      picture.fill(128, 320 * 240);
      s.videoSockets[0].send({ format: 'I420', width: 320, height: 240, data: picture });
      s.audioSocket?.send(pcmBytes(sine(660, 16000, n * 320, 320, 9000)));
      n++;
    }, 20);

    await until(() => frames.length > 0, 'the first decoded frame from the browser');
    const firstFrameMs = performance.now() - accepted;
    await until(() => frames.length >= 60, '60 frames from the browser', 20_000);
    assert.ok(frames.every((f) => f.width === 640 && f.height === 480), `frames of the browser's size: ${frames[0].width}x${frames[0].height}`);

    // The fake microphone beeps: its tone is in the mix.
    await until(() => audio.filter((f) => !f.isSilence).length >= 100, 'two seconds of the browser\'s audio');
    const heard = Buffer.concat(audio.filter((f) => !f.isSilence).slice(-100).map((f) => f.data));
    const level = Math.sqrt(heard.reduce((sum, _b, i) => (i % 2 === 0 && i + 1 < heard.length ? sum + heard.readInt16LE(i) ** 2 : sum), 0) / (heard.length / 2));
    assert.ok(level > 100, `the microphone is heard in the mix (rms ${level.toFixed(0)})`);
    assert.ok(audio.some((f) => f.unmixed.length === 1), 'and as an unmixed buffer');
    const tone = dominantFrequency(heard);

    // The page sees the bot's video and hears its 660 Hz voice.
    await until(async () => ((await peer?.videoFrames()) ?? 0) >= 30, 'the page to show 30 of the bot\'s frames');
    assert.deepStrictEqual(await peer.videoSize(), { width: 320, height: 240 });
    await until(async () => ((await peer?.toneLead(660)) ?? -Infinity) > 10, 'the page to hear the bot\'s 660 Hz voice');

    const stats = await peer.transportStats();
    assert.strictEqual(stats.dtlsState, 'connected');
    assert.ok(stats.srtpCipher && /AES/.test(stats.srtpCipher), `an SRTP cipher: ${stats.srtpCipher}`);
    const ours = s.stats().transport;
    assert.ok(ours && ours.srtpCipher && ours.dtlsState === 'connected' && ours.srtpAuthFailures === 0);
    console.log(`      chromium: first decoded frame ${firstFrameMs.toFixed(0)} ms after acceptOffer; ${stats.srtpCipher}; codecs ${stats.codecs?.join(' ')}; mic tone ~${tone} Hz`);
  });
});
