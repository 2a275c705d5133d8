import { strict as assert } from 'assert';
import * as http from 'http';
import { generateKeyPairSync } from 'crypto';
import type { AddressInfo } from 'net';
import { SignJWT } from 'jose';
import { CommunicationsClient, type Call, type CommsNotification } from '../../src/signaling';
import { answeredCall, jsonFetch, startStack, type Stack } from '../service/harness';

/**
 * Notifications that would end the call or add a participant, posted straight to the bot's
 * webhook with good and bad tokens: only a valid token may change anything.
 */
describe('WebhookReceiver: token verification before any state change', () => {
  let stack: Stack;
  let call: Call;
  let seen: CommsNotification[];

  beforeEach(async () => {
    stack = await startStack();
    call = await answeredCall(stack);
    seen = [];
    stack.bot.client.on('notification', (n: CommsNotification) => seen.push(n));
  });
  afterEach(async () => {
    await stack.close();
  });

  const endCall = () => ({
    '@odata.type': '#microsoft.graph.commsNotifications',
    value: [{ changeType: 'deleted', resourceUrl: `/communications/calls/${call.id}`, resourceData: { '@odata.type': '#microsoft.graph.call', state: 'terminated' } }],
  });
  const addMallory = () => ({
    value: [
      {
        changeType: 'updated',
        resourceUrl: `/communications/calls/${call.id}/participants`,
        resourceData: [...call.participants.values()].map((p) => p.resource).concat([{ id: 'mallory', info: { identity: { user: { id: 'm', displayName: 'Mallory' } } } }]),
      },
    ],
  });

  function post(body: unknown, authorization?: string) {
    return jsonFetch('POST', stack.bot.callbackUri, body, authorization ? { Authorization: authorization } : {});
  }

  function sign(times: { iat?: number; nbf?: number; exp?: number } = {}, audience = stack.bot.appId, issuer = stack.svc.service.issuer) {
    return stack.svc.service.tokens.sign(issuer, audience, times);
  }

  async function foreignKeyToken(kid: string): Promise<string> {
    const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const now = Math.floor(Date.now() / 1000);
    return new SignJWT({})
      .setProtectedHeader({ alg: 'RS256', kid })
      .setIssuer(stack.svc.service.issuer)
      .setAudience(stack.bot.appId)
      .setIssuedAt(now)
      .setExpirationTime(now + 600)
      .sign(privateKey);
  }

  function unsignedToken(): string {
    const enc = (o: object) => Buffer.from(JSON.stringify(o)).toString('base64url');
    const now = Math.floor(Date.now() / 1000);
    return `${enc({ alg: 'none', typ: 'JWT' })}.${enc({ iss: stack.svc.service.issuer, aud: stack.bot.appId, iat: now, exp: now + 600 })}.`;
  }

  async function assertRefused(authorization: string | undefined, reasons: string[]): Promise<void> {
    const before = { state: call.state, history: [...call.stateHistory], roster: [...call.participants.keys()] };
    const rejectedBefore = stack.bot.rejected.length;
    for (const body of [endCall(), addMallory()]) {
      const res = await post(body, authorization);
      assert.equal(res.status, 401, `status for ${authorization?.slice(0, 30)}`);
      assert.equal(res.body.error.code, 'unauthenticated');
      assert.match(res.headers.get('www-authenticate') ?? '', /^Bearer error="invalid_token"/);
    }
    const rejections = stack.bot.rejected.slice(rejectedBefore);
    assert.equal(rejections.length, 2);
    for (const r of rejections) assert.ok(reasons.includes(r.reason), `reason '${r.reason}' (${r.message}) not in ${reasons.join(', ')}`);
    assert.equal(call.state, before.state);
    assert.deepEqual(call.stateHistory, before.history);
    assert.deepEqual([...call.participants.keys()], before.roster);
    assert.equal(seen.length, 0, 'nothing reached the client');
  }

  it('refuses a missing or non-bearer token', async () => {
    await assertRefused(undefined, ['missing']);
    await assertRefused('Basic dXNlcjpwYXNz', ['missing']);
    await assertRefused('Bearer not-a-jwt', ['malformed']);
  });

  it('refuses a token signed by another key (forged), with or without a known key id', async () => {
    await assertRefused(`Bearer ${await foreignKeyToken(stack.svc.service.tokens.kid)}`, ['signature']);
    await assertRefused(`Bearer ${await foreignKeyToken('unknown-key')}`, ['signature']);
    const valid = await sign();
    const [h, p, s] = valid.split('.');
    const payload = JSON.parse(Buffer.from(p, 'base64url').toString());
    const tampered = Buffer.from(JSON.stringify({ ...payload, aud: 'x' })).toString('base64url');
    await assertRefused(`Bearer ${h}.${tampered}.${s}`, ['signature']);
  });

  it('refuses an unsigned token', async () => {
    await assertRefused(`Bearer ${unsignedToken()}`, ['signature', 'malformed']);
  });

  it('refuses an expired token and one not yet valid', async () => {
    const now = Math.floor(Date.now() / 1000);
    await assertRefused(`Bearer ${await sign({ iat: now - 7200, exp: now - 3600 })}`, ['expired']);
    await assertRefused(`Bearer ${await sign({ iat: now, nbf: now + 3600, exp: now + 7200 })}`, ['notYetValid']);
  });

  it('refuses a token for another bot or from another issuer', async () => {
    await assertRefused(`Bearer ${await sign({}, 'some-other-app')}`, ['audience']);
    await assertRefused(`Bearer ${await sign({}, stack.bot.appId, 'https://issuer.example')}`, ['issuer']);
  });

  it('applies the same notification with a valid token', async () => {
    const res = await post(addMallory(), `Bearer ${await sign()}`);
    assert.equal(res.status, 202);
    assert.ok(call.participants.has('mallory'));
    const res2 = await post(endCall(), `Bearer ${await sign()}`);
    assert.equal(res2.status, 202);
    assert.equal(call.state, 'terminated');
  });

  it('answers 400 to a valid token with a bad body, 405 to other methods; nothing changes', async () => {
    const auth = `Bearer ${await sign()}`;
    assert.equal((await post('{"value": [', auth)).status, 400);
    assert.equal((await post({ value: 'nope' }, auth)).status, 400);
    assert.equal((await post({ value: [{ resourceUrl: 'x' }] }, auth)).status, 400);
    assert.equal((await jsonFetch('GET', stack.bot.callbackUri)).status, 405);
    assert.equal(call.state, 'established');
    assert.equal(seen.length, 0);
  });

  it('works behind a framework that already parsed the JSON body', async () => {
    const server = http.createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c) => chunks.push(c));
      req.on('end', () => {
        (req as http.IncomingMessage & { body?: unknown }).body = JSON.parse(Buffer.concat(chunks).toString());
        stack.bot.client.webhook(req, res);
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    try {
      const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
      const res = await jsonFetch('POST', url, addMallory(), { Authorization: `Bearer ${await sign()}` });
      assert.equal(res.status, 202);
      assert.ok(call.participants.has('mallory'));
    } finally {
      server.close();
    }
  });

  it('answers 503 when it cannot load the signing keys, so the service retries', async () => {
    const blind = new CommunicationsClient({
      appId: stack.bot.appId,
      callbackUri: stack.bot.callbackUri,
      baseUrl: stack.svc.url,
      appSecret: 'never-asked-for-a-token',
      notificationAuth: { issuer: stack.svc.service.issuer, jwksUri: 'http://127.0.0.1:9/keys' },
    });
    const server = http.createServer(blind.webhook);
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    try {
      const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
      const res = await jsonFetch('POST', url, endCall(), { Authorization: `Bearer ${await sign()}` });
      assert.equal(res.status, 503);
      assert.equal(blind.calls.size, 0);
    } finally {
      server.close();
    }
  });
});
