import { CallStats, type CallStatsSeries } from './console/CallStats';
import { GraphError } from './model/GraphError';
import { CallTimeline } from './console/CallTimeline';
import { EventEmitter } from 'events';
import { CallActions } from './CallActions';
import { CallRuntime } from './CallRuntime';
import { Directory } from './Directory';
import { InCallActions } from './InCallActions';
import { AudioRoutingGroups } from './AudioRoutingGroups';
import { MediaActions } from './MediaActions';
import { OnlineMeetings } from './OnlineMeetings';
import type { CallSpeakers, MediaBridge } from './MediaBridge';
import type { ServiceCall } from './model/ServiceCall';
import type { ServiceParticipant } from './model/ServiceParticipant';
import { DEFAULT_RETRY, NotificationDispatcher, type RetryPolicy } from './notifications/NotificationDispatcher';
import { TokenIssuer } from './notifications/TokenIssuer';
import { RemoteParties, type IncomingCallRequest, type RemoteParty } from './RemoteParties';
import { AppRegistry, type AppRegistrationInput } from './auth/AppRegistry';
import { Authority } from './auth/Authority';
import { DEFAULT_TENANT_ID } from '../signaling/defaults';

export type { IncomingCallRequest, RemoteParty };

export interface CommunicationsServiceOptions {
  /** Conference media; the default does none (see NoopMediaBridge). */
  mediaBridge?: MediaBridge;
  /** `iss` of notification tokens; defaults to the service's own URL once it listens. */
  issuer?: string;
  /** `tid` claim and the calls' tenantId; the authority's tenant (default DEFAULT_TENANT_ID). */
  tenantId?: string;
  /**
   * Apps allowed to call the API, with their secrets and application permissions. More come
   * from `appsFile` and the admin API (`POST /admin/apps`).
   */
  apps?: AppRegistrationInput[];
  /** A JSON file `{ "apps": [ { appId, secrets, roles?, displayName?, tenantId? } ] }`. */
  appsFile?: string;
  /** Notification retries when the bot answers non-2xx or is unreachable. */
  retry?: Partial<RetryPolicy>;
  /** Graph ends a call the bot neither answers, rejects nor redirects within 15 s. */
  answerTimeoutMs?: number;
  /** Graph ends a call without keepAlive for 45 minutes. */
  keepAliveTimeoutMs?: number;
  /** How long a called, invited or transferred-to party "rings" before it answers. Default 0. */
  ringMs?: number;
}

type Body = Record<string, unknown>;

/**
 * The local communications service: Graph's calls API as behaviour (state machine, rosters,
 * operations, signed notifications), and the other side of each call (people and bots that
 * call, answer, press keys, hold and hang up). Graph's routes call the action modules it holds
 * (callActions, inCallActions, mediaActions, audioRoutingGroups, onlineMeetings) directly; the admin API drives the
 * other side through its methods; conference media plugs in through the MediaBridge. Both
 * throw GraphError for what Graph answers with an error (400/404/409).
 *
 * Events: 'warning' (Error from a media hook or a timer), 'callTerminated' (ServiceCall),
 * 'tone' ({ callId, digit, tone, heardInMedia }), and the dispatcher's as 'notificationDelivered',
 * 'notificationAttemptFailed', 'notificationDropped', 'notificationRedirected'.
 */
export class CommunicationsService extends EventEmitter {
  readonly directory = new Directory();
  readonly dispatcher: NotificationDispatcher;
  /** Every notification of every call as it went out (the console's timeline). */
  readonly timeline: CallTimeline;
  /** A minute of each call's figures: the bot's sockets (reported) and the participants' media (sampled). */
  readonly stats = new CallStats();
  private readonly rt: CallRuntime;
  /** Graph's call-level actions (create, answer, reject, redirect, transfer, keepAlive, hang up). */
  readonly callActions: CallActions;
  /** Graph's in-call and participant actions (mute, invite, roles, metadata, operations, content sharing). */
  readonly inCallActions: InCallActions;
  /** Graph's media operations (playPrompt, recordResponse, subscribeToTone, cancelMediaProcessing) and recordings. */
  readonly mediaActions: MediaActions;
  /** Graph's audio routing groups: whose audio the bot hears, and who hears it. */
  readonly audioRoutingGroups: AudioRoutingGroups;
  private readonly parties: RemoteParties;

  /** The OAuth authority: app registrations, the token endpoint, the checks on every request. */
  readonly authority: Authority;
  /** Online meetings made through `/users/{id}/onlineMeetings`, which bots join by meeting id. */
  readonly onlineMeetings: OnlineMeetings;

  private constructor(
    readonly tokens: TokenIssuer,
    private readonly options: CommunicationsServiceOptions,
  ) {
    super();
    const tenant = options.tenantId ?? DEFAULT_TENANT_ID;
    const apps = new AppRegistry(tenant);
    for (const app of options.apps ?? []) apps.register(app);
    if (options.appsFile) apps.loadFile(options.appsFile);
    this.authority = new Authority(apps, tokens, tenant);
    this.dispatcher = new NotificationDispatcher((aud) => tokens.sign(this.issuer, aud), { ...DEFAULT_RETRY, ...options.retry });
    this.timeline = new CallTimeline(this.dispatcher);
    this.dispatcher.on('delivered', (e) => this.emit('notificationDelivered', e));
    this.dispatcher.on('attemptFailed', (e) => this.emit('notificationAttemptFailed', e));
    this.dispatcher.on('dropped', (e) => this.emit('notificationDropped', e));
    this.dispatcher.on('redirected', (e) => this.emit('notificationRedirected', e));
    this.rt = new CallRuntime(this, this.directory, this.dispatcher, options.mediaBridge ?? {}, {
      answerTimeoutMs: options.answerTimeoutMs ?? 15_000,
      keepAliveTimeoutMs: options.keepAliveTimeoutMs ?? 45 * 60_000,
      ringMs: options.ringMs ?? 0,
      tenantId: options.tenantId,
    });
    this.onlineMeetings = new OnlineMeetings(() => this.rt.baseUrl, tenant);
    this.mediaActions = new MediaActions(this.rt);
    this.parties = new RemoteParties(this.rt, this.mediaActions);
    this.callActions = new CallActions(this.rt, this.parties, this.onlineMeetings);
    this.inCallActions = new InCallActions(this.rt);
    this.audioRoutingGroups = new AudioRoutingGroups(this.rt);
  }

  static async create(options: CommunicationsServiceOptions = {}): Promise<CommunicationsService> {
    const tokens = await TokenIssuer.create({ tenantId: options.tenantId });
    return new CommunicationsService(tokens, options);
  }

  /** Set by the HTTP server once it listens; the base of Location headers and recording URLs. */
  get baseUrl(): string {
    return this.rt.baseUrl;
  }

  set baseUrl(url: string) {
    this.rt.baseUrl = url;
  }

  get issuer(): string {
    return this.options.issuer ?? this.rt.baseUrl;
  }

  // ── lookup ──
  /** A live call, or the 404 Graph answers for unknown and ended calls. */
  call = (callId: string): ServiceCall => this.rt.call(callId);
  /** Live or recently ended; for the admin API and tests. */
  findCall = (callId: string): ServiceCall | undefined => this.rt.findCall(callId);
  liveCalls = (): ServiceCall[] => this.rt.liveCalls();
  endedCalls = (): ServiceCall[] => this.rt.endedCalls();

  // ── the other side ──
  /** A party calls a bot: the bot gets an `incoming` call notification. */
  placeIncomingCall = (request: IncomingCallRequest): ServiceCall => this.parties.placeIncomingCall(request);
  /** A synthetic party joins a call in progress. */
  addParticipant = (callId: string, party: RemoteParty): ServiceParticipant => this.parties.addParticipant(callId, party);
  /** Who speaks in a call's media, as the service hears it (undefined without conference media). */
  speakers = (callId: string): CallSpeakers | undefined => {
    const call = this.findCall(callId);
    return call ? this.rt.bridge.speakers?.(call.toGraph()) : undefined;
  };
  /** The console's plots of a call: participants sampled now, with the bot's reports so far. */
  callStats = (callId: string): CallStatsSeries => {
    const call = this.findCall(callId);
    if (!call) throw GraphError.notFound(`call '${callId}' was not found`);
    if (call.isLive) this.stats.sampleParticipants(call.id, this.rt.bridge.participantCounters?.(call.toGraph()));
    return this.stats.of(call.id);
  };
  /** A bot's per-socket figures for a call (MediaSession.reportTo); a malformed report is a 400. */
  reportBotStats = (callId: string, body: Body): void => {
    const call = this.findCall(callId);
    if (!call) throw GraphError.notFound(`call '${callId}' was not found`);
    this.stats.addBotReport(call.id, body);
  };
  /** A person joins a call in progress from a browser; returns the participant and the answer to its offer. */
  joinFromBrowser = (callId: string, displayName: string, offerSdp: string): { participant: ServiceParticipant; sdp: string } =>
    this.parties.joinFromBrowser(callId, displayName, offerSdp);
  /** A party leaves; a peer-to-peer call ends when the other side is gone. */
  dropParticipant = (callId: string, participantId: string): void => this.parties.dropParticipant(callId, participantId);
  /** DTMF from a party (RFC 4733 in the media, or the admin API). */
  sendTones = (callId: string, digits: string): void => this.parties.sendTones(callId, digits);
  /** DTMF the call's media carried (RFC 4733 from a participant), as the bridge heard it: toneInfo and stop tones, not played again. */
  tonesHeard = (callId: string, digits: string): void => this.parties.sendTones(callId, digits, true);
  /** A participant mutes or unmutes itself. */
  setParticipantMuted = (callId: string, participantId: string, muted: boolean): void => this.parties.setMuted(callId, participantId, muted);
  /** A participant starts or stops sharing its screen. */
  setParticipantSharing = (callId: string, participantId: string, sharing: boolean): void => this.parties.setSharing(callId, participantId, sharing);
  /** The other party holds or resumes the call. */
  setHold = (callId: string, held: boolean): void => this.parties.setHold(callId, held);
  /** The other side ends the call. */
  remoteHangUp = (callId: string): void => this.parties.remoteHangUp(callId);

  /** Stops timers, media work and deliveries; live calls are left as they are. */
  close(): void {
    this.rt.close();
    this.mediaActions.close();
    this.dispatcher.close();
  }
}
