import * as assert from 'assert';
import { setTimeout as delay } from 'timers/promises';
import { VideoFrame, VideoSocket } from '../../src/media';
import { NativeForwarder, native } from '../../src/media/native';
import { makeH264Clip, sendRtp } from '../../src/peers/ffmpeg';

/** A forwarding port of the local service's kind, with its events collected. */
function forwarder(video: boolean): { port: NativeForwarder; events: [string, unknown][] } {
  const events: [string, unknown][] = [];
  const port = new (native().Forwarder)({ video }, (kind, payload) => events.push([kind, payload]));
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
    const first = control.events.find(([k]) => k === 'subscription')?.[1] as { code: string; message: string };
    assert.deepStrictEqual(first, { code: String(sourceA), message: '320x180' });
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
});
