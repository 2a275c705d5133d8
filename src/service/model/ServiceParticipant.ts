import type {
  IdentitySet,
  MediaDirection,
  MediaPrompt,
  MediaStream,
  Modality,
  Participant,
  ParticipantInfo,
  RecordingInfo,
} from '@microsoft/microsoft-graph-types';

/** One roster entry of a call, as the service keeps it. */
export interface ServiceParticipant {
  id: string;
  info: ParticipantInfo;
  /** The bot (application) that owns the call, as opposed to the people and bots it talks to. */
  isBot: boolean;
  /** Muted by itself (the bot's own mute) or by the server (participant mute, muteAll). */
  isMuted: boolean;
  serverMuted: boolean;
  mediaStreams: MediaStream[];
  metadata?: string;
  recordingInfo?: RecordingInfo;
  /** Held by the bot (startHoldMusic): hearing the prompt it chose, or the hold tone, and heard by no one. */
  heldWithMusic?: { prompt?: MediaPrompt };
}

/** Allocates media source ids, unique within one call, as Graph's roster numbers them. */
export type SourceIdAllocator = () => string;

export function identityDisplayName(identity: IdentitySet | undefined): string | undefined {
  if (!identity) return undefined;
  for (const key of Object.keys(identity)) {
    const value = (identity as Record<string, { displayName?: string | null } | null | undefined>)[key];
    if (value && typeof value === 'object' && typeof value.displayName === 'string') return value.displayName;
  }
  return undefined;
}

/**
 * Media streams for a participant that takes part with the given modalities. Audio and video
 * go both ways; screen sharing is one-way: `sendOnly` for the one who shares, `receiveOnly`
 * for viewers.
 */
export function streamsFor(
  modalities: readonly Modality[],
  allocate: SourceIdAllocator,
  options: { sharing?: boolean } = {},
): MediaStream[] {
  const streams: MediaStream[] = [];
  const add = (mediaType: Modality, direction: MediaDirection, label: string) =>
    streams.push({ mediaType, direction, label, serverMuted: false, sourceId: allocate() });
  if (modalities.includes('audio')) add('audio', 'sendReceive', 'main-audio');
  if (modalities.includes('video')) add('video', 'sendReceive', 'main-video');
  if (options.sharing) add('videoBasedScreenSharing', 'sendOnly', 'main-vbss');
  else if (modalities.includes('videoBasedScreenSharing')) add('videoBasedScreenSharing', 'receiveOnly', 'main-vbss');
  return streams;
}

export function participantToGraph(p: ServiceParticipant): Participant & { '@odata.type': string } {
  const out: Participant & { '@odata.type': string } = {
    '@odata.type': '#microsoft.graph.participant',
    id: p.id,
    info: { ...p.info },
    isMuted: p.isMuted,
    isInLobby: false,
    mediaStreams: p.mediaStreams.map((s) => ({ '@odata.type': '#microsoft.graph.mediaStream', ...s }) as MediaStream),
  };
  if (p.metadata !== undefined) out.metadata = p.metadata;
  if (p.recordingInfo !== undefined) out.recordingInfo = { ...p.recordingInfo };
  return out;
}
