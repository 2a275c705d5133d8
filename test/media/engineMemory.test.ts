import * as assert from 'assert';
import { setTimeout as delay } from 'timers/promises';
import * as v8 from 'v8';
import * as vm from 'vm';
import { VideoFrame, VideoSocket, engineMemory } from '../../src/media';
import { exited, makeH264Clip, sendRtp } from '../../src/peers/ffmpeg';

v8.setFlagsFromString('--expose-gc');
const gc = vm.runInNewContext('gc') as () => void;

/** Collects until the frame buffers' finalizers have run (they run after a collection, on a later tick). */
async function collectUntil(done: () => boolean): Promise<void> {
  for (let i = 0; i < 50 && !done(); i++) {
    gc();
    await delay(20);
  }
}

describe('media/engineMemory: pooled frame buffers', function () {
  this.timeout(60_000);

  it('each frame JavaScript holds is an outstanding buffer; dropped and collected, every one returns to the pool', async () => {
    await collectUntil(() => false);
    const before = engineMemory();
    const clip = makeH264Clip({ width: 320, height: 180, seconds: 2, profile: 'baseline' });
    const socket = new VideoSocket({ format: 'I420', maxQueuedFrames: 64 });
    let held: VideoFrame[] = [];
    socket.on('frame', (f) => held.push(f));
    await exited(sendRtp(clip, { ports: [socket.port] }));
    await delay(300);
    await socket.close();
    const holding = engineMemory();
    assert.strictEqual(held.length, 60, `${held.length} frames`);
    assert.ok(holding.buffersOutstanding - before.buffersOutstanding >= held.length,
      `${held.length} frames held, ${holding.buffersOutstanding - before.buffersOutstanding} buffers outstanding`);
    assert.ok(holding.bytesOutstanding - before.bytesOutstanding >= held.length * 320 * 180 * 1.5);

    held = [];
    await collectUntil(() => engineMemory().buffersOutstanding <= before.buffersOutstanding);
    const after = engineMemory();
    // (At most as many as before: a buffer an earlier test left may have come back meanwhile.)
    assert.ok(after.buffersOutstanding <= before.buffersOutstanding,
      `every buffer came back: ${after.buffersOutstanding} outstanding, ${before.buffersOutstanding} before the stream`);
    assert.ok(after.bytesOutstanding <= before.bytesOutstanding);
  });
});
