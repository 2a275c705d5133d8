import { EventEmitter } from 'events';
import type { IncomingMessage, RequestListener, ServerResponse } from 'http';
import type { JWTPayload } from 'jose';
import { NotificationAuthError, type NotificationVerifier } from './NotificationVerifier';
import type { CommsNotification } from './types';

const MAX_BODY_BYTES = 1 << 20;

export interface WebhookRejection {
  status: number;
  reason: string;
  message: string;
}

/**
 * The bot's notification endpoint as a plain `http.RequestListener`: use it with
 * `http.createServer(receiver.listener)`, or mount it in express (`app.post(path, receiver.listener)`,
 * with or without a JSON body parser before it) or fastify (hand it `request.raw`/`reply.raw`).
 *
 * The bearer token is verified before the body is even read; a bad token gets 401 and nothing
 * reaches `onNotifications`. Accepted notifications are answered 202 once they were applied.
 * When the signing keys cannot be fetched it answers 503, so the sender retries later.
 *
 * Events: 'accepted' (CommsNotification[], claims), 'rejected' (WebhookRejection).
 */
export class WebhookReceiver extends EventEmitter {
  readonly listener: RequestListener;

  constructor(
    private readonly verifier: NotificationVerifier,
    private readonly onNotifications: (notifications: CommsNotification[], claims: JWTPayload) => void,
  ) {
    super();
    this.listener = (req, res) => void this.handle(req, res);
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    if (req.method !== 'POST') {
      return this.reject(req, res, { status: 405, reason: 'method', message: `${req.method} not allowed; notifications are POSTed` });
    }
    let claims: JWTPayload;
    try {
      claims = await this.verifier.verify(req.headers.authorization);
    } catch (err) {
      const e = err instanceof NotificationAuthError ? err : new NotificationAuthError('malformed', String(err));
      const status = e.reason === 'keysUnavailable' ? 503 : 401;
      return this.reject(req, res, { status, reason: e.reason, message: e.message });
    }
    let body: unknown;
    try {
      body = await readJson(req);
    } catch (err) {
      return this.reject(req, res, { status: 400, reason: 'body', message: (err as Error).message });
    }
    const value = (body as { value?: unknown } | null)?.value;
    if (!Array.isArray(value) || value.some((n) => !n || typeof n !== 'object' || typeof (n as { changeType?: unknown }).changeType !== 'string')) {
      return this.reject(req, res, { status: 400, reason: 'body', message: 'body is not a commsNotifications object' });
    }
    try {
      this.onNotifications(value as CommsNotification[], claims);
    } catch (err) {
      // A bug in the bot's own handlers must not make the service redeliver forever.
      this.emit('warning', err);
    }
    this.emit('accepted', value, claims);
    res.writeHead(202, { 'Content-Length': 0 });
    res.end();
  }

  private reject(req: IncomingMessage, res: ServerResponse, rejection: WebhookRejection): void {
    this.emit('rejected', rejection);
    req.resume();
    const code = rejection.status === 401 ? 'unauthenticated' : rejection.status === 503 ? 'serviceNotAvailable' : 'invalidRequest';
    const text = JSON.stringify({ error: { code, message: rejection.message } });
    const headers: Record<string, string | number> = { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(text) };
    if (rejection.status === 401) headers['WWW-Authenticate'] = 'Bearer error="invalid_token"';
    res.writeHead(rejection.status, headers);
    res.end(text);
  }
}

/** The JSON body, whether a framework already parsed it (`req.body`) or it is still unread. */
async function readJson(req: IncomingMessage): Promise<unknown> {
  const parsed = (req as IncomingMessage & { body?: unknown }).body;
  if (parsed !== undefined && parsed !== null) {
    if (Buffer.isBuffer(parsed)) return JSON.parse(parsed.toString('utf8'));
    if (typeof parsed === 'string') return JSON.parse(parsed);
    if (typeof parsed === 'object' && Object.keys(parsed).length > 0) return parsed;
  }
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > MAX_BODY_BYTES) throw new Error(`body exceeds ${MAX_BODY_BYTES} bytes`);
    chunks.push(chunk as Buffer);
  }
  const text = Buffer.concat(chunks).toString('utf8');
  try {
    return JSON.parse(text);
  } catch (err) {
    throw new Error(`body is not JSON: ${(err as Error).message}`);
  }
}
