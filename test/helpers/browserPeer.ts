import * as http from 'http';
import type { AddressInfo } from 'net';
import { Browser, Page, chromium } from 'playwright-core';

/** Debian's Chromium, headless, with fake camera and microphone and none of its background traffic. */
/** `fakeAudioFile`: a WAV the fake microphone plays in a loop (default: Chromium's own beeps). */
export async function launchChromium(options: { fakeAudioFile?: string } = {}): Promise<Browser> {
  return chromium.launch({
    executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--use-fake-device-for-media-stream',
      '--use-fake-ui-for-media-stream',
      '--autoplay-policy=no-user-gesture-required',
      ...(options.fakeAudioFile ? [`--use-file-for-fake-audio-capture=${options.fakeAudioFile}`] : []),
    ],
  });
}

/**
 * The page a browser participant runs: camera and microphone into an RTCPeerConnection, and
 * what comes back counted (video frames through requestVideoFrameCallback, audio through an
 * analyser).
 */
const PAGE = `<!doctype html>
<html><head><meta charset="utf-8"><title>callmedia peer</title></head>
<body>
<video id="remote" autoplay playsinline muted width="320" height="240"></video>
<script>
window.videoFrames = 0;
window.videoSize = { width: 0, height: 0 };
window.start = async () => {
  const stream = await navigator.mediaDevices.getUserMedia({ audio: true, video: { width: 640, height: 480, frameRate: 30 } });
  const pc = new RTCPeerConnection();
  window.pc = pc;
  for (const track of stream.getTracks()) pc.addTrack(track, stream);
  const remote = new MediaStream();
  pc.ontrack = (e) => {
    remote.addTrack(e.track);
    const video = document.getElementById('remote');
    video.srcObject = remote;
    if (e.track.kind === 'video') {
      const count = () => {
        window.videoFrames++;
        window.videoSize = { width: video.videoWidth, height: video.videoHeight };
        video.requestVideoFrameCallback(count);
      };
      video.requestVideoFrameCallback(count);
    } else {
      // WebRTC audio reaches Web Audio only through a playing element.
      const element = new Audio();
      element.srcObject = new MediaStream([e.track]);
      element.muted = true;
      element.play();
      const context = new AudioContext();
      const analyser = context.createAnalyser();
      analyser.fftSize = 4096;
      context.createMediaStreamSource(new MediaStream([e.track])).connect(analyser);
      window.analyser = analyser;
      window.audioContext = context;
    }
  };
  await pc.setLocalDescription(await pc.createOffer());
  if (pc.iceGatheringState !== 'complete') {
    await new Promise((resolve) => pc.addEventListener('icegatheringstatechange', () => pc.iceGatheringState === 'complete' && resolve()));
  }
  return pc.localDescription.sdp;
};
window.finish = async (sdp) => { await window.pc.setRemoteDescription({ type: 'answer', sdp }); };
// The analyser's bins below 4 kHz: the peak within 3 bins of a frequency, the loudest elsewhere, and the median (the floor).
window.spectrumAt = (frequency) => {
  const a = window.analyser;
  if (!a) return undefined;
  const bins = new Float32Array(a.frequencyBinCount);
  a.getFloatFrequencyData(bins);
  const hz = window.audioContext.sampleRate / a.fftSize;
  const at = Math.round(frequency / hz);
  let here = -Infinity, other = -Infinity;
  const band = [];
  for (let i = 2; i < Math.min(bins.length, 4000 / hz); i++) {
    if (Math.abs(i - at) <= 3) here = Math.max(here, bins[i]);
    else other = Math.max(other, bins[i]);
    if (Number.isFinite(bins[i])) band.push(bins[i]);
  }
  band.sort((x, y) => x - y);
  return { here, other, floor: band.length ? band[Math.floor(band.length / 2)] : Infinity };
};
// dB at a frequency minus the loudest dB elsewhere: positive when the tone dominates.
window.toneLead = (frequency) => { const s = window.spectrumAt(frequency); return s ? s.here - s.other : -Infinity; };
// dB at a frequency minus the floor: well above 0 when the tone is in the mix.
window.tonePresence = (frequency) => { const s = window.spectrumAt(frequency); return s ? s.here - s.floor : -Infinity; };
window.transportStats = async () => {
  const out = {};
  (await window.pc.getStats()).forEach((r) => {
    if (r.type === 'transport') Object.assign(out, { dtlsState: r.dtlsState, srtpCipher: r.srtpCipher, dtlsCipher: r.dtlsCipher, iceState: r.iceState });
    if (r.type === 'outbound-rtp' && r.kind === 'video') out.videoCodec = r.codecId;
    if (r.type === 'codec') (out.codecs = out.codecs || []).push(r.mimeType);
  });
  return out;
};
</script>
</body></html>`;

export interface BrowserPeer {
  page: Page;
  /** The browser's offer (camera and microphone), once its ICE gathering finished. */
  offer(): Promise<string>;
  answer(sdp: string): Promise<void>;
  videoFrames(): Promise<number>;
  videoSize(): Promise<{ width: number; height: number }>;
  toneLead(frequency: number): Promise<number>;
  /** dB of a tone above the floor of what the page hears: present in a mix, not only dominant. */
  tonePresence(frequency: number): Promise<number>;
  transportStats(): Promise<{ dtlsState?: string; srtpCipher?: string; dtlsCipher?: string; iceState?: string; codecs?: string[] }>;
  close(): Promise<void>;
}

/** Serves the peer page on localhost and opens it in a new page of `browser`. */
export async function openBrowserPeer(browser: Browser): Promise<BrowserPeer> {
  const server = http.createServer((_req, res) => {
    res.writeHead(200, { 'Content-Type': 'text/html; charset=utf-8' });
    res.end(PAGE);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const page = await browser.newPage();
  await page.goto(`http://127.0.0.1:${(server.address() as AddressInfo).port}/`);
  type W = Record<string, (...args: unknown[]) => unknown> & { videoFrames: number; videoSize: { width: number; height: number } };
  return {
    page,
    offer: () => page.evaluate(() => (globalThis as unknown as W).start() as Promise<string>),
    answer: (sdp) => page.evaluate((s) => (globalThis as unknown as W).finish(s) as Promise<void>, sdp),
    videoFrames: () => page.evaluate(() => (globalThis as unknown as W).videoFrames),
    videoSize: () => page.evaluate(() => (globalThis as unknown as W).videoSize),
    toneLead: (f) => page.evaluate((x) => (globalThis as unknown as W).toneLead(x) as number, f),
    tonePresence: (f) => page.evaluate((x) => (globalThis as unknown as W).tonePresence(x) as number, f),
    transportStats: () => page.evaluate(() => (globalThis as unknown as W).transportStats() as Promise<Record<string, string>>),
    async close() {
      await page.close();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
