import type { CallRoute, InvitationParticipantInfo, ParticipantInfo, ResultInfo } from '@microsoft/microsoft-graph-types';
import type { CallRuntime } from './CallRuntime';
import { targetDisplayName } from './Directory';
import { GraphError } from './model/GraphError';
import * as v from './model/validate';
import { ServiceCall, type CallKind, type MediaConfigJson } from './model/ServiceCall';
import { participantToGraph } from './model/ServiceParticipant';
import type { OnlineMeetings } from './OnlineMeetings';
import type { RemoteParties } from './RemoteParties';

/**
 * The bot's call-level actions: create, answer, reject, redirect, transfer, keepAlive, hang up,
 * and how a call becomes established once media is set up.
 */
export class CallActions {
  /** The call chain of each meeting bots have joined (by thread or meeting id), newest last, bounded. */
  private readonly meetingChains = new Map<string, string>();

  constructor(
    private readonly rt: CallRuntime,
    private readonly parties: RemoteParties,
    private readonly meetings: OnlineMeetings,
  ) {}

  /**
   * POST /communications/calls: a peer-to-peer call (one target), a group call (several
   * targets) or joining a meeting (chatInfo + meetingInfo). `appIdHint` comes from the bearer
   * token when the body does not name the bot in `source`.
   */
  createCall(body: Record<string, unknown>, appIdHint?: string): ServiceCall {
    v.odataType(body, '', 'call');
    const callbackUri = v.requireCallbackUri(body);
    const requestedModalities = v.requireModalities(body, 'requestedModalities');
    const mediaConfig = v.requireMediaConfig(body);
    const source = v.object(body, 'source', 'participantInfo') as ParticipantInfo | undefined;
    const appId = (source?.identity?.application?.id ?? appIdHint) || undefined;
    if (!appId) {
      throw GraphError.badRequest(`'source.identity.application.id' is required (the application id of the calling bot)`);
    }
    let chatInfo = v.object(body, 'chatInfo', 'chatInfo');
    let meetingInfo = v.object(body, 'meetingInfo', 'organizerMeetingInfo', 'joinMeetingIdMeetingInfo', 'tokenMeetingInfo', 'meetingInfo');
    let kind: CallKind;
    let targets: InvitationParticipantInfo[] = [];
    // A join by meeting id learns the meeting's chat now; one that cannot join ends once placed.
    let refused: ResultInfo | undefined;
    if (chatInfo || meetingInfo) {
      kind = 'meeting';
      if (!meetingInfo) throw GraphError.badRequest(`'meetingInfo' is required to join a meeting`);
      const type = String(meetingInfo['@odata.type'] ?? '').replace(/^#/, '').toLowerCase();
      if (type === 'microsoft.graph.joinmeetingidmeetinginfo') {
        const joined = this.meetings.join(v.requireString(meetingInfo, 'joinMeetingId'), v.optionalString(meetingInfo, 'passcode', 256));
        if ('refused' in joined) refused = joined.refused;
        else chatInfo = { '@odata.type': '#microsoft.graph.chatInfo', ...joined.chatInfo };
        meetingInfo = { ...meetingInfo, passcode: null }; // the passcode is not shown back
      } else if (!chatInfo || typeof chatInfo.threadId !== 'string' || chatInfo.threadId.length === 0) {
        throw GraphError.badRequest(`'chatInfo.threadId' is required to join a meeting`);
      }
    } else {
      targets = v.invitationTargets(body.targets, 'targets', 25);
      kind = targets.length > 1 ? 'group' : 'peerToPeer';
    }
    const displayName = source?.identity?.application?.displayName ?? undefined;
    this.checkMedia(mediaConfig);
    const meetingKey = kind === 'meeting' ? meetingKeyOf(chatInfo, meetingInfo) : undefined;
    const callChainId = v.optionalGuid(body, 'callChainId') ?? (meetingKey ? this.chainOfMeeting(meetingKey) : undefined);
    const call = new ServiceCall({
      appId,
      appDisplayName: displayName,
      direction: 'outgoing',
      state: 'establishing',
      callbackUri,
      source: source ?? { identity: { application: { id: appId, displayName: displayName ?? null } } },
      targets,
      requestedModalities,
      kind,
      tenantId: v.optionalString(body, 'tenantId') ?? this.rt.settings.tenantId,
      subject: v.optionalString(body, 'subject'),
      chatInfo: chatInfo as ServiceCall['chatInfo'],
      meetingInfo: meetingInfo as ServiceCall['meetingInfo'],
      callOptions: v.object(body, 'callOptions', 'outgoingCallOptions', 'callOptions') as ServiceCall['callOptions'],
      mediaConfig,
      callChainId,
    });
    if (meetingKey) this.meetingChains.set(meetingKey, call.callChainId);
    call.acceptedModalities = requestedModalities;
    this.rt.directory.rememberBot(appId, callbackUri, displayName);
    this.rt.track(call);
    this.rt.notifyCall(call, 'updated');
    this.rt.later(call, this.rt.settings.ringMs, () => (refused ? this.rt.terminate(call, refused) : this.connectOutgoing(call)));
    return call;
  }

  private async connectOutgoing(call: ServiceCall): Promise<void> {
    if (!(await this.mediaAnswered(call))) return;
    const answered = call.targets.map((t) => ({ target: t, resolved: this.rt.directory.resolve(t) }));
    const joining = answered.filter((a) => a.resolved.kind !== 'party' || a.resolved.answer === 'accept');
    if (call.kind === 'peerToPeer' && joining.length === 0) {
      this.rt.terminate(call, { code: 603, subcode: 0, message: 'The call was declined by the target.' });
      return;
    }
    this.rt.addBotParticipant(call);
    for (const { resolved } of joining) this.rt.addParty(call, resolved.identity, targetDisplayName(resolved), call.requestedModalities);
    this.markEstablished(call);
  }

  /** POST /calls/{id}/answer */
  answer(callId: string, body: Record<string, unknown>): void {
    const call = this.rt.guarded(callId, 'answer');
    const callbackUri = v.optionalCallbackUri(body);
    const accepted = v.requireModalities(body, 'acceptedModalities');
    const mediaConfig = v.requireMediaConfig(body);
    v.object(body, 'callOptions', 'incomingCallOptions', 'callOptions');
    v.optionalInt(body, 'participantCapacity', 1, 10_000);
    this.checkMedia(mediaConfig);
    if (callbackUri) call.callbackUri = callbackUri;
    call.acceptedModalities = accepted;
    call.mediaConfig = mediaConfig;
    this.rt.clearTimers(call);
    this.rt.startKeepAliveTimer(call);
    call.transition('establishing');
    this.rt.notifyCall(call, 'updated');
    this.rt.addBotParticipant(call);
    this.rt.later(call, 0, async () => {
      if (await this.mediaAnswered(call)) this.markEstablished(call);
    });
  }

  /**
   * A media configuration the bridge cannot use is refused with the request (400), as Graph
   * refuses a blob it cannot read, rather than accepted and then ended with 500.
   */
  private checkMedia(config: MediaConfigJson): void {
    if (!this.rt.bridge.checkMediaConfig) return;
    try {
      this.rt.bridge.checkMediaConfig(config);
    } catch (err) {
      throw GraphError.badRequest(`'mediaConfig' cannot be used: ${(err as Error).message}`);
    }
  }

  /** Runs the bridge's answer hook; false (and the call ended) when media could not be set up. */
  private async mediaAnswered(call: ServiceCall): Promise<boolean> {
    try {
      if (this.rt.bridge.onCallAnswered && call.mediaConfig) {
        const completed = await this.rt.bridge.onCallAnswered(call.toGraph(), call.mediaConfig);
        if (completed) call.mediaConfig = completed;
      }
    } catch (err) {
      this.rt.terminate(call, { code: 500, subcode: 0, message: `Media setup failed: ${(err as Error).message}` });
      return false;
    }
    return call.state === 'establishing';
  }

  private markEstablished(call: ServiceCall): void {
    if (call.state !== 'establishing') return;
    call.transition('established');
    this.rt.notifyCall(call, 'updated');
    this.rt.notifyRoster(call);
    this.rt.hook('onCallEstablished', call.toGraph());
    for (const p of call.remoteParticipants) this.rt.hook('onParticipantJoined', call.toGraph(), participantToGraph(p));
  }

  /** POST /calls/{id}/reject */
  reject(callId: string, body: Record<string, unknown>): void {
    const call = this.rt.guarded(callId, 'reject');
    const reason = v.enumValue(body, 'reason', ['none', 'busy', 'forbidden'] as const, false) ?? 'none';
    const callbackUri = v.optionalCallbackUri(body);
    if (callbackUri) call.callbackUri = callbackUri;
    const results: Record<typeof reason, ResultInfo> = {
      none: { code: 603, subcode: 0, message: 'The call was rejected by the application.' },
      busy: { code: 486, subcode: 0, message: 'The call was rejected by the application: busy.' },
      forbidden: { code: 403, subcode: 0, message: 'The call was rejected by the application: forbidden.' },
    };
    this.rt.terminate(call, results[reason]);
  }

  /** POST /calls/{id}/redirect: forwards the incoming call to the first target that answers. */
  redirect(callId: string, body: Record<string, unknown>): void {
    const call = this.rt.guarded(callId, 'redirect');
    const targets = v.invitationTargets(body.targets, 'targets', 25);
    v.optionalInt(body, 'timeout', 15, 90);
    const callbackUri = v.optionalCallbackUri(body);
    if (callbackUri) call.callbackUri = callbackUri;
    this.rt.clearTimers(call);
    this.rt.later(call, this.rt.settings.ringMs, () => {
      const winner = targets.map((t) => this.rt.directory.resolve(t)).find((r) => r.kind !== 'party' || r.answer === 'accept');
      if (!winner) {
        this.rt.terminate(call, { code: 480, subcode: 0, message: 'Redirect failed: no target answered.' });
        return;
      }
      const route: CallRoute & { '@odata.type': string } = {
        '@odata.type': '#microsoft.graph.callRoute',
        routingType: 'forwarded',
        original: call.botIdentity,
        final: winner.identity,
      };
      call.callRoutes = [route];
      call.answeredBy = {
        identity: winner.identity,
        endpointType: winner.kind === 'voicemail' ? 'voicemail' : 'default',
      };
      if (winner.kind === 'bot') {
        this.parties.ring(winner.bot.appId, winner.bot.callbackUri, call, { callRoutes: [route], incomingContext: { onBehalfOf: call.botIdentity } });
      }
      this.rt.terminate(call, { code: 0, subcode: 0, message: 'The call was redirected.' });
    });
  }

  /** POST /calls/{id}/transfer: hands the other party to the transfer target, then leaves. */
  transfer(callId: string, body: Record<string, unknown>): void {
    const call = this.rt.guarded(callId, 'transfer');
    const target = v.invitationTarget(body.transferTarget, 'transferTarget');
    const transferee = v.object(body, 'transferee', 'participantInfo') as ParticipantInfo | undefined;
    if (transferee) v.identitySet(transferee.identity, 'transferee.identity');
    if (call.remoteParticipants.length === 0) throw GraphError.conflict('transfer needs another party in the call');
    call.transition('transferring');
    call.resultInfo = undefined;
    this.rt.notifyCall(call, 'updated');
    this.rt.later(call, this.rt.settings.ringMs, () => {
      if (call.state !== 'transferring') return;
      const resolved = this.rt.directory.resolve(target);
      if (resolved.kind === 'party' && resolved.answer === 'decline') {
        call.resultInfo = { code: 500, subcode: 7000, message: 'Transfer failed: the transfer target declined.' };
        call.transition('established');
        this.rt.notifyCall(call, 'updated');
        return;
      }
      call.transition('transferAccepted');
      this.rt.notifyCall(call, 'updated');
      if (resolved.kind === 'bot') {
        const party = transferee ?? call.remoteParticipants[0]?.info ?? call.source;
        this.parties.ring(resolved.bot.appId, resolved.bot.callbackUri, call, { source: party, incomingContext: { transferor: call.botIdentity } });
      }
      this.rt.terminate(call, { code: 0, subcode: 7015, message: 'GracefulTransferCompleted' });
    });
  }

  /** POST /calls/{id}/keepAlive */
  keepAlive(callId: string): void {
    const call = this.rt.guarded(callId, 'keepAlive');
    call.lastKeepAlive = Date.now();
    this.rt.startKeepAliveTimer(call);
  }

  /** The chain a meeting's calls share: the one of an earlier join, or none yet. */
  private chainOfMeeting(key: string): string | undefined {
    const chain = this.meetingChains.get(key);
    if (chain !== undefined) {
      this.meetingChains.delete(key); // re-inserted by the caller: newest last
      return chain;
    }
    if (this.meetingChains.size >= MEETING_CHAINS_KEPT) this.meetingChains.delete(this.meetingChains.keys().next().value as string);
    return undefined;
  }

  /** DELETE /communications/calls/{id}: the bot hangs up. */
  hangUp(callId: string): void {
    const call = this.rt.guarded(callId, 'delete');
    this.rt.terminate(call, { code: 0, subcode: 0, message: 'The call was ended by the application.' }, true);
  }
}

const MEETING_CHAINS_KEPT = 1000;

/** What names a meeting in a join request: its chat thread (known once a join by id resolved), or the meeting id typed in. */
function meetingKeyOf(chatInfo: Record<string, unknown> | undefined, meetingInfo: Record<string, unknown> | undefined): string | undefined {
  if (typeof chatInfo?.threadId === 'string' && chatInfo.threadId) return `thread:${chatInfo.threadId}`;
  if (typeof meetingInfo?.joinMeetingId === 'string' && meetingInfo.joinMeetingId) return `id:${meetingInfo.joinMeetingId}`;
  return undefined;
}
