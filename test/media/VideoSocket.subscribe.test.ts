import * as assert from 'assert';
import * as dgram from 'dgram';
import { setTimeout as delay } from 'timers/promises';
import { VideoFrame, VideoSocket } from '../../src/media';
import { NativeForwarder, NativeForwarderEvent, native } from '../../src/media/native';
import { makeH264Clip, sendRtp } from '../../src/peers/ffmpeg';
import { until } from '../helpers/until';

/** A forwarding port of the local service's kind, with its typed events collected. */
function forwarder(video: boolean): { port: NativeForwarder; events: [string, NativeForwarderEvent][] } {
  const events: [string, NativeForwarderEvent][] = [];
  const port = new (native().Forwarder)({ video }, (kind, payload) => {
    if (kind === 'events') for (const e of payload as NativeForwarderEvent[]) events.push([e.type, e]);
  });
  return { port, events };
}

describe('media/VideoSocket: subscriptions through forwarding ports', function () {
  this.timeout(40_000);

  it('subscribe tells the server in-band; frames of the chosen source only; resubscribing swaps sources at a key frame', async () => {
    const clipA = makeH264Clip({ width: 320, height: 180, seconds: 8, profile: 'baseline', source: 'testsrc2' });
    const clipB = makeH264Clip({ width: 320, height: 180, seconds: 8, profile: 'baseline', source: 'smptebars' });
    const a = forwarder(true);
    const b = forwarder(true);
    const control = forwarder(false); // where the bot socket's RTCP goes
    const socket = new VideoSocket({ format: 'I420', remote: { port: control.port.localPort() } });
    const frames: VideoFrame[] = [];
    socket.on('frame', (f) => frames.push(f));
    const senders = [sendRtp(clipA, { ports: [a.port.localPort()] }), sendRtp(clipB, { ports: [b.port.localPort()] })];
    // Learn each participant's source id the way a roster would carry it.
    while (!a.port.stats().lastSsrc || !b.port.stats().lastSsrc) await delay(20);
    const [sourceA, sourceB] = [a.port.stats().lastSsrc, b.port.stats().lastSsrc];

    // The service's side: a subscription names a source; forward that source to the socket.
    const route = (sourceId: number) => {
      for (const f of [a, b]) f.port.removeTarget('127.0.0.1', socket.port);
      const chosen = sourceId === sourceA ? a : sourceId === sourceB ? b : undefined;
      chosen?.port.addTarget('127.0.0.1', socket.port);
    };
    const seen = () => control.events.filter(([k]) => k === 'subscription').length;
    socket.subscribe(sourceA, { resolution: '180p' });
    while (seen() < 1) await delay(5);
    const first = control.events.find(([k]) => k === 'subscription')?.[1];
    assert.deepStrictEqual(first, { type: 'subscription', sourceId: sourceA, width: 320, height: 180 });
    route(sourceA);
    await delay(2500);
    const switchAt = frames.length;
    socket.subscribe({ mediaSourceId: sourceB });
    while (seen() < 2) await delay(5);
    route(sourceB);
    const switchedAt = performance.now();
    while (!frames.slice(switchAt).some((f) => f.mediaSourceId === sourceB) && performance.now() - switchedAt < 3000) await delay(10);
    const firstB = performance.now() - switchedAt;
    await delay(1500);
    for (const s of senders) s.kill('SIGTERM');
    const stats = socket.stats();
    await socket.close();
    for (const f of [a, b, control]) f.port.close();

    const before = frames.slice(0, switchAt);
    const after = frames.slice(switchAt);
    assert.ok(before.length >= 40 && before.every((f) => f.mediaSourceId === sourceA), `before: ${before.length} frames`);
    const firstOfB = after.findIndex((f) => f.mediaSourceId === sourceB);
    assert.ok(firstOfB >= 0, 'the new source arrives');
    assert.ok(after.slice(firstOfB).every((f) => f.mediaSourceId === sourceB), 'nothing of the old source after the switch');
    assert.ok(after[firstOfB].keyFrame, 'the new source starts at a key frame');
    assert.ok(firstB < 1500, `first frame of the new source after ${firstB.toFixed(0)} ms (one key-frame interval is 1 s)`);
    assert.strictEqual(stats.decodeErrors, 0);
    assert.ok(b.port.stats().packetsGated > 0, 'the forwarder held the new target back until a key frame');
  });

  it('a plain forwarding port takes subscriptions only from the host it learned: another host\'s SUBS is refused and counted', async () => {
    const control = forwarder(false);
    const socket = new VideoSocket({ format: 'I420', remote: { port: control.port.localPort() } });
    const subscriptions = () => control.events.flatMap(([, e]) => (e.type === 'subscription' ? [e.sourceId] : []));
    const udp = (address: string) =>
      new Promise<dgram.Socket>((resolve) => {
        const s = dgram.createSocket('udp4');
        s.bind(0, address, () => resolve(s));
      });
    // RTCP APP "SUBS" (what a socket sends to subscribe) naming source 4242 at 320x180.
    const subs = Buffer.alloc(20);
    subs.writeUInt8(0x80, 0);
    subs.writeUInt8(204, 1);
    subs.writeUInt16BE(4, 2);
    subs.writeUInt32BE(0xbad, 4);
    subs.write('SUBS', 8, 'ascii');
    subs.writeUInt32BE(4242, 12);
    subs.writeUInt16BE(320, 16);
    subs.writeUInt16BE(180, 18);
    const stranger = await udp('127.0.0.2');
    const neighbour = await udp('127.0.0.1');
    try {
      socket.subscribe(1001);
      await until(() => subscriptions().length === 1, 'the socket\'s own subscription');
      stranger.send(subs, control.port.localPort(), '127.0.0.1');
      await until(() => control.port.stats().datagramsRefused === 1, 'the stranger\'s datagram to be refused');
      // The learned host may report from another port (RTCP on port + 1): that is read.
      neighbour.send(subs, control.port.localPort(), '127.0.0.1');
      await until(() => subscriptions().length === 2, 'the same host\'s subscription');
      assert.deepStrictEqual(subscriptions(), [1001, 4242]);
      assert.strictEqual(control.port.stats().datagramsRefused, 1);
    } finally {
      stranger.close();
      neighbour.close();
      await socket.close();
      control.port.close();
    }
  });
});
