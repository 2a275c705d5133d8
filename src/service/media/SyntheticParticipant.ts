import type { ChildProcess } from 'child_process';
import { spawnTied } from '../../peers/childProcess';
import { ffmpegPath } from '../../peers/ffmpeg';

export interface SyntheticMediaOptions {
  /** Where its audio goes (a forwarding port) and the source id it sends with. */
  audio?: { port: number; sourceId: number; frequency: number };
  video?: { port: number; sourceId: number; width: number; height: number; fps: number };
  screen?: { port: number; sourceId: number; width: number; height: number; fps: number };
}

/** The payload types a synthetic participant's ffmpeg sends with (its ingests' map). */
export const SYNTHETIC_PAYLOAD_TYPES = [
  { payloadType: 111, codec: 'opus' },
  { payloadType: 96, codec: 'h264' },
] as const;

/**
 * A participant that is not a bot: ffmpeg speaks a tone (Opus RTP) and shows a moving test
 * pattern (H.264 RTP, a key frame every second), and may share a "screen" (an SMPTE pattern),
 * each with the RTP SSRC equal to its roster source id.
 */
export class SyntheticParticipant {
  private readonly processes: ChildProcess[] = [];

  constructor(readonly name: string, options: SyntheticMediaOptions) {
    if (options.audio) {
      const a = options.audio;
      this.start(['-re', '-f', 'lavfi', '-i', `sine=frequency=${a.frequency}:sample_rate=48000`, '-c:a', 'libopus', '-b:a', '32k',
        '-payload_type', '111', '-ssrc', String(a.sourceId), '-f', 'rtp', `rtp://127.0.0.1:${a.port}`]);
    }
    for (const [v, source] of [[options.video, 'testsrc2'], [options.screen, 'smptehdbars']] as const) {
      if (!v) continue;
      this.start(['-re', '-f', 'lavfi', '-i', `${source}=size=${v.width}x${v.height}:rate=${v.fps}`, '-c:v', 'libx264', '-preset', 'ultrafast',
        '-tune', 'zerolatency', '-profile:v', 'baseline', '-pix_fmt', 'yuv420p', '-g', String(v.fps), '-b:v', '600k',
        '-payload_type', '96', '-ssrc', String(v.sourceId), '-f', 'rtp', `rtp://127.0.0.1:${v.port}?pkt_size=1200`]);
    }
  }

  get running(): boolean {
    return this.processes.some((p) => p.exitCode === null && !p.killed);
  }

  stop(): void {
    for (const p of this.processes) if (p.exitCode === null) p.kill('SIGTERM');
  }

  private start(args: string[]): void {
    const child = spawnTied(ffmpegPath(), ['-hide_banner', '-loglevel', 'error', ...args], { stdio: ['ignore', 'ignore', 'ignore'] });
    child.on('error', () => undefined); // reported through `running`
    this.processes.push(child);
  }
}
