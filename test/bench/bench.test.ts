import * as assert from 'assert';
import { spawn } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';

const ROOT = path.resolve(__dirname, '..', '..', '..');
// Quick runs go to a folder of their own: the results of the last full run stay as they are.
const RESULTS = fs.mkdtempSync(path.join(os.tmpdir(), 'callmedia-bench-'));

/** The figures ../shared/BENCH.md names for each scenario: a run must write every one. */
const EXPECTED: Record<string, string[]> = {
  receive: [
    ...['360p', '720p', '1080p'].flatMap((r) => [`receive_overhead_${r}30`, `decode_${r}30`]),
    ...['i420', 'nv12', 'rgb24', 'rgba', 'bgra'].map((f) => `convert_${f}_720p`),
  ],
  send: [...['openh264', 'x264'].flatMap((e) => ['360p', '720p', '1080p'].map((r) => `encode_${e}_${r}30`)), 'send_overhead_720p30'],
  loopback: ['360p', '720p', '1080p'].flatMap((r) => [`glass_to_glass_${r}30`, `glass_to_glass_srtp_${r}30`]),
  audio: ['0', '20', '50'].map((j) => `audio_added_latency_jitter_${j}ms`).concat(['1', '4', '16'].map((n) => `mix_cost_${n}_sources`)),
  latency: [
    ...['360p', '720p', '1080p'].flatMap((r) => [`glass_to_glass_${r}30`, `glass_to_glass_srtp_${r}30`]),
    'srtp_cost_720p30', 'connect_ms_wrtc', 'connect_ms_chromium',
  ],
  scale: [...['1', '4', '10'].flatMap((n) => [`cores_${n}x360p30_share_audio`, `dropped_${n}x360p30`]), 'streams_per_core_360p30'],
  convert: [...['720p', '1080p'].flatMap((r) => ['nv12', 'rgb24', 'rgba', 'bgra'].map((f) => `convert_i420_to_${f}_${r}`)), 'memcpy_720p', 'memcpy_1080p'],
  impairment: [
    ...['0', '1', '5'].map((l) => `delivered_ratio_loss_${l}pct`),
    ...['1', '5'].flatMap((l) => [`delivered_ratio_loss_${l}pct_jitter30`, `longest_freeze_ms_loss_${l}pct`, `added_latency_loss_${l}pct`]),
    'bitrate_converge_s_cap500k',
  ],
  soak: ['rss_growth_mb', 'external_growth_mb', 'dropped_frames', 'event_loop_lag_p99_ms', 'pool_buffers_outstanding'],
};
/** The soak's quick run is two minutes of soaking by itself. */
const TIMEOUT_MS: Record<string, number> = { soak: 300_000 };

function runBench(scenario: string): Promise<{ code: number; out: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [path.join(ROOT, 'dist', 'bench', 'main.js'), scenario, '--quick'], {
      cwd: ROOT,
      env: { ...process.env, BENCH_RESULTS_DIR: RESULTS },
    });
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (out += d));
    child.on('close', (code) => resolve({ code: code ?? 1, out }));
  });
}

describe('bench: every scenario runs and writes every figure (no timing is judged here)', function () {
  this.timeout(180_000);

  for (const [scenario, names] of Object.entries(EXPECTED)) {
    it(`${scenario} --quick`, async function () {
      this.timeout(TIMEOUT_MS[scenario] ?? 180_000);
      const json = path.join(RESULTS, `${scenario}.json`);
      fs.rmSync(json, { force: true });
      const { code, out } = await runBench(scenario);
      assert.strictEqual(code, 0, out.slice(-2000));
      const report = JSON.parse(fs.readFileSync(json, 'utf8'));
      assert.strictEqual(report.scenario, scenario);
      assert.ok(!Number.isNaN(Date.parse(report.date)));
      assert.ok(report.machine.cpus > 0 && report.machine.node.startsWith('v'));
      const byName = new Map<string, Record<string, unknown>>(report.figures.map((f: { name: string }) => [f.name, f]));
      for (const name of names) {
        const f = byName.get(name);
        assert.ok(f, `${scenario}: figure ${name} missing`);
        for (const key of ['unit', 'n', 'p50', 'p95', 'p99']) assert.ok(key in f, `${name} has no ${key}`);
        assert.ok(typeof f.p50 === 'number' && Number.isFinite(f.p50), `${name}.p50 is a number`);
        // A ratio to a peer figure of zero or less (no latency added at all) does not exist.
        const peer = f.peer as { p99?: number } | undefined;
        if (peer && (peer.p99 ?? 0) > 0) assert.ok(typeof f.ratio_p99 === 'number', `${name} has a peer, so a ratio`);
      }
      assert.ok(fs.existsSync(path.join(RESULTS, `${scenario}.svg`)), 'and a plot');
    });
  }
});
