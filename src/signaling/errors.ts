import type { ResultInfo } from '@microsoft/microsoft-graph-types';

/** Stable error codes: branch on `code`, never on the message. */
export type CommunicationsErrorCode =
  | 'GRAPH_REQUEST_FAILED' // the service answered non-2xx; see statusCode and graphError
  | 'OPERATION_FAILED' // the operation's notification said failed; see resultInfo
  | 'TRANSFER_FAILED' // the call went back to established with a failure resultInfo
  | 'CALL_TERMINATED' // the call ended before the action completed; see resultInfo
  | 'TIMEOUT' // no notification settled the action in time
  | 'INVALID_ARGUMENT'
  | 'AUTHENTICATION_FAILED' // no access token: the token endpoint refused the app's credentials or was unreachable
  | 'MALFORMED_NOTIFICATION'; // a verified notification whose shape Graph never sends; dropped whole

export interface GraphErrorDetail {
  code: string;
  message: string;
  innerError?: Record<string, unknown>;
}

export class CommunicationsError extends Error {
  readonly code: CommunicationsErrorCode;
  /** What Graph reported about the failed operation or ended call. */
  readonly resultInfo?: ResultInfo;
  /** HTTP status and Graph's error body, for GRAPH_REQUEST_FAILED. */
  readonly statusCode?: number;
  readonly graphError?: GraphErrorDetail;

  constructor(
    code: CommunicationsErrorCode,
    message: string,
    details: { resultInfo?: ResultInfo | null; statusCode?: number; graphError?: GraphErrorDetail; cause?: unknown } = {},
  ) {
    super(message, details.cause === undefined ? undefined : { cause: details.cause });
    this.name = 'CommunicationsError';
    this.code = code;
    if (details.resultInfo) this.resultInfo = details.resultInfo;
    if (details.statusCode !== undefined) this.statusCode = details.statusCode;
    if (details.graphError) this.graphError = details.graphError;
  }
}

export function describeResult(info: ResultInfo | null | undefined): string {
  if (!info) return 'no resultInfo';
  return `${info.code ?? '?'}/${info.subcode ?? '?'}${info.message ? ` ${info.message}` : ''}`;
}
