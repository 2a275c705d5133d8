import type {
  AudioRoutingGroup,
  Call as GraphCall,
  CallState,
  ChangeType,
  IncomingCallOptions,
  InvitationParticipantInfo,
  Modality,
  Participant as GraphParticipant,
  ParticipantInfo,
  RecordingStatus,
  RejectReason,
  ResultInfo,
  ScreenSharingRole,
  Tone,
  ToneInfo,
} from '@microsoft/microsoft-graph-types';
import { EventEmitter } from 'events';
import { CommunicationsError, describeResult } from './errors';
import type { GraphTransport, GraphVersion } from './GraphTransport';
import { normalizeStatus, operationFailed, type OperationTracker } from './OperationTracker';
import { Participant } from './Participant';
import type { CommsOperation, InviteParticipantsOperation, MediaConfig, RecordOperation } from './types';

/** What a Call needs from its client. */
/** What a new audio routing group routes: participant ids of the call. */
export interface AudioRoutingGroupInput {
  /** An id of the bot's choosing; the service makes one when it is left out. */
  id?: string;
  routingMode: 'oneToOne' | 'multicast';
  sources: string[];
  receivers: string[];
}

export interface CallContext {
  transport: GraphTransport;
  operations: OperationTracker;
  /** Default wait for the notification that settles an action. */
  timeoutMs: number;
  /** The bot's webhook, sent as callbackUri where Graph takes one. */
  callbackUri: string;
}

export interface AnswerOptions {
  mediaConfig: MediaConfig;
  acceptedModalities?: Modality[];
  callOptions?: IncomingCallOptions;
  participantCapacity?: number;
  /** Where this call's notifications go from now on; default the client's callbackUri. */
  callbackUri?: string;
}

export interface RedirectOptions {
  /** Seconds the targets ring (15–90). */
  timeout?: number;
  callbackUri?: string;
}

export interface RecordResponseOptions {
  prompts?: unknown[];
  bargeInAllowed?: boolean;
  initialSilenceTimeoutInSeconds?: number;
  maxSilenceTimeoutInSeconds?: number;
  maxRecordDurationInSeconds?: number;
  playBeep?: boolean;
  stopTones?: string[];
  clientContext?: string;
}

export interface ParticipantsChange {
  joined: Participant[];
  left: Participant[];
  updated: Participant[];
}

/** Early states a late notification must not move a call back to (Graph may reorder these). */
const EARLY_RANK: Partial<Record<CallState, number>> = { incoming: 0, establishing: 1 };

/**
 * A call as the bot sees it: state, roster and operations kept from notifications, and every
 * Graph call action as a method. Actions that Graph tracks as a commsOperation resolve with the
 * final operation once its notification says completed (or at once when the response already
 * does) and reject with OPERATION_FAILED carrying resultInfo. Actions Graph answers with a bare
 * 202 resolve when the call or roster notification shows their effect.
 *
 * Events:
 * - 'stateChanged' (state, previous)
 * - 'participantsChanged' (ParticipantsChange), 'participantJoined' / 'participantLeft' / 'participantUpdated' (Participant)
 * - 'toneReceived' (ToneInfo)
 * - 'contentSharingStarted' / 'contentSharingEnded' (the contentSharingSession's id)
 * - 'operationUpdated' (CommsOperation)
 * - 'terminated' (ResultInfo | undefined)
 * - 'updated' (the Graph call resource, after any call notification)
 */
export class Call extends EventEmitter {
  readonly id: string;
  /** Every state the call has been in, in the order seen. */
  readonly stateHistory: CallState[] = [];
  private data: GraphCall;
  private readonly roster = new Map<string, Participant>();
  private readonly sharing = new Set<string>();
  private lastToneSequence = 0;

  constructor(
    id: string,
    data: GraphCall,
    private readonly ctx: CallContext,
  ) {
    super();
    this.id = id;
    this.data = { ...data, id };
    if (data.state) this.stateHistory.push(data.state);
  }

  // ── state ─────────────────────────────────────────────────────────────────────────────────

  get state(): CallState | undefined {
    return this.data.state ?? undefined;
  }

  get isTerminated(): boolean {
    return this.data.state === 'terminated';
  }

  /** The Graph call resource as last received. */
  get resource(): Readonly<GraphCall> {
    return this.data;
  }

  get direction() {
    return this.data.direction ?? undefined;
  }

  get source(): ParticipantInfo | undefined {
    return this.data.source ?? undefined;
  }

  /** The conversation this call is a leg of: kept across a redirect or transfer, shared by the bots in one meeting. */
  get callChainId(): string | undefined {
    return this.data.callChainId ?? undefined;
  }

  get targets(): InvitationParticipantInfo[] {
    return this.data.targets ?? [];
  }

  get myParticipantId(): string | undefined {
    return this.data.myParticipantId ?? undefined;
  }

  get resultInfo(): ResultInfo | undefined {
    return this.data.resultInfo ?? undefined;
  }

  get participants(): ReadonlyMap<string, Participant> {
    return this.roster;
  }

  /** The bot's own roster entry. */
  get me(): Participant | undefined {
    return this.myParticipantId ? this.roster.get(this.myParticipantId) : undefined;
  }

  /** Whose stream a media source id is: how media sockets map sources to participants. */
  participantBySourceId(sourceId: string): Participant | undefined {
    for (const p of this.roster.values()) if (p.hasSourceId(sourceId)) return p;
    return undefined;
  }

  /** Resolves once the call is in one of `states`; rejects if it ends first (unless waiting for that). */
  waitForState(states: CallState | CallState[], timeoutMs = this.ctx.timeoutMs): Promise<void> {
    const wanted = Array.isArray(states) ? states : [states];
    return this.when(() => (this.state && wanted.includes(this.state) ? true : undefined), `state ${wanted.join('/')}`, timeoutMs).promise;
  }

  // ── call actions ──────────────────────────────────────────────────────────────────────────

  /** Answers an incoming call; resolves when it is established. */
  answer(options: AnswerOptions): Promise<void> {
    const body: Record<string, unknown> = {
      callbackUri: options.callbackUri ?? this.ctx.callbackUri,
      acceptedModalities: options.acceptedModalities ?? ['audio'],
      mediaConfig: options.mediaConfig,
    };
    if (options.callOptions) body.callOptions = options.callOptions;
    if (options.participantCapacity !== undefined) body.participantCapacity = options.participantCapacity;
    return this.act('answer', body, () => (this.state === 'established' || this.state === 'hold' ? true : undefined), 'established');
  }

  /** Rejects an incoming call; resolves when it has ended. */
  reject(reason: RejectReason = 'none', callbackUri?: string): Promise<void> {
    const body: Record<string, unknown> = { reason };
    if (callbackUri) body.callbackUri = callbackUri;
    return this.act('reject', body, this.ended, 'terminated');
  }

  /** Forwards an incoming call (to other bots, people, or voicemail via `endpointType: 'voicemail'`). */
  redirect(targets: InvitationParticipantInfo[], options: RedirectOptions = {}): Promise<void> {
    const body: Record<string, unknown> = { targets };
    if (options.timeout !== undefined) body.timeout = options.timeout;
    if (options.callbackUri) body.callbackUri = options.callbackUri;
    return this.act('redirect', body, this.ended, 'terminated');
  }

  /**
   * Transfers the other party to `target` (transferee only for group calls); resolves when the
   * transfer completed and the bot left; rejects with TRANSFER_FAILED if the call stays.
   */
  transfer(target: InvitationParticipantInfo, transferee?: ParticipantInfo): Promise<void> {
    const body: Record<string, unknown> = { transferTarget: target };
    if (transferee) body.transferee = transferee;
    const start = this.stateHistory.length;
    return this.act(
      'transfer',
      body,
      () => {
        if (this.isTerminated) return true;
        const since = this.stateHistory.slice(start);
        if (since.includes('transferring') && this.state === 'established') {
          return new CommunicationsError('TRANSFER_FAILED', `transfer failed: ${describeResult(this.resultInfo)}`, { resultInfo: this.resultInfo });
        }
        return undefined;
      },
      'transfer',
    );
  }

  /** Keeps the call alive (Graph ends calls without one for 45 minutes). */
  async keepAlive(): Promise<void> {
    await this.ctx.transport.send('POST', this.path('keepAlive'), {});
  }

  /** Hangs up; resolves when the call has ended. */
  async hangUp(): Promise<void> {
    const waiter = this.when(this.ended, 'terminated');
    try {
      await this.ctx.transport.send('DELETE', this.path());
    } catch (err) {
      waiter.cancel();
      throw err;
    }
    return waiter.promise;
  }

  mute(clientContext?: string): Promise<CommsOperation> {
    return this.operation('mute', withContext({}, clientContext));
  }

  unmute(clientContext?: string): Promise<CommsOperation> {
    return this.operation('unmute', withContext({}, clientContext));
  }

  updateRecordingStatus(status: Exclude<RecordingStatus, 'unknown' | 'unknownFutureValue'>, clientContext?: string): Promise<CommsOperation> {
    return this.operation('updateRecordingStatus', withContext({ status }, clientContext));
  }

  /** Becomes the screen sharer or a viewer; resolves when the roster shows it. */
  changeScreenSharingRole(role: ScreenSharingRole): Promise<void> {
    const direction = role === 'sharer' ? 'sendOnly' : 'receiveOnly';
    return this.act(
      'changeScreenSharingRole',
      { role },
      () => (this.me?.mediaStreams.some((s) => s.mediaType === 'videoBasedScreenSharing' && s.direction === direction) ? true : undefined),
      `screen sharing role ${role}`,
    );
  }

  /** Plays prompts (service-hosted media); resolves when they finished playing. */
  playPrompt(prompts: unknown[], clientContext?: string): Promise<CommsOperation> {
    return this.operation('playPrompt', withContext({ prompts }, clientContext));
  }

  /** Records the caller's answer; the result says where to fetch it and why it ended. */
  recordResponse(options: RecordResponseOptions = {}): Promise<RecordOperation> {
    return this.operation('recordResponse', { ...options }) as Promise<RecordOperation>;
  }

  /**
   * Sends DTMF into the call (RFC 4733 in its media, to the participants): Graph's tone names
   * (`['tone1', 'pound']`) or the digits as a string (`'1#'`: 0-9, *, #, A-D). Resolves with the
   * completed sendDtmfTonesOperation once the last tone went out.
   */
  sendDtmfTones(tones: readonly Tone[] | string, options: { delayBetweenTonesMs?: number; clientContext?: string } = {}): Promise<CommsOperation> {
    const names = typeof tones === 'string' ? [...tones].map(toneOfDigit) : [...tones];
    const body: Record<string, unknown> = { tones: names };
    if (options.delayBetweenTonesMs !== undefined) body.delayBetweenTonesMs = options.delayBetweenTonesMs;
    return this.operation('sendDtmfTones', withContext(body, options.clientContext));
  }

  /** After this, DTMF tones arrive as 'toneReceived' events. */
  subscribeToTone(clientContext?: string): Promise<CommsOperation> {
    return this.operation('subscribeToTone', withContext({}, clientContext));
  }

  /** Stops queued and playing prompts, recordings and DTMF; their own operations fail as cancelled. */
  cancelMediaProcessing(clientContext?: string): Promise<CommsOperation> {
    return this.operation('cancelMediaProcessing', withContext({}, clientContext));
  }

  /** Sets the bot's metadata blob in the roster (Graph beta). */
  updateMetadata(metadata: string, clientContext?: string): Promise<CommsOperation> {
    return this.operation('updateMetadata', withContext({ metadata }, clientContext), 'beta');
  }

  /** GETs the call resource and applies it. */
  async refresh(): Promise<GraphCall> {
    const res = await this.ctx.transport.send('GET', this.path());
    this.applyCall('updated', res.body as GraphCall);
    return this.data;
  }

  // ── participants ──────────────────────────────────────────────────────────────────────────

  /** GETs the roster and applies it. */
  async listParticipants(): Promise<Participant[]> {
    const res = await this.ctx.transport.send('GET', this.path('participants'));
    this.applyRoster('updated', ((res.body as { value?: GraphParticipant[] })?.value ?? []) as GraphParticipant[]);
    return [...this.roster.values()];
  }

  /**
   * POST …/audioRoutingGroups: a private audio route between participants, by participant id.
   * A group with the bot (`call.me`) among its receivers makes the bot hear only the sources of
   * such groups; one with the bot as its source makes only its receivers hear the bot.
   * oneToOne takes one source and one receiver, multicast one source and several receivers.
   */
  async createAudioRoutingGroup(group: AudioRoutingGroupInput): Promise<AudioRoutingGroup> {
    const res = await this.ctx.transport.send('POST', this.path('audioRoutingGroups'), { '@odata.type': '#microsoft.graph.audioRoutingGroup', ...group });
    return res.body as AudioRoutingGroup;
  }

  async listAudioRoutingGroups(): Promise<AudioRoutingGroup[]> {
    const res = await this.ctx.transport.send('GET', this.path('audioRoutingGroups'));
    return (res.body as { value?: AudioRoutingGroup[] }).value ?? [];
  }

  async getAudioRoutingGroup(groupId: string): Promise<AudioRoutingGroup> {
    const res = await this.ctx.transport.send('GET', this.path(`audioRoutingGroups/${encodeURIComponent(groupId)}`));
    return res.body as AudioRoutingGroup;
  }

  /** PATCH …/audioRoutingGroups/{id}: Graph changes a group's receivers only. */
  async updateAudioRoutingGroup(groupId: string, receivers: string[]): Promise<AudioRoutingGroup> {
    const res = await this.ctx.transport.send('PATCH', this.path(`audioRoutingGroups/${encodeURIComponent(groupId)}`), { receivers });
    return res.body as AudioRoutingGroup;
  }

  async deleteAudioRoutingGroup(groupId: string): Promise<void> {
    await this.ctx.transport.send('DELETE', this.path(`audioRoutingGroups/${encodeURIComponent(groupId)}`));
  }

  /** GET …/contentSharingSessions: the ids of the content being shared in the call now. */
  async listContentSharingSessions(): Promise<string[]> {
    const res = await this.ctx.transport.send('GET', this.path('contentSharingSessions'));
    const ids = ((res.body as { value?: { id?: string }[] })?.value ?? []).flatMap((s) => (typeof s.id === 'string' ? [s.id] : []));
    this.sharing.clear();
    for (const id of ids) this.sharing.add(id);
    return ids;
  }

  /** Content sharing sessions in the call, as the notifications (or the last list) said. */
  get contentSharingSessions(): string[] {
    return [...this.sharing];
  }

  /** @internal A content sharing session started (`created`) or ended (`deleted`). */
  applyContentSharing(changeType: ChangeType, ids: string[]): void {
    if (this.isTerminated) return;
    for (const id of ids) {
      if (changeType === 'deleted') {
        if (this.sharing.delete(id)) this.emit('contentSharingEnded', id);
      } else if (!this.sharing.has(id)) {
        this.sharing.add(id);
        this.emit('contentSharingStarted', id);
      }
    }
  }

  async getParticipant(participantId: string): Promise<GraphParticipant> {
    const res = await this.ctx.transport.send('GET', this.path(`participants/${encodeURIComponent(participantId)}`));
    return res.body as GraphParticipant;
  }

  /** Invites people or bots; a peer-to-peer call becomes a group call. Resolves when they joined. */
  invite(participants: InvitationParticipantInfo[], clientContext?: string): Promise<InviteParticipantsOperation> {
    return this.operation('participants/invite', withContext({ participants }, clientContext)) as Promise<InviteParticipantsOperation>;
  }

  /** Server-mutes the given participants, or everyone but the bot (Graph beta). */
  muteAll(participantIds?: string[], clientContext?: string): Promise<CommsOperation> {
    return this.operation('participants/muteAll', withContext(participantIds ? { participants: participantIds } : {}, clientContext), 'beta');
  }

  muteParticipant(participantId: string, clientContext?: string): Promise<CommsOperation> {
    return this.operation(`participants/${encodeURIComponent(participantId)}/mute`, withContext({}, clientContext));
  }

  /**
   * Puts a participant on hold with music (`customPrompt`: a mediaPrompt the participant hears,
   * else the hold tone): it hears only that, and nobody hears it. One participant at a time.
   * Resolves with the completed startHoldMusicOperation.
   */
  startHoldMusic(participantId: string, customPrompt?: unknown, clientContext?: string): Promise<CommsOperation> {
    const body: Record<string, unknown> = customPrompt ? { customPrompt } : {};
    return this.operation(`participants/${encodeURIComponent(participantId)}/startHoldMusic`, withContext(body, clientContext));
  }

  /** Takes a participant off hold: it hears and is heard again. */
  stopHoldMusic(participantId: string, clientContext?: string): Promise<CommsOperation> {
    return this.operation(`participants/${encodeURIComponent(participantId)}/stopHoldMusic`, withContext({}, clientContext));
  }

  /** Removes a participant; resolves when the roster no longer has it. */
  async removeParticipant(participantId: string): Promise<void> {
    const waiter = this.when(() => (this.roster.has(participantId) ? undefined : true), `participant ${participantId} removed`);
    try {
      await this.ctx.transport.send('DELETE', this.path(`participants/${encodeURIComponent(participantId)}`));
    } catch (err) {
      waiter.cancel();
      throw err;
    }
    return waiter.promise;
  }

  // ── notifications (called by the client) ──────────────────────────────────────────────────

  /** @internal */
  applyCall(changeType: ChangeType, resource: GraphCall & { toneInfo?: ToneInfo | null }): void {
    if (this.isTerminated) return;
    const previous = this.state;
    let next = resource.state ?? undefined;
    if (changeType === 'deleted') next = 'terminated';
    if (next && previous && next !== 'terminated' && (EARLY_RANK[next] ?? 99) < (EARLY_RANK[previous] ?? 99)) {
      next = previous; // a late "establishing" after "established": keep the newer state
    }
    this.data = { ...this.data, ...resource, id: this.id, ...(next ? { state: next } : {}) };
    if (next && next !== previous) {
      this.stateHistory.push(next);
      this.emit('stateChanged', next, previous);
    }
    const tone = resource.toneInfo;
    if (tone && typeof tone.sequenceId === 'number' && tone.sequenceId > this.lastToneSequence) {
      this.lastToneSequence = tone.sequenceId;
      this.emit('toneReceived', tone);
    }
    this.emit('updated', this.data);
    if (this.isTerminated) {
      this.ctx.operations.failCall(
        this.id,
        new CommunicationsError('CALL_TERMINATED', `call ${this.id} ended: ${describeResult(this.resultInfo)}`, { resultInfo: this.resultInfo }),
      );
      this.emit('terminated', this.resultInfo);
    }
    this.emit('changed');
  }

  /** @internal `updated` carries the whole roster; `created`/`deleted` add or remove entries. */
  applyRoster(changeType: ChangeType, entries: GraphParticipant[]): void {
    const change: ParticipantsChange = { joined: [], left: [], updated: [] };
    const keyed = entries.map((e) => [participantKey(e), e] as const).filter((x): x is readonly [string, GraphParticipant] => !!x[0]);
    if (changeType === 'deleted') {
      for (const [id] of keyed) {
        const p = this.roster.get(id);
        if (p) {
          this.roster.delete(id);
          change.left.push(p);
        }
      }
    } else {
      for (const [id, entry] of keyed) {
        const existing = this.roster.get(id);
        if (!existing) {
          const p = new Participant(id, entry, this);
          this.roster.set(id, p);
          change.joined.push(p);
        } else if (existing.update(entry)) {
          change.updated.push(existing);
        }
      }
      if (changeType === 'updated') {
        const present = new Set(keyed.map(([id]) => id));
        for (const [id, p] of this.roster) {
          if (!present.has(id)) {
            this.roster.delete(id);
            change.left.push(p);
          }
        }
      }
    }
    for (const p of change.joined) this.emit('participantJoined', p);
    for (const p of change.left) this.emit('participantLeft', p);
    for (const p of change.updated) this.emit('participantUpdated', p);
    if (change.joined.length || change.left.length || change.updated.length) this.emit('participantsChanged', change);
    this.emit('changed');
  }

  /** @internal */
  applyOperation(received: CommsOperation): void {
    const op = { ...received, status: normalizeStatus(received.status) ?? received.status };
    this.ctx.operations.update(op);
    this.emit('operationUpdated', op);
  }

  // ── plumbing ──────────────────────────────────────────────────────────────────────────────

  private path(action?: string): string {
    const base = `/communications/calls/${encodeURIComponent(this.id)}`;
    return action ? `${base}/${action}` : base;
  }

  private readonly ended = (): true | undefined => (this.isTerminated ? true : undefined);

  /**
   * POSTs an action Graph answers with a bare 202, then waits until `check` sees its effect in
   * the notifications. The wait starts before the request: the notification may come first.
   */
  private async act(action: string, body: Record<string, unknown>, check: () => true | Error | undefined, what: string): Promise<void> {
    const waiter = this.when(check, what);
    try {
      await this.ctx.transport.send('POST', this.path(action), body);
    } catch (err) {
      waiter.cancel();
      throw err;
    }
    return waiter.promise;
  }

  /** POSTs an action Graph tracks as a commsOperation and waits for its final status. */
  private async operation(action: string, body: Record<string, unknown>, version?: GraphVersion): Promise<CommsOperation> {
    const res = await this.ctx.transport.send('POST', this.path(action), body, version);
    let op = res.body && typeof res.body === 'object' ? (res.body as CommsOperation) : undefined;
    if (!op?.id) {
      // Some actions answer 202 with only a Location header naming the operation.
      const id = res.headers.get('location')?.split('/').pop();
      if (!id) throw new CommunicationsError('GRAPH_REQUEST_FAILED', `${action}: the response named no operation`, { statusCode: res.status });
      op = { id, status: 'running', clientContext: (body.clientContext as string | undefined) ?? null };
    }
    const status = normalizeStatus(op.status);
    op = { ...op, status: status ?? op.status };
    if (status === 'completed') return op; // settled in the response: no notification follows
    if (status === 'failed') throw operationFailed(op);
    if (this.isTerminated) throw new CommunicationsError('CALL_TERMINATED', `call ${this.id} has ended`, { resultInfo: this.resultInfo });
    return this.ctx.operations.wait(this.id, op.id!, this.ctx.timeoutMs);
  }

  /** Settles when `check` returns true (resolve) or an Error (reject), re-checked on every notification. */
  private when(check: () => true | Error | undefined, what: string, timeoutMs = this.ctx.timeoutMs): { promise: Promise<void>; cancel(): void } {
    let cancel = () => {};
    const promise = new Promise<void>((resolve, reject) => {
      const evaluate = () => {
        let result: true | Error | undefined;
        try {
          result = check();
        } catch (err) {
          result = err as Error;
        }
        if (result === undefined && this.isTerminated) {
          result = new CommunicationsError('CALL_TERMINATED', `call ${this.id} ended before ${what}: ${describeResult(this.resultInfo)}`, {
            resultInfo: this.resultInfo,
          });
        }
        if (result === undefined) return;
        cleanup();
        if (result === true) resolve();
        else reject(result);
      };
      const timer = setTimeout(() => {
        cleanup();
        reject(new CommunicationsError('TIMEOUT', `call ${this.id}: no notification showed ${what} within ${timeoutMs} ms`));
      }, timeoutMs);
      timer.unref();
      const cleanup = () => {
        clearTimeout(timer);
        this.off('changed', evaluate);
      };
      cancel = cleanup;
      this.on('changed', evaluate);
      evaluate();
    });
    // The caller awaits this only after its request returns; until then a rejection (the call
    // ended meanwhile) must not count as unhandled.
    promise.catch(() => undefined);
    return { promise, cancel };
  }
}

function withContext(body: Record<string, unknown>, clientContext: string | undefined): Record<string, unknown> {
  return clientContext === undefined ? body : { ...body, clientContext };
}

function participantKey(p: GraphParticipant): string | undefined {
  return p.id ?? p.info?.participantId ?? undefined;
}

const TONE_OF_DIGIT: Readonly<Record<string, Tone>> = {
  '0': 'tone0', '1': 'tone1', '2': 'tone2', '3': 'tone3', '4': 'tone4', '5': 'tone5', '6': 'tone6', '7': 'tone7', '8': 'tone8', '9': 'tone9',
  '*': 'star', '#': 'pound', A: 'a', B: 'b', C: 'c', D: 'd',
};

function toneOfDigit(digit: string): Tone {
  const tone = TONE_OF_DIGIT[digit.toUpperCase()];
  if (!tone) throw new CommunicationsError('INVALID_ARGUMENT', `'${digit}' is not a DTMF digit (0-9, *, #, A-D)`);
  return tone;
}
