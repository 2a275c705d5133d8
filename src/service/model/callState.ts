import type { CallState } from '@microsoft/microsoft-graph-types';
import { GraphError } from './GraphError';

/**
 * The call state machine the service runs:
 *
 *   incoming → establishing → established ⇄ hold
 *                                  │ → transferring → transferAccepted → terminated
 *                                  │        └→ established (transfer failed)
 *   any live state → terminating → terminated;  incoming/establishing → terminated directly
 *   (rejected, redirected, not answered, target declined).
 */
const TRANSITIONS: Readonly<Record<string, readonly CallState[]>> = {
  incoming: ['establishing', 'terminated'],
  establishing: ['established', 'terminating', 'terminated'],
  established: ['hold', 'transferring', 'terminating', 'terminated'],
  hold: ['established', 'terminating', 'terminated'],
  transferring: ['transferAccepted', 'established', 'terminating', 'terminated'],
  transferAccepted: ['terminating', 'terminated'],
  terminating: ['terminated'],
  terminated: [],
};

export function canTransition(from: CallState, to: CallState): boolean {
  return (TRANSITIONS[from] ?? []).includes(to);
}

/** The actions of the Graph API and the states that allow each. */
export type CallAction =
  | 'answer'
  | 'reject'
  | 'redirect'
  | 'transfer'
  | 'keepAlive'
  | 'delete'
  | 'mute'
  | 'unmute'
  | 'updateRecordingStatus'
  | 'changeScreenSharingRole'
  | 'playPrompt'
  | 'recordResponse'
  | 'subscribeToTone'
  | 'cancelMediaProcessing'
  | 'sendDtmfTones'
  | 'audioRoutingGroups'
  | 'holdMusic'
  | 'updateMetadata'
  | 'listParticipants'
  | 'invite'
  | 'muteAll'
  | 'muteParticipant'
  | 'removeParticipant';

const IN_CALL: readonly CallState[] = ['established', 'hold'];
const LIVE: readonly CallState[] = ['incoming', 'establishing', 'established', 'hold', 'transferring', 'transferAccepted'];

const ALLOWED: Readonly<Record<CallAction, readonly CallState[]>> = {
  answer: ['incoming'],
  reject: ['incoming'],
  redirect: ['incoming'],
  transfer: ['established'],
  keepAlive: [...LIVE, 'terminating'],
  delete: LIVE,
  mute: IN_CALL,
  unmute: IN_CALL,
  updateRecordingStatus: IN_CALL,
  changeScreenSharingRole: IN_CALL,
  playPrompt: IN_CALL,
  recordResponse: IN_CALL,
  subscribeToTone: IN_CALL,
  cancelMediaProcessing: IN_CALL,
  sendDtmfTones: IN_CALL,
  audioRoutingGroups: IN_CALL,
  holdMusic: IN_CALL,
  updateMetadata: IN_CALL,
  listParticipants: [...LIVE, 'terminating'],
  invite: IN_CALL,
  muteAll: IN_CALL,
  muteParticipant: IN_CALL,
  removeParticipant: IN_CALL,
};

/** Throws the 409 Graph answers when the call's state forbids the action. */
export function assertActionAllowed(action: CallAction, state: CallState): void {
  const allowed = ALLOWED[action];
  if (!allowed.includes(state)) {
    throw GraphError.conflict(
      `${action} is not allowed while the call is '${state}' (allowed in: ${allowed.join(', ')})`,
    );
  }
}
