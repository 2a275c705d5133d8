#!/usr/bin/env node
// The project's test command: native unit tests under sanitizers, then the mocha suites
// (against real ffmpeg peers). Ends with one line, `N passed, N failed`, counting both.
'use strict';
const { spawn } = require('child_process');
const path = require('path');

const root = path.resolve(__dirname, '..');
const nativeOnly = process.argv.includes('--native-only');
// The whole mocha run takes about 10 minutes on a busy 2-core machine; three times that is a hang.
const suiteLimitMs = 35 * 60 * 1000;

// Runs a suite in a process group of its own, so that when it exits nothing it started (an
// ffmpeg peer, a browser) outlives it holding the output open; a suite that runs past `limitMs`
// is killed whole and reported, so the run always ends with its counts.
function runStreaming(cmd, args, env, limitMs = 0) {
  return new Promise((resolve) => {
    const child = spawn(cmd, args, {
      cwd: root, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'], detached: process.platform !== 'win32',
    });
    let out = '';
    let timedOut = false;
    child.stdout.on('data', (d) => { out += d; process.stdout.write(d); });
    child.stderr.on('data', (d) => { out += d; process.stderr.write(d); });
    const killGroup = () => {
      try {
        if (process.platform === 'win32') child.kill('SIGKILL');
        else process.kill(-child.pid, 'SIGKILL');
      } catch {
        // already gone
      }
    };
    const timer = limitMs > 0 ? setTimeout(() => {
      timedOut = true;
      const line = `\n${path.basename(args[0] || cmd)}: still running after ${Math.round(limitMs / 60000)} min, stopped\n`;
      out += line;
      process.stdout.write(line);
      killGroup();
    }, limitMs) : null;
    child.on('exit', (code) => {
      if (timer) clearTimeout(timer);
      killGroup();
      // Let what is still buffered in the pipes arrive, then settle even if a stray holder remains.
      let settled = false;
      const settle = () => {
        if (settled) return;
        settled = true;
        resolve({ code: timedOut ? 1 : code ?? 1, out, timedOut });
      };
      const closed = (stream) => new Promise((done) => (stream.closed ? done() : stream.once('close', done)));
      Promise.all([closed(child.stdout), closed(child.stderr)]).then(settle);
      setTimeout(settle, 2000);
    });
  });
}

function count(re, text) {
  const m = re.exec(text);
  return m ? parseInt(m[1], 10) : 0;
}

async function main() {
  let passed = 0;
  let failed = 0;

  // The engine's unit tests twice: under ASan + UBSan, then under ThreadSanitizer.
  for (const args of [[], ['--thread']]) {
    const native = await runStreaming(process.execPath, [path.join(__dirname, 'native-tests.js'), ...args]);
    const nm = /native(?: \(ThreadSanitizer\))?: (\d+) passed, (\d+) failed/.exec(native.out);
    if (nm) {
      passed += parseInt(nm[1], 10);
      failed += parseInt(nm[2], 10);
    } else {
      failed += 1;
    }
    if (native.code !== 0 && (!nm || nm[2] === '0')) failed += 1;
  }

  if (!nativeOnly) {
    const mocha = require.resolve('mocha/bin/mocha.js');
    const result = await runStreaming(process.execPath, [mocha, '--color', 'false'], { FORCE_COLOR: '0' }, suiteLimitMs);
    const p = count(/(\d+) passing/, result.out);
    const f = count(/(\d+) failing/, result.out);
    passed += p;
    failed += f;
    if ((result.code !== 0 || result.timedOut) && f === 0) failed += 1; // crashed or hung before mocha could report
  }

  console.log(`${passed} passed, ${failed} failed`);
  process.exit(failed === 0 ? 0 : 1);
}

main();
