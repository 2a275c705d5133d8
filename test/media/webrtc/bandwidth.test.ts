import * as assert from 'assert';
import { randomFillSync } from 'crypto';
import { MediaPlatform, MediaSession, parseDescription } from '../../../src/media';
import { Bottleneck } from '../../../bench/bottleneck';
import { numberedPicture } from '../../helpers/picture';
import { WebRtcRelay, answerThroughRelay } from '../../helpers/WebRtcRelay';
import { Pacer, WrtcPeer, closeCallParts, waitFor } from '../../helpers/wrtc';

const [W, H] = [640, 360];
const FPS = 30;
const CAP = 500_000;
const BOT_BITRATE = 2_000_000;
/** Seconds the senders have to come under the cap, and how long the test watches after. */
const CONVERGE_S = 5;
const WATCH_S = 8;

interface WrtcStat {
  type: string;
  kind?: string;
  state?: string;
  nominated?: boolean;
  availableOutgoingBitrate?: number;
  framesDecoded?: number;
  bytesSent?: number;
}

/**
 * A picture that takes bits to encode: the moving pattern with grain on it, new every frame, so
 * an encoder asked for 2 Mbit/s spends them, and one asked for less must give up detail.
 */
function grainyPicture(tag: number, n: number): Buffer {
  const p = numberedPicture(tag, n, W, H);
  const grain = randomFillSync(Buffer.alloc(W * H));
  const markRows = Math.floor(W / 20) * 2;  // the mark's two block rows stay clean
  for (let i = markRows * W; i < W * H; i++) p[i] = Math.max(0, Math.min(255, p[i] + (grain[i] & 15) - 8));
  return p;
}

/** The whole seconds from `from` (inclusive) to `to` (exclusive) and the rate offered in each. */
function rates(link: Bottleneck, from: number, to: number): number[] {
  const out: number[] = [];
  for (let s = from; s < to; s++) out.push(link.offeredBps(s));
  return out;
}

describe('media/webrtc: a 500 kbit/s bottleneck between a wrtc peer and a MediaSession, both directions, with transport-cc', function () {
  this.timeout(120_000);

  let platform: MediaPlatform | undefined;
  let session: MediaSession | undefined;
  let peer: WrtcPeer | undefined;
  let relay: WebRtcRelay | undefined;
  const pacers: Pacer[] = [];
  // Until the cap starts, the links are wide; `capAt` is the bottleneck's second when it did.
  const toPeer = new Bottleneck(100_000_000);
  const toBot = new Bottleneck(100_000_000);
  let capAt = 0;
  let answerSdp = '';
  let botFrames = 0;
  let peerFrames = 0;
  const botFramesAt: number[] = [];
  const peerFramesAt: number[] = [];
  let botStats: ReturnType<MediaSession['stats']> | undefined;
  let peerPair: WrtcStat | undefined;

  async function cleanUp(): Promise<void> {
    for (const p of pacers.splice(0)) p.stop();
    relay?.close();
    toPeer.close();
    toBot.close();
    const parts = [peer, session, platform] as const;
    [peer, session, platform, relay] = [undefined, undefined, undefined, undefined];
    await closeCallParts(...parts);
  }

  before(async function () {
    this.timeout(120_000);
    try {
      platform = MediaPlatform.initialize({ applicationId: 'bandwidth-test' });
      session = platform.createMediaSession({ video: [{ format: 'I420', send: { width: W, height: H, fps: FPS, bitrate: BOT_BITRATE } }] });
      const s = session;
      s.videoSockets[0].on('frame', () => botFrames++);
      relay = new WebRtcRelay(
        { address: '127.0.0.1', port: platform.mediaPort },
        (d) => toBot.pass(d),
        (d) => toPeer.pass(d),
      );
      const relayPort = await relay.listen();
      peer = new WrtcPeer();
      const p = peer;
      const video = p.addVideo();
      // Under the cap libwebrtc would otherwise halve its frame rate; the test counts frames.
      const params = video.transceiver.sender.getParameters();
      params.degradationPreference = 'maintain-framerate';
      await video.transceiver.sender.setParameters(params).catch(() => undefined);
      p.videoSink(video.transceiver, () => peerFrames++);
      const offer = await p.gatheredOffer();
      const answer = await s.acceptOffer(offer);
      answerSdp = answer.sdp;
      await p.pc.setRemoteDescription({ type: 'answer', sdp: answerThroughRelay(answer.sdp, platform.mediaPort, relayPort) });
      pacers.push(new Pacer(1000 / FPS, (n) => video.source.onFrame({ width: W, height: H, data: new Uint8ClampedArray(grainyPicture(7, n)) }), false));
      await waitFor('the bot transport to connect', () => s.transportState === 'connected', 20_000);
      const socket = s.videoSockets[0];
      pacers.push(new Pacer(1000 / FPS, (n) => socket.send({ format: 'I420', width: W, height: H, data: grainyPicture(8, n) }), false));
      await waitFor('first pictures both ways', () => botFrames > 5 && peerFrames > 5, 20_000);
      // Two seconds at full rate, then the cap.
      await new Promise((resolve) => setTimeout(resolve, 2000));
      capAt = Math.ceil(toPeer.elapsedS);
      await new Promise((resolve) => setTimeout(resolve, (capAt - toPeer.elapsedS) * 1000));
      toPeer.bitsPerSecond = CAP;
      toBot.bitsPerSecond = CAP;
      const counts = setInterval(() => {
        botFramesAt.push(botFrames);
        peerFramesAt.push(peerFrames);
      }, 1000);
      await new Promise((resolve) => setTimeout(resolve, (CONVERGE_S + WATCH_S) * 1000));
      clearInterval(counts);
      for (const pacer of pacers.splice(0)) pacer.stop();
      botStats = s.stats();
      const report = await (p.pc as unknown as { getStats(): Promise<Map<string, WrtcStat>> }).getStats();
      report.forEach((v) => {
        if (v.type === 'candidate-pair' && v.nominated && v.availableOutgoingBitrate !== undefined) peerPair = v;
      });
    } finally {
      for (const pacer of pacers.splice(0)) pacer.stop();
    }
  });

  after(cleanUp);

  it('the answer takes transport-cc: the transport-wide sequence extension and the feedback on each codec', () => {
    const video = parseDescription(answerSdp).media.find((m) => m.kind === 'video');
    assert.ok(video);
    assert.ok(video.extensions.some((e) => e.uri.includes('transport-wide-cc')), 'the extension is answered');
    assert.ok(video.codecs.filter((c) => c.name !== 'rtx').every((c) => c.feedback.includes('transport-cc')));
    assert.ok((botStats?.transport?.congestion.enabled ?? false), 'the transport does congestion control');
  });

  it(`bot → wrtc: the bot's sending rate falls under the cap within ${CONVERGE_S} s and stays near it, and frames keep arriving`, () => {
    const t = botStats?.transport;
    const send = botStats?.video[0].send;
    assert.ok(t && send);
    const before = rates(toPeer, capAt - 2, capAt);
    const after = rates(toPeer, capAt, capAt + CONVERGE_S + WATCH_S);
    const detail = JSON.stringify({ before, after, congestion: t.congestion, send: { ...send, encodeMs: undefined, sendMs: undefined, encode: undefined, sendLatency: undefined }, dropped: toPeer.dropped });
    assert.ok(Math.min(...before) > CAP * 1.5, `before the cap the bot sent well over it: ${detail}`);
    const under = after.findIndex((r) => r < CAP);
    assert.ok(under >= 0 && under < CONVERGE_S, `under the cap within ${CONVERGE_S} s: ${detail}`);
    const settled = after.slice(CONVERGE_S);
    const mean = settled.reduce((a, b) => a + b, 0) / settled.length;
    assert.ok(mean < CAP * 1.05 && mean > CAP * 0.3, `then near it: ${detail}`);
    assert.ok(t.congestion.feedbackReceived > 50 && t.congestion.decreases >= 1, `the estimate followed wrtc's feedback: ${detail}`);
    assert.ok(send.targetBitrate < CAP, `the encoder's target is under the cap: ${detail}`);
    const perSecond = peerFramesAt.slice(CONVERGE_S).map((n, i, a) => (i ? n - a[i - 1] : 0)).slice(1);
    assert.ok(perSecond.every((n) => n >= 10), `wrtc kept getting frames every second: ${JSON.stringify(perSecond)}`);
    console.log(`      to wrtc: ${before.map((r) => Math.round(r / 1000))} kbit/s, then ${after.map((r) => Math.round(r / 1000))} kbit/s; ` +
      `target ${Math.round(send.targetBitrate / 1000)} kbit/s, ${t.congestion.decreases} cuts, ${toPeer.dropped} dropped at the bottleneck`);
  });

  it(`wrtc → bot: the bot's transport-cc feedback brings wrtc under the cap within ${CONVERGE_S} s, and frames keep arriving`, () => {
    const t = botStats?.transport;
    assert.ok(t);
    const after = rates(toBot, capAt, capAt + CONVERGE_S + WATCH_S);
    const detail = JSON.stringify({ after, congestion: t.congestion, peerPair, dropped: toBot.dropped });
    assert.ok(t.congestion.feedbackSent > 50 && t.congestion.packetsWithSequence > 500, `the bot reported what it received: ${detail}`);
    const under = after.findIndex((r) => r < CAP);
    assert.ok(under >= 0 && under < CONVERGE_S, `under the cap within ${CONVERGE_S} s: ${detail}`);
    const settled = after.slice(CONVERGE_S);
    const mean = settled.reduce((a, b) => a + b, 0) / settled.length;
    assert.ok(mean < CAP * 1.05, `then at most near it: ${detail}`);
    if (peerPair?.availableOutgoingBitrate !== undefined) assert.ok(peerPair.availableOutgoingBitrate < CAP * 1.2, `wrtc's estimate: ${detail}`);
    // libwebrtc drops frames of its own when its encoder overshoots a low target: what matters is
    // that pictures keep coming, not wrtc's frame rate.
    const perSecond = botFramesAt.slice(CONVERGE_S).map((n, i, a) => (i ? n - a[i - 1] : 0)).slice(1);
    assert.ok(perSecond.every((n) => n >= 5), `the bot kept getting frames every second: ${JSON.stringify(perSecond)}`);
    console.log(`      to the bot: ${after.map((r) => Math.round(r / 1000))} kbit/s; wrtc's estimate ` +
      `${Math.round((peerPair?.availableOutgoingBitrate ?? 0) / 1000)} kbit/s, ${toBot.dropped} dropped at the bottleneck`);
  });
});
