import { randomUUID } from 'crypto';
import type { CallRuntime } from './CallRuntime';
import type { AudioRouting } from './MediaBridge';
import { GraphError } from './model/GraphError';
import type { AudioRoutingGroupRecord, ServiceCall } from './model/ServiceCall';
import * as v from './model/validate';

type Body = Record<string, unknown>;

/** Graph caps what one call holds; the service the same, so a bot cannot grow it without bound. */
const MAX_GROUPS_PER_CALL = 100;
const MAX_RECEIVERS = 100;

/**
 * Graph's audio routing groups (`/calls/{id}/audioRoutingGroups`): private audio routes between
 * participants of a group call or meeting. A group has one source and one receiver (oneToOne)
 * or several receivers (multicast). The service routes the ones the bot takes part in:
 * - with groups whose receivers include the bot, the bot hears only their sources, not the
 *   whole call (how a bot picks whose audio it gets);
 * - with groups whose source is the bot, only their receivers hear the bot.
 * The media bridge gets that as an AudioRouting on every change.
 */
export class AudioRoutingGroups {
  constructor(private readonly rt: CallRuntime) {}

  /** POST /calls/{id}/audioRoutingGroups (200 + the group, as Graph answers). */
  create(callId: string, body: Body): AudioRoutingGroupRecord {
    const call = this.rt.guarded(callId, 'audioRoutingGroups');
    v.odataType(body, '', 'audioRoutingGroup');
    if (call.kind === 'peerToPeer') throw GraphError.badRequest('Audio routing groups are for group calls and meetings, not peer-to-peer calls.');
    const id = v.optionalString(body, 'id', 128) ?? randomUUID();
    if (call.audioRoutingGroups.has(id)) throw GraphError.conflict(`The audio routing group '${id}' already exists in this call.`);
    if (call.audioRoutingGroups.size >= MAX_GROUPS_PER_CALL) throw GraphError.badRequest(`A call holds at most ${MAX_GROUPS_PER_CALL} audio routing groups.`);
    const routingMode = v.enumValue(body, 'routingMode', ['oneToOne', 'multicast'] as const, true);
    const group = checked(call, { id, routingMode, sources: participantIds(body, 'sources'), receivers: participantIds(body, 'receivers') });
    call.audioRoutingGroups.set(id, group);
    this.changed(call);
    return { ...group };
  }

  /** GET /calls/{id}/audioRoutingGroups */
  list(callId: string): AudioRoutingGroupRecord[] {
    return [...this.rt.call(callId).audioRoutingGroups.values()].map((g) => ({ ...g }));
  }

  /** GET /calls/{id}/audioRoutingGroups/{groupId} */
  get(callId: string, groupId: string): AudioRoutingGroupRecord {
    return { ...this.group(this.rt.call(callId), groupId) };
  }

  /** PATCH /calls/{id}/audioRoutingGroups/{groupId}: Graph updates the receivers (the source and mode stay). */
  update(callId: string, groupId: string, body: Body): AudioRoutingGroupRecord {
    const call = this.rt.guarded(callId, 'audioRoutingGroups');
    v.odataType(body, '', 'audioRoutingGroup');
    const group = this.group(call, groupId);
    for (const fixed of ['routingMode', 'sources'] as const) {
      if (body[fixed] !== undefined && JSON.stringify(body[fixed]) !== JSON.stringify(group[fixed])) {
        throw GraphError.badRequest(`Only 'receivers' of an audio routing group can be updated, not '${fixed}'.`);
      }
    }
    const updated = checked(call, { ...group, receivers: participantIds(body, 'receivers') });
    call.audioRoutingGroups.set(groupId, updated);
    this.changed(call);
    return { ...updated };
  }

  /** DELETE /calls/{id}/audioRoutingGroups/{groupId} */
  delete(callId: string, groupId: string): void {
    const call = this.rt.guarded(callId, 'audioRoutingGroups');
    this.group(call, groupId);
    call.audioRoutingGroups.delete(groupId);
    this.changed(call);
  }

  private group(call: ServiceCall, groupId: string): AudioRoutingGroupRecord {
    const group = call.audioRoutingGroups.get(groupId);
    if (!group) throw GraphError.notFound(`The audio routing group '${groupId}' was not found in call '${call.id}'.`);
    return group;
  }

  private changed(call: ServiceCall): void {
    this.rt.hook('onAudioRoutingChanged', call.toGraph(), routingOf(call));
  }
}

/** What the groups of a call mean for the bot's own audio, in and out. */
export function routingOf(call: ServiceCall): AudioRouting {
  const bot = call.myParticipantId;
  const toBot = [...call.audioRoutingGroups.values()].filter((g) => g.receivers.includes(bot));
  const fromBot = [...call.audioRoutingGroups.values()].filter((g) => g.sources.includes(bot));
  return {
    botHears: toBot.length ? [...new Set(toBot.flatMap((g) => g.sources))] : null,
    botHeardBy: fromBot.length ? [...new Set(fromBot.flatMap((g) => g.receivers))] : null,
  };
}

function participantIds(body: Body, field: 'sources' | 'receivers'): string[] {
  const ids = v.stringArray(body, field);
  if (!ids || ids.length === 0) throw GraphError.badRequest(`'${field}' is required and must list participant ids`);
  if (ids.length > MAX_RECEIVERS) throw GraphError.badRequest(`'${field}' takes at most ${MAX_RECEIVERS} participants`);
  return [...new Set(ids)];
}

/** Graph's rules for a group, and the service's: every id in the call, and the bot on one side. */
function checked(call: ServiceCall, group: AudioRoutingGroupRecord): AudioRoutingGroupRecord {
  if (group.sources.length !== 1) throw GraphError.badRequest(`An audio routing group has exactly one source; '${group.routingMode}' got ${group.sources.length}.`);
  if (group.routingMode === 'oneToOne' && group.receivers.length !== 1) {
    throw GraphError.badRequest(`A oneToOne audio routing group has exactly one receiver; got ${group.receivers.length}. Use multicast for more.`);
  }
  for (const id of [...group.sources, ...group.receivers]) {
    if (!call.participants.has(id)) throw GraphError.badRequest(`'${id}' is not a participant of the call.`);
  }
  if (group.receivers.includes(group.sources[0])) throw GraphError.badRequest('The source of an audio routing group cannot be one of its receivers.');
  const bot = call.myParticipantId;
  if (group.sources[0] !== bot && !group.receivers.includes(bot)) {
    throw GraphError.badRequest("The local service routes the groups the bot is in: the bot must be the group's source or one of its receivers.");
  }
  return group;
}
