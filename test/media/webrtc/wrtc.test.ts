import * as assert from 'assert';
import { AudioFrame, MediaPlatform, MediaSession, TransportStateChange, VideoFrame, parseDescription } from '../../../src/media';
import { dB, samples, toneAmplitude } from '../../helpers/goertzel';
import { numberedPicture, readMark } from '../../helpers/picture';
import { psnr } from '../../helpers/psnr';
import { concat, energyFraction, median, pcmBytes, sine, windowsOf } from '../../helpers/tones';
import { Pacer, WrtcAudioData, WrtcPeer, WrtcVideoFrame, closeCallParts, closeSession, waitFor } from '../../helpers/wrtc';

const [W, H] = [320, 240];
const FPS = 30;
/** Tags of the pictures: wrtc's two sources, and what the bot sends. */
const PEER_TAGS = [1, 2];
const BOT_TAG = 3;
const TONE_AMPLITUDE = 8000 / 32768;
/** Frames compared per direction at least. */
const MIN_FRAMES = 60;

interface Delivered {
  n: number;
  tag: number;
  psnr: number;
  /** PSNR against the frame before the one it names: a repeated or stale picture would match that one. */
  previous: number;
}

/** Reads the mark of a decoded I420 picture and compares it with the frame it names. */
function compare(data: Uint8Array, width: number, height: number): Delivered | undefined {
  if (width !== W || height !== H) return undefined;
  const mark = readMark(data, W);
  if (!mark) return { n: -1, tag: -1, psnr: 0, previous: 0 };
  return { ...mark, psnr: psnr(data, numberedPicture(mark.tag, mark.n, W, H)), previous: psnr(data, numberedPicture(mark.tag, mark.n - 1, W, H)) };
}

/** Every picture is much closer to the frame it names than to the one before. */
function assertOwnFrame(frames: Delivered[], what: string): void {
  const worst = Math.min(...frames.map((d) => d.psnr - d.previous));
  assert.ok(worst >= 6, `${what}: a picture is only ${worst.toFixed(1)} dB closer to its own frame than to the previous one`);
}

function summary(frames: Delivered[]): string {
  const values = frames.map((f) => f.psnr).sort((a, b) => a - b);
  const margin = Math.min(...frames.map((f) => f.psnr - f.previous));
  return `${frames.length} frames, PSNR min ${values[0]?.toFixed(1)} median ${median(values)?.toFixed(1)} dB (≥ ${margin.toFixed(1)} dB above the previous frame)`;
}

/** The loudest frequency of a second of audio (10 Hz steps), for a failure message. */
function dominantTone(pcm: Int16Array, rate: number): string {
  let best = { f: 0, a: 0 };
  for (let f = 50; f < rate / 2; f += 10) {
    const a = toneAmplitude(pcm, f, rate);
    if (a > best.a) best = { f, a };
  }
  return `what it hears is ${best.f} Hz at ${dB(best.a / TONE_AMPLITUDE).toFixed(1)} dB of the sent level`;
}

/** The SSRC a section of a description announces first. */
function firstSsrc(sdp: string, kind: string): number | undefined {
  return parseDescription(sdp).media.find((m) => m.kind === kind)?.sources[0]?.ssrc;
}

describe('media/webrtc: a wrtc peer (libwebrtc) in a MediaSession, both directions at once', function () {
  this.timeout(90_000);

  let platform: MediaPlatform | undefined;
  let session: MediaSession | undefined;
  let peer: WrtcPeer | undefined;
  const pacers: Pacer[] = [];

  // What one call recorded; the tests below check it.
  const bot = {
    video: [[], []] as VideoFrame[][],
    mix: [] as AudioFrame[],
    states: [] as TransportStateChange[],
  };
  const atPeer = { video: [] as Buffer[], sizes: [] as string[], audio: [] as WrtcAudioData[] };
  let transport: NonNullable<ReturnType<MediaSession['stats']>['transport']>;
  let offerSdp = '';
  let answerSdp = '';
  let peerCandidates: string[] = [];
  const ms = { connected: 0, firstFrame: 0, firstPeerFrame: 0 };
  let socketStats: ReturnType<MediaSession['stats']>;
  let statesBeforeClose: string[] = [];

  let closeError: Error | undefined;

  async function cleanUp(): Promise<void> {
    for (const p of pacers.splice(0)) p.stop();
    const parts = [peer, session, platform] as const;
    [peer, session, platform] = [undefined, undefined, undefined];
    try {
      await closeCallParts(...parts);
    } catch (err) {
      closeError = err as Error;
    }
  }

  before(async function () {
    this.timeout(90_000);
    try {
      platform = MediaPlatform.initialize({ applicationId: 'webrtc-test' });
      session = platform.createMediaSession({
        audio: { send: {}, unmixed: 4 },
        video: [{ format: 'I420', send: { width: W, height: H, fps: FPS } }, { format: 'I420' }],
      });
      const s = session;
      s.on('transportStateChanged', (e) => {
        bot.states.push(e);
        if (e.state === 'connected' && !ms.connected) ms.connected = performance.now();
      });
      s.videoSockets.forEach((socket, i) =>
        socket.on('frame', (f) => {
          if (!ms.firstFrame) ms.firstFrame = performance.now();
          bot.video[i].push(f);
        }),
      );
      s.audioSocket?.on('audio', (f) => {
        if (s.transportState === 'connected') bot.mix.push(f);
      });

      // Video, audio, video: the bot's sockets must follow the m-lines' order, whatever kind sits between.
      peer = new WrtcPeer();
      const p = peer;
      const first = p.addVideo();
      const audio = p.addAudio();
      const videos = [first, p.addVideo()];
      for (const v of videos) await p.keepResolution(v.transceiver);
      p.videoSink(videos[0].transceiver, (f: WrtcVideoFrame) => {
        if (!ms.firstPeerFrame) ms.firstPeerFrame = performance.now();
        atPeer.sizes.push(`${f.width}x${f.height}`);
        if (f.width === W && f.height === H) atPeer.video.push(Buffer.from(f.data));
      });
      p.audioSink(audio.transceiver, (d) => {
        if (s.transportState === 'connected') atPeer.audio.push({ ...d, samples: new Int16Array(d.samples) });
      });

      const offer = await p.gatheredOffer();
      offerSdp = offer.sdp;
      peerCandidates = parseDescription(offerSdp).transport.candidates.map((c) => `${c.address}:${c.port}`);
      const start = performance.now();
      const answer = await s.acceptOffer(offer);
      answerSdp = answer.sdp;
      await p.pc.setRemoteDescription(answer);

      // wrtc sends from the start; its frames go out once it is connected.
      videos.forEach((v, i) =>
        pacers.push(new Pacer(1000 / FPS, (n) => v.source.onFrame({ width: W, height: H, data: new Uint8ClampedArray(numberedPicture(PEER_TAGS[i], n, W, H)) }), false)),
      );
      pacers.push(new Pacer(10, (k) => audio.source.onData({ samples: sine(440, 48000, k * 480, 480), sampleRate: 48000, bitsPerSample: 16, channelCount: 1, numberOfFrames: 480 }), true));

      await waitFor('the bot transport to connect', () => s.transportState === 'connected', 20_000, () => JSON.stringify(bot.states));
      // The bot sends as soon as it can: pictures on its first video socket, 660 Hz at 20 ms a frame.
      const socket = s.videoSockets[0];
      pacers.push(new Pacer(1000 / FPS, (n) => socket.send({ format: 'I420', width: W, height: H, data: numberedPicture(BOT_TAG, n, W, H) }), false));
      const audioSocket = s.audioSocket;
      assert.ok(audioSocket);
      // Three frames ahead, as a bot keeps its audio queue: a late timer is no gap in the tone.
      pacers.push(new Pacer(20, (k) => audioSocket.send(pcmBytes(sine(660, 16000, k * 320, 320))), true, 3));

      const enough = () =>
        bot.video.every((v) => v.length >= MIN_FRAMES + 30) &&
        atPeer.video.length >= MIN_FRAMES + 30 &&
        bot.mix.filter((f) => !f.isSilence).length >= 150 &&
        atPeer.audio.reduce((n, d) => n + d.samples.length / (d.channelCount ?? 1) / d.sampleRate, 0) >= 4;
      await waitFor('frames and audio both ways', enough, 40_000, () =>
        `bot video ${bot.video.map((v) => v.length)}, peer video ${atPeer.video.length}, bot audio ${bot.mix.length}, peer audio ${atPeer.audio.length}`,
      );
      for (const pacer of pacers.splice(0)) pacer.stop();
      socketStats = s.stats();
      transport = socketStats.transport as typeof transport;
      statesBeforeClose = bot.states.map((e) => e.state);
      console.log(
        `      acceptOffer → connected ${(ms.connected - start).toFixed(0)} ms, → first decoded frame at the bot ${(ms.firstFrame - start).toFixed(0)} ms, ` +
          `→ first frame at wrtc ${(ms.firstPeerFrame - start).toFixed(0)} ms`,
      );
    } finally {
      await cleanUp();
    }
  });

  after(cleanUp);

  it('each video m-line lands on the socket its order matches; every picture the bot decodes is the one wrtc sent (≥ 60 frames each, PSNR ≥ 35 dB)', () => {
    for (const [i, frames] of bot.video.entries()) {
      const compared = frames.map((f) => compare(f.data, f.width, f.height)).filter((d): d is Delivered => d !== undefined);
      const sizes = new Set(frames.map((f) => `${f.width}x${f.height}`));
      assert.ok(compared.length >= MIN_FRAMES, `socket ${i}: ${compared.length} frames of ${W}x${H} (sizes ${[...sizes]})`);
      const unreadable = compared.filter((d) => d.tag < 0).length;
      assert.strictEqual(unreadable, 0, `socket ${i}: ${unreadable} decoded pictures carry no readable frame number`);
      const tags = new Set(compared.map((d) => d.tag));
      assert.deepStrictEqual([...tags], [PEER_TAGS[i]], `socket ${i} receives wrtc's source ${i} only (tags seen: ${[...tags]})`);
      const worst = Math.min(...compared.map((d) => d.psnr));
      assert.ok(worst >= 35, `socket ${i}: ${summary(compared)}`);
      assertOwnFrame(compared, `socket ${i}`);
      // Frames come in order and are distinct frames, not one picture repeated.
      const numbers = compared.map((d) => d.n);
      assert.ok(new Set(numbers).size === numbers.length, `socket ${i}: a frame delivered twice`);
      assert.ok(numbers.every((n, k) => k === 0 || n > numbers[k - 1]), `socket ${i}: frames out of order`);
      console.log(`      socket ${i}: ${summary(compared)}`);
    }
  });

  it("the 440 Hz tone wrtc sends is in the bot's mix (most of its energy) and in the unmixed buffer of wrtc's audio source", () => {
    const loud = bot.mix.findIndex((f) => !f.isSilence);
    assert.ok(loud >= 0, 'the mix is never loud');
    const frames = bot.mix.slice(loud + 25, loud + 125); // 2 s, after half a second of settling
    assert.strictEqual(frames.length, 100);
    const mix = windowsOf(samples(Buffer.concat(frames.map((f) => f.data))), 1600);
    const fraction = median(mix.map((w) => energyFraction(w, 440, 16000)));
    assert.ok(fraction >= 0.8, `440 Hz carries ${(fraction * 100).toFixed(0)} % of the mix's energy`);
    const against1k = median(mix.map((w) => dB(toneAmplitude(w, 440) / Math.max(1e-9, toneAmplitude(w, 1000)))));
    assert.ok(against1k >= 30, `440 Hz is ${against1k.toFixed(1)} dB above 1 kHz`);
    const level = median(mix.map((w) => toneAmplitude(w, 440)));
    assert.ok(Math.abs(dB(level / TONE_AMPLITUDE)) <= 6, `the tone arrives at ${dB(level / TONE_AMPLITUDE).toFixed(1)} dB of what was sent`);

    const audioSsrc = firstSsrc(offerSdp, 'audio');
    assert.ok(frames.every((f) => f.unmixed.length === 1), `one unmixed source: ${[...new Set(frames.map((f) => f.unmixed.length))]}`);
    assert.ok(frames.every((f) => f.unmixed[0].sourceId === audioSsrc), `the unmixed source is wrtc's audio SSRC ${audioSsrc}`);
    const unmixed = windowsOf(samples(Buffer.concat(frames.map((f) => f.unmixed[0].data))), 1600);
    const unmixedFraction = median(unmixed.map((w) => energyFraction(w, 440, 16000)));
    assert.ok(unmixedFraction >= 0.8, `440 Hz carries ${(unmixedFraction * 100).toFixed(0)} % of the unmixed buffer's energy`);
  });

  it("wrtc's RTCVideoSink receives the bot's pictures (≥ 60 frames, PSNR ≥ 35 dB)", () => {
    const compared = atPeer.video.map((d) => compare(d, W, H) as Delivered);
    const sizes = new Set(atPeer.sizes);
    assert.ok(compared.length >= MIN_FRAMES, `${compared.length} frames of ${W}x${H} at wrtc (sizes ${[...sizes]})`);
    assert.strictEqual(compared.filter((d) => d.tag < 0).length, 0, 'every picture carries a frame number');
    assert.ok(compared.every((d) => d.tag === BOT_TAG), "only the bot's pictures");
    const worst = Math.min(...compared.map((d) => d.psnr));
    assert.ok(worst >= 35, summary(compared));
    assertOwnFrame(compared, 'at wrtc');
    console.log(`      at wrtc: ${summary(compared)}`);
  });

  it("wrtc's RTCAudioSink hears the bot's 660 Hz tone", () => {
    // wrtc's sink starts at 16 kHz and moves to the decoder's rate once audio flows: keep what
    // it hands out at the rate it settled on, mono (the first channel if it hands out more).
    const rate = atPeer.audio[atPeer.audio.length - 1].sampleRate;
    const mono = concat(
      atPeer.audio.filter((d) => d.sampleRate === rate).map((d) => {
        const channels = d.channelCount ?? 1;
        return channels === 1 ? d.samples : d.samples.filter((_, i) => i % channels === 0);
      }),
    );
    const size = rate / 10; // 100 ms: 66 cycles of 660 Hz
    const all = windowsOf(mono, size);
    const first = all.findIndex((w) => toneAmplitude(w, 660, rate) > TONE_AMPLITUDE / 4);
    assert.ok(first >= 0, `660 Hz never heard in ${all.length / 10} s at ${rate} Hz: ${dominantTone(mono.subarray(-rate), rate)}`);
    const heard = all.slice(first + 5, first + 25);
    assert.strictEqual(heard.length, 20, `2 s of audio after the tone started (${all.length - first} windows)`);
    const fraction = median(heard.map((w) => energyFraction(w, 660, rate)));
    assert.ok(fraction >= 0.8, `660 Hz carries ${(fraction * 100).toFixed(0)} % of what wrtc hears`);
    const level = median(heard.map((w) => toneAmplitude(w, 660, rate)));
    assert.ok(Math.abs(dB(level / TONE_AMPLITUDE)) <= 6, `wrtc hears the tone at ${dB(level / TONE_AMPLITUDE).toFixed(1)} dB of what was sent`);
    const dropouts = heard.filter((w) => toneAmplitude(w, 660, rate) < TONE_AMPLITUDE / 4).length;
    assert.strictEqual(dropouts, 0, `${dropouts} windows of 100 ms without the tone`);
  });

  it('transport stats: connected, DTLS connected with an SRTP cipher, the selected pair is a candidate of wrtc, no SRTP failures', () => {
    assert.strictEqual(transport.state, 'connected');
    assert.strictEqual(transport.dtlsState, 'connected');
    assert.strictEqual(transport.dtlsRole, 'server', 'wrtc offers actpass and takes the client role');
    assert.match(transport.srtpCipher, /^(SRTP_AES128_CM_SHA1_(80|32)|SRTP_AEAD_AES_128_GCM|AEAD_AES_128_GCM)$/);
    assert.ok(peerCandidates.includes(transport.selectedRemote), `selected ${transport.selectedRemote}, wrtc's candidates ${peerCandidates}`);
    assert.strictEqual(transport.srtpAuthFailures, 0);
    assert.strictEqual(transport.stunAuthFailures, 0);
    assert.strictEqual(transport.rtpUnroutable, 0, 'every RTP packet found its socket');
    assert.ok(transport.rtpPacketsIn > 0 && transport.rtpPacketsOut > 0);
    assert.deepStrictEqual(statesBeforeClose, ['checking', 'connected']);
    // The answer: BUNDLE of the three sections, the bot's second video socket only receives.
    const answer = parseDescription(answerSdp);
    assert.deepStrictEqual(answer.bundle, parseDescription(offerSdp).bundle);
    assert.deepStrictEqual(answer.media.map((m) => `${m.kind} ${m.direction}`), ['video sendrecv', 'audio sendrecv', 'video recvonly']);
    assert.ok(answer.media.every((m) => m.codecs[0].name === 'VP8' || m.kind === 'audio'), 'VP8: this wrtc has no H.264');
    const video = socketStats.video;
    assert.strictEqual(video[0].decodeErrors + video[1].decodeErrors, 0);
    console.log(`      transport: ${JSON.stringify(transport)}`);
  });

  it('the session closes (every socket and the transport) once the peer has gone', () => {
    assert.ifError(closeError);
  });
});

describe('media/webrtc: a wrtc peer leaves first', function () {
  this.timeout(60_000);

  let platform: MediaPlatform | undefined;
  let session: MediaSession | undefined;
  let peer: WrtcPeer | undefined;

  afterEach(async () => {
    const parts = [peer, session, platform] as const;
    [peer, session, platform] = [undefined, undefined, undefined];
    await closeCallParts(...parts);
  });

  it("the peer's close_notify closes the transport (DTLS_CLOSED), and session.close() still resolves", async () => {
    platform = MediaPlatform.initialize({ applicationId: 'webrtc-test' });
    const s = (session = platform.createMediaSession({ audio: {}, video: [{ format: 'I420' }] }));
    const states: TransportStateChange[] = [];
    s.on('transportStateChanged', (e) => states.push(e));
    const p = (peer = new WrtcPeer());
    p.addAudio();
    const video = p.addVideo();
    await p.pc.setRemoteDescription(await s.acceptOffer(await p.gatheredOffer()));
    let frames = 0;
    s.videoSockets[0].on('frame', () => frames++);
    const pacer = new Pacer(1000 / FPS, (n) => video.source.onFrame({ width: W, height: H, data: new Uint8ClampedArray(numberedPicture(1, n, W, H)) }), false);
    p.onClose(() => pacer.stop());
    await waitFor('frames at the bot', () => frames >= 10, 20_000, () => JSON.stringify(states));

    p.close();
    await waitFor("the bot to see the peer's close_notify", () => s.transportState === 'closed', 10_000, () => JSON.stringify(states));
    assert.deepStrictEqual(states.map((e) => e.state), ['checking', 'connected', 'closed']);
    assert.strictEqual(states[2].code, 'DTLS_CLOSED');
    assert.strictEqual(s.transportError?.code, 'DTLS_CLOSED');

    session = undefined;
    await closeSession(s, 10_000);
    assert.ok(s.videoSockets[0].isClosed && s.audioSocket?.isClosed, 'every socket closed');
    assert.strictEqual(s.stats().transport?.state, 'closed');
  });
});

describe('media/webrtc: the bot offers (createOffer), wrtc answers (setRemoteDescription)', function () {
  this.timeout(60_000);

  let platform: MediaPlatform | undefined;
  let session: MediaSession | undefined;
  let peer: WrtcPeer | undefined;
  const pacers: Pacer[] = [];

  afterEach(async () => {
    for (const p of pacers.splice(0)) p.stop();
    const parts = [peer, session, platform] as const;
    [peer, session, platform] = [undefined, undefined, undefined];
    await closeCallParts(...parts);
  });

  it("wrtc takes the bot's ICE-lite actpass offer: the bot serves DTLS, VP8 both ways and the tone reach the other side", async () => {
    platform = MediaPlatform.initialize({ applicationId: 'webrtc-test' });
    const s = (session = platform.createMediaSession({ audio: { send: {} }, video: [{ format: 'I420', send: { width: W, height: H, fps: FPS } }] }));
    const states: TransportStateChange[] = [];
    s.on('transportStateChanged', (e) => states.push(e));
    const atBot: Delivered[] = [];
    s.videoSockets[0].on('frame', (f) => {
      const d = compare(f.data, f.width, f.height);
      if (d) atBot.push(d);
    });
    let loud = 0;
    s.audioSocket?.on('audio', (f) => {
      if (!f.isSilence && energyFraction(samples(f.data), 440, 16000) > 0.5) loud++;
    });
    const atPeer: Delivered[] = [];
    let heard = 0;
    const p = (peer = new WrtcPeer());
    p.onTrack(
      (f) => {
        const d = compare(new Uint8Array(f.data.buffer, f.data.byteOffset, f.data.length), f.width, f.height);
        if (d) atPeer.push(d);
      },
      (d) => {
        if (d.samples.length >= 160 && toneAmplitude(d.samples, 660, d.sampleRate) > TONE_AMPLITUDE / 4) heard++;
      },
    );

    const offer = await s.createOffer();
    const model = parseDescription(offer.sdp);
    assert.ok(model.iceLite, 'the offer is ICE-lite');
    assert.deepStrictEqual(model.media.map((m) => m.setup), ['actpass', 'actpass']);
    let video: ReturnType<WrtcPeer['addVideoTrack']> | undefined;
    let audio: ReturnType<WrtcPeer['addAudioTrack']> | undefined;
    const answer = await p.gatheredAnswer(offer, () => {
      audio = p.addAudioTrack();
      video = p.addVideoTrack();
    });
    await s.setRemoteDescription(answer);
    const v = video as NonNullable<typeof video>;
    const a = audio as NonNullable<typeof audio>;
    pacers.push(new Pacer(1000 / FPS, (n) => v.onFrame({ width: W, height: H, data: new Uint8ClampedArray(numberedPicture(PEER_TAGS[0], n, W, H)) }), false));
    pacers.push(new Pacer(10, (k) => a.onData({ samples: sine(440, 48000, k * 480, 480), sampleRate: 48000, bitsPerSample: 16, channelCount: 1, numberOfFrames: 480 }), true));
    await waitFor('the bot transport to connect', () => s.transportState === 'connected', 20_000, () => JSON.stringify(states));
    const socket = s.videoSockets[0];
    const audioSocket = s.audioSocket as NonNullable<typeof s.audioSocket>;
    pacers.push(new Pacer(1000 / FPS, (n) => socket.send({ format: 'I420', width: W, height: H, data: numberedPicture(BOT_TAG, n, W, H) }), false));
    pacers.push(new Pacer(20, (k) => audioSocket.send(pcmBytes(sine(660, 16000, k * 320, 320))), true, 3));
    await waitFor('pictures and tones both ways', () => atBot.length >= MIN_FRAMES && atPeer.length >= MIN_FRAMES && loud >= 50 && heard >= 50, 30_000, () =>
      `${atBot.length} pictures at the bot, ${atPeer.length} at wrtc, ${loud} loud frames at the bot, ${heard} at wrtc`,
    );
    for (const pacer of pacers.splice(0)) pacer.stop();

    const t = s.stats().transport;
    assert.strictEqual(t?.state, 'connected');
    assert.strictEqual(t?.dtlsRole, 'server', "wrtc answers a=setup:active, so the bot serves");
    assert.match(/^a=setup:(\w+)/m.exec(answer.sdp)?.[1] ?? '', /^active$/);
    assert.strictEqual(t?.srtpAuthFailures, 0);
    assert.ok(atBot.every((d) => d.tag === PEER_TAGS[0]) && atPeer.every((d) => d.tag === BOT_TAG), 'each side decodes the other\'s pictures');
    assert.ok(Math.min(...atBot.map((d) => d.psnr)) >= 35, `at the bot: ${summary(atBot)}`);
    assert.ok(Math.min(...atPeer.map((d) => d.psnr)) >= 35, `at wrtc: ${summary(atPeer)}`);
    const codec = parseDescription(answer.sdp).media.find((m) => m.kind === 'video')?.codecs[0]?.name;
    assert.strictEqual(codec, 'VP8', 'wrtc (no H.264) answers VP8 from the H.264 + VP8 offer');
  });
});

describe('media/webrtc: ICE credentials of every form RFC 8445 allows', function () {
  this.timeout(60_000);

  let platform: MediaPlatform | undefined;
  let session: MediaSession | undefined;
  let peer: WrtcPeer | undefined;

  afterEach(async () => {
    const parts = [peer, session, platform] as const;
    [peer, session, platform] = [undefined, undefined, undefined];
    await closeCallParts(...parts);
  });

  // ice-char is ALPHA / DIGIT / "+" / "/" (RFC 8445 15.4): "1234" is a ufrag like any other. wrtc
  // and browsers draw 4 characters, so about one offer in 1900 has one.
  const digits = (sdp: string) => sdp.replace(/^a=ice-ufrag:.*$/gm, 'a=ice-ufrag:1234');

  it('a peer whose offer has an all-digit ICE ufrag connects (acceptOffer)', async () => {
    platform = MediaPlatform.initialize({ applicationId: 'webrtc-test' });
    const s = (session = platform.createMediaSession({ audio: {} }));
    const p = (peer = new WrtcPeer());
    p.addAudio();
    const offer = await p.pc.createOffer();
    await p.pc.setLocalDescription({ type: 'offer', sdp: digits(offer.sdp) });
    await waitFor('wrtc to gather', () => p.pc.iceGatheringState === 'complete', 10_000);
    const local = p.pc.localDescription as { type: 'offer'; sdp: string };
    assert.match(local.sdp, /^a=ice-ufrag:1234\r$/m, 'wrtc took the ufrag');
    await p.pc.setRemoteDescription(await s.acceptOffer(local));
    await waitFor('the session to connect', () => s.transportState === 'connected', 20_000, () => s.transportState);
  });

  it("a peer whose answer has an all-digit ICE ufrag connects (createOffer, setRemoteDescription)", async () => {
    platform = MediaPlatform.initialize({ applicationId: 'webrtc-test' });
    // The bot sends audio, so wrtc (with nothing to send) answers recvonly rather than inactive.
    const s = (session = platform.createMediaSession({ audio: { send: {} } }));
    const p = (peer = new WrtcPeer());
    await p.pc.setRemoteDescription(await s.createOffer());
    const answer = await p.pc.createAnswer();
    await p.pc.setLocalDescription({ type: 'answer', sdp: digits(answer.sdp) });
    await waitFor('wrtc to gather', () => p.pc.iceGatheringState === 'complete', 10_000);
    const local = p.pc.localDescription as { type: 'answer'; sdp: string };
    assert.match(local.sdp, /^a=ice-ufrag:1234\r$/m, 'wrtc took the ufrag');
    await s.setRemoteDescription(local);
    await waitFor('the session to connect', () => s.transportState === 'connected', 20_000, () => s.transportState);
  });
});
