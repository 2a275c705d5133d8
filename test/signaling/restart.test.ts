import { strict as assert } from 'assert';
import type { ToneInfo } from '@microsoft/microsoft-graph-types';
import { SERVICE_HOSTED, eventually, sleep, startStack, verifyTokens, type Stack } from '../service/harness';

describe('bot restart mid-call', () => {
  let stack: Stack;
  afterEach(async () => {
    await stack.close();
  });

  it('gets what it missed while down, in order, once it is back on the same port', async () => {
    stack = await startStack({ retry: { baseDelayMs: 50, maxDelayMs: 300, maxAttempts: 30 } });
    const { bot, admin, svc } = stack;
    const incoming = bot.client.waitForIncomingCall();
    await admin.ring(bot.appId, 'Alice');
    const call = await incoming;
    await call.answer({ mediaConfig: SERVICE_HOSTED });
    await call.subscribeToTone();
    await svc.service.dispatcher.idle();
    const tones: ToneInfo[] = [];
    call.on('toneReceived', (t: ToneInfo) => tones.push(t));
    const states: string[] = [];
    call.on('stateChanged', (s: string) => states.push(s));
    const failures: unknown[] = [];
    svc.service.on('notificationAttemptFailed', (e) => failures.push(e));

    await bot.stop();
    // While the bot is down, the call goes on: someone joins, keys are pressed, the caller holds.
    const joined = await admin.post(`/admin/calls/${call.id}/participants`, { displayName: 'Bob' });
    assert.equal(joined.status, 201);
    assert.equal((await admin.post(`/admin/calls/${call.id}/tones`, { tones: '42' })).status, 202);
    assert.equal((await admin.post(`/admin/calls/${call.id}/hold`, { held: true })).status, 202);
    await eventually(() => failures.length >= 2, 'failed delivery attempts while the bot is down');
    assert.equal(call.participants.size, 2, 'nothing arrived while down');
    assert.equal(call.state, 'established');
    await sleep(300);

    const authBefore = bot.authorizations.length;
    await bot.start();
    await svc.service.dispatcher.idle(call.id);
    assert.ok(call.participants.has(joined.body.id), 'Bob is in the roster');
    assert.deepEqual(tones.map((t) => t.tone), ['tone4', 'tone2']);
    assert.deepEqual(states, ['hold']);
    assert.equal(call.state, 'hold');
    const stats = svc.service.dispatcher.stats(call.id);
    assert.equal(stats.dropped, 0);
    assert.ok(stats.failedAttempts >= 2);
    await verifyTokens(svc.url, bot.appId, bot.authorizations.slice(authBefore));

    await call.hangUp();
    assert.equal(call.state, 'terminated');
  });
});
