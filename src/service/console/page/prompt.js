// A prompt from a file the person picks: any audio format ffmpeg reads, converted in the page
// (ffmpeg.wasm, served by the service: no CDN) into the 16 kHz mono WAV that prompts are.
import { FFmpeg } from '/console/vendor/ffmpeg/index.js';

let loading;

function ffmpeg() {
  loading ??= (async () => {
    const f = new FFmpeg();
    await f.load({ coreURL: '/console/vendor/core/ffmpeg-core.js', wasmURL: '/console/vendor/core/ffmpeg-core.wasm' });
    return f;
  })();
  return loading;
}

/** The file as 16 kHz mono 16-bit PCM WAV bytes. */
export async function toPromptWav(file) {
  const f = await ffmpeg();
  const input = `in-${Date.now()}`;
  await f.writeFile(input, new Uint8Array(await file.arrayBuffer()));
  const code = await f.exec(['-hide_banner', '-i', input, '-vn', '-ac', '1', '-ar', '16000', '-c:a', 'pcm_s16le', '-f', 'wav', 'out.wav']);
  await f.deleteFile(input).catch(() => undefined);
  if (code !== 0) throw new Error(`'${file.name}' is not audio ffmpeg can read`);
  const wav = await f.readFile('out.wav');
  await f.deleteFile('out.wav').catch(() => undefined);
  return wav;
}

/** Converts the file and plays it into the call; resolves with its length in ms. */
export async function playFile(callId, file) {
  const wav = await toPromptWav(file);
  const res = await fetch(`/admin/calls/${encodeURIComponent(callId)}/prompts`, { method: 'POST', headers: { 'Content-Type': 'audio/wav' }, body: wav });
  const body = await res.json().catch(() => ({}));
  if (!res.ok) throw new Error(body?.error?.message ?? `the service answered ${res.status}`);
  return body.durationMs;
}
