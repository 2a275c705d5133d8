import * as assert from 'assert';
import { AudioFrame, MediaPlatform, MediaSession, parseDescription } from '../../../src/media';
import { samples, toneAmplitude } from '../../helpers/goertzel';
import { SeenPicture, flatPicture, seenPicture } from '../../helpers/picture';
import { energyFraction, median, sine, windowsOf } from '../../helpers/tones';
import { Pacer, WrtcPeer, closeSession, waitFor } from '../../helpers/wrtc';

const [W, H] = [320, 240];
const FPS = 15;
const PEERS = 3;
/** What bot session i sends (luma level, tag), what peer i sends, and peer i's tone. */
const BOT = [
  { level: 40, tag: 10 },
  { level: 105, tag: 11 },
  { level: 170, tag: 12 },
];
const PEER = [
  { level: 70, tag: 20, tone: 400 },
  { level: 135, tag: 21, tone: 600 },
  { level: 200, tag: 22, tone: 800 },
];
const MIN_FRAMES = 40;

type Seen = SeenPicture;
const seen = (data: ArrayLike<number>, width: number, height: number): Seen => seenPicture(data, width, height, W, H);

describe('media/webrtc: three sessions and three wrtc peers on the one media port', function () {
  this.timeout(90_000);

  let platform: MediaPlatform | undefined;
  const sessions: MediaSession[] = [];
  const peers: WrtcPeer[] = [];
  const pacers: Pacer[] = [];

  afterEach(async () => {
    for (const p of pacers.splice(0)) p.stop();
    for (const p of peers.splice(0)) p.close();
    try {
      await Promise.all(sessions.splice(0).map((s) => closeSession(s)));
    } finally {
      platform?.close();
      platform = undefined;
    }
  });

  it("each session's media reaches only its own peer and each peer's only its own session, every transport on the one port", async () => {
    platform = MediaPlatform.initialize({ applicationId: 'webrtc-test' });
    const atBot: Seen[][] = [[], [], []];
    const atPeer: Seen[][] = [[], [], []];
    const mixes: AudioFrame[][] = [[], [], []];
    for (let i = 0; i < PEERS; i++) {
      const s = platform.createMediaSession({ audio: { unmixed: 2 }, video: [{ format: 'I420', send: { width: W, height: H, fps: FPS } }] });
      sessions.push(s);
      s.videoSockets[0].on('frame', (f) => atBot[i].push(seen(f.data, f.width, f.height)));
      s.audioSocket?.on('audio', (f) => {
        if (s.transportState === 'connected') mixes[i].push(f);
      });
      const p = new WrtcPeer();
      peers.push(p);
      const video = p.addVideo();
      const audio = p.addAudio();
      await p.keepResolution(video.transceiver);
      p.videoSink(video.transceiver, (f) => atPeer[i].push(seen(f.data, f.width, f.height)));
      pacers.push(new Pacer(1000 / FPS, (n) => video.source.onFrame({ width: W, height: H, data: new Uint8ClampedArray(flatPicture(PEER[i].level, PEER[i].tag, n, W, H)) }), false));
      pacers.push(new Pacer(10, (k) => audio.source.onData({ samples: sine(PEER[i].tone, 48000, k * 480, 480), sampleRate: 48000, bitsPerSample: 16, channelCount: 1, numberOfFrames: 480 }), true));
    }
    // All three negotiate at once.
    const offers = await Promise.all(peers.map((p) => p.gatheredOffer()));
    const answers = await Promise.all(sessions.map((s, i) => s.acceptOffer(offers[i])));
    await Promise.all(peers.map((p, i) => p.pc.setRemoteDescription(answers[i])));
    await waitFor('every session to connect', () => sessions.every((s) => s.transportState === 'connected'), 30_000, () =>
      sessions.map((s) => s.transportState).join(', '),
    );
    sessions.forEach((s, i) =>
      pacers.push(new Pacer(1000 / FPS, (n) => s.videoSockets[0].send({ format: 'I420', width: W, height: H, data: flatPicture(BOT[i].level, BOT[i].tag, n, W, H) }), false)),
    );
    await waitFor(
      'pictures both ways in every call',
      () => atBot.every((f) => f.length >= MIN_FRAMES) && atPeer.every((f) => f.length >= MIN_FRAMES) && mixes.every((m) => m.length >= 100),
      45_000,
      () => `at the bot ${atBot.map((f) => f.length)}, at the peers ${atPeer.map((f) => f.length)}, audio ${mixes.map((m) => m.length)}`,
    );
    for (const p of pacers.splice(0)) p.stop();
    const transports = sessions.map((s) => s.stats().transport);
    const port = platform.portStats();

    // One port: every socket and every answer's candidate is the platform's media port.
    const mediaPort = platform.mediaPort;
    for (const [i, s] of sessions.entries()) {
      assert.strictEqual(s.videoSockets[0].port, mediaPort, `session ${i}'s video socket is on the media port`);
      assert.strictEqual(s.audioSocket?.port, mediaPort, `session ${i}'s audio socket is on the media port`);
      const candidates = parseDescription(answers[i].sdp).transport.candidates.map((c) => `${c.address}:${c.port}`);
      assert.deepStrictEqual(candidates, [`127.0.0.1:${mediaPort}`]);
    }
    // Three transports, three remotes, each its own peer's.
    const selected = transports.map((t) => t?.selectedRemote ?? '');
    assert.strictEqual(new Set(selected).size, PEERS, `selected remotes ${selected}`);
    for (const [i, t] of transports.entries()) {
      const own = parseDescription(offers[i].sdp).transport.candidates.map((c) => `${c.address}:${c.port}`);
      assert.ok(own.includes(selected[i]), `session ${i} selected ${selected[i]}, its peer's candidates are ${own}`);
      assert.strictEqual(t?.state, 'connected');
      assert.strictEqual(t?.srtpAuthFailures, 0);
      assert.strictEqual(t?.rtpUnroutable, 0);
    }
    assert.strictEqual(port?.stunUnknownUsername, 0, JSON.stringify(port));
    assert.strictEqual(port?.unknownAddress, 0, JSON.stringify(port));

    // Pictures: every one carries its sender's tag and level, none another call's.
    const check = (frames: Seen[], expected: { level: number; tag: number }, what: string) => {
      const wrong = frames.filter((f) => f.tag !== expected.tag || Math.abs(f.luma - expected.level) > 8);
      const others = [...new Set(wrong.map((f) => `tag ${f.tag} luma ${f.luma.toFixed(0)}`))].slice(0, 5);
      assert.strictEqual(wrong.length, 0, `${what}: ${wrong.length} of ${frames.length} pictures are not tag ${expected.tag} at luma ${expected.level} (${others})`);
    };
    for (let i = 0; i < PEERS; i++) {
      check(atBot[i], PEER[i], `session ${i}`);
      check(atPeer[i], BOT[i], `peer ${i}`);
    }

    // Audio: each session's mix holds its own peer's tone, not the others'.
    for (let i = 0; i < PEERS; i++) {
      const loud = mixes[i].findIndex((f) => !f.isSilence);
      const frames = mixes[i].slice(loud + 10, loud + 60);
      assert.ok(loud >= 0 && frames.length === 50, `session ${i}: ${frames.length} frames after the first loud one`);
      assert.ok(frames.every((f) => f.unmixed.length === 1), `session ${i} hears one source`);
      const windows = windowsOf(samples(Buffer.concat(frames.map((f) => f.data))), 1600);
      const own = median(windows.map((w) => energyFraction(w, PEER[i].tone, 16000)));
      assert.ok(own >= 0.8, `session ${i}: ${PEER[i].tone} Hz carries ${(own * 100).toFixed(0)} % of the mix`);
      for (const other of PEER.filter((_, k) => k !== i)) {
        const leak = median(windows.map((w) => toneAmplitude(w, other.tone)));
        assert.ok(leak < 0.005, `session ${i} hears peer ${PEER.indexOf(other)}'s ${other.tone} Hz at ${leak.toFixed(4)} of full scale`);
      }
    }
    console.log(`      media port ${mediaPort}, selected remotes ${selected.join(', ')}; port stats ${JSON.stringify(port)}`);
  });
});
