import type { ServerResponse } from 'http';
import { randomUUID } from 'crypto';
import type { GraphError } from '../model/GraphError';

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

export function sendGraphError(res: ServerResponse, err: GraphError, requestId: string = randomUUID(), clientRequestId?: string): void {
  sendJson(res, err.status, graphErrorBody(err.code, err.message, requestId, clientRequestId), {
    'request-id': requestId,
    'client-request-id': clientRequestId ?? requestId,
  });
}
