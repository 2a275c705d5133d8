import * as assert from 'assert';
import { qualityLevel } from '../../src/media';
import { QualityCounters, VideoQuality } from '../../src/media/quality';

const counters = (over: Partial<QualityCounters> = {}): QualityCounters => ({
  rtpPackets: 0, packetsLost: 0, packetsRecovered: 0, nackSent: 0, rtxPackets: 0, jitterMs: 0, bytes: 0, ...over,
});

describe('media/quality: a video socket\'s QoE', () => {
  it('a frame later than max(3 × the mean interval, mean + 150 ms) is a freeze, counted with its length; the level is then poor for 5 s', () => {
    const q = new VideoQuality(0);
    let t = 1000;
    for (let i = 0; i < 30; i++) q.onFrame((t += 33));
    assert.strictEqual(q.snapshot(counters(), t).level, 'good');
    q.onFrame((t += 150));  // late, but under mean + 150 ms
    assert.strictEqual(q.freezeCount, 0);
    q.onFrame((t += 400));
    assert.strictEqual(q.freezeCount, 1);
    assert.strictEqual(q.totalFreezeMs, 400);
    for (let i = 0; i < 30; i++) q.onFrame((t += 33));
    const frozen = q.snapshot(counters(), t);
    assert.strictEqual(frozen.level, 'poor');
    assert.strictEqual(frozen.freezeCount, 1);
    assert.ok(frozen.fps >= 30 && frozen.fps <= 31, `fps ${frozen.fps}`);
    for (let i = 0; i < 160; i++) q.onFrame((t += 33));
    assert.strictEqual(q.snapshot(counters(), t).level, 'good', 'five seconds after the freeze');
  });

  it('loss before recovery counts what was repaired, loss after only what stayed lost, over the last second', () => {
    const q = new VideoQuality(0);
    const first = q.snapshot(counters({ rtpPackets: 980, packetsLost: 20, packetsRecovered: 30, nackSent: 12, rtxPackets: 31, bytes: 125_000 }), 1000);
    assert.strictEqual(first.lossBeforeRecovery, 0.05);
    assert.strictEqual(first.lossAfterRecovery, 0.02);
    assert.strictEqual(first.retransmissionsUsed, 30);
    assert.strictEqual(first.bitrate, 1_000_000);
    assert.strictEqual(first.level, 'fair', '2 % stays lost');
    const next = q.snapshot(counters({ rtpPackets: 1980, packetsLost: 20, packetsRecovered: 40, nackSent: 14, rtxPackets: 41, bytes: 250_000 }), 2000);
    assert.strictEqual(next.lossAfterRecovery, 0, 'the last second lost nothing for good');
    assert.strictEqual(next.lossBeforeRecovery, 0.01);
    assert.strictEqual(next.level, 'good');
  });

  it('levels: poor over 5 % loss or a recent freeze, fair over 1 % or under half the usual frame rate', () => {
    assert.strictEqual(qualityLevel({ lossAfterRecovery: 0.06, fps: 30 }, false, 30), 'poor');
    assert.strictEqual(qualityLevel({ lossAfterRecovery: 0, fps: 30 }, true, 30), 'poor');
    assert.strictEqual(qualityLevel({ lossAfterRecovery: 0.02, fps: 30 }, false, 30), 'fair');
    assert.strictEqual(qualityLevel({ lossAfterRecovery: 0, fps: 10 }, false, 30), 'fair');
    assert.strictEqual(qualityLevel({ lossAfterRecovery: 0.005, fps: 29 }, false, 30), 'good');
  });
});
