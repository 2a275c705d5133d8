import { native } from '../src/media/native';
import { Figure, PeerFigure, peerFromSamples, round3, sampleFigure } from './report';
import { Scenario, ScenarioOptions, ScenarioResult, progress } from './scenario';

/** Format codes of native().benchConvert, in VIDEO_FORMATS order. */
export const CONVERT_FORMATS = [
  { label: 'i420', code: 0 },
  { label: 'nv12', code: 1 },
  { label: 'rgb24', code: 2 },
  { label: 'rgba', code: 3 },
  { label: 'bgra', code: 4 },
] as const;
export type ConvertFormat = (typeof CONVERT_FORMATS)[number];

const SIZES = [
  { label: '720p', width: 1280, height: 720 },
  { label: '1080p', width: 1920, height: 1080 },
] as const;
type Size = (typeof SIZES)[number];

/** Engine ÷ libyuv at p50 and p99: what the engine's wrapper (pool, checks) may add. */
export const CONVERT_TARGET_RATIO = 1.2;

/** ms per iteration of the engine's conversion from I420, the bare libyuv call, and memcpy of the I420 bytes. */
export interface ConvertSamples {
  engine: Float64Array;
  libyuv: Float64Array;
  memcpy: Float64Array;
}

/** One conversion timed by the addon, after a warm-up that fills caches, the buffer pool and the CPU's clock. */
export function measureConvert(code: number, width: number, height: number, iterations: number): ConvertSamples {
  native().benchConvert(code, width, height, Math.max(10, Math.round(iterations / 10)));
  return native().benchConvert(code, width, height, iterations);
}

/** The target statement for an engine conversion compared with libyuv. */
export function convertNote(f: Figure): string {
  const r50 = f.ratio_p50 ?? NaN;
  const r99 = f.ratio_p99 ?? NaN;
  const ok = (r: number) => r <= CONVERT_TARGET_RATIO;
  const verdict = ok(r50) && ok(r99) ? 'met at p50 and p99' : ok(r50) ? 'met at p50, NOT at p99' : 'NOT met';
  return `${f.name.replace(/_/g, ' ')}: ${f.p50} ms vs libyuv ${f.peer?.p50} ms at p50 = ${r50}×, ` +
    `p99 ${r99}× (target ≤ ${CONVERT_TARGET_RATIO}×): ${verdict}`;
}

/** Bytes a conversion reads and writes per frame (I420 in, the format out). */
function bytesMoved(format: ConvertFormat, size: Size): number {
  const pixels = size.width * size.height;
  const out = { i420: 1.5, nv12: 1.5, rgb24: 3, rgba: 4, bgra: 4 }[format.label] * pixels;
  return pixels * 1.5 + out;
}

function gbPerSecond(bytes: number, ms: number): number {
  return ms > 0 ? bytes / (ms * 1e6) : NaN;
}

interface SizeRun {
  size: Size;
  conversions: { format: ConvertFormat; figure: Figure }[];
  memcpy: Figure;
}

function measureSize(size: Size, iterations: number): SizeRun {
  const conversions: SizeRun['conversions'] = [];
  const memcpySamples: number[] = [];
  for (const format of CONVERT_FORMATS) {
    if (format.label === 'i420') continue; // I420 → I420 is a copy: the memcpy figure stands for it
    progress(`${size.label}: i420 → ${format.label}, ${iterations} iterations`);
    const t = measureConvert(format.code, size.width, size.height, iterations);
    const peer: PeerFigure = peerFromSamples('libyuv', t.libyuv);
    conversions.push({ format, figure: sampleFigure(`convert_i420_to_${format.label}_${size.label}`, 'ms', t.engine, peer) });
    // Every call times memcpy of the same I420 frame beside it: pooled, they make one figure.
    memcpySamples.push(...t.memcpy);
  }
  return { size, conversions, memcpy: sampleFigure(`memcpy_${size.label}`, 'ms', memcpySamples) };
}

/** Each conversion's p50 in memcpy units and as bandwidth: how far from a plain copy of the bytes it is. */
function bandwidthNote(r: SizeRun): string {
  const copy = r.memcpy.p50;
  const i420Bytes = r.size.width * r.size.height * 1.5;
  const parts = r.conversions.map(({ format, figure }) =>
    `${format.label} ${round3(figure.p50 / copy)}× (${round3(gbPerSecond(bytesMoved(format, r.size), figure.p50))} GB/s)`);
  return `${r.size.label} at p50, in memcpy times (bytes read + written per second): ${parts.join(', ')}; ` +
    `memcpy ${copy} ms (${round3(gbPerSecond(2 * i420Bytes, copy))} GB/s)`;
}

async function run(options: ScenarioOptions): Promise<ScenarioResult> {
  const iterations = options.quick ? 100 : 500;
  const runs = SIZES.map((size) => measureSize(size, iterations));
  const conversions = CONVERT_FORMATS.flatMap((format) =>
    runs.flatMap((r) => r.conversions.filter((c) => c.format === format).map((c) => c.figure)));
  const figures = [...conversions, ...runs.map((r) => r.memcpy)];
  const notes = [
    ...conversions.map(convertNote),
    ...runs.map(bandwidthNote),
    'engine = the conversion the decode worker runs per frame (into a pooled buffer); libyuv = the bare call into a ' +
      'preallocated buffer; memcpy = a copy of the same I420 frame, timed beside every conversion',
  ];
  return { figures, notes };
}

export const convert: Scenario = {
  name: 'convert',
  summary: `I420 → NV12 / RGB24 / RGBA / BGRA at ${SIZES.map((s) => s.label).join(' and ')} against libyuv and memcpy`,
  run,
};
