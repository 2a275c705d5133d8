/** Amplitude (fraction of full scale) of `frequency` in 16-bit PCM, by the Goertzel algorithm. */
export function toneAmplitude(pcm: Int16Array, frequency: number, sampleRate = 16000): number {
  const k = (2 * Math.cos((2 * Math.PI * frequency) / sampleRate));
  let s1 = 0;
  let s2 = 0;
  for (let i = 0; i < pcm.length; i++) {
    const s0 = pcm[i] / 32768 + k * s1 - s2;
    s2 = s1;
    s1 = s0;
  }
  const power = s1 * s1 + s2 * s2 - k * s1 * s2;
  return (2 * Math.sqrt(Math.max(0, power))) / pcm.length;
}

export function samples(buffer: Buffer): Int16Array {
  const copy = Buffer.from(buffer);
  return new Int16Array(copy.buffer, copy.byteOffset, copy.length / 2);
}

export const dB = (ratio: number) => 20 * Math.log10(ratio);
