import type { ChildProcess } from 'child_process';
import { spawnTied } from './childProcess';
import { ffmpegPath } from './ffmpeg';

export interface LiveSourceOptions {
  port: number;
  host?: string;
  width?: number;
  height?: number;
  fps?: number;
  /** Seconds to run (default: until killed). */
  seconds?: number;
}

/**
 * A live synthetic camera: ffmpeg renders testsrc2 and encodes it in real time with x264
 * (zerolatency, constrained baseline, one key frame per second), sent as RTP H.264.
 */
export function startTestPatternSender(options: LiveSourceOptions): ChildProcess {
  const { width = 1280, height = 720, fps = 30, host = '127.0.0.1' } = options;
  const args = [
    '-hide_banner', '-loglevel', 'error', '-re',
    '-f', 'lavfi', '-i', `testsrc2=size=${width}x${height}:rate=${fps}`,
    ...(options.seconds ? ['-t', String(options.seconds)] : []),
    '-c:v', 'libx264', '-preset', 'ultrafast', '-tune', 'zerolatency', '-profile:v', 'baseline',
    '-pix_fmt', 'yuv420p', '-g', String(fps), '-b:v', '2M',
    '-f', 'rtp', `rtp://${host}:${options.port}?pkt_size=1200`,
  ];
  return spawnTied(ffmpegPath(), args, { stdio: ['ignore', 'ignore', 'inherit'] });
}
