import { strict as assert } from 'assert';
import { generateKeyPairSync } from 'crypto';
import { mkdtempSync, writeFileSync } from 'fs';
import { tmpdir } from 'os';
import { join } from 'path';
import { createLocalJWKSet, decodeJwt, jwtVerify, SignJWT } from 'jose';
import { startService, type RunningService } from '../../../src/service';
import { DEFAULT_TENANT_ID } from '../../../src/signaling';
import { Admin, APP_HOSTED, SERVICE_HOSTED, eventually, jsonFetch, registerApp, sleep, startRecorder, user, type Recorder } from '../harness';

const GRAPH = 'https://graph.microsoft.com/.default';

/**
 * The service's OAuth authority (client credentials, as the identity platform serves them) and
 * the token checks of the REST API: Graph's statuses, codes and messages, and nothing changes
 * when a request is refused.
 */
describe('service/auth: the OAuth authority and the token on every Graph request', () => {
  let svc: RunningService;
  let rec: Recorder;
  let admin: Admin;
  const tokenUrl = () => `${svc.url}/${DEFAULT_TENANT_ID}/oauth2/v2.0/token`;
  const api = (path: string) => `${svc.url}/v1.0/communications/calls${path}`;

  beforeEach(async () => {
    svc = await startService({ port: 0 });
    rec = await startRecorder();
    admin = new Admin(svc.url);
  });
  afterEach(async () => {
    await svc.close();
    await rec.close();
  });

  async function requestToken(form: Record<string, string>, headers: Record<string, string> = {}) {
    const res = await fetch(tokenUrl(), { method: 'POST', headers: { 'Content-Type': 'application/x-www-form-urlencoded', ...headers }, body: new URLSearchParams(form) });
    return { status: res.status, body: (await res.json()) as any };
  }

  async function tokenFor(appId: string, roles?: string[]): Promise<string> {
    const secret = await registerApp(svc.url, appId, roles);
    const res = await requestToken({ grant_type: 'client_credentials', client_id: appId, client_secret: secret, scope: GRAPH });
    assert.equal(res.status, 200, JSON.stringify(res.body));
    return res.body.access_token;
  }

  const p2p = (appId: string, mediaConfig: object = SERVICE_HOSTED, extra: object = {}) => ({
    '@odata.type': '#microsoft.graph.call',
    callbackUri: rec.url,
    requestedModalities: ['audio'],
    mediaConfig,
    source: { identity: { application: { id: appId } } },
    targets: [user('Ann')],
    ...extra,
  });

  async function callCount(): Promise<number> {
    return (await admin.get('/admin/calls')).body.value.length;
  }

  it('issues client-credentials tokens for Graph that verify against the discovered keys', async () => {
    const secret = await registerApp(svc.url, 'bot-1', ['Calls.Initiate.All', 'Calls.AccessMedia.All']);
    const config = (await jsonFetch('GET', `${svc.url}/${DEFAULT_TENANT_ID}/v2.0/.well-known/openid-configuration`)).body;
    assert.equal(config.token_endpoint, tokenUrl());
    assert.equal(config.issuer, `${svc.url}/${DEFAULT_TENANT_ID}/v2.0`);
    const res = await requestToken({ grant_type: 'client_credentials', client_id: 'bot-1', client_secret: secret, scope: GRAPH });
    assert.equal(res.status, 200);
    assert.equal(res.body.token_type, 'Bearer');
    assert.ok(res.body.expires_in > 3000 && res.body.expires_in <= 3600);
    const jwks = createLocalJWKSet((await jsonFetch('GET', config.jwks_uri)).body);
    const { payload } = await jwtVerify(res.body.access_token, jwks, { issuer: config.issuer, audience: 'https://graph.microsoft.com' });
    assert.equal(payload.appid, 'bot-1');
    assert.equal(payload.tid, DEFAULT_TENANT_ID);
    assert.equal(payload.idtyp, 'app');
    assert.deepEqual(payload.roles, ['Calls.Initiate.All', 'Calls.AccessMedia.All']);

    // client_secret_basic (RFC 6749 §2.3.1) works as well as the form.
    const basic = Buffer.from(`bot-1:${encodeURIComponent(secret)}`).toString('base64');
    const viaBasic = await requestToken({ grant_type: 'client_credentials', scope: GRAPH }, { Authorization: `Basic ${basic}` });
    assert.equal(viaBasic.status, 200, JSON.stringify(viaBasic.body));
  });

  it('refuses bad token requests as the identity platform does', async () => {
    const secret = await registerApp(svc.url, 'bot-2');
    const good = { grant_type: 'client_credentials', client_id: 'bot-2', client_secret: secret, scope: GRAPH };
    const cases: [Record<string, string>, number, string, number][] = [
      [{ ...good, client_secret: 'not-the-secret-at-all' }, 401, 'invalid_client', 7000215],
      [{ ...good, client_id: 'nobody' }, 400, 'unauthorized_client', 700016],
      [{ ...good, grant_type: 'password' }, 400, 'unsupported_grant_type', 70003],
      [{ ...good, scope: 'https://vault.azure.net/.default' }, 400, 'invalid_scope', 1002012],
      [{ ...good, scope: 'Calls.Initiate.All' }, 400, 'invalid_scope', 1002012],
      [{ grant_type: 'client_credentials', client_id: 'bot-2', scope: GRAPH }, 401, 'invalid_client', 7000218],
    ];
    for (const [form, status, error, code] of cases) {
      const res = await requestToken(form);
      assert.equal(res.status, status, `${JSON.stringify(form)}: ${JSON.stringify(res.body)}`);
      assert.equal(res.body.error, error);
      assert.deepEqual(res.body.error_codes, [code]);
      assert.match(res.body.error_description, new RegExp(`^AADSTS${code}: `));
      assert.equal(res.body.access_token, undefined);
    }
    const otherTenant = await fetch(`${svc.url}/another-tenant/oauth2/v2.0/token`, { method: 'POST', headers: { 'Content-Type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams(good) });
    assert.equal(otherTenant.status, 400, 'the app is not registered in that tenant');
  });

  it('answers 401 InvalidAuthenticationToken to a missing, expired, foreign or forged token, and nothing changes', async () => {
    await registerApp(svc.url, 'bot-3');
    const app = svc.service.authority.apps.get('bot-3')!;
    const authority = svc.service.authority;
    const hourAgo = Math.floor(Date.now() / 1000) - 2 * 3600;
    const stranger = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey;
    const genuine = await authority.accessToken(svc.url, app);
    const claims = decodeJwt(genuine);
    const forged = await new SignJWT(claims).setProtectedHeader({ alg: 'RS256', kid: svc.service.tokens.kid }).sign(stranger);
    const [h, p] = genuine.split('.');
    const notificationToken = await svc.service.tokens.sign(svc.service.issuer, 'bot-3');
    const tokens: [string, string | undefined, RegExp][] = [
      ['none', undefined, /Access token is empty/],
      ['not a JWT', 'Bearer abc', /CompactToken parsing failed/],
      ['expired', `Bearer ${await authority.accessToken(svc.url, app, { now: hourAgo })}`, /expired/],
      ['for another audience', `Bearer ${await authority.accessToken(svc.url, app, { audience: 'api://someone-else' })}`, /Invalid audience/],
      ['a notification token replayed', `Bearer ${notificationToken}`, /Invalid (audience|issuer)/],
      ['from another issuer', `Bearer ${await authority.accessToken(svc.url, app, { issuer: 'https://login.example/t/v2.0' })}`, /Invalid issuer/],
      ['signed by another key', `Bearer ${forged}`, /Signature validation failed/],
      ['with its claims changed', `Bearer ${h}.${Buffer.from(JSON.stringify({ ...decodeJwt(genuine), roles: ['Calls.Initiate.All', 'extra'] })).toString('base64url')}.${genuine.split('.')[2]}`, /Signature validation failed/],
      ['unsigned', `Bearer ${Buffer.from(JSON.stringify({ alg: 'none' })).toString('base64url')}.${p}.`, /Signature validation failed|parsing failed/],
    ];
    const before = await callCount();
    for (const [what, authorization, message] of tokens) {
      const res = await jsonFetch('POST', api(''), p2p('bot-3'), authorization ? { Authorization: authorization } : {});
      assert.equal(res.status, 401, `${what}: ${JSON.stringify(res.body)}`);
      assert.equal(res.body.error.code, 'InvalidAuthenticationToken', what);
      assert.match(res.body.error.message, message, what);
      assert.match(res.headers.get('www-authenticate') ?? '', /^Bearer /, what);
      // Unknown paths too: the token is checked before the path.
      assert.equal((await jsonFetch('GET', `${svc.url}/v1.0/no/such/thing`, undefined, authorization ? { Authorization: authorization } : {})).status, 401, what);
    }
    // An app removed after its token was issued is refused too.
    await admin.delete('/admin/apps/bot-3');
    const removed = await jsonFetch('POST', api(''), p2p('bot-3'), { Authorization: `Bearer ${genuine}` });
    assert.equal(removed.status, 401);
    assert.match(removed.body.error.message, /not registered/);
    await sleep(50);
    assert.equal(await callCount(), before, 'no call was created');
    assert.equal(rec.received.length, 0, 'no notification was sent');
  });

  it('asks each action for the permissions Graph does (403 accessDenied), and lets the app place the call once granted', async () => {
    const attempt = async (roles: string[], body: object) => jsonFetch('POST', api(''), body, { Authorization: `Bearer ${await tokenFor('bot-4', roles)}` });
    const group = p2p('bot-4', SERVICE_HOSTED, { targets: [user('Ann'), user('Ben')] });
    const meeting = p2p('bot-4', SERVICE_HOSTED, {
      targets: undefined,
      chatInfo: { '@odata.type': '#microsoft.graph.chatInfo', threadId: '19:meeting_x@thread.v2', messageId: '0' },
      meetingInfo: { '@odata.type': '#microsoft.graph.organizerMeetingInfo', organizer: { user: { id: 'org' } } },
    });
    const refused: [string[], object, RegExp][] = [
      [[], p2p('bot-4'), /Calls\.Initiate\.All/],
      [['Calls.InitiateGroupCall.All'], p2p('bot-4'), /Calls\.Initiate\.All/],
      [['Calls.Initiate.All'], group, /Calls\.InitiateGroupCall\.All/],
      [['Calls.Initiate.All', 'Calls.InitiateGroupCall.All'], meeting, /Calls\.JoinGroupCall\.All, Calls\.JoinGroupCallAsGuest\.All/],
      [['Calls.Initiate.All'], p2p('bot-4', APP_HOSTED), /Calls\.AccessMedia\.All/],
    ];
    const before = await callCount();
    for (const [roles, body, message] of refused) {
      const res = await attempt(roles, body);
      assert.equal(res.status, 403, `${JSON.stringify(roles)}: ${JSON.stringify(res.body)}`);
      assert.equal(res.body.error.code, 'accessDenied');
      assert.match(res.body.error.message, message);
    }
    assert.equal(await callCount(), before, 'no call was created');
    for (const [roles, body] of [
      [['Calls.Initiate.All'], p2p('bot-4')],
      [['Calls.InitiateGroupCall.All'], group],
      [['Calls.JoinGroupCallAsGuest.All'], meeting],
      [['Calls.Initiate.All', 'Calls.AccessMedia.All'], p2p('bot-4', APP_HOSTED)],
    ] as [string[], object][]) {
      assert.equal((await attempt(roles, body)).status, 201, JSON.stringify(roles));
    }
  });

  it('keeps a call to its app: another app is refused, and a source naming another app too', async () => {
    const mine = await tokenFor('bot-5');
    const theirs = await tokenFor('bot-6');
    const spoofed = await jsonFetch('POST', api(''), p2p('bot-6'), { Authorization: `Bearer ${mine}` });
    assert.equal(spoofed.status, 403);
    assert.match(spoofed.body.error.message, /names application 'bot-6'/);
    const created = await jsonFetch('POST', api(''), p2p('bot-5'), { Authorization: `Bearer ${mine}` });
    assert.equal(created.status, 201);
    const id = created.body.id;
    await eventually(() => rec.received.length >= 2, 'the call established');
    for (const [method, path, body] of [
      ['GET', `/${id}`, undefined],
      ['GET', `/${id}/participants`, undefined],
      ['DELETE', `/${id}`, undefined],
      ['POST', `/${id}/mute`, {}],
    ] as [string, string, unknown][]) {
      const res = await jsonFetch(method, api(path), body, { Authorization: `Bearer ${theirs}` });
      assert.equal(res.status, 403, `${method} ${path}`);
      assert.equal(res.body.error.code, 'accessDenied');
    }
    assert.equal((await admin.call(id)).call.state, 'established', 'the call is untouched');
    assert.equal((await jsonFetch('GET', api(`/${id}`), undefined, { Authorization: `Bearer ${mine}` })).status, 200);
  });

  it('lets a bot answer a call made to it with no permission, but app-hosted media needs Calls.AccessMedia.All', async () => {
    const bare = await tokenFor('bot-7', []);
    const first = await admin.ring('bot-7', 'Alice', { callbackUri: rec.url });
    const appHosted = await jsonFetch('POST', api(`/${first}/answer`), { acceptedModalities: ['audio'], mediaConfig: APP_HOSTED }, { Authorization: `Bearer ${bare}` });
    assert.equal(appHosted.status, 403);
    assert.match(appHosted.body.error.message, /Calls\.AccessMedia\.All/);
    assert.deepEqual((await admin.call(first)).stateHistory, ['incoming']);
    const serviceHosted = await jsonFetch('POST', api(`/${first}/answer`), { acceptedModalities: ['audio'], mediaConfig: SERVICE_HOSTED }, { Authorization: `Bearer ${bare}` });
    assert.equal(serviceHosted.status, 202);
    const second = await admin.ring('bot-7', 'Bob', { callbackUri: rec.url });
    const granted = await tokenFor('bot-7', ['Calls.AccessMedia.All']);
    assert.equal((await jsonFetch('POST', api(`/${second}/answer`), { acceptedModalities: ['audio'], mediaConfig: APP_HOSTED }, { Authorization: `Bearer ${granted}` })).status, 202);
  });

  it('registers apps through the admin API: the secret shown once, roles checked, a file of apps loaded', async () => {
    const made = await admin.post('/admin/apps', { displayName: 'New bot', roles: ['Calls.Initiate.All'] });
    assert.equal(made.status, 201);
    assert.match(made.body.appId, /^[0-9a-f-]{36}$/);
    assert.ok(made.body.secret.length >= 32);
    assert.equal(made.body.tokenEndpoint, tokenUrl());
    const listed = (await admin.get('/admin/apps')).body.value.find((a: any) => a.appId === made.body.appId);
    assert.deepEqual(listed, { appId: made.body.appId, displayName: 'New bot', tenantId: DEFAULT_TENANT_ID, roles: ['Calls.Initiate.All'] });
    assert.equal(JSON.stringify((await admin.get('/admin/apps')).body).includes(made.body.secret), false, 'secrets are never listed');
    assert.equal((await admin.post('/admin/apps', { appId: made.body.appId })).status, 409);
    const bad = await admin.post('/admin/apps', { roles: ['Calls.Everything'] });
    assert.equal(bad.status, 400);
    assert.match(bad.body.error.message, /Calls\.Everything/);

    const dir = mkdtempSync(join(tmpdir(), 'callmedia-apps-'));
    const file = join(dir, 'apps.json');
    writeFileSync(file, JSON.stringify({ apps: [{ appId: 'from-file', secrets: ['a-secret-from-the-file'], roles: ['Calls.Initiate.All'] }] }));
    const fromFile = await startService({ port: 0, appsFile: file });
    try {
      const res = await fetch(`${fromFile.url}/${DEFAULT_TENANT_ID}/oauth2/v2.0/token`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ grant_type: 'client_credentials', client_id: 'from-file', client_secret: 'a-secret-from-the-file', scope: GRAPH }),
      });
      assert.equal(res.status, 200);
      assert.deepEqual(decodeJwt(((await res.json()) as any).access_token).roles, ['Calls.Initiate.All']);
    } finally {
      await fromFile.close();
    }
    writeFileSync(file, '{"apps": [{"appId": "no-secret"}]}');
    await assert.rejects(startService({ port: 0, appsFile: file }), /apps\[0\] needs "secrets"/);
  });
});
