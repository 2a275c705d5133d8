/** PSNR in dB between two byte arrays of one layout (Infinity when identical). */
export function psnr(a: Uint8Array, b: Uint8Array): number {
  if (a.length !== b.length) throw new Error(`psnr: sizes differ (${a.length} vs ${b.length})`);
  let sum = 0;
  for (let i = 0; i < a.length; i++) {
    const d = a[i] - b[i];
    sum += d * d;
  }
  if (sum === 0) return Infinity;
  return 10 * Math.log10((255 * 255) / (sum / a.length));
}

/** Compares only the R, G, B bytes of two 4-byte-per-pixel frames (alpha is constant). */
export function psnrIgnoringAlpha(a: Uint8Array, b: Uint8Array, alphaIndex: number): number {
  const strip = (x: Uint8Array) => x.filter((_, i) => i % 4 !== alphaIndex);
  return psnr(strip(a), strip(b));
}
