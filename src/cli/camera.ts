import { VideoSocket } from '../media';
import { startTestPatternSender } from '../peers/ffmpegLive';

export interface CameraOptions {
  seconds?: number;
  width?: number;
  height?: number;
  format?: 'I420' | 'NV12' | 'RGB24' | 'RGBA' | 'BGRA';
}

const fmt = (ms: number) => ms.toFixed(2).padStart(6);

/**
 * A live ffmpeg camera sends RTP H.264 to a VideoSocket; every second the demo prints the
 * frame rate and each stage's latency (p50 / p99 over the last frames).
 */
export async function runCamera(options: CameraOptions = {}): Promise<void> {
  const socket = new VideoSocket({ format: options.format ?? 'I420' });
  const sender = startTestPatternSender({ port: socket.port, width: options.width, height: options.height, seconds: options.seconds });
  console.log(`callmedia camera: ffmpeg test pattern → RTP H.264 → VideoSocket on udp/${socket.port} (${socket.format}); Ctrl-C stops`);
  console.log('  time    fps  size        p50/p99 ms: assemble   queue  decode convert deliver | total overhead  lost drops');
  let frames = 0;
  let size = '';
  socket.on('frame', (f) => {
    frames++;
    size = `${f.width}x${f.height}`;
  });
  socket.on('keyFrameNeeded', (e) => console.log(`  key frame needed (${e.direction}): ${e.reason}`));
  const started = Date.now();
  const timer = setInterval(() => {
    const s = socket.stats();
    const l = s.latency;
    const pair = (p: { p50: number; p99: number }) => `${fmt(p.p50)}/${fmt(p.p99).trim()}`;
    const t = ((Date.now() - started) / 1000).toFixed(0).padStart(5);
    console.log(
      `${t}s ${String(frames).padStart(5)}  ${size.padEnd(10)}  ${pair(l.assemble)} ${pair(l.queue)} ${pair(l.decode)} ` +
        `${pair(l.convert)} ${pair(l.deliver)} | ${pair(l.total)} ${pair(l.overhead)}  ${s.packetsLost} ` +
        `${s.framesDroppedDelivery + s.framesDroppedDecodeQueue + s.framesSkippedBehind}`,
    );
    frames = 0;
  }, 1000);

  const stop = async () => {
    clearInterval(timer);
    sender.kill('SIGTERM');
    await socket.close();
  };
  await new Promise<void>((resolve) => {
    const onSignal = () => resolve();
    process.once('SIGINT', onSignal);
    process.once('SIGTERM', onSignal);
    sender.once('exit', () => setTimeout(resolve, 300));
  });
  await stop();
  const s = socket.stats();
  console.log(`done: ${s.framesDelivered} frames delivered, ${s.packetsLost} packets lost, total latency p99 ${s.latency.total.p99.toFixed(2)} ms`);
}
