import * as path from 'path';
import { Report, formatSummary, formatTable, makeReport, writeResults } from './report';
import { Scenario, progress } from './scenario';

/**
 * Every scenario, in the order a full run takes them. Loaded lazily so that a run of one
 * scenario does not pay for loading the others. A new scenario is one line here.
 */
const SCENARIOS: Record<string, () => Promise<Scenario>> = {
  receive: async () => (await import('./receive')).receive,
  send: async () => (await import('./send')).send,
  loopback: async () => (await import('./loopback')).loopback,
  audio: async () => (await import('./audio')).audio,
  // Before latency: wrtc's threads outlive its peer connections and would count in scale's CPU time.
  scale: async () => (await import('./scale')).scale,
  latency: async () => (await import('./latency')).latency,
  impairment: async () => (await import('./impairment')).impairment,
  convert: async () => (await import('./convert')).convert,
  decode: async () => (await import('./codec')).decode,
  encode: async () => (await import('./codec')).encode,
  soak: async () => (await import('./soak')).soak,
};
/** Scenarios a run takes only when named: the soak is half an hour by itself. */
const ON_REQUEST = new Set(['soak']);

// BENCH_RESULTS_DIR lets a smoke run write elsewhere than the results a full run left.
const RESULTS_DIR = process.env.BENCH_RESULTS_DIR ?? path.resolve(__dirname, '..', '..', 'bench', 'results');
const USAGE = `usage: npm run bench -- [scenario ...] [--quick]\nscenarios: ${Object.keys(SCENARIOS).join(', ')}\n` +
  `without a name, every scenario but ${[...ON_REQUEST].join(', ')} runs`;

interface Args {
  scenarios: string[];
  quick: boolean;
}

class UsageError extends Error {}

function parseArgs(argv: string[]): Args | 'help' {
  const scenarios: string[] = [];
  let quick = false;
  for (const arg of argv) {
    if (arg === '--quick') quick = true;
    else if (arg === '--help' || arg === '-h') return 'help';
    else if (arg.startsWith('-')) throw new UsageError(`unknown option '${arg}'`);
    else if (!Object.hasOwn(SCENARIOS, arg)) throw new UsageError(`unknown scenario '${arg}'`);
    else if (!scenarios.includes(arg)) scenarios.push(arg);
  }
  return { scenarios: scenarios.length ? scenarios : Object.keys(SCENARIOS).filter((s) => !ON_REQUEST.has(s)), quick };
}

async function runScenario(name: string, quick: boolean): Promise<Report> {
  const scenario = await SCENARIOS[name]();
  progress(`${name}: ${scenario.summary}${quick ? ' (quick)' : ''}`);
  const started = Date.now();
  const result = await scenario.run({ quick });
  const report = makeReport(name, result.figures);
  const files = writeResults(report, RESULTS_DIR);
  const m = report.machine;
  process.stdout.write(`\n== ${name} (${m.model}, ${m.cpus} CPUs, node ${m.node}, ${report.date})\n\n`);
  process.stdout.write(formatTable(report) + '\n');
  if (result.notes.length) process.stdout.write('\n' + result.notes.join('\n') + '\n');
  process.stdout.write(`\nwrote ${path.relative(process.cwd(), files.json)}, ${path.relative(process.cwd(), files.svg)}\n`);
  progress(`${name}: done in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  return report;
}

async function main(): Promise<number> {
  let args: Args | 'help';
  try {
    args = parseArgs(process.argv.slice(2));
  } catch (err) {
    if (!(err instanceof UsageError)) throw err;
    process.stderr.write(`bench: ${err.message}\n${USAGE}\n`);
    return 2;
  }
  if (args === 'help') {
    process.stdout.write(USAGE + '\n');
    return 0;
  }
  const reports: Report[] = [];
  for (const name of args.scenarios) reports.push(await runScenario(name, args.quick));
  if (reports.length > 1) process.stdout.write(`\n== summary\n\n${formatSummary(reports)}\n`);
  return 0;
}

main().then(
  // Exit explicitly: a scenario that leaves a handle open must not hang the run after it reported.
  (code) => process.exit(code),
  (err: unknown) => {
    process.stderr.write(`bench: ${err instanceof Error ? err.stack ?? err.message : String(err)}\n`);
    process.exit(1);
  },
);
