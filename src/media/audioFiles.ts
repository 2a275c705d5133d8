import * as fs from 'fs';
import { pipeline } from 'stream/promises';
import { Writable } from 'stream';
import { spawnTied } from '../peers/childProcess';
import { ffmpegPath } from '../peers/ffmpeg';
import { AUDIO_SAMPLE_RATE, AudioSocket } from './AudioSocket';
import { CallMediaError } from './errors';

/**
 * Plays any audio file or http(s) URL ffmpeg can read into an audio socket: ffmpeg decodes and
 * resamples to 16 kHz mono PCM on its stdout, the socket's Writable cuts it into 20 ms frames and
 * the engine's clock paces them. Resolves when the last frame is queued. The ffmpeg process is
 * tied to this one, so a service killed mid-prompt leaves no decoder running.
 */
export async function playAudio(socket: AudioSocket, input: string): Promise<void> {
  if (!/^https?:\/\//.test(input) && !fs.existsSync(input)) {
    throw new CallMediaError('INVALID_ARGUMENT', `no audio file at ${input}`);
  }
  const decoder = spawnTied(
    ffmpegPath(),
    ['-hide_banner', '-loglevel', 'error', '-analyzeduration', '0', '-i', input,
      '-f', 's16le', '-ar', String(AUDIO_SAMPLE_RATE), '-ac', '1', 'pipe:1'],
    { stdio: ['ignore', 'pipe', 'pipe'], windowsHide: true },
  );
  let stderr = '';
  decoder.stderr!.on('data', (d: Buffer) => {
    if (stderr.length < 4096) stderr += d.toString();
  });
  const exited = new Promise<number | null>((resolve, reject) => {
    decoder.once('error', reject);
    decoder.once('close', (code) => resolve(code));
  });
  let code: number | null;
  try {
    [, code] = await Promise.all([pipeline(decoder.stdout!, socket.writable()), exited]);
  } catch (err) {
    decoder.kill('SIGKILL');
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') {
      throw new CallMediaError('INVALID_ARGUMENT', `ffmpeg is needed to play ${input} and was not found (${ffmpegPath()})`);
    }
    throw err;
  }
  if (code !== 0) {
    throw new CallMediaError('INVALID_ARGUMENT', `ffmpeg could not decode ${input}: ${stderr.trim() || `exit ${code}`}`);
  }
}

/** A WAV file being written from a socket's mixed audio. */
export interface WavRecording {
  /** Stops recording and finishes the file (its header then holds the final sizes). */
  stop(): Promise<{ path: string; bytes: number; seconds: number }>;
}

function wavHeader(dataBytes: number): Buffer {
  const h = Buffer.alloc(44);
  h.write('RIFF', 0);
  h.writeUInt32LE(36 + dataBytes, 4);
  h.write('WAVE', 8);
  h.write('fmt ', 12);
  h.writeUInt32LE(16, 16); // PCM format chunk
  h.writeUInt16LE(1, 20); // linear PCM
  h.writeUInt16LE(1, 22); // mono
  h.writeUInt32LE(AUDIO_SAMPLE_RATE, 24);
  h.writeUInt32LE(AUDIO_SAMPLE_RATE * 2, 28); // byte rate
  h.writeUInt16LE(2, 32); // block align
  h.writeUInt16LE(16, 34); // bits per sample
  h.write('data', 36);
  h.writeUInt32LE(dataBytes, 40);
  return h;
}

/** 16 kHz mono 16-bit PCM as a complete WAV file. */
export function wavFile(pcm: Buffer): Buffer {
  return Buffer.concat([wavHeader(pcm.length), pcm]);
}

/** Records a socket's mixed audio (16 kHz mono 16-bit) into a WAV file until stop(). */
export function recordWav(socket: AudioSocket, path: string): WavRecording {
  const fd = fs.openSync(path, 'w');
  fs.writeSync(fd, wavHeader(0));
  let bytes = 0;
  const onAudio = (frame: { data: Buffer }) => {
    fs.writeSync(fd, frame.data);
    bytes += frame.data.length;
  };
  socket.on('audio', onAudio);
  let stopped: Promise<{ path: string; bytes: number; seconds: number }> | undefined;
  return {
    stop() {
      stopped ??= (async () => {
        socket.off('audio', onAudio);
        fs.writeSync(fd, wavHeader(bytes), 0, 44, 0);
        fs.closeSync(fd);
        return { path, bytes, seconds: bytes / (AUDIO_SAMPLE_RATE * 2) };
      })();
      return stopped;
    },
  };
}

/** A Writable of PCM that ends a WAV file when it finishes (for piping a socket's readable()). */
export function wavWriter(path: string): Writable {
  const fd = fs.openSync(path, 'w');
  fs.writeSync(fd, wavHeader(0));
  let bytes = 0;
  return new Writable({
    write(chunk: Buffer, _encoding, callback) {
      fs.write(fd, chunk, (err) => {
        bytes += chunk.length;
        callback(err);
      });
    },
    final(callback) {
      fs.writeSync(fd, wavHeader(bytes), 0, 44, 0);
      fs.close(fd, callback);
    },
  });
}


/** What a WAV file's header says, once every chunk length was checked against the file. */
export interface WavInfo {
  format: number; // 1: PCM
  channels: number;
  sampleRate: number;
  bitsPerSample: number;
  durationMs: number;
}

/**
 * Reads a WAV file's format and length (RIFF chunks, RFC 2361's WAVE). Throws INVALID_ARGUMENT,
 * saying why, for anything that is not a PCM WAV file with audio in it.
 */
export function readWavInfo(file: Buffer): WavInfo {
  const bad = (why: string) => new CallMediaError('INVALID_ARGUMENT', `not a PCM WAV file: ${why}`);
  if (file.length < 12 || file.toString('latin1', 0, 4) !== 'RIFF' || file.toString('latin1', 8, 12) !== 'WAVE') throw bad('no RIFF/WAVE header');
  let fmt: Omit<WavInfo, 'durationMs'> | undefined;
  for (let at = 12; at + 8 <= file.length; ) {
    const id = file.toString('latin1', at, at + 4);
    const size = file.readUInt32LE(at + 4);
    const body = at + 8;
    if (body + size > file.length && id !== 'data') throw bad(`chunk '${id}' runs past the end`);
    if (id === 'fmt ') {
      if (size < 16) throw bad('a short fmt chunk');
      fmt = { format: file.readUInt16LE(body), channels: file.readUInt16LE(body + 2), sampleRate: file.readUInt32LE(body + 4), bitsPerSample: file.readUInt16LE(body + 14) };
    } else if (id === 'data') {
      if (!fmt) throw bad('audio before its format');
      if (fmt.format !== 1 && fmt.format !== 0xfffe) throw bad(`format ${fmt.format} is not PCM`);
      if (!fmt.channels || !fmt.sampleRate || !fmt.bitsPerSample) throw bad('a format with no channels, rate or sample size');
      const bytes = Math.min(size, file.length - body); // a streamed file may say more than it has
      const durationMs = (bytes / (fmt.channels * (fmt.bitsPerSample / 8)) / fmt.sampleRate) * 1000;
      if (durationMs <= 0) throw bad('no audio');
      return { ...fmt, durationMs };
    }
    at = body + size + (size & 1); // chunks are padded to an even length
  }
  throw bad('no data chunk');
}
