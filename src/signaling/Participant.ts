import type { IdentitySet, MediaStream, Modality, Participant as GraphParticipant, ParticipantInfo, RecordingInfo } from '@microsoft/microsoft-graph-types';
import type { CommsOperation } from './types';

/** What a Participant needs from its call to act on itself. */
export interface ParticipantActions {
  muteParticipant(participantId: string, clientContext?: string): Promise<CommsOperation>;
  startHoldMusic(participantId: string, customPrompt?: unknown, clientContext?: string): Promise<CommsOperation>;
  stopHoldMusic(participantId: string, clientContext?: string): Promise<CommsOperation>;
  removeParticipant(participantId: string): Promise<void>;
}

/**
 * One roster entry, kept up to date from roster notifications (the object stays the same for
 * the participant's whole stay). Its media source ids say which audio/video/screen-share
 * streams are this participant's.
 */
export class Participant {
  private data: GraphParticipant;

  constructor(
    readonly id: string,
    data: GraphParticipant,
    private readonly call: ParticipantActions,
  ) {
    this.data = data;
  }

  /** The Graph resource as last received. */
  get resource(): Readonly<GraphParticipant> {
    return this.data;
  }

  get info(): ParticipantInfo | undefined {
    return this.data.info;
  }

  get identity(): IdentitySet | undefined {
    return this.data.info?.identity;
  }

  get displayName(): string | undefined {
    const identity = this.identity as Record<string, { displayName?: string | null } | null | undefined> | undefined;
    for (const value of Object.values(identity ?? {})) {
      if (value && typeof value === 'object' && value.displayName) return value.displayName;
    }
    return undefined;
  }

  get isMuted(): boolean {
    return this.data.isMuted === true;
  }

  /** Muted by the server (participant mute, muteAll), as opposed to muted by itself. */
  get isServerMuted(): boolean {
    return (this.data.mediaStreams ?? []).some((s) => s.mediaType === 'audio' && s.serverMuted === true);
  }

  get isInLobby(): boolean {
    return this.data.isInLobby === true;
  }

  get metadata(): string | undefined {
    return this.data.metadata ?? undefined;
  }

  get recordingInfo(): RecordingInfo | undefined {
    return this.data.recordingInfo ?? undefined;
  }

  /**
   * The participant's streams with their source ids. A Participant can be handed to the media
   * side wherever a roster entry is taken (`videoSocket.subscribe(participant)`,
   * `session.updateRoster([...call.participants.values()])`).
   */
  get mediaStreams(): MediaStream[] {
    return this.data.mediaStreams ?? [];
  }

  /** Source ids of this participant's streams, optionally of one media type. */
  sourceIds(mediaType?: Modality): string[] {
    return this.mediaStreams.filter((s) => !mediaType || s.mediaType === mediaType).flatMap((s) => (s.sourceId ? [s.sourceId] : []));
  }

  get audioSourceId(): string | undefined {
    return this.sourceIds('audio')[0];
  }

  get videoSourceIds(): string[] {
    return this.sourceIds('video');
  }

  /** The source of the screen this participant shares now: a screen-sharing stream it sends on. */
  get screenSharingSourceId(): string | undefined {
    const sharing = this.mediaStreams.find((s) => s.mediaType === 'videoBasedScreenSharing' && (s.direction === 'sendOnly' || s.direction === 'sendReceive'));
    return sharing?.sourceId ?? undefined;
  }

  hasSourceId(sourceId: string): boolean {
    return this.mediaStreams.some((s) => s.sourceId === sourceId);
  }

  /** Server-mutes this participant (Graph participant: mute). */
  mute(clientContext?: string): Promise<CommsOperation> {
    return this.call.muteParticipant(this.id, clientContext);
  }

  /** Puts this participant on hold with music (Graph participant: startHoldMusic). */
  startHoldMusic(customPrompt?: unknown, clientContext?: string): Promise<CommsOperation> {
    return this.call.startHoldMusic(this.id, customPrompt, clientContext);
  }

  /** Takes this participant off hold (Graph participant: stopHoldMusic). */
  stopHoldMusic(clientContext?: string): Promise<CommsOperation> {
    return this.call.stopHoldMusic(this.id, clientContext);
  }

  /** Removes this participant from the call (Graph participant: delete). */
  remove(): Promise<void> {
    return this.call.removeParticipant(this.id);
  }

  /** @internal Applies a roster entry; true when anything changed. */
  update(data: GraphParticipant): boolean {
    const changed = JSON.stringify(stripVolatile(data)) !== JSON.stringify(stripVolatile(this.data));
    this.data = data;
    return changed;
  }

  toJSON(): GraphParticipant {
    return this.data;
  }
}

/** The roster sequence number changes on every roster notification; it is no change by itself. */
function stripVolatile(p: GraphParticipant): GraphParticipant {
  const { rosterSequenceNumber: _ignored, ...rest } = p;
  return rest;
}
