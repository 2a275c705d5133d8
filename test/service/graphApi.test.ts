import { strict as assert } from 'assert';
import { Client, GraphError, HTTPMessageHandler } from '@microsoft/microsoft-graph-client';
import { BearerTokenHandler, StaticTokenProvider } from '../../src/signaling';
import { startService, type RunningService } from '../../src/service';
import { Admin, APP_HOSTED, SERVICE_HOSTED, eventually, accessToken, bearer, jsonFetch, graphFetch, sleep, startRecorder, summarize, user, type Recorder } from './harness';

describe('service: Graph calls API', () => {
  let svc: RunningService;
  let rec: Recorder;
  let admin: Admin;
  let graph: Client;

  beforeEach(async () => {
    svc = await startService({ port: 0 });
    rec = await startRecorder();
    admin = new Admin(svc.url);
    // The official client pointed at the local service. Its own authentication handler sends a
    // token only over https, so over http the token comes from BearerTokenHandler, as in
    // CommunicationsClient.
    const token = await accessToken(svc.url, 'app-a');
    graph = Client.initWithMiddleware({
      baseUrl: `${svc.url}/`,
      defaultVersion: 'v1.0',
      middleware: [new BearerTokenHandler(new StaticTokenProvider(token), svc.url), new HTTPMessageHandler()],
    });
  });
  afterEach(async () => {
    await svc.close();
    await rec.close();
  });

  const api = (path: string) => `${svc.url}/v1.0/communications/calls${path}`;

  it('serves create, get, participants, operations and delete to the official graph client', async () => {
    const created = await graph.api('/communications/calls').post({
      '@odata.type': '#microsoft.graph.call',
      callbackUri: rec.url,
      requestedModalities: ['audio', 'video'],
      mediaConfig: SERVICE_HOSTED,
      source: { identity: { application: { id: 'app-a', displayName: 'A' } } },
      targets: [user('Ann')],
    });
    assert.equal(created.state, 'establishing');
    assert.equal(created.direction, 'outgoing');
    assert.ok(created.myParticipantId);
    await eventually(() => rec.received.length >= 3, 'three notifications');
    assert.deepEqual(rec.notifications().map(summarize), ['call:establishing', 'call:established', 'roster:2']);

    const got = await graph.api(`/communications/calls/${created.id}`).get();
    assert.equal(got.state, 'established');
    const beta = await graph.api(`/communications/calls/${created.id}`).version('beta').get();
    assert.equal(beta.id, created.id, 'the same call under /beta');

    const roster = (await graph.api(`/communications/calls/${created.id}/participants`).get()).value;
    assert.equal(roster.length, 2);
    const sourceIds = roster.flatMap((p: any) => p.mediaStreams.map((s: any) => s.sourceId));
    assert.equal(new Set(sourceIds).size, 4, 'audio and video source ids, all distinct');
    const ann = roster.find((p: any) => p.info.identity.user?.displayName === 'Ann');
    assert.equal((await graph.api(`/communications/calls/${created.id}/participants/${ann.id}`).get()).id, ann.id);

    const op = await graph.api(`/communications/calls/${created.id}/playPrompt`).post({
      clientContext: 'c1',
      prompts: [{ '@odata.type': '#microsoft.graph.mediaPrompt', mediaInfo: { uri: 'https://cdn.example/a.wav' } }],
    });
    assert.equal(op['@odata.type'], '#microsoft.graph.playPromptOperation');
    assert.equal(op.status, 'running');
    assert.equal(op.clientContext, 'c1');
    const done = await eventually(() => rec.notifications().find((n) => n.resourceUrl.endsWith(`/operations/${op.id}`)), 'operation notification');
    assert.equal(done.changeType, 'deleted');
    assert.equal(done.resourceData.status, 'completed');
    assert.equal(done.resourceData.clientContext, 'c1');
    assert.equal((await graph.api(`/communications/calls/${created.id}/operations/${op.id}`).get()).status, 'completed');

    await graph.api(`/communications/calls/${created.id}`).delete();
    await eventually(() => rec.notifications().some((n) => n.changeType === 'deleted' && !n.resourceUrl.includes('/operations/')), 'deleted notification');
    assert.deepEqual(rec.notifications().slice(-2).map(summarize), ['call:terminating', 'call:terminated']);
    await assert.rejects(graph.api(`/communications/calls/${created.id}`).get(), (err: GraphError) => {
      assert.equal(err.statusCode, 404);
      assert.equal(err.code, 'itemNotFound');
      assert.ok(err.requestId);
      return true;
    });
  });

  it('answers bad bodies, unknown ids and wrong states with Graph errors, changing nothing', async () => {
    const callId = await admin.ring('app-b', 'Bea', { callbackUri: rec.url });
    await eventually(() => rec.received.length === 1, 'incoming notification');
    const answer = { acceptedModalities: ['audio'], mediaConfig: SERVICE_HOSTED };

    async function expectError(method: string, path: string, body: unknown, status: number, code: string, mentions?: string) {
      const res = await graphFetch(method, path.startsWith('http') ? path : api(path), body);
      assert.equal(res.status, status, `${method} ${path}: ${JSON.stringify(res.body)}`);
      const e = res.body?.error;
      assert.equal(e?.code, code, `${method} ${path}`);
      assert.equal(typeof e.message, 'string');
      if (mentions) assert.match(e.message, new RegExp(mentions), `${method} ${path}: ${e.message}`);
      assert.ok(!Number.isNaN(Date.parse(e.innerError.date)));
      assert.equal(e.innerError['request-id'], res.headers.get('request-id'));
    }

    await expectError('POST', `/${callId}/answer`, '{"acceptedModalities": [', 400, 'malformedRequest');
    await expectError('POST', `/${callId}/answer`, '[1,2]', 400, 'invalidRequest');
    await expectError('POST', `/${callId}/answer`, {}, 400, 'invalidRequest', 'acceptedModalities');
    await expectError('POST', `/${callId}/answer`, { ...answer, acceptedModalities: ['smell'] }, 400, 'invalidRequest', 'smell');
    await expectError('POST', `/${callId}/answer`, { acceptedModalities: ['audio'] }, 400, 'invalidRequest', 'mediaConfig');
    await expectError('POST', `/${callId}/answer`, { ...answer, mediaConfig: { '@odata.type': '#microsoft.graph.appHostedMediaConfig' } }, 400, 'invalidRequest', 'blob');
    await expectError('POST', `/${callId}/answer`, { ...answer, callbackUri: 'not a url' }, 400, 'invalidRequest', 'callbackUri');
    await expectError('POST', `/${callId}/reject`, { reason: 'angry' }, 400, 'invalidRequest', 'reason');
    await expectError('POST', `/${callId}/redirect`, { targets: [] }, 400, 'invalidRequest', 'targets');
    await expectError('POST', `/${callId}/redirect`, { targets: [{ identity: { user: { displayName: 'no id' } } }] }, 400, 'invalidRequest', 'identity');
    await expectError('POST', `/${callId}/redirect`, { targets: [user('X')], timeout: 5 }, 400, 'invalidRequest', 'timeout');
    await expectError('POST', `/no-such-call/answer`, answer, 404, 'itemNotFound');
    await expectError('GET', `/no-such-call`, undefined, 404, 'itemNotFound');
    await expectError('DELETE', `/no-such-call`, undefined, 404, 'itemNotFound');
    await expectError('POST', `/${callId}/mute`, {}, 409, 'notAllowed', 'incoming');
    await expectError('POST', `/${callId}/transfer`, { transferTarget: user('T') }, 409, 'notAllowed');
    await expectError('POST', `/${callId}/participants/invite`, { participants: [user('I')] }, 409, 'notAllowed');
    await expectError('POST', `/${callId}/playPrompt`, { prompts: [{ mediaInfo: { uri: 'x.wav' } }] }, 409, 'notAllowed');
    await expectError('POST', `/${callId}/updateMetadata`, { metadata: 'm' }, 400, 'invalidRequest', 'updateMetadata');
    await expectError('PUT', `/${callId}`, {}, 405, 'notSupported');
    await expectError('POST', `/${callId}/dance`, {}, 400, 'invalidRequest', 'dance');
    await expectError('POST', '', { requestedModalities: ['audio'], mediaConfig: APP_HOSTED, targets: [user('U')] }, 400, 'invalidRequest', 'callbackUri');
    await expectError('POST', '', { callbackUri: rec.url, requestedModalities: ['audio'], mediaConfig: APP_HOSTED, source: { identity: { application: { id: 'a' } } } }, 400, 'invalidRequest', 'targets');
    await expectError('POST', '', { callbackUri: rec.url, requestedModalities: ['audio'], mediaConfig: APP_HOSTED, chatInfo: { threadId: 't' }, source: { identity: { application: { id: 'a' } } } }, 400, 'invalidRequest', 'meetingInfo');

    await sleep(50);
    assert.deepEqual((await admin.call(callId)).stateHistory, ['incoming'], 'the call did not move');
    assert.equal(rec.received.length, 1, 'no notification was sent');
    assert.equal((await admin.get('/admin/calls')).body.value.length, 1, 'no call was created');

    assert.equal((await graphFetch('POST', api(`/${callId}/answer`), answer)).status, 202);
    await eventually(() => rec.notifications().map(summarize).includes('roster:2'), 'established with a roster');
    const count = rec.received.length;
    const roster = (await graphFetch('GET', api(`/${callId}/participants`))).body.value;
    const bot = (await admin.call(callId)).call.myParticipantId;

    await expectError('POST', `/${callId}/answer`, answer, 409, 'notAllowed', 'established');
    await expectError('POST', `/${callId}/reject`, {}, 409, 'notAllowed');
    await expectError('POST', `/${callId}/redirect`, { targets: [user('R')] }, 409, 'notAllowed');
    await expectError('POST', `/${callId}/participants/nobody/mute`, {}, 404, 'itemNotFound', 'nobody');
    await expectError('GET', `/${callId}/participants/nobody`, undefined, 404, 'itemNotFound');
    await expectError('DELETE', `/${callId}/participants/nobody`, undefined, 404, 'itemNotFound');
    await expectError('DELETE', `/${callId}/participants/${bot}`, undefined, 400, 'invalidRequest', 'DELETE the call');
    await expectError('POST', `/${callId}/operations/nothing`, {}, 405, 'notSupported');
    await expectError('GET', `/${callId}/operations/nothing`, undefined, 404, 'itemNotFound');
    await expectError('POST', `/${callId}/recordResponse`, { stopTones: ['x'] }, 400, 'invalidRequest', 'stopTones');
    await expectError('POST', `/${callId}/recordResponse`, { maxRecordDurationInSeconds: 500 }, 400, 'invalidRequest', 'maxRecordDurationInSeconds');
    await expectError('POST', `/${callId}/updateRecordingStatus`, { status: 'paused' }, 400, 'invalidRequest', 'status');
    await expectError('POST', `/${callId}/changeScreenSharingRole`, {}, 400, 'invalidRequest', 'role');
    await expectError('POST', `/${callId}/playPrompt`, { prompts: [{ mediaInfo: {} }] }, 400, 'invalidRequest', 'uri');
    await expectError('POST', `/${callId}/playPrompt`, { prompts: [] }, 400, 'invalidRequest', 'prompts');
    await expectError('POST', `/${callId}/subscribeToTone`, { clientContext: 'x'.repeat(257) }, 400, 'invalidRequest', 'clientContext');
    await expectError('POST', `/${callId}/participants/invite`, { participants: [] }, 400, 'invalidRequest', 'participants');
    await expectError(`POST`, `${svc.url}/beta/communications/calls/${callId}/participants/muteAll`, { participants: ['ghost'] }, 404, 'itemNotFound', 'ghost');
    await expectError('POST', `${svc.url}/beta/communications/calls/${callId}/updateMetadata`, { metadata: 42 }, 400, 'invalidRequest', 'metadata');

    await sleep(50);
    assert.equal(rec.received.length, count, 'no notification was sent');
    assert.deepEqual((await graphFetch('GET', api(`/${callId}/participants`))).body.value, roster, 'roster unchanged');
    assert.deepEqual((await admin.call(callId)).stateHistory, ['incoming', 'establishing', 'established']);
  });

  it('names the calling bot from the access token when the body has no source', async () => {
    const body = { callbackUri: rec.url, requestedModalities: ['audio'], mediaConfig: APP_HOSTED, targets: [user('U')] };
    const res = await jsonFetch('POST', api(''), body, await bearer(svc.url, 'app-from-token'));
    assert.equal(res.status, 201);
    assert.equal(res.headers.get('location'), api(`/${res.body.id}`));
    assert.equal((await admin.call(res.body.id)).appId, 'app-from-token');
  });

  it('ends a call nobody answers, and a call without keepAlive', async () => {
    const quick = await startService({ port: 0, answerTimeoutMs: 150, keepAliveTimeoutMs: 800 });
    try {
      const a = new Admin(quick.url);
      const endedAt = new Map<string, number>();
      quick.service.on('callTerminated', (c: { id: string }) => endedAt.set(c.id, Date.now()));
      const unanswered = await a.ring('app-c', 'Cy', { callbackUri: rec.url });
      const kept = await a.ring('app-c', 'Di', { callbackUri: rec.url });
      const started = Date.now(); // the keepAlive deadline counts from the start of the call
      await graphFetch('POST', `${quick.url}/v1.0/communications/calls/${kept}/answer`, { acceptedModalities: ['audio'], mediaConfig: APP_HOSTED });
      await eventually(() => endedAt.has(unanswered), 'unanswered call ended', 2000);
      assert.equal((await a.call(unanswered)).call.resultInfo.code, 408);
      assert.equal((await a.call(kept)).state, 'established', 'the answered call is not hit by the answer timeout');
      await sleep(200 - (Date.now() - started));
      const keptAliveAt = Date.now();
      assert.equal((await graphFetch('POST', `${quick.url}/v1.0/communications/calls/${kept}/keepAlive`)).status, 200);
      await eventually(() => endedAt.has(kept), 'call without a second keepAlive ended', 3000);
      // Timers never fire early: without the keepAlive the call would have ended 800 ms after its start.
      assert.ok(endedAt.get(kept)! - keptAliveAt >= 790, `ended ${endedAt.get(kept)! - keptAliveAt} ms after the keepAlive`);
      assert.equal((await a.call(kept)).call.resultInfo.subcode, 8537);
      const late = await graphFetch('POST', `${quick.url}/v1.0/communications/calls/${kept}/keepAlive`);
      assert.equal(late.status, 404, 'keepAlive on an ended call is 404');
    } finally {
      await quick.close();
    }
  });
});
