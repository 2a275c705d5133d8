import { strict as assert } from 'assert';
import { startService, type RunningService } from '../../src/service';
import { Admin, APP_HOSTED, SERVICE_HOSTED, eventually, jsonFetch, graphFetch, startRecorder, summarize, type Recorder } from './harness';

describe('service: admin API (the other side of calls)', () => {
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

  async function established(extra: Record<string, unknown> = {}, mediaConfig: object = APP_HOSTED): Promise<string> {
    const id = await admin.ring('app-1', 'Alice', { callbackUri: rec.url, ...extra });
    const res = await graphFetch('POST', `${svc.url}/v1.0/communications/calls/${id}/answer`, { acceptedModalities: ['audio', 'video'], mediaConfig });
    assert.equal(res.status, 202);
    await eventually(async () => (await admin.call(id)).state === 'established', 'established');
    return id;
  }

  it('rings a registered bot, or one named by callbackUri, and refuses an unknown one', async () => {
    const unknown = await admin.post('/admin/calls/incoming', { from: { displayName: 'A' }, toAppId: 'nobody' });
    assert.equal(unknown.status, 400);
    assert.match(unknown.body.error.message, /not registered/);
    assert.equal((await admin.post('/admin/calls/incoming', { toAppId: 'x', callbackUri: rec.url })).status, 400, 'from is required');
    assert.equal((await admin.post('/admin/bots', { appId: 'bot-2' })).status, 400, 'callbackUri is required');

    assert.equal((await admin.post('/admin/bots', { appId: 'bot-2', callbackUri: rec.url, displayName: 'Two' })).status, 201);
    const id = await admin.ring('bot-2', 'Zoe', { modalities: ['audio'] });
    await eventually(() => rec.received.length === 1, 'incoming notification');
    const n = rec.notifications()[0];
    assert.equal(n.changeType, 'created');
    assert.equal(n.resourceData.id, id);
    assert.equal(n.resourceData.state, 'incoming');
    assert.equal(n.resourceData.source.identity.user.displayName, 'Zoe');
    assert.equal(n.resourceData.targets[0].identity.application.id, 'bot-2');
    assert.deepEqual(n.resourceData.requestedModalities, ['audio']);
  });

  it('rings with others already in the call: a group call invitation with chatInfo and meetingInfo', async () => {
    const id = await established({ others: [{ displayName: 'Bob' }, { displayName: 'Cleo', sharing: true }] });
    // Notifications are delivered asynchronously: the call can be established before the recorder has the first.
    await eventually(() => rec.notifications().length > 0, 'the incoming notification');
    const incoming = rec.notifications()[0].resourceData;
    assert.ok(incoming.chatInfo.threadId);
    assert.equal(incoming.meetingInfo['@odata.type'], '#microsoft.graph.organizerMeetingInfo');
    const roster = (await admin.call(id)).participants;
    assert.equal(roster.length, 4);
    const cleo = roster.find((p: any) => p.info.identity.user?.displayName === 'Cleo');
    assert.ok(cleo.mediaStreams.some((s: any) => s.mediaType === 'videoBasedScreenSharing' && s.direction === 'sendOnly'));
  });

  it('adds and removes participants, sends tones to subscribers, holds and hangs up', async () => {
    const id = await established({}, SERVICE_HOSTED); // tones reach a bot through Graph when the service hosts the media
    const added = await admin.post(`/admin/calls/${id}/participants`, { displayName: 'Bob', modalities: ['audio'] });
    assert.equal(added.status, 201);
    assert.equal(added.body.mediaStreams.length, 1);
    assert.equal((await admin.delete(`/admin/calls/${id}/participants/${added.body.id}`)).status, 204);
    assert.equal((await admin.delete(`/admin/calls/${id}/participants/${added.body.id}`)).status, 404);

    assert.equal((await admin.post(`/admin/calls/${id}/tones`, { tones: '9' })).status, 202, 'unsubscribed: accepted, not notified');
    assert.equal((await admin.post(`/admin/calls/${id}/tones`, { tones: 'x' })).status, 400);
    await graphFetch('POST', `${svc.url}/v1.0/communications/calls/${id}/subscribeToTone`, {});
    await admin.post(`/admin/calls/${id}/tones`, { tones: '*0' });
    assert.equal((await admin.post(`/admin/calls/${id}/hold`, {})).status, 400);
    assert.equal((await admin.post(`/admin/calls/${id}/hold`, { held: false })).status, 409, 'not on hold');
    assert.equal((await admin.post(`/admin/calls/${id}/hold`, { held: true })).status, 202);
    assert.equal((await admin.post(`/admin/calls/${id}/hangup`)).status, 202);
    await svc.service.dispatcher.idle(id);
    const seen = rec.notifications().map(summarize);
    assert.deepEqual(seen.slice(seen.indexOf('roster:3')), [
      'roster:3',
      'roster:2',
      'call:established:star',
      'call:established:tone0',
      'call:hold',
      'call:terminating',
      'call:terminated',
    ]);
    assert.ok(!seen.includes('call:established:tone9'), 'no tone before subscribeToTone');

    const listed = (await admin.get('/admin/calls')).body.value.find((c: any) => c.id === id);
    assert.deepEqual(listed.stateHistory, ['incoming', 'establishing', 'established', 'hold', 'terminating', 'terminated']);
    assert.equal(listed.notifications.dropped, 0);
    assert.equal((await admin.get('/admin/calls/nope')).status, 404);
    assert.equal((await admin.post(`/admin/calls/${id}/tones`, { tones: '1' })).status, 404, 'the call is over');
  });

  it('lets a participant mute and unmute itself (a bot mute is lifted by unmuting) and share its screen: the roster says so', async () => {
    const id = await established();
    const bob = (await admin.post(`/admin/calls/${id}/participants`, { displayName: 'Bob', modalities: ['audio'] })).body;
    const call = (await admin.call(id)).call;
    const roster = async () => (await graphFetch('GET', `${svc.url}/v1.0/communications/calls/${id}/participants/${bob.id}`)).body;
    assert.equal((await admin.post(`/admin/calls/${id}/participants/${bob.id}/mute`, {})).status, 400, "'muted' is required");
    assert.equal((await admin.post(`/admin/calls/${id}/participants/${bob.id}/mute`, { muted: 'yes' })).status, 400);
    assert.equal((await admin.post(`/admin/calls/${id}/participants/nobody/mute`, { muted: true })).status, 404);
    assert.equal((await admin.post(`/admin/calls/${id}/participants/${call.myParticipantId}/mute`, { muted: true })).status, 400, 'the bot mutes itself through Graph');
    assert.equal((await roster()).isMuted, false, 'refusals changed nothing');

    assert.equal((await admin.post(`/admin/calls/${id}/participants/${bob.id}/mute`, { muted: true })).status, 202);
    assert.equal((await roster()).isMuted, true);
    assert.equal((await admin.post(`/admin/calls/${id}/participants/${bob.id}/mute`, { muted: false })).status, 202);
    assert.equal((await roster()).isMuted, false);
    // The bot mutes him; he unmutes himself, as a Teams participant may.
    await graphFetch('POST', `${svc.url}/v1.0/communications/calls/${id}/participants/${bob.id}/mute`, {});
    assert.equal((await roster()).isMuted, true);
    assert.equal((await admin.post(`/admin/calls/${id}/participants/${bob.id}/mute`, { muted: false })).status, 202);
    const after = await roster();
    assert.equal(after.isMuted, false);
    assert.ok(after.mediaStreams.every((s: any) => s.serverMuted === false), 'the bot\'s mute is lifted');
    await svc.service.dispatcher.idle(id);
    const rosters = rec.notifications().filter((n) => n?.resourceUrl?.endsWith('/participants')).map((n) => n.resourceData.find((p: any) => p.id === bob.id)?.isMuted);
    assert.deepEqual(rosters.slice(-4), [true, false, true, false], 'each change in a roster notification');

    // Sharing a screen takes a party that joined with screen sharing.
    assert.equal((await admin.post(`/admin/calls/${id}/participants/${bob.id}/sharing`, { sharing: true })).status, 400, 'Bob joined with audio only');
    const sam = (await admin.post(`/admin/calls/${id}/participants`, { displayName: 'Sam', modalities: ['audio', 'videoBasedScreenSharing'] })).body;
    const vbss = async () => (await graphFetch('GET', `${svc.url}/v1.0/communications/calls/${id}/participants/${sam.id}`)).body.mediaStreams.find((s: any) => s.mediaType === 'videoBasedScreenSharing');
    const before = await vbss();
    assert.equal(before.direction, 'receiveOnly');
    assert.equal((await admin.post(`/admin/calls/${id}/participants/${sam.id}/sharing`, {})).status, 400, "'sharing' is required");
    assert.equal((await admin.post(`/admin/calls/${id}/participants/${sam.id}/sharing`, { sharing: true })).status, 202);
    assert.deepEqual({ ...(await vbss()), direction: undefined }, { ...before, direction: undefined }, 'the same stream, the same source id');
    assert.equal((await vbss()).direction, 'sendOnly');
    assert.equal((await admin.post(`/admin/calls/${id}/participants/${sam.id}/sharing`, { sharing: false })).status, 202);
    assert.equal((await vbss()).direction, 'receiveOnly');
  });

  it('ends a peer-to-peer call when the caller leaves, and a ringing call when the caller gives up', async () => {
    const id = await established();
    const caller = (await admin.call(id)).participants.find((p: any) => p.info.identity.user?.displayName === 'Alice');
    await admin.delete(`/admin/calls/${id}/participants/${caller.id}`);
    await eventually(async () => (await admin.call(id)).state === 'terminated', 'ended');

    const ringing = await admin.ring('app-1', 'Eve', { callbackUri: rec.url });
    await admin.post(`/admin/calls/${ringing}/hangup`);
    const ended = await admin.call(ringing);
    assert.deepEqual(ended.stateHistory, ['incoming', 'terminated']);
    assert.equal(ended.call.resultInfo.code, 487);
  });
});
