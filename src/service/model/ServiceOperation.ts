import type { ResultInfo } from '@microsoft/microsoft-graph-types';
import { randomUUID } from 'crypto';

/** Operation status as Graph writes it on the wire (lower camel case). */
export type OperationStatus = 'notStarted' | 'running' | 'completed' | 'failed';

/** The Graph `commsOperation` subtypes the service creates. */
export type OperationType =
  | 'commsOperation'
  | 'playPromptOperation'
  | 'recordOperation'
  | 'subscribeToToneOperation'
  | 'cancelMediaProcessingOperation'
  | 'sendDtmfTonesOperation'
  | 'startHoldMusicOperation'
  | 'stopHoldMusicOperation'
  | 'muteParticipantOperation'
  | 'unmuteParticipantOperation'
  | 'updateRecordingStatusOperation'
  | 'inviteParticipantsOperation';

export interface ServiceOperation {
  id: string;
  type: OperationType;
  status: OperationStatus;
  clientContext: string | null;
  resultInfo: ResultInfo | null;
  /** Subtype properties: `participants` (invite), `recordingLocation`, `completionReason`, … */
  extra: Record<string, unknown>;
}

/** Result infos the service reports; the codes and messages follow Graph's documented examples. */
export const RESULTS = {
  success: { code: 200, subcode: 0, message: 'Action completed successfully.' },
  cancelled: { code: 400, subcode: 8508, message: 'Action failed, the operation was cancelled.' },
  maxRecordDurationReached: { code: 200, subcode: 8515, message: 'Action completed, max record duration reached.' },
} as const satisfies Record<string, ResultInfo>;

export function newOperation(type: OperationType, clientContext: unknown, extra: Record<string, unknown> = {}): ServiceOperation {
  return {
    id: randomUUID(),
    type,
    status: 'running',
    clientContext: typeof clientContext === 'string' ? clientContext : null,
    resultInfo: null,
    extra,
  };
}

export function operationToGraph(op: ServiceOperation): Record<string, unknown> {
  return {
    '@odata.type': `#microsoft.graph.${op.type}`,
    id: op.id,
    status: op.status,
    clientContext: op.clientContext,
    resultInfo: op.resultInfo ? { '@odata.type': '#microsoft.graph.resultInfo', ...op.resultInfo } : null,
    ...op.extra,
  };
}

export function isTerminal(status: OperationStatus): boolean {
  return status === 'completed' || status === 'failed';
}
