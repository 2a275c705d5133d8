import * as assert from 'assert';
import { VideoFrame, VideoSocket, frameSize } from '../../src/media';
import { rawTestFrames } from '../../src/peers/ffmpeg';
import { assertFramesAccounted } from '../helpers/accounting';
import { psnr } from '../helpers/psnr';
import { UdpRelay } from '../helpers/UdpRelay';
import { until } from '../helpers/until';

const FRAME_MS = 1000 / 30;
const FRAMES = 300;
/**
 * The stream goes on a little after the frames that are counted, as a live one does: a packet
 * lost at the very end of a stream leaves no later packet to show the hole, so nothing could ask
 * for it (in any RTP stack), and the last frame would wait for it for ever.
 */
const TAIL_FRAMES = 10;
const [WIDTH, HEIGHT] = [640, 360];

function split(buffer: Buffer, size: number): Buffer[] {
  const out: Buffer[] = [];
  for (let off = 0; off + size <= buffer.length; off += size) out.push(buffer.subarray(off, off + size));
  return out;
}

/**
 * One engine socket sends to another through a relay that drops packets: the receiver asks for
 * what is missing (RTCP NACK), the sender answers from what it sent, and frames that lost a
 * packet still arrive whole, without a key frame. One key frame in the whole stream, so a loss
 * that was not repaired would freeze the picture for the rest of it.
 */
describe('media/VideoSocket: lost packets are asked for again and repaired (NACK)', function () {
  this.timeout(90_000);
  const source = split(rawTestFrames(WIDTH, HEIGHT, FRAMES, 'yuv420p'), frameSize('I420', WIDTH, HEIGHT));

  const cases = [
    { loss: 0.01, seed: 21, jitterMs: 0 },
    { loss: 0.05, seed: 22, jitterMs: 0 },
    // Every packet waits 0–30 ms: they arrive out of order all the time, and most holes are
    // packets that are only late, which the assembler waits for.
    { loss: 0.01, seed: 23, jitterMs: 30 },
    { loss: 0.05, seed: 24, jitterMs: 30 },
  ];
  for (const { loss, seed, jitterMs } of cases) {
    const impairment = `${loss * 100} % loss${jitterMs ? `, ${jitterMs} ms jitter` : ''}`;
    it(`${impairment}: every frame arrives whole and right (PSNR ≥ 35 dB), repaired by retransmission, no key frame asked for`, async () => {
      const rx = new VideoSocket({ format: 'I420', maxQueuedFrames: FRAMES + TAIL_FRAMES });
      const relay = new UdpRelay({ target: rx.port, loss, jitterMs, warmupPackets: 20, seed });
      const tx = new VideoSocket({ send: { width: WIDTH, height: HEIGHT, bitrate: 1_500_000, keyFrameInterval: 1000 }, remote: { port: await relay.listen() } });
      const frames: VideoFrame[] = [];
      rx.on('frame', (f) => frames.push(f));
      const timestamps: number[] = [];
      const start = performance.now();
      for (let i = 0; i < FRAMES + TAIL_FRAMES; i++) {
        timestamps.push(tx.send({ format: 'I420', width: WIDTH, height: HEIGHT, data: source[i % FRAMES] }));
        const wait = start + (i + 1) * FRAME_MS - performance.now();
        if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
      }
      const counted = new Set(timestamps.slice(0, FRAMES));
      const deliveredCounted = (): number => frames.filter((f) => counted.has(f.timestamp)).length;
      await until(() => deliveredCounted() >= FRAMES, `${FRAMES} frames (have ${deliveredCounted()})`, 10_000).catch(() => undefined);
      const sent = tx.stats().send;
      await Promise.all([tx.close(), rx.close()]);
      const stats = rx.stats();
      relay.close();
      assertFramesAccounted(stats, rx.format);

      assert.ok(relay.dropped > 0, 'the relay dropped packets');
      assert.strictEqual(sent?.framesEncoded, FRAMES + TAIL_FRAMES, JSON.stringify(sent));
      assert.ok(stats.nackSent > 0 && stats.packetsRecovered > 0, `NACKs ${stats.nackSent}, recovered ${stats.packetsRecovered}`);
      assert.ok((sent?.packetsRetransmitted ?? 0) > 0, `the sender retransmitted ${sent?.packetsRetransmitted}`);
      assert.strictEqual(deliveredCounted(), FRAMES, `${deliveredCounted()} of ${FRAMES} frames delivered: ${JSON.stringify({ ...stats, latency: undefined })}`);
      assert.strictEqual(new Set(frames.map((f) => f.timestamp)).size, frames.length, 'no frame is delivered twice');
      assert.strictEqual(stats.framesIncomplete, 0);
      assert.strictEqual(stats.pliSent, 0, 'no key frame was needed');
      let worst = Infinity;
      for (const f of frames) {
        const i = timestamps.indexOf(f.timestamp);
        assert.ok(i >= 0, `a frame with an RTP timestamp never sent: ${f.timestamp}`);
        worst = Math.min(worst, psnr(f.data, source[i % FRAMES]));
      }
      assert.ok(worst >= 35, `worst frame PSNR ${worst.toFixed(1)} dB`);
    });
  }
});
