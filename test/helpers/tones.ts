import { toneAmplitude } from './goertzel';

/** `count` samples of a sine at `frequency`, starting at sample `start` of an endless tone. */
export function sine(frequency: number, sampleRate: number, start: number, count: number, amplitude = 8000): Int16Array {
  const out = new Int16Array(count);
  for (let i = 0; i < count; i++) out[i] = Math.round(amplitude * Math.sin((2 * Math.PI * frequency * (start + i)) / sampleRate));
  return out;
}

/** 16-bit PCM as little-endian bytes (what AudioSocket.send takes). */
export function pcmBytes(samples: Int16Array): Buffer {
  const b = Buffer.alloc(samples.length * 2);
  samples.forEach((s, i) => b.writeInt16LE(s, i * 2));
  return b;
}

/** How much of a window's energy is the tone: 1 for a pure sine on an exact bin, ~0 for silence or another tone. */
export function energyFraction(window: Int16Array, frequency: number, sampleRate: number): number {
  let sum = 0;
  for (const s of window) sum += (s / 32768) ** 2;
  const meanSquare = sum / window.length;
  if (meanSquare === 0) return 0;
  const a = toneAmplitude(window, frequency, sampleRate);
  return (a * a) / 2 / meanSquare;
}

/** Splits samples into consecutive windows of `size`. */
export function windowsOf(samples: Int16Array, size: number): Int16Array[] {
  const out: Int16Array[] = [];
  for (let i = 0; i + size <= samples.length; i += size) out.push(samples.subarray(i, i + size));
  return out;
}

export function concat(parts: Int16Array[]): Int16Array {
  const out = new Int16Array(parts.reduce((n, p) => n + p.length, 0));
  let off = 0;
  for (const p of parts) {
    out.set(p, off);
    off += p.length;
  }
  return out;
}

export const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];
