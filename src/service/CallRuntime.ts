import type { IdentitySet, Modality, ParticipantInfo, ResultInfo } from '@microsoft/microsoft-graph-types';
import { randomUUID } from 'crypto';
import type { EventEmitter } from 'events';
import type { Directory } from './Directory';
import { GraphError } from './model/GraphError';
import type { MediaBridge } from './MediaBridge';
import { assertActionAllowed, type CallAction } from './model/callState';
import type { ServiceCall } from './model/ServiceCall';
import { newOperation, RESULTS, type OperationType, type ServiceOperation } from './model/ServiceOperation';
import { identityDisplayName, participantToGraph, streamsFor, type ServiceParticipant } from './model/ServiceParticipant';
import type { DeliveryTarget, NotificationDispatcher } from './notifications/NotificationDispatcher';
import { callNotification, contentSharingNotification, operationNotification, rosterNotification } from './notifications/payloads';

const ENDED_CALLS_KEPT = 200;

export interface RuntimeSettings {
  answerTimeoutMs: number;
  keepAliveTimeoutMs: number;
  /** How long a called, invited or transferred-to party "rings" before it answers. */
  ringMs: number;
  tenantId?: string;
}

/**
 * What every part of the service shares: the calls, their timers, notifications to the bot,
 * media hooks, roster and operation bookkeeping, and ending a call. The action modules
 * (CallActions, InCallActions, MediaActions, RemoteParties) build on it.
 */
export class CallRuntime {
  readonly calls = new Map<string, ServiceCall>();
  readonly ended: ServiceCall[] = [];
  /** Set by the HTTP server once it listens; the base of Location headers and recording URLs. */
  baseUrl = 'http://127.0.0.1';
  private readonly timers = new Map<string, Set<NodeJS.Timeout>>();
  private readonly endListeners: Array<(call: ServiceCall) => void> = [];
  private closed = false;

  constructor(
    /** The service: 'warning' and 'callTerminated' are emitted on it. */
    readonly events: EventEmitter,
    readonly directory: Directory,
    readonly dispatcher: NotificationDispatcher,
    readonly bridge: MediaBridge,
    readonly settings: RuntimeSettings,
  ) {}

  /** Runs when a call has ended, after its last notification was queued. */
  onCallEnded(listener: (call: ServiceCall) => void): void {
    this.endListeners.push(listener);
  }

  /** A live call, or the 404 Graph answers for unknown and ended calls. */
  call(callId: string): ServiceCall {
    const call = this.calls.get(callId);
    if (!call) throw GraphError.notFound(`call '${callId}' was not found`);
    return call;
  }

  /** Live or recently ended; for the admin API and tests. */
  findCall(callId: string): ServiceCall | undefined {
    return this.calls.get(callId) ?? this.ended.find((c) => c.id === callId);
  }

  liveCalls(): ServiceCall[] {
    return [...this.calls.values()];
  }

  endedCalls(): ServiceCall[] {
    return [...this.ended];
  }

  guarded(callId: string, action: CallAction): ServiceCall {
    const call = this.call(callId);
    assertActionAllowed(action, call.state);
    return call;
  }

  participant(call: ServiceCall, participantId: string): ServiceParticipant {
    const p = call.participants.get(participantId);
    if (!p) throw GraphError.notFound(`participant '${participantId}' was not found in call '${call.id}'`);
    return p;
  }

  track(call: ServiceCall): void {
    this.calls.set(call.id, call);
    this.startKeepAliveTimer(call);
  }

  addBotParticipant(call: ServiceCall): ServiceParticipant {
    let bot = call.botParticipant;
    if (!bot) {
      bot = {
        id: call.myParticipantId,
        info: { identity: call.botIdentity, endpointType: 'default', participantId: call.myParticipantId } as ParticipantInfo,
        isBot: true,
        isMuted: false,
        serverMuted: false,
        mediaStreams: streamsFor(call.acceptedModalities.length ? call.acceptedModalities : call.requestedModalities, call.allocateSourceId),
      };
      call.participants.set(bot.id, bot);
    }
    return bot;
  }

  addParty(
    call: ServiceCall,
    identity: IdentitySet,
    displayName: string,
    modalities: readonly Modality[],
    participantId?: string,
    sharing = false,
    info?: ParticipantInfo,
  ): ServiceParticipant {
    const id = participantId ?? info?.participantId ?? randomUUID();
    const p: ServiceParticipant = {
      id,
      info: info ?? ({ identity: withDisplayName(identity, displayName), endpointType: 'default', participantId: id } as ParticipantInfo),
      isBot: false,
      isMuted: false,
      serverMuted: false,
      mediaStreams: streamsFor(modalities, call.allocateSourceId, { sharing }),
    };
    call.participants.set(id, p);
    return p;
  }

  partyLeft(call: ServiceCall, participantId: string): void {
    const p = call.participants.get(participantId);
    if (!p || !call.isLive) return;
    call.participants.delete(participantId);
    this.notifyRoster(call);
    this.hook('onParticipantLeft', call.toGraph(), participantToGraph(p));
    if (call.kind === 'peerToPeer' && call.remoteParticipants.length === 0) {
      this.terminate(call, { code: 0, subcode: 0, message: 'The other party left the call.' }, true);
    }
  }

  escalateToGroup(call: ServiceCall): void {
    if (call.kind !== 'peerToPeer' || call.remoteParticipants.length < 2) return;
    this.makeGroup(call, call.source.identity);
    this.notifyCall(call, 'updated');
  }

  makeGroup(call: ServiceCall, organizer: IdentitySet | undefined): void {
    call.kind = 'group';
    call.chatInfo = { threadId: `19:meeting_${randomUUID().replace(/-/g, '')}@thread.v2`, messageId: '0' };
    call.meetingInfo = { '@odata.type': '#microsoft.graph.organizerMeetingInfo', organizer } as ServiceCall['meetingInfo'];
  }

  completedOperation(call: ServiceCall, type: OperationType, clientContext: unknown): ServiceOperation {
    const op = newOperation(type, clientContext);
    op.status = 'completed';
    op.resultInfo = RESULTS.success;
    call.operations.set(op.id, op);
    return op;
  }

  runningOperation(call: ServiceCall, type: OperationType, clientContext: unknown, extra?: Record<string, unknown>): ServiceOperation {
    const op = newOperation(type, clientContext, extra);
    call.operations.set(op.id, op);
    return op;
  }

  finishOperation(call: ServiceCall, op: ServiceOperation, status: 'completed' | 'failed', resultInfo: ResultInfo): void {
    op.status = status;
    op.resultInfo = resultInfo;
    this.notifyOperation(call, op);
  }

  /**
   * Ends a call: optionally through `terminating` (a hang-up), then `terminated` with the result,
   * as a `deleted` notification. Its media work is dropped without further notifications.
   */
  terminate(call: ServiceCall, resultInfo: ResultInfo, viaTerminating = false): void {
    if (!call.isLive) return;
    if (viaTerminating && call.state !== 'terminating') {
      call.transition('terminating');
      this.notifyCall(call, 'updated');
    }
    call.resultInfo = resultInfo;
    call.transition('terminated');
    this.notifyCall(call, 'deleted');
    this.clearTimers(call);
    this.timers.delete(call.id);
    for (const listener of this.endListeners) listener(call);
    this.dispatcher.release(call.id);
    this.calls.delete(call.id);
    this.ended.push(call);
    if (this.ended.length > ENDED_CALLS_KEPT) this.ended.shift();
    this.hook('onCallTerminated', call.toGraph());
    this.events.emit('callTerminated', call);
  }

  startAnswerTimer(call: ServiceCall): void {
    this.later(call, this.settings.answerTimeoutMs, () => {
      if (call.state === 'incoming') {
        this.terminate(call, { code: 408, subcode: 0, message: 'The call was not answered in time.' });
      }
    });
  }

  startKeepAliveTimer(call: ServiceCall): void {
    const at = call.lastKeepAlive;
    this.later(call, this.settings.keepAliveTimeoutMs, () => {
      if (call.lastKeepAlive === at) this.terminate(call, { code: 408, subcode: 8537, message: 'The call was ended: no keepAlive received.' });
    });
  }

  /** Runs `fn` after `ms` unless the call ends first; the timer never keeps the process alive. */
  later(call: ServiceCall, ms: number, fn: () => void | Promise<void>): void {
    if (this.closed) return;
    let set = this.timers.get(call.id);
    if (!set) this.timers.set(call.id, (set = new Set()));
    const timers = set;
    const t = setTimeout(() => {
      timers.delete(t);
      if (!call.isLive || this.closed) return;
      Promise.resolve()
        .then(fn)
        .catch((err) => this.events.emit('warning', err));
    }, ms);
    t.unref();
    timers.add(t);
  }

  clearTimers(call: ServiceCall): void {
    for (const t of this.timers.get(call.id) ?? []) clearTimeout(t);
    this.timers.get(call.id)?.clear();
  }

  private target(call: ServiceCall): DeliveryTarget {
    return {
      callId: call.id,
      audience: call.appId,
      callbackUri: () => call.callbackUri,
      moveCallback: (uri) => {
        call.callbackUri = uri;
      },
    };
  }

  notifyCall(call: ServiceCall, changeType: 'created' | 'updated' | 'deleted', extra?: Record<string, unknown>): void {
    this.dispatcher.enqueue(this.target(call), callNotification(call, changeType, extra));
  }

  notifyRoster(call: ServiceCall): void {
    this.dispatcher.enqueue(this.target(call), rosterNotification(call));
    this.syncContentSharing(call);
  }

  /**
   * A participant other than the bot that sends a screen-sharing stream has a content sharing
   * session: one is created when it starts and deleted when it stops or leaves, each with its
   * notification after the roster that shows it.
   */
  private syncContentSharing(call: ServiceCall): void {
    const sharing = new Set(call.remoteParticipants.filter((p) => p.mediaStreams.some((s) => s.mediaType === 'videoBasedScreenSharing' && s.direction === 'sendOnly')).map((p) => p.id));
    const ended: string[] = [];
    for (const [participantId, sessionId] of call.contentSharing) {
      if (sharing.has(participantId)) continue;
      call.contentSharing.delete(participantId);
      ended.push(sessionId);
    }
    const started: string[] = [];
    for (const participantId of sharing) {
      if (call.contentSharing.has(participantId)) continue;
      const sessionId = randomUUID();
      call.contentSharing.set(participantId, sessionId);
      started.push(sessionId);
    }
    if (ended.length) this.dispatcher.enqueue(this.target(call), contentSharingNotification(call, 'deleted', ended));
    if (started.length) this.dispatcher.enqueue(this.target(call), contentSharingNotification(call, 'created', started));
  }

  notifyOperation(call: ServiceCall, op: ServiceOperation): void {
    this.dispatcher.enqueue(this.target(call), operationNotification(call, op));
  }

  hook<K extends keyof MediaBridge>(name: K, ...args: Parameters<NonNullable<MediaBridge[K]>>): void {
    const fn = this.bridge[name] as ((...a: unknown[]) => unknown) | undefined;
    if (!fn) return;
    try {
      const r = fn.apply(this.bridge, args);
      if (r && typeof (r as Promise<unknown>).catch === 'function') (r as Promise<unknown>).catch((err) => this.events.emit('warning', err));
    } catch (err) {
      this.events.emit('warning', err);
    }
  }

  /** Stops every timer; live calls are left as they are. */
  close(): void {
    this.closed = true;
    for (const set of this.timers.values()) for (const t of set) clearTimeout(t);
    this.timers.clear();
  }
}

function withDisplayName(identity: IdentitySet, displayName: string): IdentitySet {
  if (identityDisplayName(identity)) return identity;
  const out: Record<string, unknown> = { ...identity };
  for (const [k, val] of Object.entries(identity)) {
    if (val && typeof val === 'object') {
      out[k] = { ...val, displayName };
      break;
    }
  }
  return out as IdentitySet;
}
