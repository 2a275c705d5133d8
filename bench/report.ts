import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { summarize } from '../src/media/LatencyStats';

/** A comparable figure measured in the same run (ffmpeg, libyuv, memcpy, wrtc). */
export interface PeerFigure {
  name: string;
  p50: number;
  p95: number;
  p99: number;
}

/** One line of a scenario's results, in the shape /work/shared/BENCH.md fixes. */
export interface Figure {
  name: string;
  unit: string;
  n: number;
  p50: number;
  p95: number;
  p99: number;
  peer?: PeerFigure;
  ratio_p50?: number;
  ratio_p99?: number;
}

export interface Machine {
  cpus: number;
  model: string;
  node: string;
}

export interface Report {
  scenario: string;
  date: string;
  machine: Machine;
  figures: Figure[];
}

/** Rounds to 3 significant digits: more would be noise at these sample sizes. */
export function round3(value: number): number {
  if (!Number.isFinite(value) || value === 0) return value;
  return Number(value.toPrecision(3));
}

/** A figure from raw samples; the peer (if any) is given as its own samples or a single value. */
export function sampleFigure(name: string, unit: string, samples: ArrayLike<number>, peer?: PeerFigure): Figure {
  const s = summarize(samples);
  return withPeer({ name, unit, n: s.count, p50: round3(s.p50), p95: round3(s.p95), p99: round3(s.p99) }, peer);
}

/** A single measured value (a count, a throughput): p50 = p95 = p99 = value. */
export function valueFigure(name: string, unit: string, value: number, n = 1): Figure {
  const v = round3(value);
  return { name, unit, n, p50: v, p95: v, p99: v };
}

export function peerFromSamples(name: string, samples: ArrayLike<number>): PeerFigure {
  const s = summarize(samples);
  return { name, p50: round3(s.p50), p95: round3(s.p95), p99: round3(s.p99) };
}

/** A peer that reports only one number (a mean): it stands in for every percentile. */
export function peerFromValue(name: string, value: number): PeerFigure {
  const v = round3(value);
  return { name, p50: v, p95: v, p99: v };
}

function withPeer(figure: Figure, peer?: PeerFigure): Figure {
  if (!peer) return figure;
  const ratio = (ours: number, theirs: number) => (theirs > 0 ? round3(ours / theirs) : undefined);
  const out: Figure = { ...figure, peer };
  const r50 = ratio(figure.p50, peer.p50);
  const r99 = ratio(figure.p99, peer.p99);
  if (r50 !== undefined) out.ratio_p50 = r50;
  if (r99 !== undefined) out.ratio_p99 = r99;
  return out;
}

export function machine(): Machine {
  const cpus = os.cpus();
  return { cpus: cpus.length, model: cpus[0]?.model.trim() ?? 'unknown', node: process.version };
}

export function makeReport(scenario: string, figures: Figure[]): Report {
  // Seconds are precision enough for a run's date; BENCH.md shows no milliseconds.
  const date = new Date().toISOString().replace(/\.\d{3}Z$/, 'Z');
  return { scenario, date, machine: machine(), figures };
}

// ---------------------------------------------------------------------------------------------
// Text table

function fmt(value: number | undefined): string {
  return value === undefined ? '' : String(round3(value));
}

/** A fixed-width table: one row per figure, numbers right-aligned. */
export function formatTable(report: Report): string {
  const header = ['name', 'unit', 'n', 'p50', 'p95', 'p99', 'peer', 'peer p50', 'peer p99', 'ratio p99'];
  const rightAligned = new Set([2, 3, 4, 5, 7, 8, 9]);
  const rows = report.figures.map((f) => [
    f.name, f.unit, String(f.n), fmt(f.p50), fmt(f.p95), fmt(f.p99),
    f.peer?.name ?? '', fmt(f.peer?.p50), fmt(f.peer?.p99), fmt(f.ratio_p99),
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (cells: string[]) =>
    cells.map((c, i) => (rightAligned.has(i) ? c.padStart(widths[i]) : c.padEnd(widths[i]))).join('  ').trimEnd();
  const rule = widths.map((w) => '-'.repeat(w)).join('  ');
  return [line(header), rule, ...rows.map(line)].join('\n');
}

// ---------------------------------------------------------------------------------------------
// One-line summary per scenario

/** The figures a scenario's summary line shows; a scenario not listed shows its first three. */
const HEADLINES: Record<string, string[]> = {
  receive: ['receive_overhead_720p30', 'decode_720p30'],
  send: ['encode_openh264_720p30', 'encode_x264_720p30', 'send_overhead_720p30'],
  loopback: ['glass_to_glass_360p30', 'glass_to_glass_720p30', 'glass_to_glass_1080p30'],
  audio: ['audio_added_latency_jitter_0ms', 'audio_added_latency_jitter_50ms', 'mix_cost_4_sources'],
  latency: ['glass_to_glass_720p30', 'glass_to_glass_1080p30'],
  scale: ['cores_10x360p30_share_audio', 'dropped_10x360p30', 'streams_per_core_360p30'],
  convert: ['convert_i420_to_nv12_1080p', 'convert_i420_to_rgba_1080p', 'memcpy_1080p'],
  decode: ['decode_720p30', 'decode_1080p30'],
  encode: ['encode_openh264_1080p30', 'encode_x264_1080p30'],
};

/** Latencies as p50 / p99; a single value (count, throughput) once; a peer's p99 and the ratio beside. */
function headline(f: Figure): string {
  const single = f.p50 === f.p99 && !f.peer;
  const value = single ? `${fmt(f.p50)} ${f.unit}` : `p50 ${fmt(f.p50)} / p99 ${fmt(f.p99)} ${f.unit}`;
  const peer = f.peer ? ` (${f.peer.name} p99 ${fmt(f.peer.p99)}, ${fmt(f.ratio_p99)}×)` : '';
  return `${f.name} ${value}${peer}`;
}

/** One line per scenario with its headline figures. */
export function formatSummary(reports: Report[]): string {
  const width = Math.max(...reports.map((r) => r.scenario.length));
  return reports.map((r) => {
    const names = HEADLINES[r.scenario];
    const picked = names ? names.flatMap((n) => r.figures.filter((f) => f.name === n)) : r.figures.slice(0, 3);
    return `${r.scenario.padEnd(width)}  ${picked.map(headline).join('; ') || 'no figures'}`;
  }).join('\n');
}

// ---------------------------------------------------------------------------------------------
// SVG chart

const LAYOUT = {
  width: 1000,
  labelWidth: 230,
  valueWidth: 250,
  rowHeight: 32,
  groupGap: 34,
  top: 78,
  axisHeight: 26,
};
type Layout = typeof LAYOUT;
/** Width of a 12px label character, generously: long names must not run off the left edge. */
const LABEL_CHAR_PX = 7;

/** LAYOUT, with the label column (and the chart) widened for names longer than it holds. */
function layoutFor(figures: Figure[]): Layout {
  const longest = Math.max(0, ...figures.map((f) => f.name.length));
  const extra = Math.max(0, Math.ceil(longest * LABEL_CHAR_PX + 20 - LAYOUT.labelWidth));
  return { ...LAYOUT, labelWidth: LAYOUT.labelWidth + extra, width: LAYOUT.width + extra };
}
const OURS = '#1f6fb4';
const PEER = '#e07b00';

interface Axis {
  log: boolean;
  min: number;
  max: number;
  ticks: number[];
}

function escapeXml(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

function valuesOf(f: Figure): number[] {
  return [f.p50, f.p95, f.p99, ...(f.peer ? [f.peer.p50, f.peer.p95, f.peer.p99] : [])];
}

/**
 * One axis per unit. Stage costs span decades (a 0.03 ms copy beside a 5 ms decode), so a
 * group whose positive values spread more than 20× gets a log axis (zeros sit at its left
 * edge); otherwise a linear one from 0.
 */
function axisFor(figures: Figure[]): Axis {
  const values = figures.flatMap(valuesOf).filter((v) => Number.isFinite(v));
  const positive = values.filter((v) => v > 0);
  const hi = Math.max(0, ...values);
  if (positive.length > 0 && hi / Math.min(...positive) > 20) {
    const min = niceFloor(Math.min(...positive));
    const max = niceCeil(hi);
    const ticks: number[] = [];
    for (let e = Math.floor(Math.log10(min)); 10 ** e <= max; e++) {
      for (const m of [1, 2, 5]) {
        const t = m * 10 ** e;
        if (t >= min * 0.999 && t <= max * 1.001) ticks.push(round3(t));
      }
    }
    return { log: true, min, max, ticks };
  }
  const max = niceCeil(hi > 0 ? hi * 1.05 : 1);
  const step = max / 5;
  return { log: false, min: 0, max, ticks: [0, 1, 2, 3, 4, 5].map((i) => round3(i * step)) };
}

/** The largest 1-2-5 step at or below v. */
function niceFloor(v: number): number {
  const mag = 10 ** Math.floor(Math.log10(v));
  for (const m of [5, 2, 1]) if (m * mag <= v) return m * mag;
  return mag;
}

/** The smallest 1-2-5 step at or above v. */
function niceCeil(v: number): number {
  const mag = 10 ** Math.floor(Math.log10(v));
  for (const m of [1, 2, 2.5, 5, 10]) if (m * mag >= v) return m * mag;
  return 10 * mag;
}

function scaleX(L: Layout, axis: Axis, value: number): number {
  const x0 = L.labelWidth;
  const span = L.width - L.labelWidth - L.valueWidth;
  let t: number;
  if (axis.log) {
    const v = Math.max(value, axis.min);
    t = (Math.log10(v) - Math.log10(axis.min)) / (Math.log10(axis.max) - Math.log10(axis.min));
  } else {
    t = (value - axis.min) / (axis.max - axis.min || 1);
  }
  return x0 + Math.max(0, Math.min(1, t)) * span;
}

/** p50 as a dot, p95 as a short tick, p99 as a tall bar, joined by a line from p50 to p99. */
function marks(L: Layout, axis: Axis, p: { p50: number; p95: number; p99: number }, y: number, color: string): string {
  const [x50, x95, x99] = [p.p50, p.p95, p.p99].map((v) => scaleX(L, axis, v).toFixed(1));
  return [
    `<line x1="${x50}" y1="${y}" x2="${x99}" y2="${y}" stroke="${color}" stroke-width="2"/>`,
    `<line x1="${x95}" y1="${y - 4}" x2="${x95}" y2="${y + 4}" stroke="${color}" stroke-width="2"/>`,
    `<line x1="${x99}" y1="${y - 6}" x2="${x99}" y2="${y + 6}" stroke="${color}" stroke-width="3"/>`,
    `<circle cx="${x50}" cy="${y}" r="4" fill="${color}"/>`,
  ].join('');
}

function groupByUnit(figures: Figure[]): Map<string, Figure[]> {
  const groups = new Map<string, Figure[]>();
  for (const f of figures) {
    const list = groups.get(f.unit) ?? [];
    list.push(f);
    groups.set(f.unit, list);
  }
  return groups;
}

function renderGroup(L: Layout, unit: string, figures: Figure[], top: number): { svg: string; height: number } {
  const axis = axisFor(figures);
  const out: string[] = [];
  const plotLeft = L.labelWidth;
  const plotRight = L.width - L.valueWidth;
  const rowsTop = top + L.axisHeight;
  const rowsBottom = rowsTop + figures.length * L.rowHeight;
  out.push(`<text x="12" y="${top + 12}" class="unit">${escapeXml(unit)}${axis.log ? ' (log scale)' : ''}</text>`);
  // Bands first, grid over them, marks last: each layer stays visible.
  figures.forEach((_, i) => {
    const y = rowsTop + i * L.rowHeight;
    if (i % 2 === 1) out.push(`<rect x="0" y="${y}" width="${L.width}" height="${L.rowHeight}" class="band"/>`);
  });
  for (const t of axis.ticks) {
    const x = scaleX(L, axis, t).toFixed(1);
    out.push(`<line x1="${x}" y1="${rowsTop - 4}" x2="${x}" y2="${rowsBottom}" class="grid"/>`);
    out.push(`<text x="${x}" y="${rowsTop - 8}" class="tick">${t}</text>`);
  }
  figures.forEach((f, i) => {
    const mid = rowsTop + i * L.rowHeight + L.rowHeight / 2;
    out.push(`<text x="${plotLeft - 10}" y="${mid + 4}" class="label">${escapeXml(f.name)}</text>`);
    const oursY = f.peer ? mid - 5 : mid;
    out.push(marks(L, axis, f, oursY, OURS));
    out.push(valueText(L, `${round3(f.p50)} / ${round3(f.p95)} / ${round3(f.p99)}`, oursY, OURS));
    if (f.peer) {
      const peerY = mid + 6;
      out.push(marks(L, axis, f.peer, peerY, PEER));
      out.push(valueText(L, `${round3(f.peer.p50)} / ${round3(f.peer.p95)} / ${round3(f.peer.p99)} ${f.peer.name}`, peerY, PEER));
    }
  });
  out.push(`<line x1="${plotLeft}" y1="${rowsBottom}" x2="${plotRight}" y2="${rowsBottom}" class="axis"/>`);
  return { svg: out.join('\n'), height: rowsBottom - top };
}

function valueText(L: Layout, text: string, y: number, color: string): string {
  const x = L.width - L.valueWidth + 12;
  return `<text x="${x}" y="${y + 4}" class="value" fill="${color}">${escapeXml(text)}</text>`;
}

/** A dependency-free horizontal chart: one row per figure, one axis per unit. */
export function renderSvg(report: Report): string {
  const L = layoutFor(report.figures);
  const body: string[] = [];
  let y = L.top;
  for (const [unit, figures] of groupByUnit(report.figures)) {
    const g = renderGroup(L, unit, figures, y);
    body.push(g.svg);
    y += g.height + L.groupGap;
  }
  const height = y - L.groupGap + 20;
  const m = report.machine;
  const title = `callmedia bench: ${report.scenario}`;
  const subtitle = `${m.model}, ${m.cpus} CPUs, node ${m.node}, ${report.date}`;
  const legendX = L.labelWidth;
  const legend = [
    `<circle cx="${legendX}" cy="58" r="4" fill="${OURS}"/><text x="${legendX + 8}" y="62" class="legend">callmedia</text>`,
    `<circle cx="${legendX + 90}" cy="58" r="4" fill="${PEER}"/><text x="${legendX + 98}" y="62" class="legend">peer</text>`,
    `<text x="${legendX + 150}" y="62" class="legend">dot p50 · short tick p95 · tall bar p99</text>`,
    `<text x="${L.width - L.valueWidth + 12}" y="62" class="legend">p50 / p95 / p99</text>`,
  ].join('\n');
  return `<?xml version="1.0" encoding="UTF-8"?>
<svg xmlns="http://www.w3.org/2000/svg" width="${L.width}" height="${height}" viewBox="0 0 ${L.width} ${height}" font-family="Helvetica, Arial, sans-serif">
<style>
  .title { font-size: 18px; font-weight: bold; fill: #222; }
  .subtitle { font-size: 12px; fill: #555; }
  .unit { font-size: 13px; font-weight: bold; fill: #333; }
  .label { font-size: 12px; fill: #222; text-anchor: end; }
  .value { font-size: 10px; font-family: Menlo, Consolas, monospace; }
  .tick { font-size: 10px; fill: #666; text-anchor: middle; }
  .legend { font-size: 11px; fill: #444; }
  .grid { stroke: #e2e2e2; stroke-width: 1; }
  .axis { stroke: #999; stroke-width: 1; }
  .band { fill: #f6f6f6; }
</style>
<rect width="100%" height="100%" fill="#fff"/>
<text x="12" y="24" class="title">${escapeXml(title)}</text>
<text x="12" y="42" class="subtitle">${escapeXml(subtitle)}</text>
${legend}
${body.join('\n')}
</svg>
`;
}

/** Writes <dir>/<scenario>.json and <dir>/<scenario>.svg; returns both paths. */
export function writeResults(report: Report, dir: string): { json: string; svg: string } {
  fs.mkdirSync(dir, { recursive: true });
  const json = path.join(dir, `${report.scenario}.json`);
  const svg = path.join(dir, `${report.scenario}.svg`);
  fs.writeFileSync(json, JSON.stringify(report, null, 2) + '\n');
  fs.writeFileSync(svg, renderSvg(report));
  return { json, svg };
}
