import { strict as assert } from 'assert';
import fc from 'fast-check';
import { CallMediaError, readWavInfo, wavFile } from '../../src/media';

describe('media/audioFiles: readWavInfo, the WAV header a prompt is checked against', () => {
  it('reads what wavFile writes: 16 kHz mono PCM and its length', () => {
    const info = readWavInfo(wavFile(Buffer.alloc(32000)));
    assert.deepEqual(info, { format: 1, channels: 1, sampleRate: 16000, bitsPerSample: 16, durationMs: 1000 });
  });

  it('skips chunks it does not need, padded to an even length', () => {
    const wav = wavFile(Buffer.alloc(3200));
    const list = Buffer.concat([Buffer.from('LIST'), Buffer.from([3, 0, 0, 0]), Buffer.from('abc'), Buffer.alloc(1)]);
    const withList = Buffer.concat([wav.subarray(0, 36), list, wav.subarray(36)]);
    assert.equal(readWavInfo(withList).durationMs, 100);
  });

  it('refuses what is not a PCM WAV file, saying why', () => {
    const wav = wavFile(Buffer.alloc(3200));
    const cases: [Buffer, RegExp][] = [
      [Buffer.from('ID3\x04 an mp3'), /RIFF/],
      [wav.subarray(0, 30), /fmt|data|past the end/],
      [wav.subarray(0, 44), /no audio/],
      [Buffer.concat([wav.subarray(0, 20), Buffer.from([3, 0]), wav.subarray(22)]), /not PCM/], // IEEE float
    ];
    for (const [input, why] of cases) {
      assert.throws(() => readWavInfo(input), (e: unknown) => e instanceof CallMediaError && e.code === 'INVALID_ARGUMENT' && why.test(e.message));
    }
  });

  it('any bytes, and any mutation of a real file, get an answer or INVALID_ARGUMENT, never another exception', () => {
    const wav = wavFile(Buffer.alloc(640));
    const check = (input: Buffer) => {
      try {
        const info = readWavInfo(input);
        assert.ok(info.durationMs > 0 && Number.isFinite(info.durationMs));
      } catch (e) {
        assert.ok(e instanceof CallMediaError && e.code === 'INVALID_ARGUMENT', String(e));
      }
    };
    fc.assert(fc.property(fc.uint8Array({ maxLength: 200 }), (bytes) => check(Buffer.from(bytes))), { numRuns: 3000 });
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.nat(wav.length - 1), fc.integer({ min: 0, max: 255 })), { maxLength: 6 }), fc.nat(wav.length), (edits, cut) => {
        const input = Buffer.from(wav.subarray(0, Math.max(cut, 1)));
        for (const [at, value] of edits) if (at < input.length) input[at] = value;
        check(input);
      }),
      { numRuns: 5000 },
    );
  });
});
