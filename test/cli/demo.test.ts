import * as assert from 'assert';
import { ChildProcess, spawn } from 'child_process';
import * as path from 'path';
import { setTimeout as delay } from 'timers/promises';
import { alive, childrenOf } from '../helpers/processes';
import { until } from '../helpers/until';

const MAIN = path.resolve(__dirname, '..', '..', 'src', 'cli', 'main.js');

/** Starts the demo and waits until its seven synthetic participants' ffmpegs run. */
async function startDemo(): Promise<{ demo: ChildProcess; ffmpegs: number[]; output: () => string }> {
  const demo = spawn(process.execPath, [MAIN, 'demo'], { stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  demo.stdout?.on('data', (d) => (output += d));
  demo.stderr?.on('data', (d) => (output += d));
  await until(() => output.includes('time  socket'), 'the demo to start its call', 30_000);
  let ffmpegs: number[] = [];
  await until(() => (ffmpegs = childrenOf(demo.pid as number).filter((c) => c.name === 'ffmpeg').map((c) => c.pid)).length >= 7,
    'seven ffmpeg participants', 15_000);
  return { demo, ffmpegs, output: () => output };
}

describe('cli: every child the demo spawns dies with it', function () {
  if (process.platform !== 'linux') return;
  this.timeout(90_000);

  it('kill -9 of the demo: its ffmpeg participants are gone within seconds, not reparented to go on', async () => {
    const { demo, ffmpegs } = await startDemo();
    demo.kill('SIGKILL');
    await until(() => ffmpegs.every((pid) => !alive(pid)), `ffmpegs ${ffmpegs.join(' ')} to die with the demo`, 5000);
  });

  it('a closed stdout (callmedia demo | head) ends the demo and its ffmpegs cleanly', async () => {
    const { demo, ffmpegs, output } = await startDemo();
    const exited = new Promise<number | null>((resolve) => demo.once('exit', (code) => resolve(code)));
    demo.stdout?.destroy(); // the reader goes away, as head does after its lines
    const code = await Promise.race([exited, delay(20_000).then(() => 'still running' as const)]);
    assert.notStrictEqual(code, 'still running', `the demo went on: ${output().slice(-500)}`);
    await until(() => ffmpegs.every((pid) => !alive(pid)), 'the ffmpegs to stop', 5000);
  });
});
