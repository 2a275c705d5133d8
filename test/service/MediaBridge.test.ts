import { strict as assert } from 'assert';
import type { Call, MediaPrompt, Participant } from '@microsoft/microsoft-graph-types';
import { startService, type MediaBridge, type RecordOptions, type RecordResult, type RunningService } from '../../src/service';
import { CommunicationsError, mediaPrompt, type Call as BotCall } from '../../src/signaling';
import { APP_HOSTED, SERVICE_HOSTED, bearer, eventually, jsonFetch, startBot, user, type BotUnderTest } from './harness';

/** A bridge that logs every hook and lets the test decide when media work ends. */
class ScriptedBridge implements MediaBridge {
  readonly log: string[] = [];
  answerError?: Error;
  holdPrompts = false;
  recordResult: RecordResult | 'hold' = { completionReason: 'maxRecordDurationReached' };
  aborted: string[] = [];
  lastRecord?: RecordOptions;

  async onCallAnswered(call: Call, mediaConfig: { blob?: string }) {
    this.log.push(`answered:${call.state}:${mediaConfig.blob ?? 'service'}`);
    if (this.answerError) throw this.answerError;
  }
  onCallEstablished(call: Call) {
    this.log.push(`established:${call.state}`);
  }
  onCallTerminated(call: Call) {
    this.log.push(`terminated:${call.resultInfo?.code}`);
  }
  onHoldChanged(_call: Call, held: boolean) {
    this.log.push(`hold:${held}`);
  }
  onParticipantJoined(_call: Call, p: Participant) {
    this.log.push(`joined:${p.info?.identity?.user?.displayName ?? p.info?.identity?.application?.id}`);
  }
  onParticipantLeft(_call: Call, p: Participant) {
    this.log.push(`left:${p.info?.identity?.user?.displayName}`);
  }
  onMuteChanged(_call: Call, p: Participant, muted: boolean) {
    this.log.push(`mute:${p.info?.identity?.user?.displayName ?? 'bot'}:${muted}`);
  }
  onScreenSharingRoleChanged(_call: Call, role: string) {
    this.log.push(`role:${role}`);
  }
  playPrompts(_call: Call, prompts: MediaPrompt[], signal: AbortSignal): Promise<void> {
    const uri = prompts[0].mediaInfo?.uri ?? '';
    this.log.push(`play:${uri}`);
    if (!this.holdPrompts) return Promise.resolve();
    return new Promise((_, reject) => signal.addEventListener('abort', () => (this.aborted.push(uri), reject(new Error('aborted')))));
  }
  sendTones(_call: Call, digits: string[], delayMs: number, signal: AbortSignal): Promise<void> {
    this.log.push(`tones:${digits.join('')}:${delayMs}`);
    if (!this.holdPrompts) return Promise.resolve();
    return new Promise((_, reject) => signal.addEventListener('abort', () => (this.aborted.push(`tones:${digits.join('')}`), reject(new Error('aborted')))));
  }
  recordResponse(_call: Call, options: RecordOptions, signal: AbortSignal): Promise<RecordResult> {
    this.lastRecord = options;
    this.log.push('record');
    const result = this.recordResult;
    if (result !== 'hold') return Promise.resolve(result);
    return new Promise((_, reject) => signal.addEventListener('abort', () => (this.aborted.push('record'), reject(new Error('aborted')))));
  }
}

describe('service: MediaBridge hooks and service-hosted media operations', () => {
  let svc: RunningService;
  let bridge: ScriptedBridge;
  let bot: BotUnderTest;
  let call: BotCall;

  beforeEach(async () => {
    bridge = new ScriptedBridge();
    svc = await startService({ port: 0, mediaBridge: bridge });
    bot = await startBot(svc.url, 'bridge-bot');
    await jsonFetch('POST', `${svc.url}/admin/bots`, { appId: bot.appId, callbackUri: bot.callbackUri });
  });
  afterEach(async () => {
    await bot.close();
    await svc.close();
  });

  async function answer(media = SERVICE_HOSTED as object): Promise<BotCall> {
    const incoming = bot.client.waitForIncomingCall();
    await jsonFetch('POST', `${svc.url}/admin/calls/incoming`, { from: { displayName: 'Alice' }, toAppId: bot.appId });
    call = await incoming;
    await call.answer({ mediaConfig: media as never });
    return call;
  }

  it('calls the hooks as the call and its roster change', async () => {
    await answer(APP_HOSTED);
    await call.mute();
    await call.invite([user('Bob')]);
    await eventually(() => bridge.log.includes('joined:Bob'), 'Bob joined');
    const bob = [...call.participants.values()].find((p) => p.displayName === 'Bob')!;
    await bob.mute();
    await call.changeScreenSharingRole('sharer');
    await jsonFetch('POST', `${svc.url}/admin/calls/${call.id}/hold`, { held: true });
    await call.waitForState('hold');
    await bob.remove();
    await call.hangUp();
    await eventually(() => bridge.log.some((l) => l.startsWith('terminated')), 'terminated hook');
    assert.deepEqual(bridge.log, [
      `answered:establishing:${APP_HOSTED.blob}`,
      'established:established',
      'joined:Alice',
      'mute:bot:true',
      'joined:Bob',
      'mute:Bob:true',
      'role:sharer',
      'hold:true',
      'left:Bob',
      'terminated:0',
    ]);
  });

  it('ends the call with a 500 when media cannot be set up', async () => {
    bridge.answerError = new Error('no ports left');
    const incoming = bot.client.waitForIncomingCall();
    await jsonFetch('POST', `${svc.url}/admin/calls/incoming`, { from: { displayName: 'Alice' }, toAppId: bot.appId });
    const c = await incoming;
    await assert.rejects(c.answer({ mediaConfig: APP_HOSTED }), (err: CommunicationsError) => {
      assert.equal(err.code, 'CALL_TERMINATED');
      assert.equal(err.resultInfo?.code, 500);
      assert.match(String(err.resultInfo?.message), /no ports left/);
      return true;
    });
  });

  it('plays prompts in order and cancels what is queued or playing', async () => {
    await answer();
    bridge.holdPrompts = true;
    // One request after the other: two requests in flight at once may reach the service in either order.
    const running = () => [...(svc.service.findCall(call.id)?.operations.values() ?? [])].filter((o) => o.status === 'running').length;
    const first = call.playPrompt([mediaPrompt('file:///one.wav')]);
    first.catch(() => undefined); // asserted below, after the cancel
    await eventually(() => bridge.log.includes('play:file:///one.wav'), 'first prompt playing');
    const second = call.playPrompt([mediaPrompt('file:///two.wav')]);
    second.catch(() => undefined);
    await eventually(() => running() === 2, 'the second prompt queued');
    assert.ok(!bridge.log.includes('play:file:///two.wav'), 'the second waits for the first');
    const cancel = await call.cancelMediaProcessing();
    assert.equal(cancel.status, 'completed');
    for (const p of [first, second]) {
      await assert.rejects(p, (err: CommunicationsError) => {
        assert.equal(err.code, 'OPERATION_FAILED');
        assert.equal(err.resultInfo?.code, 400);
        assert.equal(err.resultInfo?.subcode, 8508);
        return true;
      });
    }
    assert.deepEqual(bridge.aborted, ['file:///one.wav'], 'the playing prompt was aborted, the queued one never started');
    bridge.holdPrompts = false;
    const after = await call.playPrompt([mediaPrompt('file:///three.wav')]);
    assert.equal(after.status, 'completed', 'the queue works after a cancel');
  });

  it('sends DTMF through the bridge behind the prompts before it, refuses what is not a DTMF tone, and cancels as mediaOperationCanceled', async () => {
    await answer();
    const sent = await call.sendDtmfTones(['tone1', 'star', 'd'], { delayBetweenTonesMs: 250 });
    assert.equal(sent.status, 'completed');
    assert.equal((sent as { completionReason?: string }).completionReason, 'completedSuccessfully');
    assert.ok(bridge.log.includes('tones:1*D:250'), bridge.log.join(' '));

    const path = `${svc.url}/v1.0/communications/calls/${call.id}/sendDtmfTones`;
    const auth = await bearer(svc.url, bot.appId);
    for (const body of [{}, { tones: [] }, { tones: ['flash'] }, { tones: ['tone12'] }, { tones: Array(65).fill('tone1') }, { tones: ['tone1'], delayBetweenTonesMs: -1 }]) {
      const res = await jsonFetch('POST', path, body, auth);
      assert.equal(res.status, 400, JSON.stringify(body));
    }
    assert.equal(bridge.log.filter((l) => l.startsWith('tones:')).length, 1, 'nothing refused reached the media');

    bridge.holdPrompts = true;
    const prompt = call.playPrompt([mediaPrompt('file:///menu.wav')]);
    prompt.catch(() => undefined);
    await eventually(() => bridge.log.includes('play:file:///menu.wav'), 'the prompt playing');
    const tones = call.sendDtmfTones('9');
    tones.catch(() => undefined);
    const operations = () => [...(svc.service.findCall(call.id)?.operations.values() ?? [])];
    await eventually(() => operations().some((o) => o.type === 'sendDtmfTonesOperation' && o.status === 'running'), 'the tones queued');
    assert.ok(!bridge.log.includes('tones:9:0'), 'the tones wait for the prompt');
    await call.cancelMediaProcessing();
    await assert.rejects(tones, (err: CommunicationsError) => err.code === 'OPERATION_FAILED' && err.resultInfo?.subcode === 8508);
    const cancelled = operations().find((o) => o.type === 'sendDtmfTonesOperation' && o.status === 'failed');
    assert.equal(cancelled?.extra.completionReason, 'mediaOperationCanceled');
  });

  it('records: the audio is served at recordingLocation to the holder of the access token', async () => {
    await answer();
    bridge.recordResult = { completionReason: 'maxSilenceTimeout', recording: { contentType: 'audio/wav', data: Buffer.from('RIFF-test-bytes') } };
    const op = await call.recordResponse({ prompts: [mediaPrompt('file:///beep.wav')], maxRecordDurationInSeconds: 10, playBeep: false, stopTones: ['#'] });
    assert.equal(op.completionReason, 'maxSilenceTimeout');
    assert.deepEqual(bridge.lastRecord && { d: bridge.lastRecord.maxRecordDurationInSeconds, beep: bridge.lastRecord.playBeep, tones: bridge.lastRecord.stopTones, silence: bridge.lastRecord.initialSilenceTimeoutInSeconds }, { d: 10, beep: false, tones: ['#'], silence: 5 });
    assert.ok(op.recordingLocation && op.recordingAccessToken);
    const res = await fetch(op.recordingLocation, { headers: { Authorization: `Bearer ${op.recordingAccessToken}` } });
    assert.equal(res.status, 200);
    assert.equal(res.headers.get('content-type'), 'audio/wav');
    assert.equal(Buffer.from(await res.arrayBuffer()).toString(), 'RIFF-test-bytes');
    assert.equal((await fetch(op.recordingLocation, { headers: { Authorization: 'Bearer wrong' } })).status, 404);
  });

  it('ends a recording on a stop tone, and a barge-in recording cancels what plays', async () => {
    await answer();
    bridge.recordResult = 'hold';
    const rec = call.recordResponse({ stopTones: ['#'] });
    await eventually(() => bridge.log.includes('record'), 'recording');
    await jsonFetch('POST', `${svc.url}/admin/calls/${call.id}/tones`, { tones: '1' });
    await jsonFetch('POST', `${svc.url}/admin/calls/${call.id}/tones`, { tones: '#' });
    const op = await rec;
    assert.equal(op.completionReason, 'stopToneDetected');
    assert.equal(op.status, 'completed');

    bridge.holdPrompts = true;
    const prompt = call.playPrompt([mediaPrompt('file:///long.wav')]);
    prompt.catch(() => undefined); // asserted below, after the barge-in
    await eventually(() => bridge.log.includes('play:file:///long.wav'), 'prompt playing');
    bridge.recordResult = { completionReason: 'maxRecordDurationReached' };
    const barge = await call.recordResponse({ bargeInAllowed: true });
    assert.equal(barge.status, 'completed');
    await assert.rejects(prompt, (err: CommunicationsError) => err.resultInfo?.subcode === 8508);
  });
});
