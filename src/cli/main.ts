#!/usr/bin/env node
import { runCamera } from './camera';
import { runDemo } from './demo';
import { ConferenceMedia, startService } from '../service';

const USAGE = `usage: callmedia <command> [options]

commands:
  demo [--seconds N]        the local service, a sample bot and three synthetic participants in
                            one call; prints each video channel's fps and latency and who speaks
  serve [--port P] [--apps FILE] [--https]
                            runs the local communications service (Graph API at /v1.0, admin
                            API at /admin, the call console at /console, the OAuth authority
                            at /<tenant>/oauth2/v2.0/token) with conference media, until
                            Ctrl-C. Apps come from FILE ({"apps":[{appId,secrets,roles}]});
                            without one, a development app is registered and its secret
                            printed. --https serves under the service's local CA
  console [--service URL]   checks that the service's call console answers and prints its URL:
                            open it to see calls and join one from the browser
  call <appId> [--from NAME] [--service URL]
                            a synthetic participant calls a bot (prints the call id)
  join <callId> [--name NAME] [--share] [--service URL]
                            a synthetic participant joins a call (prints its participant id)
  leave <callId> <participantId> [--service URL]
  tones <callId> <digits> [--service URL]
                            a participant presses keys (DTMF)
  camera [--seconds N] [--size WxH] [--format I420|NV12|RGB24|RGBA|BGRA]
                            a live ffmpeg camera into one VideoSocket, per-stage latency each second
  help                      this text`;

function option(args: string[], name: string): string | undefined {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : undefined;
}

/** The service's admin API, for driving synthetic participants from a shell. */
async function admin(command: string, args: string[]): Promise<string> {
  const base = (option(args, '--service') ?? 'http://127.0.0.1:9440').replace(/\/$/, '');
  const positional = args.filter((a, i) => !a.startsWith('--') && !(i > 0 && args[i - 1].startsWith('--') && args[i - 1] !== '--share'));
  const request = async (method: string, path: string, body?: unknown) => {
    const res = await fetch(base + path, { method, headers: { 'Content-Type': 'application/json' }, body: body ? JSON.stringify(body) : undefined });
    const text = await res.text();
    if (!res.ok) throw new Error(`${method} ${path}: ${res.status} ${text}`);
    return text ? (JSON.parse(text) as { id?: string }) : {};
  };
  const [first, second] = positional;
  if (!first) throw new Error(`${command}: missing argument (see callmedia help)`);
  switch (command) {
    case 'call':
      return (await request('POST', '/admin/calls/incoming', { from: { displayName: option(args, '--from') ?? 'Alice' }, toAppId: first })).id ?? '';
    case 'join':
      return (await request('POST', `/admin/calls/${first}/participants`, { displayName: option(args, '--name') ?? 'Guest', sharing: args.includes('--share') })).id ?? '';
    case 'leave':
      await request('DELETE', `/admin/calls/${first}/participants/${second}`);
      return 'left';
    default:
      await request('POST', `/admin/calls/${first}/tones`, { tones: second });
      return 'sent';
  }
}

async function main(argv: string[]): Promise<number> {
  const [command = 'help', ...args] = argv;
  const seconds = option(args, '--seconds');
  switch (command) {
    case 'demo':
      await runDemo({ seconds: seconds ? Number(seconds) : undefined });
      return 0;
    case 'serve': {
      const media = new ConferenceMedia();
      const appsFile = option(args, '--apps');
      const running = await startService({ port: Number(option(args, '--port') ?? 9440), mediaBridge: media, appsFile, https: args.includes('--https') });
      media.attach(running.service);
      console.log(`callmedia: local communications service at ${running.url} (Graph: ${running.url}/v1.0, admin: ${running.url}/admin)`);
      const tenant = running.service.authority.tenantId;
      console.log(`callmedia: OAuth authority at ${running.url}/${tenant} (token endpoint ${running.url}/${tenant}/oauth2/v2.0/token)`);
      if (running.ca) console.log(`callmedia: HTTPS under the local CA ${running.ca.certificatePath} (NODE_EXTRA_CA_CERTS=${running.ca.certificatePath})`);
      if (!appsFile) {
        const dev = running.service.authority.apps.register({ appId: 'callmedia-dev-bot', displayName: 'Development bot' });
        console.log(`callmedia: development app '${dev.appId}', client secret ${dev.secrets[0]} (every calls permission; --apps FILE for your own)`);
      }
      console.log(`callmedia: call console at ${running.url}/console`);
      await new Promise<void>((resolve) => {
        process.once('SIGINT', () => resolve());
        process.once('SIGTERM', () => resolve());
      });
      media.close();
      await running.close();
      return 0;
    }
    case 'call':
    case 'join':
    case 'leave':
    case 'tones':
      console.log(await admin(command, args));
      return 0;
    case 'console': {
      const base = (option(args, '--service') ?? 'http://127.0.0.1:9440').replace(/\/$/, '');
      const res = await fetch(`${base}/console`).catch((err: Error) => {
        throw new Error(`no service answers at ${base} (${err.message}); start one with 'npm run serve'`);
      });
      if (!res.ok) throw new Error(`${base}/console answered ${res.status}`);
      console.log(`${base}/console`);
      return 0;
    }
    case 'camera': {
      const size = option(args, '--size');
      const [width, height] = size ? size.split('x').map(Number) : [undefined, undefined];
      const format = option(args, '--format') as 'I420' | undefined;
      await runCamera({ seconds: seconds ? Number(seconds) : undefined, width, height, format });
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
