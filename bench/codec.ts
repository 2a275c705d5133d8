import { spawnSync } from 'child_process';
import { ffmpegPath } from '../src/peers/ffmpeg';
import { Figure, peerFromSamples, round3, sampleFigure, valueFigure } from './report';
import { RESOLUTIONS as RECEIVE_RESOLUTIONS, Resolution as ReceiveResolution, StreamRun, receiveStream, streamSeconds } from './receive';
import { Scenario, ScenarioOptions, ScenarioResult, progress } from './scenario';
import {
  ENCODERS, EncoderRun, FFMPEG_ENCODERS, FPS, RESOLUTIONS as SEND_RESOLUTIONS, WARMUP_FRAMES, encodeFigure, ffmpegHasEncoder,
  measureEncoder, overheadNote, peerMeanNote, sendFrames,
} from './send';

/** The codec scenarios look at the sizes where codec time matters: 720p and 1080p. */
const LABELS = ['720p', '1080p'];
const tagOf = (res: { label: string }) => `${res.label}${FPS}`;

// ---------------------------------------------------------------------------------------------
// decode

/** ffmpeg's own decode of a clip in real time, per frame. */
interface FfmpegDecode {
  /** Wall time of each frame's decode calls (-benchmark_all), ms, warm-up frames left out. */
  perFrameMs: number[];
  /** -benchmark user CPU time / frames, ms (the real-time run). */
  utimeMsPerFrame: number;
}

/**
 * ffmpeg decoding the same Annex-B file, one thread, read at its frame rate (-re) as our
 * receiver gets it: per frame the send-packet call that returns the frame and the one that
 * finds none, summed (ffmpeg prints both as decode_video; the null encoder's lines close a frame).
 */
function ffmpegDecode(clip: string, frames: number): FfmpegDecode {
  const r = spawnSync(ffmpegPath(), ['-hide_banner', '-nostats', '-benchmark', '-benchmark_all', '-threads', '1',
    '-framerate', String(FPS), '-re', '-i', clip, '-f', 'null', '-'], { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  const stderr = r.stderr ?? '';
  if (r.status !== 0) throw new Error(`ffmpeg decode failed: ${stderr.slice(-2000)}`);
  const perFrameMs: number[] = [];
  let current = 0;
  for (const line of stderr.split('\n')) {
    const m = /bench:\s+\d+ user\s+\d+ sys\s+(\d+) real (encode|decode)_video/.exec(line);
    if (!m) continue;
    if (m[2] === 'decode') current += Number(m[1]) / 1000;
    else if (current > 0) {
      perFrameMs.push(current);
      current = 0;
    }
  }
  const utime = /bench: utime=([\d.]+)s/.exec(stderr);
  if (!utime || perFrameMs.length !== frames) {
    throw new Error(`ffmpeg -benchmark_all gave ${perFrameMs.length} decode times for ${frames} frames: ${stderr.slice(-2000)}`);
  }
  return { perFrameMs: perFrameMs.slice(WARMUP_FRAMES), utimeMsPerFrame: (parseFloat(utime[1]) * 1000) / frames };
}

interface DecodeRun {
  res: ReceiveResolution;
  ours: StreamRun;
  cached: boolean;
  ffmpeg: FfmpegDecode;
}

function decodeNotes(runs: DecodeRun[]): string[] {
  const notes = runs.map((r) => {
    const f = sampleFigure('', 'ms', r.ours.stages.decode.slice(WARMUP_FRAMES));
    const peer = sampleFigure('', 'ms', r.ffmpeg.perFrameMs);
    const d = (p: 'p50' | 'p95' | 'p99') => round3(f[p] - peer[p]);
    const flat = r.ours.ffmpegDecodeMs;
    return `decode ${tagOf(r.res)}: ours − ffmpeg per-frame decode p50 ${d('p50')} ms, p95 ${d('p95')} ms, p99 ${d('p99')} ms ` +
      `(no target; two runs of the same bitstream, so an estimate, not a per-frame difference); ffmpeg user time ` +
      `${round3(r.ffmpeg.utimeMsPerFrame)} ms/frame in real time, ${round3(flat)} ms/frame flat out (-benchmark, no -re)`;
  });
  const cached = runs.filter((r) => r.cached).map((r) => r.res.label);
  return [
    ...notes,
    `ours = the engine's decode stamps of each frame (libavcodec H.264, one thread, low delay) on a stream received in real time ` +
      `over RTP; ffmpeg = -benchmark_all wall time of its decode calls on the same x264 baseline file, -re, one thread; ` +
      `both leave out the first ${WARMUP_FRAMES} frames`,
    ...(cached.length ? [`the ${cached.join(' and ')} streams are the ones the receive scenario measured earlier in this run`] : []),
  ];
}

async function runDecode(options: ScenarioOptions): Promise<ScenarioResult> {
  const seconds = streamSeconds(options);
  const runs: DecodeRun[] = [];
  for (const res of RECEIVE_RESOLUTIONS.filter((r) => LABELS.includes(r.label))) {
    const stream = receiveStream(res, seconds);
    if (stream.cached) progress(`${res.label}: our stream was received earlier in this run`);
    const ours = await stream.run;
    progress(`${res.label}: ffmpeg decodes the same clip in real time`);
    runs.push({ res, ours, cached: stream.cached, ffmpeg: ffmpegDecode(ours.clip, ours.framesSent) });
  }
  const figures: Figure[] = [
    ...runs.map((r) => sampleFigure(`decode_${tagOf(r.res)}`, 'ms', r.ours.stages.decode.slice(WARMUP_FRAMES),
      peerFromSamples('ffmpeg', r.ffmpeg.perFrameMs))),
    ...runs.map((r) => {
      const s = r.ours.stats;
      return valueFigure(`decode_errors_${tagOf(r.res)}`, 'count', s.decodeErrors, r.ours.framesSent);
    }),
  ];
  return { figures, notes: decodeNotes(runs) };
}

export const decode: Scenario = {
  name: 'decode',
  summary: `per-frame H.264 decode at ${LABELS.join('/')}${FPS} against ffmpeg on the same bitstream`,
  run: runDecode,
};

// ---------------------------------------------------------------------------------------------
// encode

async function runEncode(options: ScenarioOptions): Promise<ScenarioResult> {
  const frames = sendFrames(options);
  const runs: EncoderRun[] = [];
  const cached: string[] = [];
  for (const res of SEND_RESOLUTIONS.filter((r) => LABELS.includes(r.label))) {
    for (const encoder of ENCODERS) {
      const m = measureEncoder(encoder, res, frames);
      if (m.cached) cached.push(`${encoder} ${res.label}`);
      runs.push(await m.run);
    }
  }
  const figures = ENCODERS.flatMap((e) => runs.filter((r) => r.encoder === e).map(encodeFigure));
  const noPeer = ENCODERS.filter((e) => !ffmpegHasEncoder(FFMPEG_ENCODERS[e]));
  const notes = [
    ...figures.filter((f) => f.peer).map(overheadNote),
    ...noPeer.map((e) => `${e}: this ffmpeg has no ${FFMPEG_ENCODERS[e]} encoder, so encode_${e}_* have no peer`),
    peerMeanNote(runs),
    `ours = the engine's encode time per frame (conversion included) sending raw testsrc2 frames in real time; ` +
      `both leave out the first ${WARMUP_FRAMES} frames (encoder warm-up)`,
    ...(cached.length ? [`${cached.join(', ')}: measured by the send scenario earlier in this run`] : []),
  ];
  return { figures, notes };
}

export const encode: Scenario = {
  name: 'encode',
  summary: `per-frame H.264 encode (OpenH264, x264) at ${LABELS.join('/')}${FPS} against ffmpeg on the same frames`,
  run: runEncode,
};
