import * as assert from 'assert';
import { setTimeout as delay } from 'timers/promises';
import { CallMediaError, MediaPlatform, MediaSession, ServerSession, VideoFrame, VideoSocket, parseMediaConfiguration } from '../../../src/media';
import { openBotLeg } from '../../../src/service/media/BotLeg';
import { ForwardingPort } from '../../../src/service/media/ForwardingPort';
import { numberedPicture, readMark } from '../../helpers/picture';
import { psnr } from '../../helpers/psnr';
import { until } from '../../helpers/until';
import { WrtcPeer, closeCallParts } from '../../helpers/wrtc';

const TAG = 3;

/** The luma plane of an I420 picture shrunk by `k` (a box average, as a scaler's own filter is near). */
function shrunkLuma(i420: Buffer, width: number, height: number, k: number): Uint8Array {
  const w = width / k;
  const h = height / k;
  const out = new Uint8Array(w * h);
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      let sum = 0;
      for (let dy = 0; dy < k; dy++) for (let dx = 0; dx < k; dx++) sum += i420[(y * k + dy) * width + x * k + dx];
      out[y * w + x] = Math.round(sum / (k * k));
    }
  }
  return out;
}

describe('media/webrtc: simulcast send', function () {
  this.timeout(90_000);
  const closers: (() => unknown)[] = [];

  afterEach(async () => {
    for (const close of closers.splice(0).reverse()) await close();
  });

  it('three layers reach the media server, and subscribers that ask for 720p and 180p each get their own, by size and SSRC', async () => {
    const botPlatform = MediaPlatform.initialize({ applicationId: 'bot' });
    const serverPlatform = MediaPlatform.initialize({ applicationId: 'server' });
    closers.push(() => botPlatform.close(), () => serverPlatform.close());
    const session: MediaSession = botPlatform.createMediaSession({
      audio: false,
      video: [{ send: { width: 1280, height: 720, fps: 15, bitrate: 2_500_000, simulcast: [{ rid: 'h' }, { rid: 'm' }, { rid: 'l' }] } }],
    });
    closers.push(() => session.close());
    const camera = session.videoSockets[0];
    const layers = camera.simulcastLayers;
    assert.deepStrictEqual(layers?.map((l) => [l.rid, l.width, l.height]), [['h', 1280, 720], ['m', 640, 360], ['l', 320, 180]]);
    assert.strictEqual(new Set(layers?.map((l) => l.ssrc)).size, 3, 'each layer has an SSRC of its own');

    const offer = parseMediaConfiguration(session.mediaConfiguration).sdp;
    assert.match(offer, /a=simulcast:send h;m;l/);
    assert.match(offer, /a=rid:l send max-width=320;max-height=180/);
    const server = new ServerSession(serverPlatform, offer);
    closers.push(() => server.close());
    const section = server.sections[0];
    const point = new ForwardingPort('video', { transport: server.transport, mid: section.mid, remoteSsrcs: section.sessionSsrcs });
    closers.push(() => point.close());
    const answer = server.answer(new Map([[section.mid, point.ssrc]]));
    assert.match(answer, /a=simulcast:recv h;m;l/);
    assert.deepStrictEqual(server.layersOf(section.mid)?.map((l) => l.height), [720, 360, 180]);
    point.setStreamIdExtension(server.streamIdExtensionId);

    // Two subscribers of the bot's camera: one asks for the top layer, one for the smallest.
    const large = new VideoSocket({ maxQueuedFrames: 64 });
    const small = new VideoSocket({ maxQueuedFrames: 64 });
    closers.push(() => large.close(), () => small.close());
    const got = { large: [] as VideoFrame[], small: [] as VideoFrame[] };
    large.on('frame', (f) => got.large.push(f));
    small.on('frame', (f) => got.small.push(f));
    point.forwardTo(large.port, '127.0.0.1', 'h');
    point.forwardTo(small.port, '127.0.0.1', 'l');

    await session.setRemoteDescription({ type: 'answer', sdp: answer });
    await until(() => session.transportState === 'connected' && server.transportState === 'connected', 'both ends to connect');

    const sent: Buffer[] = [];
    for (let n = 0; n < 60; n++) {
      const picture = numberedPicture(TAG, n, 1280, 720);
      sent.push(picture);
      camera.send({ format: 'I420', width: 1280, height: 720, data: picture });
      await delay(66);
      if (got.large.length >= 20 && got.small.length >= 20) break;
    }
    await until(() => got.large.length >= 10 && got.small.length >= 10, `frames of both layers (${got.large.length}, ${got.small.length})`);

    // Every layer reached the server, named by its stream id.
    const streams = point.stats().streams;
    for (const l of layers ?? []) {
      const s = streams.find((x) => x.rid === l.rid);
      assert.ok(s && s.ssrc === l.ssrc && s.packets > 0, `layer ${l.rid} at the server: ${JSON.stringify(streams)}`);
    }
    const byRid = new Map((layers ?? []).map((l) => [l.rid, l]));
    for (const [name, frames, rid, k] of [['large', got.large, 'h', 1], ['small', got.small, 'l', 4]] as const) {
      const layer = byRid.get(rid);
      assert.ok(layer);
      for (const f of frames) {
        assert.deepStrictEqual([f.width, f.height, f.mediaSourceId], [layer.width, layer.height, layer.ssrc], `${name}: a frame of layer ${rid}`);
      }
      // The picture is the one sent, at the layer's size.
      const last = frames[frames.length - 1];
      const mark = readMark(last.data, last.width);
      assert.ok(mark && mark.tag === TAG && mark.n < sent.length, `${name}: the frame's mark reads ${JSON.stringify(mark)}`);
      const reference = k === 1 ? sent[mark.n].subarray(0, 1280 * 720) : shrunkLuma(sent[mark.n], 1280, 720, k);
      const quality = psnr(new Uint8Array(last.data.buffer, last.data.byteOffset, last.width * last.height), reference);
      assert.ok(quality >= 30, `${name}: PSNR ${quality.toFixed(1)} dB`);
    }
    // Each layer has its own encoder: the sender's stats show all three encoding.
    const send = camera.stats().send;
    assert.strictEqual(send?.layers?.length, 3);
    for (const l of send?.layers ?? []) assert.ok(l.framesEncoded > 0 && l.active, `layer ${l.rid}: ${l.framesEncoded} frames encoded`);
  });

  it('the local service shows a participant the bot\'s simulcast camera in the layer that fits its tile', async () => {
    const botPlatform = MediaPlatform.initialize({ applicationId: 'bot' });
    const servicePlatform = MediaPlatform.initialize({ applicationId: 'service' });
    closers.push(() => botPlatform.close(), () => servicePlatform.close());
    const session = botPlatform.createMediaSession({
      audio: false,
      video: [{ send: { width: 640, height: 360, fps: 15, simulcast: [{ rid: 'full' }, { rid: 'quarter', scaleResolutionDownBy: 4 }] } }],
    });
    closers.push(() => session.close());
    const leg = openBotLeg(session.mediaConfiguration, () => servicePlatform);
    closers.push(() => leg.close());
    assert.deepStrictEqual(leg.cameraLayers, [{ rid: 'full', width: 640, height: 360 }, { rid: 'quarter', width: 160, height: 90 }]);
    await session.applyMediaConfiguration(leg.completedBlob as string);
    await until(() => session.transportState === 'connected', 'the session to connect');

    // Tiles of 90 and 180 rows: the quarter layer fits the first, only the full one the second.
    const tile90 = new VideoSocket({ maxQueuedFrames: 64 });
    const tile180 = new VideoSocket({ maxQueuedFrames: 64 });
    closers.push(() => tile90.close(), () => tile180.close());
    const sizes = { tile90: new Set<string>(), tile180: new Set<string>() };
    tile90.on('frame', (f) => sizes.tile90.add(`${f.width}x${f.height}`));
    tile180.on('frame', (f) => sizes.tile180.add(`${f.width}x${f.height}`));
    // Each tile is a participant's eyes: a port of the service's that passes what it gets on.
    const eyes90 = new ForwardingPort('video');
    const eyes180 = new ForwardingPort('video');
    closers.push(() => eyes90.close(), () => eyes180.close());
    eyes90.forwardTo(tile90.port);
    eyes180.forwardTo(tile180.port);
    leg.showCamera(eyes90, 90);
    leg.showCamera(eyes180, 180);
    const camera = session.videoSockets[0];
    for (let n = 0; n < 45 && (tile90.stats().framesDecoded < 10 || tile180.stats().framesDecoded < 10); n++) {
      camera.send({ format: 'I420', width: 640, height: 360, data: numberedPicture(TAG, n, 640, 360) });
      await delay(66);
    }
    await until(() => tile90.stats().framesDecoded >= 10 && tile180.stats().framesDecoded >= 10, 'frames in both tiles');
    assert.deepStrictEqual([...sizes.tile90], ['160x90']);
    assert.deepStrictEqual([...sizes.tile180], ['640x360']);
  });

  it('a peer that takes no simulcast (wrtc) gets the first layer alone; the other layers encode nothing', async () => {
    const platform = MediaPlatform.initialize({ applicationId: 'bot' });
    const session = platform.createMediaSession({
      audio: false,
      video: [{ send: { width: 320, height: 180, fps: 15, simulcast: [{ rid: 'a' }, { rid: 'b' }] } }],
    });
    const peer = new WrtcPeer();
    closers.push(() => closeCallParts(peer, session, platform));
    const seen: { width: number; height: number; psnr: number }[] = [];
    const sent: Buffer[] = [];
    peer.onTrack(
      (f) => {
        const data = new Uint8Array(f.data.buffer, f.data.byteOffset, f.data.length);
        const mark = f.width === 320 ? readMark(data, 320) : undefined;
        const reference = mark && mark.tag === TAG ? sent[mark.n] : undefined;
        seen.push({ width: f.width, height: f.height, psnr: reference ? psnr(data.subarray(0, 320 * 180), reference.subarray(0, 320 * 180)) : 0 });
      },
      () => undefined,
    );
    const offer = await session.createOffer();
    const answer = await peer.gatheredAnswer(offer, () => undefined);
    assert.doesNotMatch(answer.sdp, /a=simulcast/, 'wrtc answers without simulcast');
    await session.setRemoteDescription(answer);
    await until(() => session.transportState === 'connected', 'the session to connect', 20_000);
    const camera = session.videoSockets[0];
    for (let n = 0; n < 90 && seen.length < 20; n++) {
      sent.push(numberedPicture(TAG, n, 320, 180));
      camera.send({ format: 'I420', width: 320, height: 180, data: sent[n] });
      await delay(66);
    }
    await until(() => seen.length >= 20, `frames at wrtc (${seen.length})`, 20_000);
    assert.ok(seen.every((f) => f.width === 320 && f.height === 180), `every frame is the first layer's: ${JSON.stringify(seen.slice(0, 3))}`);
    assert.ok(Math.min(...seen.slice(-10).map((f) => f.psnr)) >= 35, `PSNR ${seen.slice(-10).map((f) => f.psnr.toFixed(1)).join(' ')}`);
    const layers = camera.stats().send?.layers ?? [];
    assert.deepStrictEqual(layers.map((l) => [l.rid, l.active, l.framesEncoded > 0]), [['a', true, true], ['b', false, false]]);
  });

  it('simulcast settings are checked: stream ids, order, count, bitrates, and a plain RTP socket has none', async () => {
    const platform = MediaPlatform.initialize({ applicationId: 'bot' });
    closers.push(() => platform.close());
    const invalid = (simulcast: unknown) => {
      assert.throws(
        () => platform.createMediaSession({ audio: false, video: [{ send: { width: 640, height: 360, simulcast: simulcast as never } }] }),
        (e: CallMediaError) => e.code === 'INVALID_ARGUMENT',
        JSON.stringify(simulcast),
      );
    };
    invalid([]);
    invalid([{ rid: 'a' }, { rid: 'b' }, { rid: 'c' }, { rid: 'd' }, { rid: 'e' }]);
    invalid([{ rid: 'a' }, { rid: 'a' }]);
    invalid([{ rid: 'not valid' }]);
    invalid([{ rid: 'a', scaleResolutionDownBy: 2 }, { rid: 'b' }]);
    invalid([{ rid: 'a' }, { rid: 'b', scaleResolutionDownBy: 4 }, { rid: 'c', scaleResolutionDownBy: 2 }]);
    invalid([{ rid: 'a' }, { rid: 'b', maxBitrate: 10 }]);
    assert.throws(() => new VideoSocket({ send: { width: 640, height: 360, simulcast: [{ rid: 'a' }, { rid: 'b' }] } }), (e: CallMediaError) => e.code === 'INVALID_ARGUMENT' && /WebRTC/.test(e.message));
    // The socket's bitrate is shared by area; a layer's own maxBitrate holds.
    const session = platform.createMediaSession({
      audio: false,
      video: [{ send: { width: 640, height: 360, bitrate: 1_000_000, simulcast: [{ rid: 'a' }, { rid: 'b', maxBitrate: 200_000 }] } }],
    });
    closers.push(() => session.close());
    const layers = session.videoSockets[0].stats().send?.layers ?? [];
    assert.deepStrictEqual(layers.map((l) => [l.rid, l.width, l.height, l.targetBitrate]), [['a', 640, 360, 800_000], ['b', 320, 180, 200_000]]);
  });
});
