/**
 * Numbered I420 test pictures: a smooth pattern that moves every frame, with two rows of large
 * black and white blocks on top that carry the frame number and a tag (which stream it is).
 * A decoded picture says which frame it was; regenerating that frame gives the reference to
 * compare it with.
 */

/** Bits of each mark row; each bit is written twice (the bit, then its complement). */
const MARK_BITS = 10;
/** Frame numbers and tags a mark holds. */
export const MARK_RANGE = 1 << MARK_BITS;
const MARK_ROWS = 2;

function blockSize(width: number): number {
  return Math.floor(width / (2 * MARK_BITS));
}

/** Pattern parameters of each tag: periods and speeds differ so two streams never look alike. */
function patternOf(tag: number) {
  const t = tag % 8;
  return {
    px: 61 + 17 * t,
    py: 47 + 11 * t,
    vx: 2 + (t % 3),
    vy: 1 + (t % 2),
    phase: 0.9 * t,
    a: 34,
    b: 26,
    c: 20,
  };
}

function clamp(v: number): number {
  return v < 0 ? 0 : v > 255 ? 255 : Math.round(v);
}

/**
 * The picture of frame `n` of stream `tag` (width a multiple of 2 × MARK_BITS and even, height
 * at least 4 blocks): luma and chroma are sums of sines moving with n; the top rows of blocks
 * hold n and tag modulo MARK_RANGE.
 */
export function numberedPicture(tag: number, n: number, width: number, height: number): Buffer {
  const p = patternOf(tag);
  const data = Buffer.alloc((width * height * 3) / 2);
  const sx = new Float64Array(width);
  const sx2 = new Float64Array(width);
  const sy = new Float64Array(height);
  const sy2 = new Float64Array(height);
  for (let x = 0; x < width; x++) {
    sx[x] = Math.sin((2 * Math.PI * (x + p.vx * n)) / p.px + p.phase);
    sx2[x] = Math.cos((2 * Math.PI * (x - p.vy * n)) / (p.px * 1.7));
  }
  for (let y = 0; y < height; y++) {
    sy[y] = Math.sin((2 * Math.PI * (y + p.vy * n)) / p.py - p.phase);
    sy2[y] = Math.cos((2 * Math.PI * (y + p.vx * n)) / (p.py * 1.3));
  }
  for (let y = 0; y < height; y++) {
    const row = y * width;
    for (let x = 0; x < width; x++) data[row + x] = clamp(128 + p.a * sx[x] + p.b * sy[y] + p.c * sx2[x] * sy2[y]);
  }
  const cw = width / 2;
  const ch = height / 2;
  const u = width * height;
  const v = u + cw * ch;
  for (let y = 0; y < ch; y++) {
    for (let x = 0; x < cw; x++) {
      data[u + y * cw + x] = clamp(128 + 24 * sx2[2 * x] * sy[2 * y]);
      data[v + y * cw + x] = clamp(128 + 24 * sx[2 * x] * sy2[2 * y]);
    }
  }
  writeMark(data, width, 0, n);
  writeMark(data, width, 1, tag);
  // The marks' chroma is neutral, so the blocks are pure black and white.
  const block = blockSize(width);
  const chromaRows = (MARK_ROWS * block) / 2;
  data.fill(128, u, u + chromaRows * cw);
  data.fill(128, v, v + chromaRows * cw);
  return data;
}

/** A flat picture of one luma level (neutral chroma) with the marks on top. */
export function flatPicture(level: number, tag: number, n: number, width: number, height: number): Buffer {
  const data = Buffer.alloc((width * height * 3) / 2, 128);
  data.fill(level, 0, width * height);
  writeMark(data, width, 0, n);
  writeMark(data, width, 1, tag);
  return data;
}

function writeMark(data: Uint8Array, width: number, row: number, value: number): void {
  const block = blockSize(width);
  const v = ((value % MARK_RANGE) + MARK_RANGE) % MARK_RANGE;
  for (let k = 0; k < 2 * MARK_BITS; k++) {
    const bit = k < MARK_BITS ? (v >> k) & 1 : 1 - ((v >> (k - MARK_BITS)) & 1);
    const level = bit ? 235 : 16;
    for (let y = row * block; y < (row + 1) * block; y++) data.fill(level, y * width + k * block, y * width + (k + 1) * block);
  }
}

function readRow(data: ArrayLike<number>, width: number, row: number): number | undefined {
  const block = blockSize(width);
  const bitAt = (k: number) => {
    // The mean of the block's central quarter: robust to a codec's ringing at the edges.
    let sum = 0;
    const y0 = row * block + block / 4;
    const x0 = k * block + block / 4;
    for (let y = y0; y < y0 + block / 2; y++) for (let x = x0; x < x0 + block / 2; x++) sum += data[y * width + x];
    return sum / ((block / 2) * (block / 2)) > 128;
  };
  let value = 0;
  for (let k = 0; k < MARK_BITS; k++) {
    const bit = bitAt(k);
    if (bit === bitAt(k + MARK_BITS)) return undefined; // a bit and its complement agree: no mark here
    if (bit) value |= 1 << k;
  }
  return value;
}

/** The frame number and tag written into a decoded I420 picture of the sent size, or undefined if unreadable. */
export function readMark(data: ArrayLike<number>, width: number): { n: number; tag: number } | undefined {
  const n = readRow(data, width, 0);
  const tag = readRow(data, width, 1);
  return n === undefined || tag === undefined ? undefined : { n, tag };
}

/** Mean luma below the mark rows. */
export function meanLuma(data: ArrayLike<number>, width: number, height: number): number {
  const start = MARK_ROWS * blockSize(width) * width;
  let sum = 0;
  for (let i = start; i < width * height; i++) sum += data[i];
  return sum / (width * height - start);
}

/** What a received picture was: its tag (-1 unreadable, -2 not the size sent) and mean luma. */
export interface SeenPicture {
  tag: number;
  luma: number;
}

/** Reads a received frame against the size it was sent at. */
export function seenPicture(data: ArrayLike<number>, width: number, height: number, sentWidth: number, sentHeight: number): SeenPicture {
  if (width !== sentWidth || height !== sentHeight) return { tag: -2, luma: -1 };
  return { tag: readMark(data, sentWidth)?.tag ?? -1, luma: meanLuma(data, sentWidth, sentHeight) };
}
