import { strict as assert } from 'assert';
import * as http from 'http';
import { ConferenceMedia, startService, type RunningService } from '../../src/service';
import { Admin, APP_HOSTED, SERVICE_HOSTED, eventually, jsonFetch, graphAuth, graphFetch, sleep, startRecorder, summarize, user, type Recorder } from './harness';

const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * Requests Graph refuses are refused here too, with Graph's status and code, and change nothing;
 * and the call resource carries what Graph's does (callChainId, the fields it returns as null).
 */
describe('service: refuses what Graph refuses, and shapes calls as Graph does', () => {
  let svc: RunningService;
  let rec: Recorder;
  let admin: Admin;

  beforeEach(async () => {
    svc = await startService({ port: 0 });
    rec = await startRecorder();
    admin = new Admin(svc.url);
  });
  afterEach(async () => {
    await svc.close();
    await rec.close();
  });

  const api = (path: string) => `${svc.url}/v1.0/communications/calls${path}`;
  const outgoing = (extra: Record<string, unknown> = {}) => ({
    '@odata.type': '#microsoft.graph.call',
    callbackUri: rec.url,
    requestedModalities: ['audio'],
    mediaConfig: SERVICE_HOSTED,
    source: { identity: { application: { id: 'app-a' } } },
    targets: [user('Ann')],
    ...extra,
  });

  async function expectError(res: { status: number; body: any }, status: number, code: string, mentions: RegExp): Promise<void> {
    assert.equal(res.status, status, JSON.stringify(res.body));
    assert.equal(res.body?.error?.code, code, JSON.stringify(res.body));
    assert.match(res.body.error.message, mentions);
  }

  /** A POST with the given Content-Type (none when undefined) and a raw body. */
  async function post(url: string, body: string, contentType?: string): Promise<{ status: number; body: any }> {
    const auth = await graphAuth(url);
    const res = await fetch(url, { method: 'POST', body, headers: contentType === undefined ? auth : { 'Content-Type': contentType, ...auth } });
    const text = await res.text();
    return { status: res.status, body: text ? JSON.parse(text) : undefined };
  }

  it('reads a body only when it is declared JSON', async () => {
    const callId = await admin.ring('app-b', 'Bea', { callbackUri: rec.url });
    await eventually(() => rec.received.length === 1, 'incoming notification');
    const answer = JSON.stringify({ acceptedModalities: ['audio'], mediaConfig: APP_HOSTED });
    // fetch sends a string body as text/plain unless told otherwise.
    await expectError(await post(api(`/${callId}/answer`), answer, 'text/plain;charset=UTF-8'), 400, 'BadRequest', /JSON Content-Type/);
    await expectError(await post(api(`/${callId}/answer`), answer, 'application/x-www-form-urlencoded'), 400, 'BadRequest', /x-www-form-urlencoded/);
    await expectError(await post(api(`/${callId}/answer`), answer, 'application/jsonx'), 400, 'BadRequest', /JSON Content-Type/);
    // Node's fetch gives a string body a type of its own, so "no Content-Type" is sent through http.
    const auth = await graphAuth(api(`/${callId}/answer`));
    const bare = await new Promise<{ status: number; body: any }>((resolve, reject) => {
      const req = http.request(api(`/${callId}/answer`), { method: 'POST', headers: auth }, (res) => {
        let text = '';
        res.on('data', (c) => (text += c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: JSON.parse(text) }));
      });
      req.on('error', reject);
      req.end(answer);
    });
    await expectError(bare, 400, 'BadRequest', /must contain the Content-Type header/);
    await sleep(50);
    assert.deepEqual((await admin.call(callId)).stateHistory, ['incoming'], 'the call did not move');
    assert.equal(rec.received.length, 1, 'no notification was sent');

    // JSON with a charset is JSON; a parameterless action may come with no body and no type.
    assert.equal((await post(api(`/${callId}/answer`), answer, 'application/json; charset=utf-8')).status, 202);
    await eventually(() => rec.notifications().map(summarize).includes('roster:2'), 'established');
    assert.equal((await post(api(`/${callId}/keepAlive`), '')).status, 200);
  });

  it("refuses an @odata.type that names another resource, anywhere Graph reads one", async () => {
    await expectError(await graphFetch('POST', api(''), outgoing({ '@odata.type': '#microsoft.graph.participant' })), 400, 'BadRequest', /request body.*microsoft\.graph\.participant.*#microsoft\.graph\.call/);
    await expectError(await graphFetch('POST', api(''), outgoing({ targets: [{ ...user('Ann'), '@odata.type': '#microsoft.graph.participantInfo' }] })), 400, 'BadRequest', /targets\[0\]/);
    await expectError(await graphFetch('POST', api(''), outgoing({ targets: [{ identity: { '@odata.type': '#microsoft.graph.identity', user: { id: 'u1' } } }] })), 400, 'BadRequest', /targets\[0\]\.identity/);
    await expectError(await graphFetch('POST', api(''), outgoing({ source: { '@odata.type': '#microsoft.graph.call', identity: { application: { id: 'app-a' } } } })), 400, 'BadRequest', /'source'/);
    await expectError(await graphFetch('POST', api(''), outgoing({ callOptions: { '@odata.type': '#microsoft.graph.incomingCallOptions' } })), 400, 'BadRequest', /outgoingCallOptions/);
    const meeting = {
      chatInfo: { '@odata.type': '#microsoft.graph.chatInfo', threadId: '19:meeting_x@thread.v2' },
      meetingInfo: { '@odata.type': '#microsoft.graph.mediaInfo', organizer: {} },
      targets: undefined,
    };
    await expectError(await graphFetch('POST', api(''), outgoing(meeting)), 400, 'BadRequest', /meetingInfo/);
    assert.equal((await admin.get('/admin/calls')).body.value.length, 0, 'no call was created');

    // The right names are taken with or without '#', in any case.
    const created = await graphFetch('POST', api(''), outgoing({ '@odata.type': 'microsoft.graph.Call', targets: [{ ...user('Ann'), '@odata.type': '#Microsoft.Graph.InvitationParticipantInfo' }] }));
    assert.equal(created.status, 201, JSON.stringify(created.body));
    await eventually(() => rec.notifications().map(summarize).includes('call:established'), 'established');
    await expectError(await graphFetch('POST', api(`/${created.body.id}/playPrompt`), { prompts: [{ '@odata.type': '#microsoft.graph.mediaInfo', mediaInfo: { uri: 'https://cdn.example/a.wav' } }] }), 400, 'BadRequest', /prompts\[0\]/);
    await expectError(await graphFetch('POST', api(`/${created.body.id}/playPrompt`), { prompts: [{ mediaInfo: { '@odata.type': '#microsoft.graph.mediaPrompt', uri: 'https://cdn.example/a.wav' } }] }), 400, 'BadRequest', /prompts\[0\]\.mediaInfo/);
    await expectError(await graphFetch('POST', api(`/${created.body.id}/participants/invite`), { participants: [{ ...user('Bob'), '@odata.type': '#microsoft.graph.participant' }] }), 400, 'BadRequest', /participants\[0\]/);
    await sleep(50);
    assert.equal((await graphFetch('GET', api(`/${created.body.id}/participants`))).body.value.length, 2, 'nobody was invited');
    assert.equal((await graphFetch('GET', api(`/${created.body.id}`))).body.state, 'established');
  });

  it('takes an action by its namespace-qualified name too, as Graph\'s reference examples write it', async () => {
    const callId = await admin.ring('app-b', 'Bea', { callbackUri: rec.url });
    await eventually(() => rec.received.length === 1, 'incoming notification');
    const res = await graphFetch('POST', api(`/${callId}/microsoft.graph.answer`), { acceptedModalities: ['audio'], mediaConfig: SERVICE_HOSTED });
    assert.equal(res.status, 202, JSON.stringify(res.body));
    await eventually(() => rec.notifications().map(summarize).includes('call:established'), 'established');
    const op = await graphFetch('POST', api(`/${callId}/Microsoft.Graph.subscribeToTone`), {});
    assert.equal(op.status, 200, JSON.stringify(op.body));
    assert.equal(op.body['@odata.type'], '#microsoft.graph.subscribeToToneOperation');
    // Only the action: a qualified collection or call path is no path.
    assert.equal((await graphFetch('GET', `${svc.url}/v1.0/communications/microsoft.graph.calls/${callId}`)).status, 400);
  });

  it("refuses Graph's hosted media operations on a call whose bot hosts its media, and changes nothing", async () => {
    const callId = await admin.ring('app-c', 'Cy', { callbackUri: rec.url });
    await eventually(() => rec.received.length === 1, 'incoming notification');
    assert.equal((await graphFetch('POST', api(`/${callId}/answer`), { acceptedModalities: ['audio'], mediaConfig: APP_HOSTED })).status, 202);
    await eventually(() => rec.notifications().map(summarize).includes('call:established'), 'established');
    await svc.service.dispatcher.idle();
    const sent = rec.received.length;
    const prompt = { '@odata.type': '#microsoft.graph.mediaPrompt', mediaInfo: { uri: 'https://cdn.example/hello.wav' } };
    for (const [action, body] of [
      ['playPrompt', { prompts: [prompt] }],
      ['recordResponse', { maxRecordDurationInSeconds: 2 }],
      ['subscribeToTone', {}],
      ['cancelMediaProcessing', {}],
    ] as const) {
      await expectError(await graphFetch('POST', api(`/${callId}/${action}`), body), 400, 'invalidRequest', /service-hosted media/);
    }
    assert.equal(svc.service.findCall(callId)?.operations.size, 0, 'no operation was made');
    // Keys pressed now reach the bot in its own media only: no toneInfo is sent.
    assert.equal((await admin.post(`/admin/calls/${callId}/tones`, { tones: '5' })).status, 202);
    await svc.service.dispatcher.idle();
    assert.equal(rec.received.length, sent, 'no notification was sent');
  });

  it('takes only https callbacks, and http to this machine as a local convenience', async () => {
    for (const callbackUri of ['http://bot.example/calls', 'http://10.0.0.5:3978/api/calls', 'ftp://127.0.0.1/x', 'ws://localhost/x']) {
      await expectError(await graphFetch('POST', api(''), outgoing({ callbackUri })), 400, 'invalidRequest', /'callbackUri' must be an https URL/);
    }
    const callId = await admin.ring('app-b', 'Bea', { callbackUri: rec.url });
    await eventually(() => rec.received.length === 1, 'incoming notification');
    await expectError(await graphFetch('POST', api(`/${callId}/answer`), { acceptedModalities: ['audio'], mediaConfig: APP_HOSTED, callbackUri: 'http://bot.example/calls' }), 400, 'invalidRequest', /https/);
    assert.deepEqual((await admin.call(callId)).stateHistory, ['incoming']);

    const local = [`http://localhost:${rec.port}/callback`, `http://[::1]:${rec.port}/callback`, 'https://bot.example/calls'];
    for (const callbackUri of local) {
      const res = await graphFetch('POST', api(''), outgoing({ callbackUri }));
      assert.equal(res.status, 201, `${callbackUri}: ${JSON.stringify(res.body)}`);
      assert.equal(res.body.callbackUri, callbackUri);
      assert.equal((await graphFetch('DELETE', api(`/${res.body.id}`))).status, 204);
    }
  });

  it('gives every call a callChainId that its redirects keep and the bots of one meeting share, and returns the fields Graph leaves null', async () => {
    const first = await graphFetch('POST', api(''), outgoing());
    assert.equal(first.status, 201);
    assert.match(first.body.callChainId, GUID);
    for (const field of ['toneInfo', 'mediaState', 'transcription']) {
      assert.ok(field in first.body && first.body[field] === null, `${field} is present and null`);
    }
    const second = await graphFetch('POST', api(''), outgoing());
    assert.notEqual(second.body.callChainId, first.body.callChainId, 'two conversations, two chains');

    const given = '2b1c9e1e-6b8f-4d39-9a57-0f3c8a1f7e11';
    const chained = await graphFetch('POST', api(''), outgoing({ callChainId: given }));
    assert.equal(chained.body.callChainId, given, 'a chain id the bot copied over is kept');
    await expectError(await graphFetch('POST', api(''), outgoing({ callChainId: 'chain-1' })), 400, 'invalidRequest', /callChainId.*GUID/);

    const join = (appId: string) =>
      outgoing({
        source: { identity: { application: { id: appId } } },
        targets: undefined,
        chatInfo: { '@odata.type': '#microsoft.graph.chatInfo', threadId: '19:meeting_shared@thread.v2', messageId: '0' },
        meetingInfo: { '@odata.type': '#microsoft.graph.organizerMeetingInfo', organizer: { user: { id: 'org-1' } } },
      });
    const [botA, botB] = [await graphFetch('POST', api(''), join('app-a')), await graphFetch('POST', api(''), join('app-c'))];
    assert.equal(botA.status, 201, JSON.stringify(botA.body));
    assert.equal(botB.body.callChainId, botA.body.callChainId, 'two bots in one meeting: one chain');

    // A redirected call rings the other bot as a new call in the same chain.
    const other = await startRecorder();
    try {
      await admin.post('/admin/bots', { appId: 'app-d', callbackUri: other.url });
      const callId = await admin.ring('app-b', 'Bea', { callbackUri: rec.url });
      const chain = (await graphFetch('GET', api(`/${callId}`))).body.callChainId;
      assert.match(chain, GUID);
      const redirect = await graphFetch('POST', api(`/${callId}/redirect`), { targets: [{ '@odata.type': '#microsoft.graph.invitationParticipantInfo', identity: { application: { id: 'app-d' } } }] });
      assert.equal(redirect.status, 202, JSON.stringify(redirect.body));
      await eventually(() => other.notifications().some((n) => n?.changeType === 'created'), 'the other bot rang');
      const rung = other.notifications().find((n) => n?.changeType === 'created').resourceData;
      assert.notEqual(rung.id, callId, 'a new call');
      assert.equal(rung.callChainId, chain, 'in the same chain');
    } finally {
      await other.close();
    }
  });

  it('refuses at request time an app-hosted configuration the media cannot use, and changes nothing', async function () {
    this.timeout(20_000);
    const media = new ConferenceMedia({ video: { width: 320, height: 180, fps: 15 } });
    const withMedia = await startService({ port: 0, mediaBridge: media });
    media.attach(withMedia.service);
    try {
      const mediaAdmin = new Admin(withMedia.url);
      const callId = await mediaAdmin.ring('app-b', 'Bea', { callbackUri: rec.url });
      await eventually(() => rec.received.length === 1, 'incoming notification');
      const answer = (blob: string) => graphFetch('POST', `${withMedia.url}/v1.0/communications/calls/${callId}/answer`, {
        acceptedModalities: ['audio'],
        mediaConfig: { '@odata.type': '#microsoft.graph.appHostedMediaConfig', blob },
      });
      await expectError(await answer('not json'), 400, 'invalidRequest', /'mediaConfig' cannot be used: .*not JSON/);
      await expectError(await answer('{"mediaConfiguration":"test"}'), 400, 'invalidRequest', /no sdp/);
      await expectError(await answer(JSON.stringify({ sdp: 'v=0\r\nthis is not a session description' })), 400, 'invalidRequest', /'mediaConfig' cannot be used/);
      await expectError(await answer(JSON.stringify({ sdp: 'v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\nm=audio 0 RTP/AVP 0\r\nc=IN IP4 127.0.0.1\r\n' })), 400, 'invalidRequest', /no media line/);
      const created = await graphFetch('POST', `${withMedia.url}/v1.0/communications/calls`, outgoing({ mediaConfig: { '@odata.type': '#microsoft.graph.appHostedMediaConfig', blob: 'not json' } }));
      await expectError(created, 400, 'invalidRequest', /'mediaConfig' cannot be used/);
      await sleep(50);
      assert.deepEqual((await mediaAdmin.call(callId)).stateHistory, ['incoming'], 'the call did not move');
      assert.equal((await mediaAdmin.get('/admin/calls')).body.value.length, 1, 'no call was created');
      assert.equal(rec.received.length, 1, 'no notification was sent');
    } finally {
      media.close();
      await withMedia.close();
    }
  });
});
