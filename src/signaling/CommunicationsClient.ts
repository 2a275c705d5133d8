import {
  Client,
  HTTPMessageHandler,
  RedirectHandler,
  RedirectHandlerOptions,
  RetryHandler,
  RetryHandlerOptions,
  TelemetryHandler,
  type AuthenticationProvider,
} from '@microsoft/microsoft-graph-client';
import type {
  Call as GraphCall,
  CallOptions,
  ChatInfo,
  IdentitySet,
  InvitationParticipantInfo,
  MeetingInfo,
  Modality,
  OnlineMeeting,
  Participant as GraphParticipant,
  ParticipantInfo,
} from '@microsoft/microsoft-graph-types';
import { EventEmitter } from 'events';
import type { RequestListener } from 'http';
import { BearerTokenHandler } from './BearerTokenHandler';
import { Call, type CallContext } from './Call';
import { DEFAULT_SERVICE_URL, DEFAULT_TENANT_ID } from './defaults';
import { CommunicationsError } from './errors';
import { GraphTransport, type GraphVersion } from './GraphTransport';
import { NotificationVerifier, type NotificationAuthOptions } from './NotificationVerifier';
import { notificationProblem, parseResource } from './notificationShape';
import { OperationTracker } from './OperationTracker';
import { ClientCredentialsTokenProvider } from './tokenProviders';
import { TokenCredentialAuthenticationProvider } from '@microsoft/microsoft-graph-client/authProviders/azureTokenCredentials';
import type { TokenCredential } from '@azure/identity';
import type { CommsNotification, CommsOperation, MediaConfig } from './types';
import { WebhookReceiver } from './WebhookReceiver';

export interface CommunicationsClientOptions {
  /** The bot's application id: the audience its notification tokens must carry. */
  appId: string;
  /** The bot's display name, sent as the source of calls it places. */
  displayName?: string;
  /** Public URL of the bot's webhook (where `webhook` is mounted). */
  callbackUri: string;
  /** Base URL of the calls API: the local service by default, https://graph.microsoft.com in production. */
  baseUrl?: string;
  /** API version for actions that exist in both; beta-only actions always use beta. */
  version?: GraphVersion;
  /**
   * The app's client secret. With it the client gets its access tokens by client credentials
   * from `{authorityUrl}/{tenantId}/oauth2/v2.0/token` (ClientCredentialsTokenProvider).
   */
  appSecret?: string;
  /** The tenant the app is registered in. Default: the local service's (DEFAULT_TENANT_ID). */
  tenantId?: string;
  /** Base of the token endpoint for `appSecret`. Default `baseUrl`: the local service is its own authority. */
  authorityUrl?: string;
  /**
   * An `@azure/identity` credential, e.g. `new ClientSecretCredential(tenant, appId, secret,
   * { authorityHost })`: used through the graph client's TokenCredentialAuthenticationProvider
   * with the scope `https://graph.microsoft.com/.default`, the same code as against Azure AD.
   */
  credential?: TokenCredential;
  /** Any other source of access tokens (the graph client's AuthenticationProvider). */
  tokenProvider?: AuthenticationProvider;
  /**
   * How notification tokens are verified. Default: issued and published by the service at
   * `baseUrl`. For Graph itself use GRAPH_NOTIFICATION_AUTH.
   */
  notificationAuth?: NotificationAuthOptions;
  /** How long an action waits for the notification that settles it. Default 30 s. */
  operationTimeoutMs?: number;
}

export interface CreateCallOptions {
  /** One target: a peer-to-peer call; several: a group call. */
  targets?: InvitationParticipantInfo[];
  /** Join a meeting instead (with meetingInfo). */
  chatInfo?: ChatInfo;
  meetingInfo?: MeetingInfo & { '@odata.type': string; [k: string]: unknown };
  mediaConfig: MediaConfig;
  requestedModalities?: Modality[];
  subject?: string;
  tenantId?: string;
  callOptions?: CallOptions;
  source?: ParticipantInfo;
  /** Resolve once the call is established (default) or as soon as it was created. */
  waitUntilEstablished?: boolean;
}

export interface JoinMeetingOptions extends Omit<CreateCallOptions, 'targets' | 'meetingInfo'> {
  chatInfo?: ChatInfo;
  meetingInfo?: CreateCallOptions['meetingInfo'];
  /** An online meeting to join by its meeting id and passcode, instead of chatInfo + meetingInfo. */
  meeting?: OnlineMeeting;
}

/** The fields of a create or createOrGet request for an online meeting. */
export interface OnlineMeetingRequest {
  subject?: string;
  startDateTime?: string;
  endDateTime?: string;
  externalId?: string;
  participants?: { attendees?: { identity: IdentitySet; upn?: string; role?: 'attendee' | 'presenter' | 'producer' | 'coorganizer' }[] };
  joinMeetingIdSettings?: { isPasscodeRequired?: boolean };
}

/** meetingInfo for joining by the meeting id people type in, with its passcode. */
export function joinMeetingIdMeetingInfo(joinMeetingId: string, passcode: string | null = null): NonNullable<CreateCallOptions['meetingInfo']> {
  return { '@odata.type': '#microsoft.graph.joinMeetingIdMeetingInfo', joinMeetingId, passcode } as NonNullable<CreateCallOptions['meetingInfo']>;
}

function meetingsPath(organizerId: string): string {
  if (!organizerId) throw new CommunicationsError('INVALID_ARGUMENT', 'the organizer (a user id) is required');
  return `/users/${encodeURIComponent(organizerId)}/onlineMeetings`;
}

/**
 * A calling bot's side of the Graph communications API, over the official graph client:
 * places and answers calls, runs every call and participant action, and keeps `Call` objects
 * up to date from the notifications its `webhook` verifies and applies.
 *
 * Events: 'incomingCall' (Call), 'call' (Call, for every call it learns of),
 * 'notification' (CommsNotification), 'rejectedNotification' (WebhookRejection), 'warning' (Error).
 */
export class CommunicationsClient extends EventEmitter {
  /** The official graph client, configured for `baseUrl`, for anything not wrapped here. */
  readonly graph: Client;
  readonly receiver: WebhookReceiver;
  /** Mount this where `callbackUri` points. */
  readonly webhook: RequestListener;
  readonly appId: string;
  readonly baseUrl: string;
  private readonly transport: GraphTransport;
  private readonly operations = new OperationTracker();
  private readonly known = new Map<string, Call>();
  private malformed = 0;

  /**
   * Verified notifications dropped because their shape is not one Graph sends (each also raised
   * as a 'warning' with code MALFORMED_NOTIFICATION). None of a dropped notification is applied.
   */
  get notificationsMalformed(): number {
    return this.malformed;
  }
  private readonly context: CallContext;

  constructor(private readonly options: CommunicationsClientOptions) {
    super();
    if (!options.appId) throw new CommunicationsError('INVALID_ARGUMENT', 'appId is required');
    if (!options.callbackUri) throw new CommunicationsError('INVALID_ARGUMENT', 'callbackUri is required');
    this.appId = options.appId;
    this.baseUrl = (options.baseUrl ?? DEFAULT_SERVICE_URL).replace(/\/$/, '');
    const tokens = tokenSource(options, this.baseUrl);
    this.graph = Client.initWithMiddleware({
      baseUrl: this.baseUrl + '/',
      defaultVersion: options.version ?? 'v1.0',
      middleware: [
        new BearerTokenHandler(tokens, this.baseUrl),
        new RetryHandler(new RetryHandlerOptions()),
        new RedirectHandler(new RedirectHandlerOptions()),
        new TelemetryHandler(),
        new HTTPMessageHandler(),
      ],
    });
    this.transport = new GraphTransport(this.graph, options.version ?? 'v1.0');
    this.context = {
      transport: this.transport,
      operations: this.operations,
      timeoutMs: options.operationTimeoutMs ?? 30_000,
      callbackUri: options.callbackUri,
    };
    const verifier = new NotificationVerifier(options.appId, options.notificationAuth ?? { issuer: this.baseUrl });
    this.receiver = new WebhookReceiver(verifier, (notifications) => {
      for (const n of notifications) this.handleNotification(n);
    });
    this.receiver.on('rejected', (r) => this.emit('rejectedNotification', r));
    this.receiver.on('warning', (e) => this.emit('warning', e));
    this.webhook = this.receiver.listener;
  }

  /** Calls this client knows of, ended ones included, by id. */
  get calls(): ReadonlyMap<string, Call> {
    return this.known;
  }

  call(callId: string): Call | undefined {
    return this.known.get(callId);
  }

  /** Resolves with the next incoming call. */
  waitForIncomingCall(timeoutMs = this.context.timeoutMs): Promise<Call> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.off('incomingCall', onCall);
        reject(new CommunicationsError('TIMEOUT', `no incoming call within ${timeoutMs} ms`));
      }, timeoutMs);
      timer.unref();
      const onCall = (call: Call) => {
        clearTimeout(timer);
        resolve(call);
      };
      this.once('incomingCall', onCall);
    });
  }

  /**
   * Places a call: peer-to-peer (one target), group (several) or into a meeting (chatInfo +
   * meetingInfo). Resolves when established unless `waitUntilEstablished` is false; rejects
   * with CALL_TERMINATED (resultInfo says why) if it ends first.
   */
  async createCall(options: CreateCallOptions): Promise<Call> {
    const body: Record<string, unknown> = {
      '@odata.type': '#microsoft.graph.call',
      callbackUri: this.options.callbackUri,
      requestedModalities: options.requestedModalities ?? ['audio'],
      mediaConfig: options.mediaConfig,
      source: options.source ?? {
        '@odata.type': '#microsoft.graph.participantInfo',
        identity: { application: { id: this.appId, displayName: this.options.displayName ?? null } },
      },
    };
    if (options.targets) body.targets = options.targets;
    if (options.chatInfo) body.chatInfo = options.chatInfo;
    if (options.meetingInfo) body.meetingInfo = options.meetingInfo;
    if (options.subject) body.subject = options.subject;
    if (options.tenantId) body.tenantId = options.tenantId;
    if (options.callOptions) body.callOptions = options.callOptions;
    const res = await this.transport.send('POST', '/communications/calls', body);
    const created = res.body as GraphCall;
    if (!created?.id) throw new CommunicationsError('GRAPH_REQUEST_FAILED', 'create call: the response has no call id', { statusCode: res.status });
    const call = this.track(created.id, created);
    if (options.waitUntilEstablished !== false) await call.waitForState(['established', 'hold']);
    return call;
  }

  /**
   * Joins a meeting: `createCall` with chatInfo and meetingInfo, or with `meeting`, an online
   * meeting as `createOnlineMeeting` or `getOnlineMeeting` returned it, joined by its meeting id
   * and passcode (joinMeetingIdMeetingInfo). The call's chatInfo is then the meeting's.
   */
  joinMeeting(options: JoinMeetingOptions): Promise<Call> {
    const { meeting, ...rest } = options;
    if (!meeting) {
      if (!rest.meetingInfo) throw new CommunicationsError('INVALID_ARGUMENT', 'joinMeeting needs meetingInfo (with chatInfo), or meeting');
      return this.createCall(rest);
    }
    const settings = meeting.joinMeetingIdSettings;
    if (!settings?.joinMeetingId) throw new CommunicationsError('INVALID_ARGUMENT', 'the meeting has no joinMeetingIdSettings.joinMeetingId to join by');
    return this.createCall({ ...rest, meetingInfo: joinMeetingIdMeetingInfo(settings.joinMeetingId, settings.passcode ?? null) });
  }

  /**
   * POST /users/{organizerId}/onlineMeetings (OnlineMeetings.ReadWrite.All): a meeting the user
   * organizes, with its join URL, meeting id and passcode, and chat.
   */
  async createOnlineMeeting(organizerId: string, meeting: OnlineMeetingRequest = {}): Promise<OnlineMeeting> {
    const res = await this.transport.send('POST', `${meetingsPath(organizerId)}`, meeting);
    return res.body as OnlineMeeting;
  }

  /**
   * POST /users/{organizerId}/onlineMeetings/createOrGet: the organizer's meeting with this
   * `externalId`, made by this request or by an earlier one (`created` tells which).
   */
  async createOrGetOnlineMeeting(organizerId: string, meeting: OnlineMeetingRequest & { externalId: string }): Promise<{ meeting: OnlineMeeting; created: boolean }> {
    const res = await this.transport.send('POST', `${meetingsPath(organizerId)}/createOrGet`, meeting);
    return { meeting: res.body as OnlineMeeting, created: res.status === 201 };
  }

  /** GET /users/{organizerId}/onlineMeetings/{meetingId} (OnlineMeetings.Read.All). */
  async getOnlineMeeting(organizerId: string, meetingId: string): Promise<OnlineMeeting> {
    const res = await this.transport.send('GET', `${meetingsPath(organizerId)}/${encodeURIComponent(meetingId)}`);
    return res.body as OnlineMeeting;
  }

  /** The organizer's meeting with this join URL or meeting id (Graph's `$filter` on either), if any. */
  async findOnlineMeeting(organizerId: string, by: { joinWebUrl: string } | { joinMeetingId: string }): Promise<OnlineMeeting | undefined> {
    const quote = (s: string) => `'${s.replace(/'/g, "''")}'`;
    const filter = 'joinWebUrl' in by ? `JoinWebUrl eq ${quote(by.joinWebUrl)}` : `joinMeetingIdSettings/joinMeetingId eq ${quote(by.joinMeetingId)}`;
    const res = await this.transport.send('GET', meetingsPath(organizerId), undefined, undefined, filter);
    return (res.body as { value?: OnlineMeeting[] }).value?.[0];
  }

  /** GETs a call by id (known or not) and returns its kept Call object. */
  async getCall(callId: string): Promise<Call> {
    const res = await this.transport.send('GET', `/communications/calls/${encodeURIComponent(callId)}`);
    const call = this.track(callId, res.body as GraphCall);
    call.applyCall('updated', res.body as GraphCall);
    return call;
  }

  /**
   * Applies one notification whose token was already verified; `webhook` calls this. Exposed
   * for bots that verify notifications themselves.
   */
  handleNotification(n: CommsNotification): void {
    const ref = parseResource(n.resourceUrl ?? n.resource);
    const problem = notificationProblem(n, ref);
    if (problem || !ref) {
      this.malformed++;
      this.emit('warning', new CommunicationsError('MALFORMED_NOTIFICATION', `notification dropped: ${problem}`));
      return;
    }
    this.emit('notification', n);
    if (ref.kind === 'operation') {
      const op = n.resourceData as CommsOperation;
      const call = this.known.get(ref.callId);
      if (call) call.applyOperation(op);
      else this.operations.update(op);
      return;
    }
    if (ref.kind === 'contentSharingSessions') {
      const entries = (Array.isArray(n.resourceData) ? n.resourceData : [n.resourceData]) as { id: string }[];
      this.track(ref.callId, { id: ref.callId }).applyContentSharing(n.changeType, entries.map((e) => e.id));
      return;
    }
    if (ref.kind === 'participants') {
      const entries = Array.isArray(n.resourceData) ? (n.resourceData as GraphParticipant[]) : [n.resourceData as GraphParticipant];
      this.track(ref.callId, { id: ref.callId }).applyRoster(n.changeType, entries);
      return;
    }
    const data = (n.resourceData ?? {}) as GraphCall;
    const isNew = !this.known.has(ref.callId);
    const call = this.track(ref.callId, data);
    if (!isNew) call.applyCall(n.changeType, data);
    else if (n.changeType === 'deleted') call.applyCall('deleted', data);
    if (isNew && call.state === 'incoming') this.emit('incomingCall', call);
  }

  private track(callId: string, data: GraphCall): Call {
    let call = this.known.get(callId);
    if (!call) {
      call = new Call(callId, data, this.context);
      this.known.set(callId, call);
      this.emit('call', call);
    }
    return call;
  }
}

/** Where the client's access tokens come from: exactly one of tokenProvider, credential, appSecret. */
function tokenSource(options: CommunicationsClientOptions, baseUrl: string): AuthenticationProvider {
  const given = [options.tokenProvider, options.credential, options.appSecret].filter((x) => x !== undefined).length;
  if (given === 0) throw new CommunicationsError('INVALID_ARGUMENT', 'give the app\'s credentials: appSecret, credential (@azure/identity) or tokenProvider');
  if (given > 1) throw new CommunicationsError('INVALID_ARGUMENT', 'give only one of appSecret, credential and tokenProvider');
  if (options.tokenProvider) return options.tokenProvider;
  if (options.credential) return new TokenCredentialAuthenticationProvider(options.credential, { scopes: ['https://graph.microsoft.com/.default'] });
  return new ClientCredentialsTokenProvider({
    authorityUrl: options.authorityUrl ?? baseUrl,
    tenantId: options.tenantId ?? DEFAULT_TENANT_ID,
    clientId: options.appId,
    clientSecret: options.appSecret as string,
  });
}
