import type { ServerResponse } from 'http';
import { randomUUID } from 'crypto';

/**
 * Error codes the service answers with. They are the generic codes of Graph's error reference,
 * so a bot's error handling written against Graph branches the same way here.
 */
export type GraphErrorCode =
  | 'malformedRequest' // body is not JSON
  | 'invalidRequest' // JSON, but a field is missing or wrong
  | 'BadRequest' // refused before the body is read as a resource: Content-Type, @odata.type (Graph's OData layer names it so)
  | 'InvalidAuthenticationToken' // no token, or one the authority did not issue for Graph (401)
  | 'accessDenied' // a valid token without the permission the action needs, or another app's call (403)
  | 'itemNotFound'
  | 'notAllowed' // the call's state forbids the action
  | 'notSupported'
  | 'requestTooLarge'
  | 'generalException';

/** A failure that the REST layer turns into Graph's error body with the given HTTP status. */
export class GraphHttpError extends Error {
  constructor(
    readonly status: number,
    readonly code: GraphErrorCode,
    message: string,
  ) {
    super(message);
    this.name = 'GraphHttpError';
  }

  static badRequest(message: string): GraphHttpError {
    return new GraphHttpError(400, 'invalidRequest', message);
  }

  static notFound(message: string): GraphHttpError {
    return new GraphHttpError(404, 'itemNotFound', message);
  }

  static conflict(message: string): GraphHttpError {
    return new GraphHttpError(409, 'notAllowed', message);
  }
}

/** Graph's error body: `{ error: { code, message, innerError: { date, request-id, client-request-id } } }`. */
export interface GraphErrorBody {
  error: {
    code: string;
    message: string;
    innerError: { date: string; 'request-id': string; 'client-request-id': string };
  };
}

export function graphErrorBody(code: string, message: string, requestId: string, clientRequestId?: string): GraphErrorBody {
  return {
    error: {
      code,
      message,
      innerError: {
        date: new Date().toISOString().replace(/\.\d{3}Z$/, 'Z'),
        'request-id': requestId,
        'client-request-id': clientRequestId ?? requestId,
      },
    },
  };
}

export function sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    'Content-Type': 'application/json; charset=utf-8',
    'Content-Length': Buffer.byteLength(text),
    ...headers,
  });
  res.end(text);
}

export function sendEmpty(res: ServerResponse, status: number, headers: Record<string, string> = {}): void {
  res.writeHead(status, { 'Content-Length': 0, ...headers });
  res.end();
}

export function sendGraphError(res: ServerResponse, err: GraphHttpError, requestId: string = randomUUID(), clientRequestId?: string): void {
  sendJson(res, err.status, graphErrorBody(err.code, err.message, requestId, clientRequestId), {
    'request-id': requestId,
    'client-request-id': clientRequestId ?? requestId,
  });
}
