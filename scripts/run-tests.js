#!/usr/bin/env node
// The project's test command: native unit tests under sanitizers, then the mocha suites
// (against real ffmpeg peers). Ends with one line, `N passed, N failed`, counting both.
'use strict';
const { spawn } = require('child_process');
const path = require('path');

const root = path.resolve(__dirname, '..');
const nativeOnly = process.argv.includes('--native-only');

function runStreaming(cmd, args, env) {
  return new Promise((resolve) => {
    const child = spawn(cmd, args, { cwd: root, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (d) => { out += d; process.stdout.write(d); });
    child.stderr.on('data', (d) => { out += d; process.stderr.write(d); });
    child.on('close', (code) => resolve({ code: code ?? 1, out }));
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
    const result = await runStreaming(process.execPath, [mocha, '--color', 'false'], { FORCE_COLOR: '0' });
    const p = count(/(\d+) passing/, result.out);
    const f = count(/(\d+) failing/, result.out);
    passed += p;
    failed += f;
    if (result.code !== 0 && f === 0) failed += 1; // crashed before mocha could report
  }

  console.log(`${passed} passed, ${failed} failed`);
  process.exit(failed === 0 ? 0 : 1);
}

main();
