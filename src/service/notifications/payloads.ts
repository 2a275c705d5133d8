import type { ChangeType } from '@microsoft/microsoft-graph-types';
import type { ServiceCall } from '../model/ServiceCall';
import { operationToGraph, type ServiceOperation } from '../model/ServiceOperation';

/** One `commsNotification` as Graph posts it. */
export interface CommsNotificationJson {
  '@odata.type': '#microsoft.graph.commsNotification';
  changeType: ChangeType;
  resource: string;
  resourceUrl: string;
  resourceData: unknown;
}

/** The body POSTed to a call's callbackUri. */
export interface CommsNotificationsJson {
  '@odata.type': '#microsoft.graph.commsNotifications';
  value: CommsNotificationJson[];
}

function envelope(changeType: ChangeType, resourceUrl: string, resourceData: unknown): CommsNotificationsJson {
  return {
    '@odata.type': '#microsoft.graph.commsNotifications',
    value: [{ '@odata.type': '#microsoft.graph.commsNotification', changeType, resource: resourceUrl, resourceUrl, resourceData }],
  };
}

/** The call resource changed: `created` (incoming), `updated` (state, tones), `deleted` (ended). */
export function callNotification(call: ServiceCall, changeType: ChangeType, extra: Record<string, unknown> = {}): CommsNotificationsJson {
  return envelope(changeType, `/communications/calls/${call.id}`, { ...call.toGraph(), ...extra });
}

/** The roster changed; like Graph without delta rosters, the whole roster is sent each time. */
export function rosterNotification(call: ServiceCall): CommsNotificationsJson {
  const sequence = call.nextRosterSequence();
  const roster = call.rosterToGraph().map((p) => ({ ...p, rosterSequenceNumber: sequence }));
  return envelope('updated', `/communications/calls/${call.id}/participants`, roster);
}

/** A participant started (`created`) or stopped (`deleted`) sharing content: Graph's contentSharingSession. */
export function contentSharingNotification(call: ServiceCall, changeType: 'created' | 'deleted', sessionIds: string[]): CommsNotificationsJson {
  return envelope(changeType, `/communications/calls/${call.id}/contentSharingSessions`, sessionIds.map(contentSharingSessionToGraph));
}

export function contentSharingSessionToGraph(id: string): { '@odata.type': string; id: string } {
  return { '@odata.type': '#microsoft.graph.contentSharingSession', id };
}

/** An operation changed; a finished operation is `deleted`, as Graph reports it. */
export function operationNotification(call: ServiceCall, op: ServiceOperation): CommsNotificationsJson {
  const finished = op.status === 'completed' || op.status === 'failed';
  return envelope(finished ? 'deleted' : 'updated', `/communications/calls/${call.id}/operations/${op.id}`, operationToGraph(op));
}
