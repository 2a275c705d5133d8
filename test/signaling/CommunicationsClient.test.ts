import { strict as assert } from 'assert';
import { randomUUID } from 'crypto';
import type { ToneInfo } from '@microsoft/microsoft-graph-types';
import { CommunicationsError, mediaPrompt, type Call, type MediaConfig, type ParticipantsChange } from '../../src/signaling';
import { APP_HOSTED, SERVICE_HOSTED, eventually, graphAuth, startBot, startStack, user, verifyTokens, type Stack } from '../service/harness';

describe('CommunicationsClient against the local service', () => {
  let stack: Stack;
  beforeEach(async () => {
    stack = await startStack();
  });
  afterEach(async () => {
    await stack.close();
  });

  async function answeredCall(media: MediaConfig = APP_HOSTED, modalities: ('audio' | 'video')[] = ['audio', 'video']): Promise<Call> {
    const incoming = stack.bot.client.waitForIncomingCall();
    await stack.admin.ring(stack.bot.appId, 'Alice');
    const call = await incoming;
    await call.answer({ mediaConfig: media, acceptedModalities: modalities });
    return call;
  }

  it('runs a whole call: incoming, answer, mute, invite, hosted media refused, hold, hang up', async () => {
    const { bot, admin, svc } = stack;
    const incoming = bot.client.waitForIncomingCall();
    const callId = await admin.ring(bot.appId, 'Alice');
    const call = await incoming;
    assert.equal(call.id, callId);
    assert.equal(call.state, 'incoming');
    assert.equal(call.direction, 'incoming');
    assert.equal(call.source?.identity?.user?.displayName, 'Alice');

    await call.answer({ mediaConfig: APP_HOSTED, acceptedModalities: ['audio', 'video'] });
    assert.equal(call.state, 'established');
    await eventually(() => call.participants.size === 2, 'roster with the caller and the bot');
    const alice = [...call.participants.values()].find((p) => p.displayName === 'Alice')!;
    assert.ok(alice.audioSourceId && alice.videoSourceIds.length === 1, 'the caller has audio and video source ids');
    assert.equal(call.participantBySourceId(alice.videoSourceIds[0]), alice);
    assert.ok(call.me, 'the bot is in its own roster');
    const service = (await admin.call(call.id)).call;
    assert.deepEqual(service.mediaConfig, APP_HOSTED, 'the service kept the app-hosted media blob');

    const muted = await call.mute('ctx-mute');
    assert.equal(muted.status, 'completed');
    assert.equal(muted.clientContext, 'ctx-mute');
    await eventually(() => call.me?.isMuted === true, 'bot muted in the roster');
    await call.unmute();
    await eventually(() => call.me?.isMuted === false, 'bot unmuted in the roster');

    const joined: ParticipantsChange[] = [];
    call.on('participantsChanged', (c: ParticipantsChange) => joined.push(c));
    const invited = await call.invite([user('Bob')], 'ctx-invite');
    assert.equal(invited.status, 'completed');
    assert.equal(invited.clientContext, 'ctx-invite');
    await eventually(() => call.participants.size === 3, 'Bob in the roster');
    assert.ok(joined.some((c) => c.joined.some((p) => p.displayName === 'Bob')));
    assert.ok(call.resource.chatInfo?.threadId, 'a third party made the peer-to-peer call a group call');

    // The bot hosts its media: prompts, recordings and tones are its own, and Graph's are refused.
    await assert.rejects(call.playPrompt([mediaPrompt('https://cdn.example/hello.wav')]), (err: CommunicationsError) => {
      assert.equal(err.statusCode, 400);
      assert.match(err.message, /service-hosted media/);
      return true;
    });
    await call.keepAlive();

    assert.equal((await admin.post(`/admin/calls/${call.id}/hold`, { held: true })).status, 202);
    await call.waitForState('hold');
    assert.equal((await admin.post(`/admin/calls/${call.id}/hold`, { held: false })).status, 202);
    await call.waitForState('established');

    await call.hangUp();
    assert.equal(call.state, 'terminated');
    assert.deepEqual(call.stateHistory, ['incoming', 'establishing', 'established', 'hold', 'established', 'terminating', 'terminated']);
    await svc.service.dispatcher.idle();
    assert.equal(bot.rejected.length, 0);
    assert.equal(bot.authorizations.length, bot.accepted.length, 'every webhook request was an accepted notification');
    const claims = await verifyTokens(svc.url, bot.appId, bot.authorizations);
    assert.ok(claims.length >= 12, `a notification for each step (${claims.length})`);
    for (const c of claims) assert.ok(c.exp! > c.iat! && c.nbf! <= c.iat!, 'exp, iat and nbf set');
  });

  it("runs Graph's media operations on a call whose media the service hosts: prompt, recording, tones, cancel", async () => {
    const call = await answeredCall(SERVICE_HOSTED, ['audio']);
    const played = await call.playPrompt([mediaPrompt('https://cdn.example/hello.wav')], 'ctx-prompt');
    assert.equal(played.status, 'completed');
    assert.equal(played.resultInfo?.code, 200);
    assert.equal(played.clientContext, 'ctx-prompt');
    const recorded = await call.recordResponse({ maxRecordDurationInSeconds: 3, stopTones: ['#'], clientContext: 'ctx-rec' });
    assert.equal(recorded.status, 'completed');
    assert.equal(recorded.completionReason, 'maxRecordDurationReached');
    const subscribed = await call.subscribeToTone();
    assert.equal(subscribed.status, 'completed');
    const tones: ToneInfo[] = [];
    call.on('toneReceived', (t: ToneInfo) => tones.push(t));
    await stack.admin.post(`/admin/calls/${call.id}/tones`, { tones: '1#' });
    await eventually(() => tones.length === 2, 'two tones');
    assert.deepEqual(tones.map((t) => [t.tone, t.sequenceId]), [['tone1', 1], ['pound', 2]]);
    const cancelled = await call.cancelMediaProcessing();
    assert.equal(cancelled.status, 'completed');
    await call.hangUp();
  });

  it('rejects an incoming call with a reason', async () => {
    const incoming = stack.bot.client.waitForIncomingCall();
    await stack.admin.ring(stack.bot.appId);
    const call = await incoming;
    await call.reject('busy');
    assert.equal(call.state, 'terminated');
    assert.equal(call.resultInfo?.code, 486);
    assert.deepEqual(call.stateHistory, ['incoming', 'terminated']);
    assert.equal((await stack.admin.call(call.id)).state, 'terminated');
  });

  it('redirects an incoming call to another bot, which gets it with the route', async () => {
    const other = await startBot(stack.svc.url, 'second-bot-app');
    try {
      await stack.admin.post('/admin/bots', { appId: other.appId, callbackUri: other.callbackUri, displayName: 'Second bot' });
      const incoming = stack.bot.client.waitForIncomingCall();
      const forwarded = other.client.waitForIncomingCall();
      await stack.admin.ring(stack.bot.appId, 'Carol');
      const call = await incoming;
      await call.redirect([{ identity: { application: { id: other.appId, displayName: 'Second bot' } } }]);
      assert.equal(call.state, 'terminated');
      assert.equal(call.resource.callRoutes?.[0]?.final?.application?.id, other.appId);

      const second = await forwarded;
      assert.notEqual(second.id, call.id);
      assert.equal(second.source?.identity?.user?.displayName, 'Carol', 'the caller is carried over');
      assert.equal(second.resource.callRoutes?.[0]?.routingType, 'forwarded');
      assert.equal(second.resource.incomingContext?.onBehalfOf?.application?.id, stack.bot.appId);
      await second.answer({ mediaConfig: SERVICE_HOSTED });
      assert.equal(second.state, 'established');
      await verifyTokens(stack.svc.url, other.appId, other.authorizations);
    } finally {
      await other.close();
    }
  });

  it('redirects an incoming call to voicemail', async () => {
    const incoming = stack.bot.client.waitForIncomingCall();
    await stack.admin.ring(stack.bot.appId, 'Dave');
    const call = await incoming;
    await call.redirect([{ identity: { user: { id: 'dave-mailbox', displayName: 'Dave' } }, endpointType: 'voicemail' } as never], { timeout: 20 });
    assert.equal(call.state, 'terminated');
    assert.equal((call.resource as { answeredBy?: { endpointType?: string } }).answeredBy?.endpointType, 'voicemail');
  });

  it('transfers a call to a person: transferring, transferAccepted, terminated', async () => {
    const call = await answeredCall();
    await call.transfer(user('Erin'));
    assert.deepEqual(call.stateHistory.slice(-3), ['transferring', 'transferAccepted', 'terminated']);
    assert.equal(call.resultInfo?.subcode, 7015);
  });

  it('transfers a call to another bot, which gets it with the transferor', async () => {
    const other = await startBot(stack.svc.url);
    try {
      await stack.admin.post('/admin/bots', { appId: other.appId, callbackUri: other.callbackUri });
      const call = await answeredCall();
      const arriving = other.client.waitForIncomingCall();
      await call.transfer({ identity: { application: { id: other.appId } } } as never);
      const transferred = await arriving;
      assert.equal(transferred.resource.incomingContext?.transferor?.application?.id, stack.bot.appId);
      assert.equal(transferred.source?.identity?.user?.displayName, 'Alice');
    } finally {
      await other.close();
    }
  });

  it('reports a failed transfer and stays in the call', async () => {
    const declined = await stack.admin.post('/admin/users', { displayName: 'Frank', answer: 'decline' });
    const call = await answeredCall();
    await assert.rejects(call.transfer(user('Frank', declined.body.id)), (err: CommunicationsError) => {
      assert.equal(err.code, 'TRANSFER_FAILED');
      assert.equal(err.resultInfo?.code, 500);
      return true;
    });
    assert.equal(call.state, 'established');
    await call.hangUp();
  });

  it('mutes all, one participant, and removes one', async () => {
    const call = await answeredCall();
    await call.invite([user('Bob'), user('Cleo')]);
    await eventually(() => call.participants.size === 4, 'four in the roster');
    const others = [...call.participants.values()].filter((p) => p !== call.me);
    assert.ok(others.every((p) => !p.isMuted));
    const op = await call.muteAll(undefined, 'ctx-all');
    assert.equal(op.status, 'completed');
    await eventually(() => others.every((p) => p.isMuted && p.isServerMuted), 'everyone else server-muted');
    assert.equal(call.me?.isMuted, false, 'muteAll leaves the bot alone');

    const call2 = await answeredCall();
    await call2.invite([user('Gus'), user('Hal')]);
    await eventually(() => call2.participants.size === 4, 'four in the second roster');
    const [gus, hal] = [...call2.participants.values()].filter((p) => p.displayName === 'Gus' || p.displayName === 'Hal');
    await call2.muteAll([gus.id]);
    await eventually(() => gus.isMuted, 'Gus muted');
    assert.equal(hal.isMuted, false, 'only the listed participant is muted');
    await hal.mute();
    await eventually(() => hal.isMuted, 'Hal muted');
    await gus.remove();
    assert.equal(call2.participants.has(gus.id), false);
    assert.equal((await call2.listParticipants()).length, 3);
  });

  it('changes the screen sharing role in a group call and shows it in the roster; refuses it in a peer-to-peer or service-hosted call', async () => {
    const call = await answeredCall();
    await assert.rejects(call.changeScreenSharingRole('sharer'), (err: CommunicationsError) => err.statusCode === 400 && /peer-to-peer/.test(err.message));
    assert.equal(call.me?.mediaStreams.find((s) => s.mediaType === 'videoBasedScreenSharing')?.direction ?? 'none', 'none', 'a refused change changes nothing');
    await call.invite([user('Bob')]);
    await eventually(() => call.participants.size === 3, 'Bob in the roster: a group call');
    await call.changeScreenSharingRole('sharer');
    const vbss = () => call.me?.mediaStreams.find((s) => s.mediaType === 'videoBasedScreenSharing');
    assert.equal(vbss()?.direction, 'sendOnly');
    assert.ok(call.me?.screenSharingSourceId);
    await call.changeScreenSharingRole('viewer');
    assert.equal(vbss()?.direction, 'receiveOnly');

    const serviceHosted = await answeredCall(SERVICE_HOSTED);
    await assert.rejects(serviceHosted.changeScreenSharingRole('sharer'), (err: CommunicationsError) => err.code === 'GRAPH_REQUEST_FAILED' && err.statusCode === 400);
  });

  it('follows content sharing: a session is created when a participant shares and deleted when it stops or leaves; list and get', async () => {
    const call = await answeredCall();
    const started: string[] = [];
    const ended: string[] = [];
    call.on('contentSharingStarted', (id: string) => started.push(id));
    call.on('contentSharingEnded', (id: string) => ended.push(id));
    assert.deepEqual(await call.listContentSharingSessions(), []);

    const sam = (await stack.admin.post(`/admin/calls/${call.id}/participants`, { displayName: 'Sam', modalities: ['audio', 'videoBasedScreenSharing'], sharing: true })).body;
    await eventually(() => started.length === 1, 'a content sharing session for Sam');
    assert.deepEqual(await call.listContentSharingSessions(), started);
    const base = `${stack.svc.url}/v1.0/communications/calls/${call.id}/contentSharingSessions`;
    const auth = await graphAuth(base);
    const got = await fetch(`${base}/${started[0]}`, { headers: auth });
    assert.equal(got.status, 200);
    assert.deepEqual(await got.json(), { '@odata.type': '#microsoft.graph.contentSharingSession', id: started[0] });
    assert.equal((await fetch(`${base}/no-such-session`, { headers: auth })).status, 404);

    // Sam stops sharing, then starts again (a new session), then leaves (it ends).
    await stack.admin.post(`/admin/calls/${call.id}/participants/${sam.id}/sharing`, { sharing: false });
    await eventually(() => ended.length === 1, 'the session to end');
    assert.deepEqual(ended, started);
    assert.deepEqual(call.contentSharingSessions, []);
    await stack.admin.post(`/admin/calls/${call.id}/participants/${sam.id}/sharing`, { sharing: true });
    await eventually(() => started.length === 2, 'a second session');
    assert.notEqual(started[1], started[0]);
    await stack.admin.delete(`/admin/calls/${call.id}/participants/${sam.id}`);
    await eventually(() => ended.length === 2, 'the second session to end when Sam leaves');
    assert.deepEqual(await call.listContentSharingSessions(), []);
  });

  it('updates the metadata and the recording status of the bot', async () => {
    const call = await answeredCall();
    const op = await call.updateMetadata('{"topic":"standup"}', 'ctx-meta');
    assert.equal(op.status, 'completed');
    assert.equal(call.me?.metadata, '{"topic":"standup"}');
    await call.updateRecordingStatus('recording');
    await eventually(() => call.me?.recordingInfo?.recordingStatus === 'recording', 'recording status in the roster');
  });

  it('places peer-to-peer and group calls and joins meetings', async () => {
    const { client } = stack.bot;
    const p2p = await client.createCall({ targets: [user('Ivy')], mediaConfig: APP_HOSTED, requestedModalities: ['audio', 'video'] });
    assert.equal(p2p.state, 'established');
    assert.equal(p2p.direction, 'outgoing');
    await eventually(() => p2p.participants.size === 2, 'Ivy and the bot');

    const group = await client.createCall({ targets: [user('Jo'), user('Kim')], mediaConfig: SERVICE_HOSTED });
    await eventually(() => group.participants.size === 3, 'Jo, Kim and the bot');

    const online = await client.createOnlineMeeting(randomUUID(), { subject: 'Planning' });
    const meeting = await client.joinMeeting({ meeting: online, mediaConfig: APP_HOSTED });
    assert.equal(meeting.state, 'established');
    assert.equal((await meeting.refresh()).state, 'established');

    const declined = await stack.admin.post('/admin/users', { displayName: 'Lou', answer: 'decline' });
    await assert.rejects(client.createCall({ targets: [user('Lou', declined.body.id)], mediaConfig: APP_HOSTED }), (err: CommunicationsError) => {
      assert.equal(err.code, 'CALL_TERMINATED');
      assert.equal(err.resultInfo?.code, 603);
      return true;
    });
    await p2p.hangUp();
    await assert.rejects(p2p.keepAlive(), (err: CommunicationsError) => err.code === 'GRAPH_REQUEST_FAILED' && err.statusCode === 404);
  });

  it('ends a peer-to-peer call when the other party hangs up', async () => {
    const call = await answeredCall();
    const ended = new Promise((r) => call.once('terminated', r));
    await stack.admin.post(`/admin/calls/${call.id}/hangup`);
    await ended;
    assert.deepEqual(call.stateHistory.slice(-2), ['terminating', 'terminated']);
  });
});
