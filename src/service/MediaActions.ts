import type { ServiceCall } from './model/ServiceCall';
import { randomUUID } from 'crypto';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { readWavInfo } from '../media/audioFiles';
import type { CallRuntime } from './CallRuntime';
import { GraphError } from './model/GraphError';
import * as v from './model/validate';
import { DIGIT_BY_TONE, TONE_BY_DIGIT, type RecordCompletionReason, type RecordOptions, type RecordResult } from './MediaBridge';
import { MediaQueue, type MediaOutcome } from './MediaQueue';
import { RESULTS, type ServiceOperation } from './model/ServiceOperation';

/** Recordings wait this many newer ones before they are discarded (Graph keeps them briefly too). */
const RECORDINGS_KEPT = 100;

/**
 * Media operations: playPrompt and recordResponse queued per call and run by the media bridge,
 * subscribeToTone and cancelMediaProcessing (all four for service-hosted calls only, as Graph),
 * sendDtmfTones (either kind), stop tones, and recordings served to the holder of their access
 * token.
 */
export class MediaActions {
  private readonly queues = new Map<string, MediaQueue>();
  private readonly toneListeners = new Map<string, Set<(digit: string) => void>>();
  private readonly recordings = new Map<string, { token: string; contentType: string; data: Buffer }>();
  /** Prompts people play into calls (the console), each stopped when its call ends. */
  private readonly played = new Map<string, Set<AbortController>>();

  constructor(private readonly rt: CallRuntime) {
    rt.onCallEnded((call) => {
      // The call is gone: its media work ends without notifications.
      this.queues.get(call.id)?.cancelAll(false);
      this.queues.delete(call.id);
      this.toneListeners.delete(call.id);
      for (const c of this.played.get(call.id) ?? []) c.abort();
      this.played.delete(call.id);
    });
  }

  /** A party pressed a key: stop tones of running recordings see it. */
  toneHeard(callId: string, digit: string): void {
    for (const listener of this.toneListeners.get(callId) ?? []) listener(digit);
  }

  /**
   * A person plays a WAV file into the call (the console's prompt picker): the media bridge
   * plays it as it plays Graph's prompts, at once, beside the bot's own media work. Resolves
   * with its length once it started; a body that is not a PCM WAV file is a 400.
   */
  playIntoCall(callId: string, wav: Buffer): { durationMs: number } {
    const call = this.rt.guarded(callId, 'playPrompt');
    let info;
    try {
      info = readWavInfo(wav);
    } catch (err) {
      throw GraphError.badRequest((err as Error).message);
    }
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'callmedia-played-'));
    const file = path.join(dir, 'prompt.wav');
    fs.writeFileSync(file, wav);
    const controller = new AbortController();
    let set = this.played.get(call.id);
    if (!set) this.played.set(call.id, (set = new Set()));
    set.add(controller);
    const prompt = { '@odata.type': '#microsoft.graph.mediaPrompt', mediaInfo: { '@odata.type': '#microsoft.graph.mediaInfo', uri: `file://${file}` } };
    void Promise.resolve(this.rt.bridge.playPrompts?.(call.toGraph(), [prompt], controller.signal))
      .catch((err) => this.rt.events.emit('warning', err))
      .finally(() => {
        set?.delete(controller);
        fs.rmSync(dir, { recursive: true, force: true });
      });
    return { durationMs: Math.round(info.durationMs) };
  }

  /** POST /calls/{id}/playPrompt: queued behind earlier prompts and recordings. */
  playPrompt(callId: string, body: Record<string, unknown>): ServiceOperation {
    const call = this.serviceHosted(callId, 'playPrompt');
    const prompts = v.prompts(body.prompts, 'prompts', { required: true });
    v.optionalBoolean(body, 'loop');
    const op = this.rt.runningOperation(call, 'playPromptOperation', v.clientContext(body));
    this.mediaQueue(call).enqueue(
      op,
      async (signal) => {
        await this.rt.bridge.playPrompts?.(call.toGraph(), prompts, signal);
        return { status: 'completed', resultInfo: RESULTS.success };
      },
      () => ({ status: 'failed', resultInfo: RESULTS.cancelled }),
    );
    return op;
  }

  /** POST /calls/{id}/recordResponse (also served as /record, its older name). */
  recordResponse(callId: string, body: Record<string, unknown>): ServiceOperation {
    const call = this.serviceHosted(callId, 'recordResponse');
    const stopTones = v.stringArray(body, 'stopTones') ?? [];
    for (const t of stopTones) {
      if (!(t in TONE_BY_DIGIT)) throw GraphError.badRequest(`'stopTones' has '${t}'; allowed: 0-9, *, #, A-D`);
    }
    const options: RecordOptions = {
      prompts: v.prompts(body.prompts, 'prompts', { required: false, max: 1 }),
      bargeInAllowed: v.optionalBoolean(body, 'bargeInAllowed') ?? false,
      initialSilenceTimeoutInSeconds: v.optionalInt(body, 'initialSilenceTimeoutInSeconds', 1, 120) ?? 5,
      maxSilenceTimeoutInSeconds: v.optionalInt(body, 'maxSilenceTimeoutInSeconds', 1, 120) ?? 5,
      maxRecordDurationInSeconds: v.optionalInt(body, 'maxRecordDurationInSeconds', 1, 120) ?? 5,
      playBeep: v.optionalBoolean(body, 'playBeep') ?? true,
      stopTones,
    };
    const op = this.rt.runningOperation(call, 'recordOperation', v.clientContext(body), {
      recordingLocation: null,
      recordingAccessToken: null,
      completionReason: null,
    });
    const queue = this.mediaQueue(call);
    if (options.bargeInAllowed) queue.cancelAll();
    queue.enqueue(op, (signal) => this.record(call, op, options, signal), () => recordOutcome('operationCanceled'));
    return op;
  }

  private async record(call: ServiceCall, op: ServiceOperation, options: RecordOptions, signal: AbortSignal): Promise<MediaOutcome> {
    // A stop tone ends the recording from the signaling side, whatever the media is doing.
    const stop = new AbortController();
    const onAbort = () => stop.abort();
    signal.addEventListener('abort', onAbort);
    let stoppedByTone = false;
    const unlisten = this.onTone(call.id, (digit) => {
      if (options.stopTones.includes(digit)) {
        stoppedByTone = true;
        stop.abort();
      }
    });
    try {
      const stopped = new Promise<never>((_, reject) => stop.signal.addEventListener('abort', () => reject(new Error('stopped'))));
      stopped.catch(() => undefined);
      const work = Promise.resolve(this.rt.bridge.recordResponse?.(call.toGraph(), options, stop.signal));
      let result: RecordResult | undefined;
      try {
        result = await Promise.race([work, stopped]);
      } catch (err) {
        if (stoppedByTone) return recordOutcome('stopToneDetected');
        throw err;
      }
      if (stoppedByTone) return recordOutcome('stopToneDetected');
      // With no media bridge nothing is heard; the recording runs out its duration, empty.
      const reason = result?.completionReason ?? 'maxRecordDurationReached';
      const extra: Record<string, unknown> = {};
      if (result?.recording) {
        const token = randomUUID();
        this.recordings.set(op.id, { token, ...result.recording });
        if (this.recordings.size > RECORDINGS_KEPT) this.recordings.delete(this.recordings.keys().next().value as string);
        extra.recordingLocation = `${this.rt.baseUrl}/recordings/${op.id}`;
        extra.recordingAccessToken = token;
      }
      const outcome = recordOutcome(reason);
      return { ...outcome, extra: { ...outcome.extra, ...extra } };
    } finally {
      unlisten();
      signal.removeEventListener('abort', onAbort);
    }
  }

  /** The audio of a finished recordResponse, for the holder of its recordingAccessToken. */
  recording(operationId: string, token: string | undefined): { contentType: string; data: Buffer } | undefined {
    const rec = this.recordings.get(operationId);
    return rec && token === rec.token ? { contentType: rec.contentType, data: rec.data } : undefined;
  }

  /**
   * POST /calls/{id}/sendDtmfTones: the tones go into the call's media as RFC 4733, queued with
   * the call's other media operations; the operation completes (completedSuccessfully) once the
   * last tone went out, or fails as mediaOperationCanceled when media processing is cancelled.
   */
  sendDtmfTones(callId: string, body: Record<string, unknown>): ServiceOperation {
    const call = this.rt.guarded(callId, 'sendDtmfTones');
    const digits = dtmfDigits(body.tones);
    const delayMs = v.optionalInt(body, 'delayBetweenTonesMs', 0, MAX_TONE_DELAY_MS) ?? 0;
    const op = this.rt.runningOperation(call, 'sendDtmfTonesOperation', v.clientContext(body), { completionReason: null });
    this.mediaQueue(call).enqueue(
      op,
      async (signal) => {
        await this.rt.bridge.sendTones?.(call.toGraph(), digits, delayMs, signal);
        return { status: 'completed', resultInfo: RESULTS.success, extra: { completionReason: 'completedSuccessfully' } };
      },
      () => ({ status: 'failed', resultInfo: RESULTS.cancelled, extra: { completionReason: 'mediaOperationCanceled' } }),
    );
    return op;
  }

  /** POST /calls/{id}/subscribeToTone: later DTMF arrives as toneInfo on call notifications. */
  subscribeToTone(callId: string, body: Record<string, unknown>): ServiceOperation {
    const call = this.serviceHosted(callId, 'subscribeToTone');
    call.toneSubscribed = true;
    return this.rt.completedOperation(call, 'subscribeToToneOperation', v.clientContext(body));
  }

  /** POST /calls/{id}/cancelMediaProcessing: queued and playing operations end as cancelled. */
  cancelMediaProcessing(callId: string, body: Record<string, unknown>): ServiceOperation {
    const call = this.serviceHosted(callId, 'cancelMediaProcessing');
    v.optionalBoolean(body, 'all');
    const op = this.rt.completedOperation(call, 'cancelMediaProcessingOperation', v.clientContext(body));
    this.mediaQueue(call).cancelAll();
    return op;
  }

  /**
   * Graph hosts prompts, recordings and tone detection only for calls whose media it hosts: a bot
   * with app-hosted media plays, records and hears DTMF in its own media, and is refused here.
   */
  private serviceHosted(callId: string, action: 'playPrompt' | 'recordResponse' | 'subscribeToTone' | 'cancelMediaProcessing'): ServiceCall {
    const call = this.rt.guarded(callId, action);
    if (call.mediaHosting === 'app') {
      throw GraphError.badRequest(
        `${action} is supported only for calls with service-hosted media; a bot with app-hosted media plays, records and hears tones in its own media (AudioSocket)`,
      );
    }
    return call;
  }

  private mediaQueue(call: ServiceCall): MediaQueue {
    let q = this.queues.get(call.id);
    if (!q) {
      q = new MediaQueue((op) => {
        if (call.isLive) this.rt.notifyOperation(call, op);
      });
      this.queues.set(call.id, q);
    }
    return q;
  }

  private onTone(callId: string, listener: (digit: string) => void): () => void {
    let set = this.toneListeners.get(callId);
    if (!set) this.toneListeners.set(callId, (set = new Set()));
    set.add(listener);
    return () => set!.delete(listener);
  }

  close(): void {
    for (const q of this.queues.values()) q.cancelAll(false);
  }
}

/** The longest pause sendDtmfTones takes between two tones. */
const MAX_TONE_DELAY_MS = 10_000;
/** The most tones one sendDtmfTones request takes (a long dial string, with room to spare). */
const MAX_TONES = 64;

/** Graph's tone names (`tone0`…`tone9`, `star`, `pound`, `a`…`d`) as the digits RFC 4733 sends. */
function dtmfDigits(value: unknown): string[] {
  if (!Array.isArray(value) || value.length === 0) throw GraphError.badRequest(`'tones' is required and must list at least one tone`);
  if (value.length > MAX_TONES) throw GraphError.badRequest(`'tones' takes at most ${MAX_TONES} tones`);
  return value.map((t, i) => {
    const digit = typeof t === 'string' ? DIGIT_BY_TONE[t.toLowerCase()] : undefined;
    if (!digit) {
      const why = t === 'flash' ? "'flash' is a hook flash, not a DTMF digit, and is not sent" : `'${String(t)}' is not a tone`;
      throw GraphError.badRequest(`'tones[${i}]': ${why}; allowed: tone0-tone9, star, pound, a-d`);
    }
    return digit;
  });
}

function recordOutcome(reason: RecordCompletionReason): MediaOutcome {
  const extra = { completionReason: reason };
  switch (reason) {
    case 'operationCanceled':
      return { status: 'failed', resultInfo: RESULTS.cancelled, extra: { ...extra, recordingLocation: '', recordingAccessToken: '' } };
    case 'maxRecordDurationReached':
      return { status: 'completed', resultInfo: RESULTS.maxRecordDurationReached, extra };
    case 'stopToneDetected':
    case 'initialSilenceTimeout':
    case 'maxSilenceTimeout':
      return { status: 'completed', resultInfo: { code: 200, subcode: 0, message: `Action completed, ${reason}.` }, extra };
    default:
      return { status: 'failed', resultInfo: { code: 500, subcode: 0, message: `Action failed, ${reason}.` }, extra };
  }
}
