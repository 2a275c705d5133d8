import * as http from 'http';
import { randomUUID } from 'crypto';
import type { AddressInfo } from 'net';
import { createLocalJWKSet, jwtVerify, type JWTPayload } from 'jose';
import { startService, type RunningService, type StartServiceOptions } from '../../src/service';
import { ClientCredentialsTokenProvider, CommunicationsClient, DEFAULT_TENANT_ID, type Call, type CommsNotification, type CommunicationsClientOptions, type WebhookRejection } from '../../src/signaling';

/** A JSON answer from the service. */
export interface JsonResponse<T = any> {
  status: number;
  headers: Headers;
  body: T;
}

export async function jsonFetch<T = any>(method: string, url: string, body?: unknown, headers: Record<string, string> = {}): Promise<JsonResponse<T>> {
  const init: RequestInit = { method, headers: { ...headers } };
  if (body !== undefined) {
    init.body = typeof body === 'string' ? body : JSON.stringify(body);
    (init.headers as Record<string, string>)['Content-Type'] = 'application/json';
  }
  const res = await fetch(url, init);
  const text = await res.text();
  let parsed: unknown = undefined;
  if (text) {
    try {
      parsed = JSON.parse(text);
    } catch {
      parsed = text;
    }
  }
  return { status: res.status, headers: res.headers, body: parsed as T };
}

/** The service's admin API. */
export class Admin {
  constructor(readonly url: string) {}
  post<T = any>(path: string, body?: unknown) {
    return jsonFetch<T>('POST', this.url + path, body ?? {});
  }
  get<T = any>(path: string) {
    return jsonFetch<T>('GET', this.url + path);
  }
  delete<T = any>(path: string) {
    return jsonFetch<T>('DELETE', this.url + path);
  }
  /** Makes `from` call the bot; returns the new call's id. */
  async ring(appId: string, from = 'Alice', extra: Record<string, unknown> = {}): Promise<string> {
    const res = await this.post('/admin/calls/incoming', { from: { displayName: from }, toAppId: appId, ...extra });
    if (res.status !== 201) throw new Error(`ring failed: ${res.status} ${JSON.stringify(res.body)}`);
    return res.body.id as string;
  }
  async call(id: string): Promise<any> {
    return (await this.get(`/admin/calls/${id}`)).body;
  }
}

/**
 * Registers `appId` with the service's authority (every permission unless `roles` says) and
 * returns its client secret. Registering the same app again changes its roles and keeps the
 * secret, so a test can start the same bot twice.
 */
export async function registerApp(serviceUrl: string, appId: string, roles?: string[]): Promise<string> {
  const secret = `test-secret-${appId}`.padEnd(24, '.');
  const admin = new Admin(serviceUrl);
  const res = await admin.post('/admin/apps', { appId, secret, roles });
  if (res.status === 409) {
    if (roles) await jsonFetch('PATCH', `${serviceUrl}/admin/apps/${encodeURIComponent(appId)}`, { roles });
  } else if (res.status !== 201) {
    throw new Error(`app registration failed: ${res.status} ${JSON.stringify(res.body)}`);
  }
  return secret;
}

/** An access token for `appId` from the service's token endpoint (registering the app first). */
export async function accessToken(serviceUrl: string, appId: string, roles?: string[]): Promise<string> {
  const key = `${serviceUrl} ${appId} ${JSON.stringify(roles ?? null)}`;
  let provider = tokenProviders.get(key);
  if (!provider) {
    const secret = await registerApp(serviceUrl, appId, roles);
    provider = new ClientCredentialsTokenProvider({ authorityUrl: serviceUrl, tenantId: DEFAULT_TENANT_ID, clientId: appId, clientSecret: secret });
    tokenProviders.set(key, provider);
  }
  return provider.getAccessToken();
}
const tokenProviders = new Map<string, ClientCredentialsTokenProvider>();

/** `Authorization` header for raw Graph requests as `appId`. */
export async function bearer(serviceUrl: string, appId: string, roles?: string[]): Promise<Record<string, string>> {
  return { Authorization: `Bearer ${await accessToken(serviceUrl, appId, roles)}` };
}

/**
 * A raw request to the service's Graph API, with a valid token for the app the request is about:
 * the body's `source` application for a new call, the call's own app for `/calls/{id}/…`, else
 * `test-app`. For tests of bodies, paths and states; token checks have tests of their own.
 */
export async function graphFetch<T = any>(method: string, url: string, body?: unknown, headers: Record<string, string> = {}): Promise<JsonResponse<T>> {
  if (headers.Authorization) return jsonFetch<T>(method, url, body, headers);
  return jsonFetch<T>(method, url, body, { ...(await graphAuth(url, body)), ...headers });
}

/** The `Authorization` header graphFetch would send for this request (none for URLs outside Graph). */
export async function graphAuth(url: string, body?: unknown): Promise<Record<string, string>> {
  const m = /^(https?:\/\/[^/]+)\/(?:v1\.0|beta)\/(.*)$/.exec(url);
  if (!m) return {};
  const [, base, rest] = m;
  const callId = /^communications\/calls\/([^/?]+)/.exec(rest)?.[1];
  let appId: string | undefined;
  if (callId) appId = (await new Admin(base).call(callId))?.appId;
  if (!appId && body && typeof body === 'object') appId = (body as any).source?.identity?.application?.id;
  return bearer(base, typeof appId === 'string' && appId ? appId : 'test-app');
}

/** A bot process: a CommunicationsClient behind its own webhook server, which can go down and come back. */
export interface BotUnderTest {
  appId: string;
  client: CommunicationsClient;
  callbackUri: string;
  port: number;
  /** Authorization header of every request that reached the webhook. */
  authorizations: string[];
  accepted: CommsNotification[];
  rejected: WebhookRejection[];
  /** The process "dies": the server closes and drops its connections. */
  stop(): Promise<void>;
  /** The process is back, on the same port. */
  start(): Promise<void>;
  close(): Promise<void>;
}

export async function startBot(serviceUrl: string, appId: string = randomUUID(), options: Partial<CommunicationsClientOptions> = {}): Promise<BotUnderTest> {
  let listener: http.RequestListener = (_req, res) => res.end();
  const authorizations: string[] = [];
  const handler: http.RequestListener = (req, res) => {
    authorizations.push(req.headers.authorization ?? '');
    listener(req, res);
  };
  let server = http.createServer(handler);
  await listen(server, 0);
  const port = (server.address() as AddressInfo).port;
  const callbackUri = `http://127.0.0.1:${port}/api/calls`;
  const credentials = options.tokenProvider || options.credential ? {} : { appSecret: await registerApp(serviceUrl, appId) };
  const client = new CommunicationsClient({ appId, callbackUri, baseUrl: serviceUrl, operationTimeoutMs: 10_000, ...credentials, ...options });
  listener = client.webhook;
  const accepted: CommsNotification[] = [];
  const rejected: WebhookRejection[] = [];
  client.receiver.on('accepted', (list: CommsNotification[]) => accepted.push(...list));
  client.on('rejectedNotification', (r: WebhookRejection) => rejected.push(r));
  let running = true;
  const bot: BotUnderTest = {
    appId,
    client,
    callbackUri,
    port,
    authorizations,
    accepted,
    rejected,
    async stop() {
      if (!running) return;
      running = false;
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
    },
    async start() {
      if (running) return;
      server = http.createServer(handler);
      await listen(server, port);
      running = true;
    },
    close() {
      return bot.stop();
    },
  };
  return bot;
}

function listen(server: http.Server, port: number): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
}

/** A service and one bot registered with it. */
export interface Stack {
  svc: RunningService;
  admin: Admin;
  bot: BotUnderTest;
  close(): Promise<void>;
}

export async function startStack(serviceOptions: StartServiceOptions = {}, botOptions: Partial<CommunicationsClientOptions> = {}): Promise<Stack> {
  const svc = await startService({ port: 0, retry: { baseDelayMs: 50, maxDelayMs: 400, maxAttempts: 20 }, ...serviceOptions });
  const admin = new Admin(svc.url);
  const bot = await startBot(svc.url, undefined, botOptions);
  const reg = await admin.post('/admin/bots', { appId: bot.appId, callbackUri: bot.callbackUri, displayName: 'Test bot' });
  if (reg.status !== 201) throw new Error(`bot registration failed: ${reg.status}`);
  return {
    svc,
    admin,
    bot,
    async close() {
      await bot.close();
      await svc.close();
    },
  };
}

/** Rings the stack's bot and answers with app-hosted media; resolves once every notification went out. */
export async function answeredCall(stack: Stack, from = 'Alice', extra: Record<string, unknown> = {}): Promise<Call> {
  const incoming = stack.bot.client.waitForIncomingCall();
  await stack.admin.ring(stack.bot.appId, from, extra);
  const call = await incoming;
  await call.answer({ mediaConfig: APP_HOSTED });
  await stack.svc.service.dispatcher.idle();
  return call;
}

/** Verifies every captured bearer token against the service's published keys. */
export async function verifyTokens(serviceUrl: string, appId: string, authorizations: string[]): Promise<JWTPayload[]> {
  const config = (await jsonFetch('GET', `${serviceUrl}/.well-known/openid-configuration`)).body;
  const jwks = createLocalJWKSet((await jsonFetch('GET', config.jwks_uri)).body);
  const out: JWTPayload[] = [];
  for (const header of authorizations) {
    const token = /^Bearer (.+)$/.exec(header)?.[1];
    if (!token) throw new Error(`request without a bearer token: '${header}'`);
    const { payload } = await jwtVerify(token, jwks, { issuer: config.issuer, audience: appId, algorithms: ['RS256'] });
    out.push(payload);
  }
  return out;
}

/** Polls until `check` returns a truthy value. */
export async function eventually<T>(check: () => T | Promise<T>, what: string, timeoutMs = 5000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await check();
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(10);
  }
}

export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

export const APP_HOSTED = { '@odata.type': '#microsoft.graph.appHostedMediaConfig', blob: '{"mediaConfiguration":"test"}' } as const;
export const SERVICE_HOSTED = { '@odata.type': '#microsoft.graph.serviceHostedMediaConfig' } as const;

export function user(displayName: string, id: string = randomUUID()) {
  return { '@odata.type': '#microsoft.graph.invitationParticipantInfo', identity: { user: { id, displayName } } };
}

/** What a recording webhook received. */
export interface Received {
  path: string;
  authorization: string;
  body: any;
  at: number;
}

/**
 * A bare webhook that records every POST and answers what `respond` says (default 202): a
 * stand-in for a bot when testing the service alone.
 */
export interface Recorder {
  url: string;
  port: number;
  received: Received[];
  respond: (r: Received, index: number) => number | { status: number; headers?: Record<string, string> };
  /** Notifications (value[0]) received so far. */
  notifications(): any[];
  close(): Promise<void>;
}

export async function startRecorder(port = 0): Promise<Recorder> {
  const received: Received[] = [];
  const recorder: Recorder = {
    url: '',
    port: 0,
    received,
    respond: () => 202,
    notifications: () => received.map((r) => r.body?.value?.[0]),
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => {
      let body: unknown;
      try {
        body = JSON.parse(Buffer.concat(chunks).toString('utf8'));
      } catch {
        body = undefined;
      }
      const r: Received = { path: req.url ?? '/', authorization: req.headers.authorization ?? '', body, at: Date.now() };
      received.push(r);
      const answer = recorder.respond(r, received.length - 1);
      const { status, headers } = typeof answer === 'number' ? { status: answer, headers: {} } : answer;
      res.writeHead(status, headers);
      res.end();
    });
  });
  await listen(server, port);
  recorder.port = (server.address() as AddressInfo).port;
  recorder.url = `http://127.0.0.1:${recorder.port}/callback`;
  return recorder;
}

/** A short summary of a notification: `call:established`, `roster:3`, `op:completed`. */
export function summarize(n: any): string {
  const url: string = n.resourceUrl;
  if (url.endsWith('/participants')) return `roster:${n.resourceData.length}`;
  if (url.includes('/operations/')) return `op:${n.resourceData.status}`;
  return `call:${n.resourceData.state}${n.resourceData.toneInfo ? `:${n.resourceData.toneInfo.tone}` : ''}`;
}
