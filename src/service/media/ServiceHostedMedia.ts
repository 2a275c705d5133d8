import type { MediaPrompt } from '@microsoft/microsoft-graph-types';
import { AudioFrame, AudioSocket, playAudio, wavFile } from '../../media';
import type { RecordOptions, RecordResult } from '../MediaBridge';
import type { BotLeg } from './BotLeg';
import { AUDIO_SOCKET_PAYLOAD_TYPES, type ForwardingPort } from './ForwardingPort';

/**
 * The media the service itself hosts in a call, as Graph's service-hosted media does: prompts
 * and the beep played into the call, and recordings of what the participants say. In a
 * service-hosted call the bot's leg is the service's own voice (ServiceVoiceLeg), so every
 * participant hears what is played; in an app-hosted call the only thing played is a file a
 * person picks in the console, into the bot's own audio.
 */
export class ServiceHostedMedia {
  /**
   * `bot`: where prompts go (its audioSender). `voices`: the participants' audio ingests a recording hears (the
   * unmuted ones, at the moment it starts).
   */
  constructor(
    private readonly bot: BotLeg,
    private readonly voices: () => ForwardingPort[],
  ) {}

  async playPrompts(prompts: MediaPrompt[], signal: AbortSignal): Promise<void> {
    const socket = this.bot.audioSender();
    if (!socket) return;
    const stop = () => void socket.close();
    signal.addEventListener('abort', stop);
    try {
      for (const prompt of prompts) {
        if (signal.aborted) break;
        const uri = (prompt as { mediaInfo?: { uri?: string } }).mediaInfo?.uri;
        if (!uri) throw new Error('a prompt without mediaInfo.uri');
        await playAudio(socket, uri.startsWith('file://') ? new URL(uri).pathname : uri);
        await drained(socket, signal);
      }
    } finally {
      signal.removeEventListener('abort', stop);
      await socket.close();
    }
  }

  async recordResponse(options: RecordOptions, signal: AbortSignal): Promise<RecordResult> {
    if (options.prompts.length) await this.playPrompts(options.prompts, signal);
    if (options.playBeep && !signal.aborted) await this.beep(signal);
    const recorder = new AudioSocket().unref();
    const ingests = this.voices();
    for (const ingest of ingests) ingest.forwardTo(recorder.port, '127.0.0.1', undefined, AUDIO_SOCKET_PAYLOAD_TYPES);
    try {
      const { reason, pcm } = await record(recorder, options, signal);
      return { completionReason: reason, recording: pcm.length ? { contentType: 'audio/wav', data: wavFile(pcm) } : undefined };
    } finally {
      for (const ingest of ingests) ingest.stopForwardingTo(recorder.port);
      await recorder.close();
    }
  }

  /** 200 ms of 1 kHz into the call: "speak after the tone". */
  async beep(signal: AbortSignal): Promise<void> {
    const socket = this.bot.audioSender();
    if (!socket) return;
    for (let frame = 0; frame < 10 && !signal.aborted; frame++) {
      const pcm = Buffer.alloc(640);
      for (let i = 0; i < 320; i++) pcm.writeInt16LE(Math.round(8000 * Math.sin((2 * Math.PI * 1000 * (frame * 320 + i)) / 16000)), i * 2);
      socket.send(pcm);
    }
    await drained(socket, signal);
    await socket.close();
  }
}

/** Lets the engine's clock send what is queued before the next prompt or the end. */
async function drained(socket: AudioSocket, signal: AbortSignal): Promise<void> {
  while (!socket.isClosed && socket.queuedFrames > 0 && !signal.aborted) await new Promise((r) => setTimeout(r, 20));
}

/** Records from the first sound until silence, the maximum duration, or an abort. */
function record(recorder: AudioSocket, options: RecordOptions, signal: AbortSignal): Promise<{ reason: RecordResult['completionReason']; pcm: Buffer }> {
  const chunks: Buffer[] = [];
  const started = Date.now();
  let heardAt: number | undefined;
  let lastSound = started;
  return new Promise((resolve) => {
    const finish = (reason: RecordResult['completionReason']) => {
      clearTimeout(maxTimer);
      recorder.off('audio', onAudio);
      signal.removeEventListener('abort', onAbort);
      resolve({ reason, pcm: Buffer.concat(chunks) });
    };
    const onAbort = () => finish('operationCanceled');
    const onAudio = (frame: AudioFrame) => {
      const now = Date.now();
      if (heardAt !== undefined || !frame.isSilence) chunks.push(Buffer.from(frame.data));
      if (!frame.isSilence) {
        heardAt ??= now;
        lastSound = now;
      }
      if (heardAt === undefined && now - started > options.initialSilenceTimeoutInSeconds * 1000) finish('initialSilenceTimeout');
      else if (heardAt !== undefined && now - lastSound > options.maxSilenceTimeoutInSeconds * 1000) finish('maxSilenceTimeout');
    };
    const maxTimer = setTimeout(() => finish('maxRecordDurationReached'), options.maxRecordDurationInSeconds * 1000);
    signal.addEventListener('abort', onAbort);
    recorder.on('audio', onAudio);
  });
}
