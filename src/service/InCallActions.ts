import type { Participant, ScreenSharingRole } from '@microsoft/microsoft-graph-types';
import type { CallRuntime } from './CallRuntime';
import { targetDisplayName } from './Directory';
import { GraphError } from './model/GraphError';
import * as v from './model/validate';
import type { ServiceCall } from './model/ServiceCall';
import { RESULTS, type ServiceOperation } from './model/ServiceOperation';
import { participantToGraph, type ServiceParticipant } from './model/ServiceParticipant';
import { contentSharingSessionToGraph } from './notifications/payloads';

/**
 * Actions inside an established call: the bot's own mute, recording status, screen sharing
 * role and metadata, and the participant actions (list, get, invite, muteAll, mute, remove).
 */
export class InCallActions {
  constructor(private readonly rt: CallRuntime) {}

  /** POST /calls/{id}/mute and /unmute: the bot mutes or unmutes itself. */
  muteSelf(callId: string, body: Record<string, unknown>, muted: boolean): ServiceOperation {
    const call = this.rt.guarded(callId, muted ? 'mute' : 'unmute');
    const op = this.rt.completedOperation(call, muted ? 'muteParticipantOperation' : 'unmuteParticipantOperation', v.clientContext(body));
    const bot = this.rt.addBotParticipant(call);
    if (bot.isMuted !== muted) {
      bot.isMuted = muted || bot.serverMuted;
      this.rt.notifyRoster(call);
      this.rt.hook('onMuteChanged', call.toGraph(), participantToGraph(bot), muted);
    }
    return op;
  }

  /** POST /calls/{id}/updateRecordingStatus */
  updateRecordingStatus(callId: string, body: Record<string, unknown>): ServiceOperation {
    const call = this.rt.guarded(callId, 'updateRecordingStatus');
    const status = v.enumValue(body, 'status', ['notRecording', 'recording', 'failed'] as const, true);
    const op = this.rt.completedOperation(call, 'updateRecordingStatusOperation', v.clientContext(body));
    this.rt.addBotParticipant(call).recordingInfo = { recordingStatus: status, initiator: call.botIdentity };
    this.rt.notifyRoster(call);
    return op;
  }

  /** POST /calls/{id}/changeScreenSharingRole (202; the roster shows the new role). */
  changeScreenSharingRole(callId: string, body: Record<string, unknown>): void {
    const call = this.rt.guarded(callId, 'changeScreenSharingRole');
    const role = v.enumValue(body, 'role', ['viewer', 'sharer'] as const, true);
    // Graph shares a bot's screen only into group calls and meetings, and only from media the bot hosts.
    if (call.mediaHosting !== 'app') {
      throw GraphError.badRequest('changeScreenSharingRole is supported only for calls with app-hosted media');
    }
    if (call.kind === 'peerToPeer') {
      throw GraphError.badRequest('changeScreenSharingRole is supported only for group calls and meetings, not peer-to-peer calls');
    }
    call.screenSharingRole = role;
    const bot = this.rt.addBotParticipant(call);
    const direction = role === 'sharer' ? 'sendOnly' : 'receiveOnly';
    const vbss = bot.mediaStreams.find((s) => s.mediaType === 'videoBasedScreenSharing');
    if (vbss) vbss.direction = direction;
    else bot.mediaStreams.push({ mediaType: 'videoBasedScreenSharing', direction, label: 'main-vbss', serverMuted: false, sourceId: call.allocateSourceId() });
    this.rt.later(call, 0, () => {
      this.rt.notifyRoster(call);
      this.rt.hook('onScreenSharingRoleChanged', call.toGraph(), role as ScreenSharingRole);
    });
  }

  /** POST /calls/{id}/updateMetadata (beta): 202 with a running operation the roster completes. */
  updateMetadata(callId: string, body: Record<string, unknown>): ServiceOperation {
    const call = this.rt.guarded(callId, 'updateMetadata');
    const metadata = body.metadata;
    if (typeof metadata !== 'string') throw GraphError.badRequest(`'metadata' is required and must be a string`);
    const op = this.rt.runningOperation(call, 'commsOperation', v.clientContext(body));
    this.rt.later(call, 0, () => {
      this.rt.addBotParticipant(call).metadata = metadata;
      this.rt.notifyRoster(call);
      this.rt.finishOperation(call, op, 'completed', RESULTS.success);
    });
    return op;
  }

  /** GET /calls/{id}/contentSharingSessions: who shares content now, one session each. */
  contentSharingSessions(callId: string): { '@odata.type': string; id: string }[] {
    return [...this.rt.call(callId).contentSharing.values()].map(contentSharingSessionToGraph);
  }

  /** GET /calls/{id}/contentSharingSessions/{sessionId} */
  contentSharingSession(callId: string, sessionId: string): { '@odata.type': string; id: string } {
    const found = [...this.rt.call(callId).contentSharing.values()].find((id) => id === sessionId);
    if (!found) throw GraphError.notFound(`content sharing session '${sessionId}' was not found`);
    return contentSharingSessionToGraph(found);
  }

  /** GET /calls/{id}/operations/{opId} */
  operation(callId: string, operationId: string): ServiceOperation {
    const op = this.rt.call(callId).operations.get(operationId);
    if (!op) throw GraphError.notFound(`operation '${operationId}' was not found in call '${callId}'`);
    return op;
  }

  listParticipants(callId: string): Participant[] {
    return this.rt.guarded(callId, 'listParticipants').rosterToGraph();
  }

  getParticipant(callId: string, participantId: string): Participant {
    const call = this.rt.guarded(callId, 'listParticipants');
    return participantToGraph(this.rt.participant(call, participantId));
  }

  /** POST /calls/{id}/participants/invite; a peer-to-peer call becomes a group call. */
  invite(callId: string, body: Record<string, unknown>): ServiceOperation {
    const call = this.rt.guarded(callId, 'invite');
    const targets = v.invitationTargets(body.participants, 'participants', 5);
    const op = this.rt.runningOperation(call, 'inviteParticipantsOperation', v.clientContext(body), { participants: targets });
    this.rt.later(call, this.rt.settings.ringMs, () => {
      const declined: string[] = [];
      for (const target of targets) {
        const resolved = this.rt.directory.resolve(target);
        if (resolved.kind === 'party' && resolved.answer === 'decline') {
          declined.push(resolved.displayName);
          continue;
        }
        const p = this.rt.addParty(call, resolved.identity, targetDisplayName(resolved), call.acceptedModalities, target.participantId ?? undefined);
        this.rt.hook('onParticipantJoined', call.toGraph(), participantToGraph(p));
      }
      if (declined.length < targets.length) {
        this.rt.escalateToGroup(call);
        this.rt.notifyRoster(call);
      }
      if (declined.length === 0) this.rt.finishOperation(call, op, 'completed', RESULTS.success);
      else this.rt.finishOperation(call, op, 'failed', { code: 403, subcode: 0, message: `Invitation declined by: ${declined.join(', ')}` });
    });
    return op;
  }

  /** POST /calls/{id}/participants/muteAll (beta): server-mutes the listed or all other participants. */
  muteAll(callId: string, body: Record<string, unknown>): ServiceOperation {
    const call = this.rt.guarded(callId, 'muteAll');
    const ids = v.stringArray(body, 'participants')?.filter((id) => id.length > 0);
    const targets = ids && ids.length > 0 ? ids.map((id) => this.rt.participant(call, id)) : call.remoteParticipants;
    const op = this.rt.completedOperation(call, 'commsOperation', v.clientContext(body));
    for (const p of targets) this.serverMute(call, p);
    this.rt.notifyRoster(call);
    return op;
  }

  /** POST /calls/{id}/participants/{pid}/mute */
  /**
   * POST /calls/{id}/participants/{pid}/startHoldMusic (202 + running operation): the participant
   * hears the custom prompt, or the hold tone, and drops out of everyone's audio. Graph holds one
   * participant at a time. The roster shows it as its audio stream going `inactive`.
   */
  startHoldMusic(callId: string, participantId: string, body: Record<string, unknown>): ServiceOperation {
    const call = this.rt.guarded(callId, 'holdMusic');
    const p = this.rt.participant(call, participantId);
    if (p.isBot) throw GraphError.badRequest('The bot cannot put itself on hold: hold one of the other participants.');
    const prompt = v.object(body, 'customPrompt', 'mediaPrompt');
    const [customPrompt] = prompt ? v.prompts([prompt], 'customPrompt', { required: true }) : [];
    const held = call.remoteParticipants.find((x) => x.heldWithMusic);
    if (held) throw GraphError.conflict(`Only one participant can be on hold at a time, and '${held.id}' is.`);
    const op = this.rt.runningOperation(call, 'startHoldMusicOperation', v.clientContext(body));
    p.heldWithMusic = { prompt: customPrompt };
    this.setAudioDirection(p, 'inactive');
    this.rt.later(call, 0, () => {
      this.rt.notifyRoster(call);
      this.rt.hook('onHoldMusicChanged', call.toGraph(), participantToGraph(p), true, customPrompt);
      this.rt.finishOperation(call, op, 'completed', RESULTS.success);
    });
    return op;
  }

  /** POST /calls/{id}/participants/{pid}/stopHoldMusic (202 + running operation): back into the call. */
  stopHoldMusic(callId: string, participantId: string, body: Record<string, unknown>): ServiceOperation {
    const call = this.rt.guarded(callId, 'holdMusic');
    const p = this.rt.participant(call, participantId);
    if (!p.heldWithMusic) throw GraphError.badRequest(`The participant '${participantId}' is not on hold.`);
    const op = this.rt.runningOperation(call, 'stopHoldMusicOperation', v.clientContext(body));
    p.heldWithMusic = undefined;
    this.setAudioDirection(p, 'sendReceive');
    this.rt.later(call, 0, () => {
      this.rt.notifyRoster(call);
      this.rt.hook('onHoldMusicChanged', call.toGraph(), participantToGraph(p), false);
      this.rt.finishOperation(call, op, 'completed', RESULTS.success);
    });
    return op;
  }

  private setAudioDirection(p: ServiceParticipant, direction: 'inactive' | 'sendReceive'): void {
    const audio = p.mediaStreams.find((s) => s.mediaType === 'audio');
    if (audio) audio.direction = direction;
  }

  muteParticipant(callId: string, participantId: string, body: Record<string, unknown>): ServiceOperation {
    const call = this.rt.guarded(callId, 'muteParticipant');
    const p = this.rt.participant(call, participantId);
    const op = this.rt.completedOperation(call, 'muteParticipantOperation', v.clientContext(body));
    this.serverMute(call, p);
    this.rt.notifyRoster(call);
    return op;
  }

  private serverMute(call: ServiceCall, p: ServiceParticipant): void {
    const was = p.isMuted;
    p.serverMuted = true;
    p.isMuted = true;
    for (const s of p.mediaStreams) if (s.mediaType === 'audio') s.serverMuted = true;
    if (!was) this.rt.hook('onMuteChanged', call.toGraph(), participantToGraph(p), true);
  }

  /** DELETE /calls/{id}/participants/{pid} */
  removeParticipant(callId: string, participantId: string): void {
    const call = this.rt.guarded(callId, 'removeParticipant');
    if (participantId === call.myParticipantId) {
      throw GraphError.badRequest('the bot cannot remove itself; DELETE the call to leave it');
    }
    this.rt.participant(call, participantId);
    this.rt.later(call, 0, () => this.rt.partyLeft(call, participantId));
  }
}
