import { ChildProcess, fork } from 'child_process';
import { ConferenceMedia, ConferenceMediaOptions, startService } from '../src/service';

/**
 * The local service in a process of its own, driven over IPC: its forwarding and its ffmpeg
 * participants stay out of the bot process's CPU time and memory, which is what the scale and
 * soak scenarios measure.
 */

export type ServiceRequest =
  | { op: 'register'; appId: string; callbackUri: string; displayName?: string }
  /** Registers the bot's app with the authority. Answers its client secret. */
  | { op: 'registerApp'; appId: string }
  /** An incoming call to the bot from P0, who shares a screen. Answers the call id. */
  | { op: 'call'; appId: string }
  /** Participants P{from}..P{to-1} join, camera and voice each. Answers their participant ids. */
  | { op: 'add'; callId: string; from: number; to: number }
  /** A participant leaves the call. */
  | { op: 'drop'; callId: string; participantId: string }
  | { op: 'hangUp'; callId: string }
  | { op: 'close' };

interface ServiceMessage {
  id?: number;
  ready?: { url: string };
  result?: unknown;
  error?: string;
}

export interface ServiceProcess {
  url: string;
  pid: number;
  request(r: ServiceRequest): Promise<unknown>;
  stop(): Promise<void>;
}

/** The flag that makes this module the service process. */
const SERVICE_FLAG = '--bench-service';

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Runs in the child: the service, its conference media, and requests from the bench over IPC. */
async function serve(options: ConferenceMediaOptions): Promise<void> {
  const media = new ConferenceMedia(options);
  const running = await startService({ port: 0, mediaBridge: media });
  media.attach(running.service);
  const svc = running.service;
  const send = (m: ServiceMessage) => process.send?.(m);
  // Whatever happens to the bench, its ffmpegs go with it.
  process.on('disconnect', () => {
    media.close();
    process.exit(0);
  });
  process.on('message', (m: { id: number; request: ServiceRequest }) => {
    const r = m.request;
    try {
      switch (r.op) {
        case 'register':
          svc.directory.registerBot({ appId: r.appId, callbackUri: r.callbackUri, displayName: r.displayName ?? 'Benchmark bot' });
          send({ id: m.id, result: true });
          break;
        case 'registerApp':
          send({ id: m.id, result: svc.authority.apps.register({ appId: r.appId, displayName: 'Benchmark bot' }).secrets[0] });
          break;
        case 'call': {
          const call = svc.placeIncomingCall({ from: { displayName: 'P0', sharing: true }, toAppId: r.appId, modalities: ['audio', 'video'] });
          send({ id: m.id, result: call.id });
          break;
        }
        case 'add': {
          const ids: string[] = [];
          for (let i = r.from; i < r.to; i++) ids.push(svc.addParticipant(r.callId, { displayName: `P${i}`, modalities: ['audio', 'video'] }).id);
          send({ id: m.id, result: ids });
          break;
        }
        case 'drop':
          svc.dropParticipant(r.callId, r.participantId);
          send({ id: m.id, result: true });
          break;
        case 'hangUp':
          svc.remoteHangUp(r.callId);
          send({ id: m.id, result: true });
          break;
        case 'close':
          media.close();
          void running.close().then(() => {
            send({ id: m.id, result: true });
            process.exit(0);
          });
          break;
      }
    } catch (err) {
      send({ id: m.id, error: err instanceof Error ? err.message : String(err) });
    }
  });
  send({ ready: { url: running.url } });
}

/** Starts the service process with conference media of these sizes and rates. */
export async function startServiceProcess(options: ConferenceMediaOptions): Promise<ServiceProcess> {
  const child: ChildProcess = fork(__filename, [SERVICE_FLAG, JSON.stringify(options)], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  const pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();
  let nextId = 1;
  const url = await new Promise<string>((resolve, reject) => {
    child.on('message', (m: ServiceMessage) => {
      if (m.ready) resolve(m.ready.url);
      const p = m.id !== undefined ? pending.get(m.id) : undefined;
      if (!p || m.id === undefined) return;
      pending.delete(m.id);
      if (m.error) p.reject(new Error(m.error));
      else p.resolve(m.result);
    });
    child.once('exit', (code) => {
      const err = new Error(`the service process exited (${code})`);
      reject(err);
      for (const p of pending.values()) p.reject(err);
    });
  });
  const exited = new Promise<void>((resolve) => {
    if (child.exitCode !== null) resolve();
    else child.once('exit', () => resolve());
  });
  return {
    url,
    pid: child.pid as number,
    request: (request) =>
      new Promise((resolve, reject) => {
        if (!child.connected) {
          reject(new Error('the service process is gone'));
          return;
        }
        const id = nextId++;
        pending.set(id, { resolve, reject });
        child.send({ id, request });
      }),
    async stop() {
      if (child.exitCode === null && child.connected) {
        child.send({ id: 0, request: { op: 'close' } });
        await Promise.race([exited, delay(5000)]);
      }
      if (child.exitCode === null) child.kill('SIGTERM');
      await exited;
    },
  };
}

if (require.main === module && process.argv[2] === SERVICE_FLAG) {
  serve(JSON.parse(process.argv[3] ?? '{}') as ConferenceMediaOptions).catch((err: unknown) => {
    process.stderr.write(`bench service: ${err instanceof Error ? err.stack ?? err.message : String(err)}\n`);
    process.exit(1);
  });
}
