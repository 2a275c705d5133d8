import type {
  Call,
  CallDirection,
  CallOptions,
  CallRoute,
  CallState,
  ChatInfo,
  IdentitySet,
  IncomingContext,
  InvitationParticipantInfo,
  MeetingInfo,
  Modality,
  Participant,
  ParticipantInfo,
  ResultInfo,
  ScreenSharingRole,
} from '@microsoft/microsoft-graph-types';
import { randomUUID } from 'crypto';
import { canTransition } from './callState';
import { participantToGraph, type ServiceParticipant } from './ServiceParticipant';
import type { ServiceOperation } from './ServiceOperation';

/** One audio routing group of a call, as Graph returns it. */
export interface AudioRoutingGroupRecord {
  id: string;
  routingMode: 'oneToOne' | 'multicast';
  sources: string[];
  receivers: string[];
}

/** `appHostedMediaConfig` or `serviceHostedMediaConfig`, as the bot sent it. */
export interface MediaConfigJson {
  '@odata.type': string;
  blob?: string;
  preFetchMedia?: unknown[];
  [key: string]: unknown;
}

export type MediaHosting = 'app' | 'service';

/** Peer-to-peer calls become group calls when a third party is invited. */
export type CallKind = 'peerToPeer' | 'group' | 'meeting';

export interface ServiceCallInit {
  appId: string;
  appDisplayName?: string;
  direction: CallDirection;
  state: CallState;
  callbackUri: string;
  source: ParticipantInfo;
  targets: InvitationParticipantInfo[];
  requestedModalities: Modality[];
  kind: CallKind;
  tenantId?: string;
  subject?: string;
  chatInfo?: ChatInfo;
  meetingInfo?: MeetingInfo & { '@odata.type'?: string };
  callOptions?: CallOptions;
  mediaConfig?: MediaConfigJson;
  incomingContext?: IncomingContext;
  callRoutes?: CallRoute[];
  /** Shared by every call leg of one conversation: a redirect or a transfer keeps it, and the bots in one meeting share it. New when not given. */
  callChainId?: string;
}

/** One call as the service keeps it, from the bot's point of view (the bot is `myParticipantId`). */
export class ServiceCall {
  readonly id = randomUUID();
  readonly myParticipantId = randomUUID();
  readonly appId: string;
  readonly callChainId: string;
  readonly botIdentity: IdentitySet;
  readonly direction: CallDirection;
  readonly createdAt = Date.now();
  state: CallState;
  /** Every state the call has been in, in order; the admin API shows it. */
  readonly stateHistory: CallState[];
  callbackUri: string;
  source: ParticipantInfo;
  targets: InvitationParticipantInfo[];
  requestedModalities: Modality[];
  acceptedModalities: Modality[] = [];
  kind: CallKind;
  tenantId?: string;
  subject?: string;
  chatInfo?: ChatInfo;
  meetingInfo?: MeetingInfo & { '@odata.type'?: string };
  callOptions?: CallOptions;
  mediaConfig?: MediaConfigJson;
  incomingContext?: IncomingContext;
  callRoutes?: CallRoute[];
  answeredBy?: ParticipantInfo;
  resultInfo?: ResultInfo;
  toneSubscribed = false;
  screenSharingRole: ScreenSharingRole = 'viewer';
  readonly participants = new Map<string, ServiceParticipant>();
  /** Content sharing sessions (Graph's contentSharingSession): the participant sharing → the session's id. */
  readonly contentSharing = new Map<string, string>();
  readonly operations = new Map<string, ServiceOperation>();
  /** The call's audio routing groups by id (audioRoutingGroups). */
  readonly audioRoutingGroups = new Map<string, AudioRoutingGroupRecord>();
  lastKeepAlive = Date.now();
  private nextSourceId = 1;
  private toneSequence = 0;
  private rosterSequence = 0;

  constructor(init: ServiceCallInit) {
    this.appId = init.appId;
    this.callChainId = init.callChainId ?? randomUUID();
    this.botIdentity = { application: { id: init.appId, displayName: init.appDisplayName ?? null } };
    this.direction = init.direction;
    this.state = init.state;
    this.stateHistory = [init.state];
    this.callbackUri = init.callbackUri;
    this.source = init.source;
    this.targets = init.targets;
    this.requestedModalities = init.requestedModalities;
    this.kind = init.kind;
    this.tenantId = init.tenantId;
    this.subject = init.subject;
    this.chatInfo = init.chatInfo;
    this.meetingInfo = init.meetingInfo;
    this.callOptions = init.callOptions;
    this.mediaConfig = init.mediaConfig;
    this.incomingContext = init.incomingContext;
    this.callRoutes = init.callRoutes;
  }

  get mediaHosting(): MediaHosting | undefined {
    const type = this.mediaConfig?.['@odata.type']?.toLowerCase();
    if (!type) return undefined;
    return type.endsWith('apphostedmediaconfig') ? 'app' : 'service';
  }

  get isLive(): boolean {
    return this.state !== 'terminated';
  }

  /** Moves to `to`; an impossible transition is a bug in the service, not a client error. */
  transition(to: CallState): void {
    if (this.state === to) return;
    if (!canTransition(this.state, to)) {
      throw new Error(`internal: call ${this.id} cannot go from '${this.state}' to '${to}'`);
    }
    this.state = to;
    this.stateHistory.push(to);
  }

  allocateSourceId = (): string => String(this.nextSourceId++);

  nextToneSequence(): number {
    return ++this.toneSequence;
  }

  nextRosterSequence(): number {
    return ++this.rosterSequence;
  }

  get botParticipant(): ServiceParticipant | undefined {
    return this.participants.get(this.myParticipantId);
  }

  /** Participants other than the bot itself. */
  get remoteParticipants(): ServiceParticipant[] {
    return [...this.participants.values()].filter((p) => p.id !== this.myParticipantId);
  }

  /** The Graph `call` resource. */
  toGraph(): Call & Record<string, unknown> {
    const call: Call & Record<string, unknown> = {
      '@odata.type': '#microsoft.graph.call',
      '@odata.id': `/communications/calls/${this.id}`,
      id: this.id,
      state: this.state,
      direction: this.direction,
      callbackUri: this.callbackUri,
      source: this.source,
      targets: this.targets,
      requestedModalities: this.requestedModalities,
      myParticipantId: this.myParticipantId,
      callChainId: this.callChainId,
      tenantId: this.tenantId ?? null,
      subject: this.subject ?? null,
      chatInfo: this.chatInfo ?? null,
      meetingInfo: this.meetingInfo ?? null,
      callOptions: this.callOptions ?? null,
      incomingContext: this.incomingContext ?? null,
      callRoutes: this.callRoutes ?? [],
      resultInfo: this.resultInfo ? ({ '@odata.type': '#microsoft.graph.resultInfo', ...this.resultInfo } as ResultInfo) : null,
      // Present and null, as Graph returns them: DTMF arrives as toneInfo in an 'updated'
      // notification, and the service neither transcribes nor reports a media state.
      toneInfo: null,
      mediaState: null,
      transcription: null,
    };
    if (this.mediaConfig) call.mediaConfig = this.mediaConfig;
    if (this.answeredBy) call.answeredBy = this.answeredBy;
    return call;
  }

  rosterToGraph(): Participant[] {
    return [...this.participants.values()].map(participantToGraph);
  }
}
