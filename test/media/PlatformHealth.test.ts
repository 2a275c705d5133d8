import * as assert from 'assert';
import { HEALTH_THRESHOLDS, HealthChange, HealthMeasures, HealthState, MediaPlatform, MediaPlatformHealthStatus, VideoSocket } from '../../src/media';

const calm: HealthMeasures = { eventLoopDelayMs: 2, mediaThreadLagMs: 1, workerWaitMs: 1, workerQueue: 0 };

/** Blocks the event loop for `ms`, as a bot doing heavy work on its main thread would. */
function busy(ms: number): void {
  const until = performance.now() + ms;
  while (performance.now() < until) {
    // spin
  }
}

/** Resolves with the changes seen until `want` is the status, or rejects after `timeoutMs`. */
function until(platform: MediaPlatform, want: MediaPlatformHealthStatus, seen: HealthChange[], timeoutMs: number): Promise<void> {
  return new Promise((resolve, reject) => {
    if (platform.health === want) return resolve();
    const timer = setTimeout(() => {
      platform.off('healthChanged', on);
      reject(new Error(`health stayed ${platform.health}, not ${want}, for ${timeoutMs} ms: ${JSON.stringify(seen)}, last ${JSON.stringify(platform.healthMeasures)}`));
    }, timeoutMs);
    const on = (c: HealthChange) => {
      seen.push(c);
      if (c.current !== want) return;
      clearTimeout(timer);
      platform.off('healthChanged', on);
      resolve();
    };
    platform.on('healthChanged', on);
  });
}

describe('media/PlatformHealth: Normal, HeavilyLoaded, Overloaded', function () {
  this.timeout(60_000);

  it('rises one level per two samples over it, falls after eight under it, named by the measure that decides it', () => {
    const h = new HealthState();
    const heavyLoop = { ...calm, eventLoopDelayMs: HEALTH_THRESHOLDS.eventLoopDelayMs.heavy + 1 };
    const overWorkers = { ...calm, workerWaitMs: HEALTH_THRESHOLDS.workerWaitMs.overloaded };
    assert.strictEqual(h.add(heavyLoop), undefined, 'one sample is a spike');
    const up = h.add(heavyLoop);
    assert.strictEqual(up?.current, 'HeavilyLoaded');
    assert.match(up?.reason ?? '', /^eventLoopDelayMs 41 ≥ 40/);
    h.add(overWorkers);
    assert.strictEqual(h.add(overWorkers)?.current, 'Overloaded');
    for (let i = 0; i < 7; i++) assert.strictEqual(h.add(calm), undefined, `still Overloaded after ${i + 1} calm samples`);
    const down = h.add(calm);
    assert.strictEqual(down?.previous, 'Overloaded');
    assert.strictEqual(down?.current, 'Normal');
    // A sudden overload is announced as HeavilyLoaded first.
    const f = new HealthState();
    f.add(overWorkers);
    assert.strictEqual(f.add(overWorkers)?.current, 'HeavilyLoaded');
    assert.strictEqual(f.add(overWorkers), undefined);
    assert.strictEqual(f.add(overWorkers)?.current, 'Overloaded');
    // A calm stretch with one heavy sample in it falls only to HeavilyLoaded, not below.
    const g = f;
    for (let i = 0; i < 6; i++) g.add(calm);
    g.add(heavyLoop);
    assert.strictEqual(g.add(calm)?.current, 'HeavilyLoaded');
  });

  it('an event loop blocked by bot code moves it to HeavilyLoaded, then Overloaded, and back to Normal when it stops', async () => {
    const platform = MediaPlatform.initialize({ applicationId: 'health-test' });
    const seen: HealthChange[] = [];
    let block = 60;
    const blocker = setInterval(() => busy(block), 100);
    try {
      assert.strictEqual(platform.health, 'Normal');
      await until(platform, 'HeavilyLoaded', seen, 10_000);
      block = 300;
      await until(platform, 'Overloaded', seen, 10_000);
      clearInterval(blocker);
      await until(platform, 'Normal', seen, 10_000);
      assert.ok(seen.some((c) => c.current === 'Overloaded' && c.measures.eventLoopDelayMs >= HEALTH_THRESHOLDS.eventLoopDelayMs.overloaded), JSON.stringify(seen));
      assert.deepStrictEqual(seen.map((c) => c.current).slice(0, 2), ['HeavilyLoaded', 'Overloaded']);
    } finally {
      clearInterval(blocker);
      platform.close();
    }
  });

  it('saturated worker threads (more encoders than cores) move it up by workerWaitMs, and back to Normal when they stop', async () => {
    const platform = MediaPlatform.initialize({ applicationId: 'health-test' });
    const seen: HealthChange[] = [];
    const [W, H] = [1280, 720];
    const frame = Buffer.alloc((W * H * 3) / 2, 90);
    const sockets: VideoSocket[] = [];
    // Senders are added one at a time until the pool is the bottleneck: each encodes 720p at
    // 30 fps with x264 and has nowhere to send (the encoding is the load).
    const adder = setInterval(() => {
      if (sockets.length >= 32 || platform.health === 'Overloaded') return;
      sockets.push(new VideoSocket({ send: { width: W, height: H, fps: 30, encoder: 'x264' } }));
    }, 500);
    let n = 0;
    const feeder = setInterval(() => {
      for (const s of sockets) {
        frame[0] = n++ & 0xff;  // every frame differs
        s.send({ format: 'I420', width: W, height: H, data: frame });
      }
    }, 33);
    try {
      await until(platform, 'Overloaded', seen, 40_000);
      clearInterval(adder);
      clearInterval(feeder);
      const up = seen.filter((c) => c.current !== 'Normal');
      assert.ok(up.some((c) => c.measures.workerWaitMs >= HEALTH_THRESHOLDS.workerWaitMs.heavy), `the workers' wait moved it: ${JSON.stringify(seen)}`);
      assert.strictEqual(seen[0].current, 'HeavilyLoaded', `HeavilyLoaded came first: ${JSON.stringify(seen)}`);
      await until(platform, 'Normal', seen, 15_000);
      console.log(`      ${sockets.length} encoders; ${seen.map((c) => `${c.current} (${c.reason})`).join(', ')}`);
    } finally {
      clearInterval(adder);
      clearInterval(feeder);
      await Promise.all(sockets.map((s) => s.close()));
      platform.close();
    }
  });
});
