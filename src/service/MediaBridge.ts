import type { Call, MediaPrompt, Modality, Participant, ScreenSharingRole, Tone } from '@microsoft/microsoft-graph-types';
import type { MediaConfigJson } from './model/ServiceCall';

/** What `recordResponse` asks the media side to do (Graph's parameters, defaults applied). */
export interface RecordOptions {
  prompts: MediaPrompt[];
  bargeInAllowed: boolean;
  initialSilenceTimeoutInSeconds: number;
  maxSilenceTimeoutInSeconds: number;
  maxRecordDurationInSeconds: number;
  playBeep: boolean;
  stopTones: string[];
}

/** Why a recording ended; Graph's `recordCompletionReason` values. */
export type RecordCompletionReason =
  | 'operationCanceled'
  | 'stopToneDetected'
  | 'maxRecordDurationReached'
  | 'initialSilenceTimeout'
  | 'maxSilenceTimeout'
  | 'playPromptFailed'
  | 'playBeepFailed'
  | 'mediaReceiveTimeout'
  | 'unspecifiedError';

export interface RecordResult {
  completionReason: RecordCompletionReason;
  /** The recorded audio; the service serves it at the operation's `recordingLocation`. */
  recording?: { contentType: string; data: Buffer };
}

/**
 * The seam between signaling and conference media. The service calls these hooks as calls and
 * rosters change, and hands service-hosted media work (prompts, recordings) to them. Every hook
 * is optional; a bridge that implements none is the no-op default: calls establish, prompts
 * and recordings complete at once, nothing flows.
 *
 * Hooks receive the Graph resources (`call`, `participant`) as the bot sees them. Hooks that
 * return promises are awaited where the call flow depends on them (answer, prompts, recording);
 * the others are notifications and must return quickly. An exception thrown by a notification
 * hook is reported through the service's 'warning' event and does not change the call.
 */
export interface MediaBridge {
  /**
   * The bot answered (or created) the call with this media configuration. The call becomes
   * `established` when this resolves; if it rejects, the call ends with a 500 result. A bridge
   * that answers the bot's offer returns the configuration completed with its answer: the call
   * resource carries it from then on, so the bot's media session can finish its negotiation.
   */
  onCallAnswered?(call: Call, mediaConfig: MediaConfigJson): Promise<MediaConfigJson | void> | MediaConfigJson | void;
  /**
   * Checks a bot's media configuration when the request that carries it (answer, create call)
   * arrives: throwing refuses the request with a 400 whose message is the error's, and nothing
   * changes. Without it every configuration is taken, and a bad one fails in onCallAnswered.
   */
  checkMediaConfig?(mediaConfig: MediaConfigJson): void;
  onCallEstablished?(call: Call): void;
  onCallTerminated?(call: Call): void;
  onHoldChanged?(call: Call, held: boolean): void;
  onParticipantJoined?(call: Call, participant: Participant): void;
  onParticipantLeft?(call: Call, participant: Participant): void;
  /** A participant (the bot included) was muted or unmuted. */
  onMuteChanged?(call: Call, participant: Participant, muted: boolean): void;
  onScreenSharingRoleChanged?(call: Call, role: ScreenSharingRole): void;
  /**
   * A participant was put on hold with music (startHoldMusic, with the bot's prompt or none for
   * the hold tone) or taken off it (stopHoldMusic, `prompt` undefined and `held` false). While held
   * it hears only the music, and nobody hears it.
   */
  onHoldMusicChanged?(call: Call, participant: Participant, held: boolean, prompt?: MediaPrompt): void;
  /** The call's audio routing groups changed: whose audio the bot hears, and who hears the bot. */
  onAudioRoutingChanged?(call: Call, routing: AudioRouting): void;
  /**
   * Plays the prompts into the call; resolves when they finished. `signal` aborts when the bot
   * cancels media processing, a barge-in recording preempts, or the call ends.
   */
  playPrompts?(call: Call, prompts: MediaPrompt[], signal: AbortSignal): Promise<void>;
  /** Records the caller's answer; resolves with why it ended and, if any, the audio. */
  recordResponse?(call: Call, options: RecordOptions, signal: AbortSignal): Promise<RecordResult>;
  /**
   * Sends DTMF into the call for the bot (sendDtmfTones): RFC 4733 to every participant, one
   * digit ('0'-'9', '*', '#', 'A'-'D') after another with `delayBetweenTonesMs` between them;
   * resolves when the last has gone out. `signal` aborts as for playPrompts.
   */
  sendTones?(call: Call, digits: string[], delayBetweenTonesMs: number, signal: AbortSignal): Promise<void>;
  /**
   * A person joins from a browser with this WebRTC offer. The bridge answers it (throwing a
   * CallMediaError SDP_INVALID for an offer it cannot use) and keeps the media for the
   * participant the service then adds as `participantId`: onParticipantJoined sees that id
   * and wires the browser, not a synthetic party. If the service cannot add it, it calls
   * abandonBrowser. The bridge drops the participant (dropParticipant) when the browser goes.
   */
  acceptBrowser?(call: Call, participantId: string, offerSdp: string): BrowserAnswer;
  abandonBrowser?(call: Call, participantId: string): void;
  /** Who is speaking in the call's media now, as the service hears it (the admin API shows it). */
  speakers?(call: Call): CallSpeakers | undefined;
  /** Bytes each participant's audio and video have carried into the service so far (the console's plots). */
  participantCounters?(call: Call): Record<string, ParticipantCounters> | undefined;
}

/**
 * The bot's audio as the call's audio routing groups route it, by participant id; null is the
 * whole call (no group says otherwise).
 */
export interface AudioRouting {
  /** Whose audio reaches the bot: the sources of the groups the bot receives. */
  botHears: string[] | null;
  /** Who hears the bot: the receivers of the groups the bot is the source of. */
  botHeardBy: string[] | null;
}

/** What the service hears in a call: the dominant speaker and the loudest voices' levels. */
export interface CallSpeakers {
  /** The participant id of the dominant speaker, or null when nobody speaks. */
  dominantSpeaker: string | null;
  /** Participant id → audio level in -dBov (0 loudest, 127 silence), of those heard in the last 300 ms. */
  levels: Record<string, number>;
}

/** What a bridge makes of a browser's offer. */
export interface BrowserAnswer {
  sdp: string;
  /** What the browser's offer sends and receives: the participant's modalities. */
  modalities: Modality[];
}

/** The default bridge: no media at all. Prompts finish at once; recordings hear nothing. */
export class NoopMediaBridge implements MediaBridge {}

/** DTMF digits as Graph names them in `toneInfo.tone`. */
export const TONE_BY_DIGIT: Readonly<Record<string, Tone>> = {
  '0': 'tone0', '1': 'tone1', '2': 'tone2', '3': 'tone3', '4': 'tone4',
  '5': 'tone5', '6': 'tone6', '7': 'tone7', '8': 'tone8', '9': 'tone9',
  '*': 'star', '#': 'pound', A: 'a', B: 'b', C: 'c', D: 'd', a: 'a', b: 'b', c: 'c', d: 'd',
};

/** The digit RFC 4733 sends for each of Graph's tone names that is a DTMF digit ('flash' is not). */
export const DIGIT_BY_TONE: Readonly<Record<string, string>> = {
  tone0: '0', tone1: '1', tone2: '2', tone3: '3', tone4: '4', tone5: '5', tone6: '6', tone7: '7', tone8: '8', tone9: '9',
  star: '*', pound: '#', a: 'A', b: 'B', c: 'C', d: 'D',
};

/** What a participant's media has carried into the service so far, in bytes. */
export interface ParticipantCounters {
  audioBytes: number;
  videoBytes: number;
}
