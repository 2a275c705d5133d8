import type { CallState, ChangeType } from '@microsoft/microsoft-graph-types';
import type { CommsNotification } from './types';

/** What a notification is about, read from its resource URL. */
export interface ResourceRef {
  callId: string;
  kind: 'call' | 'participants' | 'operation' | 'contentSharingSessions';
}

const CHANGE_TYPES: readonly ChangeType[] = ['created', 'updated', 'deleted'];
const CALL_STATES: readonly CallState[] = [
  'incoming', 'establishing', 'established', 'hold', 'transferring', 'transferAccepted', 'redirecting', 'terminating', 'terminated',
  'unknownFutureValue',
];

const isObject = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === 'object' && !Array.isArray(v);

/** `/communications/calls/{id}[/participants|/operations/{opId}|/contentSharingSessions]`, also the older `/app/calls/…`. */
export function parseResource(url: unknown): ResourceRef | undefined {
  if (typeof url !== 'string' || url === '') return undefined;
  const path = url.replace(/^https?:\/\/[^/]+/, '').replace(/^\/(v1\.0|beta)\//, '/');
  const m = /^\/(?:communications|app)\/calls\/([^/]+)(?:\/(participants|operations|contentSharingSessions)(?:\/.*)?)?\/?$/i.exec(path);
  if (!m) return undefined;
  let callId: string;
  try {
    callId = decodeURIComponent(m[1]);
  } catch {
    return undefined; // a malformed percent-escape names no call
  }
  const sub = m[2]?.toLowerCase();
  const kind = sub === 'participants' ? 'participants' : sub === 'contentsharingsessions' ? 'contentSharingSessions' : sub ? 'operation' : 'call';
  return { callId, kind };
}

/**
 * Why a notification cannot be applied, or undefined when its shape is one Graph sends. A
 * notification is checked whole before any of it is applied, so a malformed one changes nothing.
 */
export function notificationProblem(n: CommsNotification, ref: ResourceRef | undefined): string | undefined {
  if (!CHANGE_TYPES.includes(n.changeType)) return `changeType '${String(n.changeType)}' is not one of ${CHANGE_TYPES.join(', ')}`;
  if (!ref) return `resource '${String(n.resourceUrl ?? n.resource)}' is not a call, its participants, an operation or its content sharing sessions`;
  const data = n.resourceData;
  switch (ref.kind) {
    case 'operation':
      if (!isObject(data) || typeof data.id !== 'string') return 'an operation notification needs resourceData with a string id';
      if (data.status !== undefined && data.status !== null && typeof data.status !== 'string') return 'operation status must be a string';
      return undefined;
    case 'contentSharingSessions': {
      const entries = Array.isArray(data) ? data : [data];
      const bad = entries.findIndex((e) => !isObject(e) || typeof e.id !== 'string' || e.id === '');
      return bad >= 0 ? `content sharing session ${bad} has no id` : undefined;
    }
    case 'participants': {
      const entries = Array.isArray(data) ? data : [data];
      const bad = entries.findIndex((e) => !isObject(e) || !participantId(e));
      return bad >= 0 ? `participant ${bad} has no id (resourceData must be participants with an id or info.participantId)` : undefined;
    }
    case 'call':
      if (data === undefined || data === null) return undefined;
      if (!isObject(data)) return 'a call notification needs an object as resourceData';
      if (data.state !== undefined && data.state !== null && !CALL_STATES.includes(data.state as CallState)) {
        return `call state '${String(data.state)}' is not a Graph callState`;
      }
      return undefined;
  }
}

function participantId(p: Record<string, unknown>): string | undefined {
  if (typeof p.id === 'string' && p.id !== '') return p.id;
  const info = p.info;
  return isObject(info) && typeof info.participantId === 'string' && info.participantId !== '' ? info.participantId : undefined;
}
