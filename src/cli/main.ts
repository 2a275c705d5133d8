#!/usr/bin/env node
import { runDemo } from './demo';

const USAGE = `usage: callmedia <command> [options]

commands:
  demo [--seconds N] [--size WxH] [--format I420|NV12|RGB24|RGBA|BGRA]
       a live ffmpeg camera into a VideoSocket; prints fps and per-stage latency each second
  help  this text`;

function option(args: string[], name: string): string | undefined {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : undefined;
}

async function main(argv: string[]): Promise<number> {
  const [command = 'help', ...args] = argv;
  switch (command) {
    case 'demo': {
      const size = option(args, '--size');
      const [width, height] = size ? size.split('x').map(Number) : [undefined, undefined];
      const seconds = option(args, '--seconds');
      const format = option(args, '--format') as 'I420' | undefined;
      await runDemo({ seconds: seconds ? Number(seconds) : undefined, width, height, format });
      return 0;
    }
    case 'help':
    case '--help':
      console.log(USAGE);
      return 0;
    default:
      console.error(`callmedia: unknown command '${command}'\n${USAGE}`);
      return 2;
  }
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (err) => {
    console.error(`callmedia: ${err instanceof Error ? err.message : String(err)}`);
    process.exit(1);
  },
);
