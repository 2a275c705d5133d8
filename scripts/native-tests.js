#!/usr/bin/env node
// Builds the pure C++ engine classes together with test/native/** into one executable under
// AddressSanitizer + UndefinedBehaviorSanitizer (or, with --thread, ThreadSanitizer: the worker
// strands, pools and queues shared between threads), without Node or node-gyp, and runs it.
//
//   node scripts/native-tests.js [--thread] [SUBSTRING...]    (arguments select tests by name)
//
// The last line printed is always `native: P passed, F failed`, so a caller can read the result
// from it. A sanitizer abort, a leak report at exit or a compile error counts as a failure.
'use strict';

const childProcess = require('child_process');
const fs = require('fs');
const os = require('os');
const path = require('path');

const root = path.resolve(__dirname, '..');
const thread = process.argv.includes('--thread');
const selectors = process.argv.slice(2).filter((a) => a !== '--thread');
const outDir = path.join(root, 'build', thread ? 'native-tests-tsan' : 'native-tests');
const objDir = path.join(outDir, 'obj');
const binary = path.join(outDir, 'callmedia-native-tests');
const resultsFile = path.join(outDir, 'results.txt');
const flagsFile = path.join(outDir, 'flags.json');

const { engineSources, codecSources, codecPackages } = require('./engine-sources');

function pkgConfig(flag) {
  const r = childProcess.spawnSync('pkg-config', [flag, ...codecPackages], { encoding: 'utf8' });
  return r.status === 0 ? r.stdout.trim().split(/\s+/).filter(Boolean) : [];
}

const sanitizers = thread ? ['-fsanitize=thread'] : ['-fsanitize=address,undefined', '-fno-sanitize-recover=undefined'];
const compileFlags = ['-std=c++17', '-g', '-O1', ...sanitizers, '-fno-omit-frame-pointer', '-Inative', '-Itest/native',
  ...pkgConfig('--cflags')];
const linkFlags = [sanitizers[0], ...pkgConfig('--libs'), '-lyuv', '-lopus', '-lsrtp2', '-lssl', '-lcrypto', '-pthread'];
const compiler = process.env.CXX || 'g++';
const jobs = Math.max(1, parseInt(process.env.NATIVE_TEST_JOBS || '2', 10) || 2);
const maxBuffer = 64 * 1024 * 1024;
const runTimeoutMs = 10 * 60 * 1000;

const label = thread ? 'native (ThreadSanitizer)' : 'native';

function summary(passed, failed, note) {
  return `${label}: ${passed} passed, ${failed} failed${note ? ` ${note}` : ''}`;
}

function finish(line, code) {
  process.stdout.write(`${line}\n`);
  process.exitCode = code;
}

function testSources() {
  const found = [];
  const walk = (dir) => {
    for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
      const full = path.join(dir, entry.name);
      if (entry.isDirectory()) walk(full);
      else if (entry.name.endsWith('.test.cc')) found.push(path.relative(root, full));
    }
  };
  walk(path.join(root, 'test', 'native'));
  found.sort();
  return [...found, path.join('test', 'native', 'main.cc')];
}

function objectFor(source) {
  return path.join(objDir, `${source.split(path.sep).join('__').replace(/\.cc$/, '')}.o`);
}

function mtime(file) {
  try {
    return fs.statSync(file).mtimeMs;
  } catch {
    return -1;
  }
}

// An object is reused only when it is newer than its source and every header the compiler
// listed in its dependency file, and was built with the same command line.
function upToDate(source, flagsUnchanged) {
  if (!flagsUnchanged) return false;
  const object = objectFor(source);
  const built = mtime(object);
  if (built < 0) return false;
  let deps;
  try {
    deps = fs.readFileSync(`${object}.d`, 'utf8');
  } catch {
    return false;
  }
  const body = deps.replace(/\\\r?\n/g, ' ');
  const colon = body.indexOf(': ');
  if (colon < 0) return false;
  for (const dep of body.slice(colon + 2).split(/\s+/).filter(Boolean)) {
    const t = mtime(path.resolve(root, dep));
    if (t < 0 || t > built) return false;
  }
  return true;
}

function compile(source) {
  const object = objectFor(source);
  const args = [...compileFlags, '-MMD', '-MF', `${object}.d`, '-c', source, '-o', object];
  return new Promise((resolve) => {
    let output = '';
    let child;
    try {
      child = childProcess.spawn(compiler, args, { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
    } catch (err) {
      resolve({ source, ok: false, output: String(err) });
      return;
    }
    child.stdout.on('data', (d) => { output += d; });
    child.stderr.on('data', (d) => { output += d; });
    child.on('error', (err) => resolve({ source, ok: false, output: `${compiler}: ${err.message}` }));
    child.on('close', (code, signal) => {
      resolve({ source, ok: code === 0, output: output + (signal ? `\n${compiler} killed by ${signal}` : '') });
    });
  });
}

async function compileAll(sources) {
  const results = [];
  let next = 0;
  const worker = async () => {
    while (next < sources.length) {
      const source = sources[next++];
      results.push(await compile(source));
    }
  };
  await Promise.all(Array.from({ length: Math.min(jobs, sources.length) }, worker));
  return results;
}

function countResults() {
  let text = '';
  try {
    text = fs.readFileSync(resultsFile, 'utf8');
  } catch {
    // the binary never got as far as opening it
  }
  const lines = text.split('\n').filter(Boolean);
  const passed = lines.filter((l) => l.startsWith('ok - ')).length;
  const failed = lines.filter((l) => l.startsWith('not ok - ')).length;
  const last = lines.length ? lines[lines.length - 1] : '';
  const m = /^native: (\d+) passed, (\d+) failed$/.exec(last);  // the binary's own line
  return { passed, failed, summaryLine: m ? last : null, summary: m ? { passed: +m[1], failed: +m[2] } : null };
}

const sanitizerReport = /ERROR: (AddressSanitizer|LeakSanitizer)|WARNING: ThreadSanitizer|runtime error:|SUMMARY: (AddressSanitizer|UndefinedBehaviorSanitizer|LeakSanitizer|ThreadSanitizer)/;

async function main() {
  if (process.platform !== 'linux') {
    finish(summary(0, 0, '(sanitizer build runs on Linux only)'), 0);
    return;
  }
  const started = Date.now();
  fs.mkdirSync(objDir, { recursive: true });

  const sources = [...engineSources, ...codecSources, ...testSources()];
  const flagsKey = JSON.stringify({ compiler, compileFlags, linkFlags });
  let flagsUnchanged = false;
  try {
    flagsUnchanged = fs.readFileSync(flagsFile, 'utf8') === flagsKey;
  } catch {
    // first build
  }
  const stale = sources.filter((s) => !upToDate(s, flagsUnchanged));
  if (stale.length) {
    process.stdout.write(`native-tests: compiling ${stale.length} of ${sources.length} files with ${jobs} jobs\n`);
    // Drop the stamp first: an interrupted build must not leave objects passing as current.
    fs.rmSync(flagsFile, { force: true });
  }
  const compiled = await compileAll(stale);
  let failedCompile = false;
  for (const r of compiled) {
    if (r.output.trim()) process.stdout.write(r.output.endsWith('\n') ? r.output : `${r.output}\n`);
    if (!r.ok) {
      failedCompile = true;
      fs.rmSync(objectFor(r.source), { force: true });
    }
  }
  if (failedCompile) {
    finish(summary(0, 1), 1);
    return;
  }

  const objects = sources.map(objectFor);
  const newestObject = Math.max(...objects.map(mtime));
  if (stale.length || mtime(binary) < newestObject) {
    const link = childProcess.spawnSync(compiler, [...objects, '-o', binary, ...linkFlags], {
      cwd: root, encoding: 'utf8', maxBuffer,
    });
    const output = `${link.stdout || ''}${link.stderr || ''}${link.error ? String(link.error) : ''}`;
    if (output.trim()) process.stdout.write(output.endsWith('\n') ? output : `${output}\n`);
    if (link.status !== 0) {
      fs.rmSync(binary, { force: true });
      finish(summary(0, 1), 1);
      return;
    }
  }
  fs.writeFileSync(flagsFile, flagsKey);
  const builtAt = Date.now();
  if (stale.length) process.stdout.write(`native-tests: build took ${((builtAt - started) / 1000).toFixed(1)} s\n`);

  fs.rmSync(resultsFile, { force: true });
  // Test lines stream straight to our stdout; stderr (where the sanitizers report) is kept to
  // tell a clean failure from a crash, and printed once the run is over. With --results the
  // binary leaves its summary line to us, so it is printed exactly once, last.
  const run = childProcess.spawnSync(binary, [`--results=${resultsFile}`, ...selectors], {
    cwd: root,
    stdio: ['ignore', 'inherit', 'pipe'],
    encoding: 'utf8',
    maxBuffer,
    timeout: runTimeoutMs,
    env: { ...process.env, ASAN_OPTIONS: 'detect_leaks=1', UBSAN_OPTIONS: 'print_stacktrace=1', TSAN_OPTIONS: 'second_deadlock_stack=1' },
  });
  const stderr = run.stderr || '';
  if (stderr) process.stderr.write(stderr.endsWith('\n') ? stderr : `${stderr}\n`);
  if (run.error) process.stdout.write(`native-tests: ${run.error.code === 'ETIMEDOUT' ? 'timed out' : run.error.message}\n`);
  process.stdout.write(`native-tests: ran in ${((Date.now() - builtAt) / 1000).toFixed(1)} s\n`);

  const counted = countResults();
  const clean = run.status !== null && !run.error && !sanitizerReport.test(stderr) && counted.summary &&
    (run.status === 0 ? counted.summary.failed === 0 : run.status === 1 && counted.summary.failed > 0);
  if (clean) {
    finish(summary(counted.summary.passed, counted.summary.failed), counted.summary.failed === 0 ? 0 : 1);
    return;
  }
  const how = run.signal ? `killed by ${run.signal}` : `exit status ${run.status}`;
  process.stdout.write(`native-tests: test binary crashed or reported a sanitizer error (${how})\n`);
  finish(summary(counted.passed, counted.failed + 1), 1);
}

main().catch((err) => {
  process.stdout.write(`${err && err.stack ? err.stack : err}\n`);
  finish(summary(0, 1), 1);
});
