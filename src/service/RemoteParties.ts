import type { CallRoute, InvitationParticipantInfo, Modality, ParticipantInfo } from '@microsoft/microsoft-graph-types';
import { randomUUID } from 'crypto';
import type { CallRuntime } from './CallRuntime';
import { GraphError } from './model/GraphError';
import { TONE_BY_DIGIT } from './MediaBridge';
import type { MediaActions } from './MediaActions';
import { ServiceCall } from './model/ServiceCall';
import { identityDisplayName, participantToGraph, type ServiceParticipant } from './model/ServiceParticipant';

/** A synthetic participant that joins a call from the other side (admin API, demo, tests). */
export interface RemoteParty {
  displayName: string;
  id?: string;
  /** Modalities it sends and receives; defaults to the call's. */
  modalities?: Modality[];
  /** Shares its screen (adds a `sendOnly` videoBasedScreenSharing stream). */
  sharing?: boolean;
}

export interface IncomingCallRequest {
  from: RemoteParty;
  /** The application id of the bot being called. */
  toAppId: string;
  /** Where the bot takes notifications; defaults to the callback the bot registered or last used. */
  callbackUri?: string;
  modalities?: Modality[];
  /** Others already in the call: makes it a group call invitation (chatInfo + meetingInfo). */
  others?: RemoteParty[];
  subject?: string;
}

/**
 * The other side of calls: people and bots that call a bot, join, leave, press keys, hold and
 * hang up, and bots rung by a redirect or transfer.
 */
export class RemoteParties {
  constructor(
    private readonly rt: CallRuntime,
    private readonly media: MediaActions,
  ) {}

  /** A party calls a bot: the bot gets an `incoming` call notification. */
  placeIncomingCall(request: IncomingCallRequest): ServiceCall {
    const bot = this.rt.directory.bot(request.toAppId);
    const callbackUri = request.callbackUri ?? bot?.callbackUri;
    if (!callbackUri) {
      throw GraphError.badRequest(`bot '${request.toAppId}' is not registered; register it or give 'callbackUri'`);
    }
    const modalities = request.modalities ?? ['audio', 'video'];
    const source = partyInfo(request.from);
    const call = new ServiceCall({
      appId: request.toAppId,
      appDisplayName: bot?.displayName,
      direction: 'incoming',
      state: 'incoming',
      callbackUri,
      source,
      targets: [],
      requestedModalities: modalities,
      kind: request.others?.length ? 'group' : 'peerToPeer',
      tenantId: this.rt.settings.tenantId,
      subject: request.subject,
    });
    call.targets = [{ '@odata.type': '#microsoft.graph.invitationParticipantInfo', identity: call.botIdentity } as InvitationParticipantInfo];
    if (request.others?.length) this.rt.makeGroup(call, source.identity);
    for (const party of [request.from, ...(request.others ?? [])]) {
      this.rt.addParty(call, partyInfo(party).identity!, party.displayName, party.modalities ?? modalities, undefined, party.sharing, party === request.from ? source : undefined);
    }
    if (request.callbackUri) this.rt.directory.rememberBot(request.toAppId, request.callbackUri);
    this.rt.track(call);
    this.rt.notifyCall(call, 'created');
    this.rt.startAnswerTimer(call);
    return call;
  }

  /** A synthetic party joins a call in progress (as `participantId`, when given). */
  addParticipant(callId: string, party: RemoteParty, participantId?: string): ServiceParticipant {
    const call = this.rt.guarded(callId, 'invite');
    const info = partyInfo(party);
    const p = this.rt.addParty(call, info.identity!, party.displayName, party.modalities ?? call.requestedModalities, participantId, party.sharing);
    this.rt.escalateToGroup(call);
    this.rt.notifyRoster(call);
    this.rt.hook('onParticipantJoined', call.toGraph(), participantToGraph(p));
    return p;
  }

  /**
   * A person joins a call in progress from a browser: the media bridge answers the browser's
   * WebRTC offer, and the person joins the roster with what the offer sends and receives.
   */
  joinFromBrowser(callId: string, displayName: string, offerSdp: string): { participant: ServiceParticipant; sdp: string } {
    const call = this.rt.guarded(callId, 'invite');
    const bridge = this.rt.bridge;
    if (!bridge.acceptBrowser) throw GraphError.badRequest('this service runs no conference media: start it with conference media to join from a browser');
    const participantId = randomUUID();
    let answer;
    try {
      answer = bridge.acceptBrowser(call.toGraph(), participantId, offerSdp);
    } catch (err) {
      const e = err as { code?: string; message?: string };
      if (e.code === 'SDP_INVALID' || e.code === 'INVALID_ARGUMENT') throw GraphError.badRequest(`the browser's offer cannot be used: ${e.message}`);
      throw err;
    }
    try {
      const participant = this.addParticipant(callId, { displayName, modalities: answer.modalities }, participantId);
      return { participant, sdp: answer.sdp };
    } catch (err) {
      bridge.abandonBrowser?.(call.toGraph(), participantId);
      throw err;
    }
  }

  /** A party leaves; a peer-to-peer call ends when the other side is gone. */
  dropParticipant(callId: string, participantId: string): void {
    const call = this.rt.call(callId);
    if (participantId === call.myParticipantId) throw GraphError.badRequest('the bot leaves by hanging up');
    this.rt.participant(call, participantId);
    this.rt.partyLeft(call, participantId);
  }

  /**
   * DTMF from a party: toneInfo notifications if the bot subscribed; stop tones end recordings.
   * `heardInMedia`: the tones were already in the call's audio (a browser's RFC 4733), so the
   * media bridge is not to play them to the bot again (the 'tone' event says so).
   */
  sendTones(callId: string, digits: string, heardInMedia = false): void {
    const call = this.rt.guarded(callId, 'subscribeToTone');
    const tones = [...digits].map((d) => {
      const tone = TONE_BY_DIGIT[d];
      if (!tone) throw GraphError.badRequest(`'${d}' is not a DTMF tone; allowed: 0-9, *, #, A-D`);
      return { digit: d, tone };
    });
    for (const { digit, tone } of tones) {
      this.rt.events.emit('tone', { callId, digit, tone, heardInMedia });
      this.media.toneHeard(callId, digit);
      if (call.toneSubscribed) {
        this.rt.notifyCall(call, 'updated', {
          toneInfo: { '@odata.type': '#microsoft.graph.toneInfo', sequenceId: call.nextToneSequence(), tone },
        });
      }
    }
  }

  /**
   * A participant mutes or unmutes itself (the console's roster buttons). Unmuting also lifts
   * a mute the bot put on it, as a Teams participant may; the roster shows the change and the
   * media bridge stops or starts hearing it.
   */
  setMuted(callId: string, participantId: string, muted: boolean): void {
    const call = this.rt.call(callId);
    if (participantId === call.myParticipantId) throw GraphError.badRequest('the bot mutes itself through POST /communications/calls/{id}/mute');
    const p = this.rt.participant(call, participantId);
    if (p.isMuted === muted) return;
    p.isMuted = muted;
    if (!muted) {
      p.serverMuted = false;
      for (const s of p.mediaStreams) if (s.mediaType === 'audio') s.serverMuted = false;
    }
    this.rt.notifyRoster(call);
    this.rt.hook('onMuteChanged', call.toGraph(), participantToGraph(p), muted);
  }

  /**
   * A participant starts or stops sharing its screen (a browser's getDisplayMedia): its
   * screen-sharing stream turns sendOnly or receiveOnly in the roster, under the same source id,
   * so a bot subscribes its screen-share socket to it as to any sharer.
   */
  setSharing(callId: string, participantId: string, sharing: boolean): void {
    const call = this.rt.call(callId);
    const p = this.rt.participant(call, participantId);
    const stream = p.mediaStreams.find((s) => s.mediaType === 'videoBasedScreenSharing');
    if (!stream) throw GraphError.badRequest(`participant '${participantId}' joined without screen sharing`);
    const direction = sharing ? 'sendOnly' : 'receiveOnly';
    if (stream.direction === direction) return;
    stream.direction = direction;
    this.rt.notifyRoster(call);
  }

  /** The other party puts the call on hold or resumes it. */
  setHold(callId: string, held: boolean): void {
    const call = this.rt.call(callId);
    const from = held ? 'established' : 'hold';
    if (call.state !== from) throw GraphError.conflict(`cannot ${held ? 'hold' : 'resume'} a call that is '${call.state}'`);
    call.transition(held ? 'hold' : 'established');
    this.rt.notifyCall(call, 'updated');
    this.rt.hook('onHoldChanged', call.toGraph(), held);
  }

  /** The other side ends the call. */
  remoteHangUp(callId: string): void {
    const call = this.rt.call(callId);
    if (call.state === 'incoming') {
      this.rt.terminate(call, { code: 487, subcode: 0, message: 'The caller hung up before the call was answered.' });
    } else {
      this.rt.terminate(call, { code: 0, subcode: 0, message: 'The remote party ended the call.' }, true);
    }
  }

  /** Rings another bot with a new incoming call carrying over the original caller. */
  ring(appId: string, callbackUri: string, from: ServiceCall, extra: { source?: ParticipantInfo; callRoutes?: CallRoute[]; incomingContext?: ServiceCall['incomingContext'] }): ServiceCall {
    const source = extra.source ?? from.source;
    const call = new ServiceCall({
      appId,
      appDisplayName: this.rt.directory.bot(appId)?.displayName,
      direction: 'incoming',
      state: 'incoming',
      callbackUri,
      source,
      targets: [],
      requestedModalities: from.requestedModalities,
      kind: 'peerToPeer',
      tenantId: from.tenantId,
      callRoutes: extra.callRoutes,
      incomingContext: extra.incomingContext,
      // A redirected or transferred call is the same conversation.
      callChainId: from.callChainId,
    });
    call.targets = [{ '@odata.type': '#microsoft.graph.invitationParticipantInfo', identity: call.botIdentity } as InvitationParticipantInfo];
    this.rt.addParty(call, source.identity ?? {}, identityDisplayName(source.identity) ?? 'caller', from.requestedModalities, undefined, false, source);
    this.rt.track(call);
    this.rt.notifyCall(call, 'created');
    this.rt.startAnswerTimer(call);
    return call;
  }
}

function partyInfo(party: RemoteParty): ParticipantInfo {
  return {
    '@odata.type': '#microsoft.graph.participantInfo',
    identity: { user: { id: party.id ?? randomUUID(), displayName: party.displayName } },
    endpointType: 'default',
    region: 'local',
    languageId: 'en-US',
    participantId: randomUUID(),
  } as ParticipantInfo;
}
