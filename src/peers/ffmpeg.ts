import { ChildProcess, spawnSync } from 'child_process';
import { spawnTied } from './childProcess';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';

/**
 * The ffmpeg CLI as a media peer: test sources, RTP senders and reference decodes.
 * Uses ffmpeg-static's binary when that package is installed, else `ffmpeg` on PATH.
 */
export function ffmpegPath(): string {
  try {
    const p = require('ffmpeg-static') as string | null;
    if (p && fs.existsSync(p)) return p;
  } catch {
    /* not installed: fall through to PATH */
  }
  return process.env.FFMPEG_PATH || 'ffmpeg';
}

export function ffprobePath(): string {
  const ff = ffmpegPath();
  return ff === 'ffmpeg' ? 'ffprobe' : path.join(path.dirname(ff), 'ffprobe');
}

export type H264Profile = 'baseline' | 'main' | 'high';

export interface ClipOptions {
  width: number;
  height: number;
  fps?: number;
  seconds: number;
  profile?: H264Profile;
  /** Key frame interval in frames (default: one per second). */
  gop?: number;
  /** ffmpeg lavfi source (default testsrc2, a moving pattern). */
  source?: string;
  /** Extra x264 options, e.g. ['-tune', 'zerolatency']. */
  x264Args?: string[];
}

const clipCache = new Map<string, string>();

/** Encodes a test clip with x264 into an Annex-B .h264 file (cached per process). */
export function makeH264Clip(options: ClipOptions): string {
  const fps = options.fps ?? 30;
  const profile = options.profile ?? 'baseline';
  const gop = options.gop ?? fps;
  const source = options.source ?? 'testsrc2';
  const extra = options.x264Args ?? [];
  const key = JSON.stringify({ ...options, fps, profile, gop, source, extra });
  const cached = clipCache.get(key);
  if (cached && fs.existsSync(cached)) return cached;
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'callmedia-clip-'));
  const file = path.join(dir, `${source}_${options.width}x${options.height}_${fps}_${profile}.h264`);
  run(ffmpegPath(), [
    '-hide_banner', '-loglevel', 'error', '-y',
    '-f', 'lavfi', '-i', `${source}=size=${options.width}x${options.height}:rate=${fps}`,
    '-t', String(options.seconds),
    '-c:v', 'libx264', '-profile:v', profile, '-pix_fmt', 'yuv420p', '-g', String(gop), '-keyint_min', String(gop),
    ...extra,
    '-bsf:v', 'h264_mp4toannexb', '-f', 'h264', file,
  ]);
  clipCache.set(key, file);
  return file;
}

export interface RtpSendOptions {
  /** Destinations on this machine; several ones get the same packets (ffmpeg's tee muxer). */
  ports: number[];
  host?: string;
  /** Read at native frame rate (default true): a real-time sender. */
  realtime?: boolean;
  payloadSize?: number;
  /** Source port of the RTP packets (RTCP on the next port). */
  localPort?: number;
}

/** Sends an H.264 clip as RTP (RFC 6184, packetization-mode 1) without re-encoding. */
export function sendRtp(file: string, options: RtpSendOptions): ChildProcess {
  const host = options.host ?? '127.0.0.1';
  const size = options.payloadSize ?? 1200;
  const url = (port: number) => {
    const local = options.localPort ? `&localrtpport=${options.localPort}` : '';
    return `rtp://${host}:${port}?pkt_size=${size}${local}`;
  };
  const output =
    options.ports.length === 1
      ? ['-f', 'rtp', url(options.ports[0])]
      : ['-f', 'tee', options.ports.map((p) => `[f=rtp]${url(p)}`).join('|')];
  const args = ['-hide_banner', '-loglevel', 'error', ...(options.realtime === false ? [] : ['-re']), '-i', file,
    '-map', '0:v', '-c', 'copy', ...output];
  return spawnTied(ffmpegPath(), args, { stdio: ['ignore', 'ignore', 'pipe'] });
}

/** Resolves when the process exits; rejects on a non-zero exit with its stderr. */
export function exited(child: ChildProcess): Promise<void> {
  return new Promise((resolve, reject) => {
    let stderr = '';
    child.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', reject);
    child.on('exit', (code, signal) => {
      if (code === 0 || signal === 'SIGTERM' || signal === 'SIGINT') resolve();
      else reject(new Error(`ffmpeg exited with ${code ?? signal}: ${stderr.trim()}`));
    });
  });
}

export type FfmpegPixelFormat = 'yuv420p' | 'nv12' | 'rgb24' | 'rgba' | 'bgra';

/**
 * ffmpeg's own decode of a clip, converted by swscale to `pixFmt`: the reference a receiver
 * is compared with. `every` keeps one frame in N (frame 0, N, 2N, ...).
 */
export function decodeReference(file: string, pixFmt: FfmpegPixelFormat, every = 1): Buffer {
  const select = every > 1 ? ['-vf', `select=not(mod(n\\,${every}))`, '-fps_mode', 'passthrough'] : [];
  return run(ffmpegPath(), ['-hide_banner', '-loglevel', 'error', '-threads', '1', '-i', file, ...select,
    '-pix_fmt', pixFmt, '-f', 'rawvideo', '-']);
}

/** Counts the frames ffprobe decodes in an H.264 file. */
export function countFrames(file: string): number {
  const out = run(ffprobePath(), ['-v', 'error', '-count_frames', '-select_streams', 'v:0',
    '-show_entries', 'stream=nb_read_frames', '-of', 'csv=p=0', file]);
  return parseInt(out.toString().trim(), 10);
}

/** Per-frame decode time of ffmpeg itself (`-benchmark`, one thread): user CPU time / frames. */
export function ffmpegDecodeMsPerFrame(file: string, frames: number): number {
  const r = spawnSync(ffmpegPath(), ['-hide_banner', '-benchmark', '-threads', '1', '-i', file, '-f', 'null', '-'], {
    encoding: 'utf8',
  });
  const m = /bench: utime=([\d.]+)s/.exec(r.stderr ?? '');
  if (!m) throw new Error(`ffmpeg -benchmark printed no utime: ${r.stderr}`);
  return (parseFloat(m[1]) * 1000) / frames;
}

export function run(cmd: string, args: string[]): Buffer {
  const r = spawnSync(cmd, args, { maxBuffer: 2 * 1024 * 1024 * 1024 });
  if (r.error) throw r.error;
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} failed: ${r.stderr?.toString()}`);
  return r.stdout;
}

/** `count` raw frames of an ffmpeg test source (testsrc2 by default), tightly packed. */
export function rawTestFrames(width: number, height: number, count: number, pixFmt: FfmpegPixelFormat, source = 'testsrc2'): Buffer {
  return run(ffmpegPath(), ['-hide_banner', '-loglevel', 'error', '-f', 'lavfi', '-i', `${source}=size=${width}x${height}:rate=30`,
    '-frames:v', String(count), '-pix_fmt', pixFmt, '-f', 'rawvideo', '-']);
}

export interface RtpReceiver {
  /** Bytes ffmpeg has decoded and written so far (poll it to wait for a known amount). */
  decodedBytes(): number;
  /** Stops ffmpeg (as 'q' on its console would) and returns what it decoded. */
  stop(): Promise<Buffer>;
}

/** Whether some socket of this machine is bound to UDP `port` (Linux: the kernel's table). */
function udpPortBound(port: number): boolean | undefined {
  const suffix = `:${port.toString(16).toUpperCase().padStart(4, '0')}`;
  let known = false;
  for (const table of ['/proc/net/udp', '/proc/net/udp6']) {
    try {
      // Each line: "sl local_address rem_address ...", local_address as HEXADDR:HEXPORT.
      if (fs.readFileSync(table, 'utf8').split('\n').some((line) => line.trim().split(/\s+/)[1]?.endsWith(suffix))) return true;
      known = true;
    } catch {
      // no such table here
    }
  }
  return known ? false : undefined;
}

/**
 * Resolves once ffmpeg has bound UDP `port`: read from the kernel's table, never by binding it
 * ourselves (which could take the port from under ffmpeg). Where there is no table to read, a
 * fixed wait stands in.
 */
async function boundByAnother(port: number, timeoutMs: number, gone: () => boolean): Promise<void> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const bound = udpPortBound(port);
    if (bound === undefined) {
      await new Promise((resolve) => setTimeout(resolve, 1500));
      return;
    }
    if (bound) return;
    if (gone() || Date.now() > end) throw new Error(`nothing bound udp port ${port} within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/**
 * ffmpeg as an RTP H.264 receiver: it reads an SDP file naming `port`, decodes, and writes
 * raw frames in `pixFmt`, one output frame per decoded frame.
 */
export function receiveRtpWithFfmpeg(port: number, pixFmt: FfmpegPixelFormat, payloadType = 96): Promise<RtpReceiver> {
  return receiveWithFfmpeg(
    port,
    [`m=video ${port} RTP/AVP ${payloadType}`, `a=rtpmap:${payloadType} H264/90000`, `a=fmtp:${payloadType} packetization-mode=1`],
    ['-threads', '1', '-flags', 'low_delay'],
    ['-fps_mode', 'passthrough', '-pix_fmt', pixFmt, '-f', 'rawvideo'],
  );
}

/** ffmpeg as an RTP Opus receiver (RFC 7587): decodes to 16 kHz mono s16le. */
export function receiveOpusRtpWithFfmpeg(port: number, payloadType = 111): Promise<RtpReceiver> {
  return receiveWithFfmpeg(
    port,
    [`m=audio ${port} RTP/AVP ${payloadType}`, `a=rtpmap:${payloadType} opus/48000/2`],
    [],
    ['-ar', '16000', '-ac', '1', '-f', 's16le'],
  );
}

async function receiveWithFfmpeg(port: number, media: string[], inputArgs: string[], outputArgs: string[]): Promise<RtpReceiver> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'callmedia-rx-'));
  const sdp = path.join(dir, 'stream.sdp');
  const out = path.join(dir, 'decoded.raw');
  fs.writeFileSync(sdp, ['v=0', 'o=- 0 0 IN IP4 127.0.0.1', 's=callmedia', 'c=IN IP4 127.0.0.1', 't=0 0', ...media, ''].join('\r\n'));
  const child = spawnTied(ffmpegPath(), ['-hide_banner', '-loglevel', 'error', '-protocol_whitelist', 'file,udp,rtp',
    '-reorder_queue_size', '0', ...inputArgs, '-i', sdp, ...outputArgs, '-flush_packets', '1', '-y', out],
  { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
  const done = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  // Media sent before ffmpeg has its socket would be lost: wait until the port is taken.
  try {
    await boundByAnother(port, 30_000, () => child.exitCode !== null);
  } catch (err) {
    child.kill('SIGKILL');
    throw new Error(`ffmpeg could not receive: ${stderr.trim() || (err as Error).message}`);
  }
  return {
    decodedBytes() {
      try {
        return fs.statSync(out).size;
      } catch {
        return 0; // not created yet
      }
    },
    async stop() {
      // Waiting for packets, ffmpeg does not read its console: an interrupt ends it cleanly
      // (exit 255), and raw output is complete up to the last decoded frame.
      child.kill('SIGINT');
      const code = await done;
      if (code !== 0 && code !== 255) throw new Error(`ffmpeg exited with ${code}: ${stderr.trim()}`);
      return fs.readFileSync(out);
    },
  };
}

export interface ToneSenderOptions {
  port: number;
  frequency: number;
  seconds: number;
  /** Linear gain on ffmpeg's sine (amplitude 1/8 of full scale). */
  volume?: number;
  ssrc?: number;
  payloadType?: number;
  /** Source port (the RTP packets come from it). */
  localPort?: number;
}

/** ffmpeg sends a sine as Opus RTP (48 kHz clock, 20 ms packets) in real time. */
export function sendOpusTone(o: ToneSenderOptions): ChildProcess {
  const local = o.localPort ? `?localrtpport=${o.localPort}` : '';
  return spawnTied(ffmpegPath(), ['-hide_banner', '-loglevel', 'error', '-re', '-f', 'lavfi',
    '-i', `sine=frequency=${o.frequency}:sample_rate=48000`, '-t', String(o.seconds), '-af', `volume=${o.volume ?? 1}`,
    '-c:a', 'libopus', '-b:a', '48k', '-payload_type', String(o.payloadType ?? 111),
    ...(o.ssrc !== undefined ? ['-ssrc', String(o.ssrc)] : []), '-f', 'rtp', `rtp://127.0.0.1:${o.port}${local}`],
  { stdio: ['ignore', 'ignore', 'pipe'] });
}
