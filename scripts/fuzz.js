#!/usr/bin/env node
// Builds every fuzz target of test/fuzz/ with libFuzzer under AddressSanitizer and
// UndefinedBehaviorSanitizer (clang), and runs each for a while on its committed seeds
// (test/fuzz/corpus/<target>/) and what earlier runs here found (build/fuzz/work/<target>/).
//
//   node scripts/fuzz.js [--seconds N] [--runs N] [TARGET...]    (default 300 s each)
//
// --runs stops a target after that many executions, if that comes before --seconds (a long run
// that aims at 10 M each: --runs 10000000 --seconds 3600). NATIVE_TEST_JOBS (default 2) targets
// run at a time.
//
// A crash, a sanitizer report or a broken invariant fails the target; its input is kept in
// build/fuzz/crashes/ and is worth copying into the target's corpus as a regression input.
// The last line is `fuzz: P passed, F failed`; build/fuzz/last-run.json keeps each target's
// executions.
'use strict';

const childProcess = require('child_process');
const fs = require('fs');
const path = require('path');
const { engineSources } = require('./engine-sources');

const root = path.resolve(__dirname, '..');
const fuzzDir = path.join(root, 'test', 'fuzz');
const outDir = path.join(root, 'build', 'fuzz');
const objDir = path.join(outDir, 'obj');
const compiler = process.env.FUZZ_CXX || 'clang++';
const jobs = Math.max(1, parseInt(process.env.NATIVE_TEST_JOBS || '2', 10) || 2);
const sanitize = ['-fsanitize=address,undefined', '-fno-sanitize-recover=undefined', '-fno-omit-frame-pointer'];
const compileFlags = ['-std=c++17', '-g', '-O1', ...sanitize, '-Inative', '-Itest/fuzz'];
const linkLibraries = ['-lyuv', '-lopus', '-lsrtp2', '-lssl', '-lcrypto', '-pthread'];

function args() {
  const argv = process.argv.slice(2);
  let seconds = 300;
  let runs = 0;
  const targets = [];
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === '--seconds') seconds = Math.max(1, parseInt(argv[++i], 10) || 1);
    else if (argv[i] === '--runs') runs = Math.max(0, parseInt(argv[++i], 10) || 0);
    else if (argv[i] !== '--') targets.push(argv[i]);
  }
  return { seconds, runs, targets };
}

// `limitMs` (0: none) kills a child that outlives it: libFuzzer stops itself at -max_total_time,
// so a target still running well past it is hung, and is reported as such.
function run(cmd, argv, options = {}, limitMs = 0) {
  return new Promise((resolve) => {
    let output = '';
    const child = childProcess.spawn(cmd, argv, { cwd: root, ...options });
    const timer = limitMs > 0 ? setTimeout(() => {
      output += `\nfuzz target hung: still running ${Math.round(limitMs / 1000)} s after it started\n`;
      child.kill('SIGKILL');
    }, limitMs) : null;
    child.on('exit', () => timer && clearTimeout(timer));
    child.stdout?.on('data', (d) => (output += d));
    child.stderr?.on('data', (d) => (output += d));
    child.on('error', (err) => resolve({ code: 127, output: `${cmd}: ${err.message}` }));
    child.on('close', (code, signal) => resolve({ code: code ?? 1, output: output + (signal ? `\nkilled by ${signal}` : '') }));
  });
}

async function inParallel(items, work) {
  const results = [];
  let next = 0;
  await Promise.all(Array.from({ length: Math.min(jobs, items.length) }, async () => {
    while (next < items.length) {
      const i = next++;
      results[i] = await work(items[i]);
    }
  }));
  return results;
}

const mtime = (file) => {
  try {
    return fs.statSync(file).mtimeMs;
  } catch {
    return -1;
  }
};

/** Compiles `source` to `object` unless the object is newer than it and every header it read. */
async function compile(source, object, extra) {
  const deps = `${object}.d`;
  if (mtime(object) > 0 && fs.existsSync(deps)) {
    const listed = fs.readFileSync(deps, 'utf8').replace(/\\\r?\n/g, ' ');
    const files = listed.slice(listed.indexOf(': ') + 2).split(/\s+/).filter(Boolean);
    if (files.every((f) => mtime(path.resolve(root, f)) >= 0 && mtime(path.resolve(root, f)) <= mtime(object))) return { ok: true, output: '' };
  }
  const r = await run(compiler, [...compileFlags, ...extra, '-MMD', '-MF', deps, '-c', source, '-o', object]);
  return { ok: r.code === 0, output: r.output };
}

function executions(output) {
  const stat = /stat::number_of_executed_units:\s*(\d+)/.exec(output);
  if (stat) return Number(stat[1]);
  const done = /Done (\d+) runs in/.exec(output);
  return done ? Number(done[1]) : 0;
}

async function main() {
  const { seconds, runs, targets: wanted } = args();
  const all = fs.readdirSync(fuzzDir).filter((f) => f.endsWith('.fuzz.cc')).map((f) => f.replace(/\.fuzz\.cc$/, '')).sort();
  const targets = wanted.length ? all.filter((t) => wanted.includes(t)) : all;
  const probe = await run(compiler, ['--version']);
  if (probe.code !== 0) {
    console.log(`fuzz: ${compiler} is not installed (npm install installs clang on Debian/Ubuntu)`);
    console.log(`fuzz: 0 passed, ${targets.length || 1} failed`);
    process.exit(1);
  }
  fs.mkdirSync(objDir, { recursive: true });
  fs.mkdirSync(path.join(outDir, 'crashes'), { recursive: true });

  // The engine once, instrumented for coverage; each target links it.
  const engine = await inParallel(engineSources, async (source) => {
    const object = path.join(objDir, `${source.replace(/[/\\]/g, '__')}.o`);
    return { object, ...(await compile(source, object, ['-fsanitize=fuzzer-no-link'])) };
  });
  const broken = engine.filter((e) => !e.ok);
  if (broken.length) {
    for (const b of broken) process.stdout.write(b.output);
    console.log(`fuzz: 0 passed, ${targets.length} failed`);
    process.exit(1);
  }

  // Targets run side by side, `jobs` at a time: each is one single-threaded libFuzzer process
  // that stops itself at -max_total_time, so the wall time is the targets' seconds over `jobs`.
  const results = await inParallel(targets, async (target) => {
    const object = path.join(objDir, `${target}.fuzz.o`);
    const binary = path.join(outDir, target);
    const built = await compile(path.join('test', 'fuzz', `${target}.fuzz.cc`), object, ['-fsanitize=fuzzer']);
    if (!built.ok) {
      process.stdout.write(built.output);
      return { target, ok: false, executions: 0, why: 'does not compile' };
    }
    const link = await run(compiler, [...sanitize, '-fsanitize=fuzzer', object, ...engine.map((e) => e.object), '-o', binary, ...linkLibraries]);
    if (link.code !== 0) {
      process.stdout.write(link.output);
      return { target, ok: false, executions: 0, why: 'does not link' };
    }
    const work = path.join(outDir, 'work', target);
    const seeds = path.join(fuzzDir, 'corpus', target);
    fs.mkdirSync(work, { recursive: true });
    const corpora = [work, ...(fs.existsSync(seeds) ? [seeds] : [])];
    process.stdout.write(`fuzz: ${target} for ${seconds} s${runs ? ` or ${runs} executions` : ''}\n`);
    const started = Date.now();
    const r = await run(binary, [
      `-max_total_time=${seconds}`, ...(runs ? [`-runs=${runs}`] : []), '-max_len=4096', '-rss_limit_mb=2048', '-print_final_stats=1', '-timeout=10',
      `-artifact_prefix=${path.join(outDir, 'crashes', `${target}-`)}`, ...corpora,
    ], { env: { ...process.env, ASAN_OPTIONS: 'detect_leaks=1:abort_on_error=0', UBSAN_OPTIONS: 'print_stacktrace=1' } },
    (seconds + 120) * 1000);
    const n = executions(r.output);
    const ok = r.code === 0 && !/ERROR: |runtime error:|fuzz invariant failed|SUMMARY: /.test(r.output);
    // One write per finished target, so two targets' reports never interleave.
    const tail = ok ? '' : r.output.split('\n').slice(-60).join('\n') + '\n';
    process.stdout.write(`${tail}fuzz: ${target}: ${ok ? 'ok' : 'FAILED'}, ${n} executions\n`);
    return { target, ok, executions: n, seconds: Math.round((Date.now() - started) / 1000) };
  });
  fs.writeFileSync(path.join(outDir, 'last-run.json'), JSON.stringify({ date: new Date().toISOString(), seconds, runs, results }, null, 2));
  const passed = results.filter((r) => r.ok).length;
  console.log(`fuzz: ${passed} passed, ${results.length - passed} failed`);
  process.exit(passed === results.length ? 0 : 1);
}

main().catch((err) => {
  console.log(String(err && err.stack ? err.stack : err));
  console.log('fuzz: 0 passed, 1 failed');
  process.exit(1);
});
