import { strict as assert } from 'assert';
import { decodeJwt } from 'jose';
import { NotificationDispatcher, type DeliveryTarget } from '../../src/service';
import { eventually, startRecorder, type Recorder } from './harness';

describe('service: NotificationDispatcher', () => {
  let rec: Recorder;
  let dispatcher: NotificationDispatcher;
  let signed: string[];

  beforeEach(async () => {
    rec = await startRecorder();
    signed = [];
  });
  afterEach(async () => {
    dispatcher?.close();
    await rec.close();
  });

  function make(retry = { maxAttempts: 6, baseDelayMs: 40, maxDelayMs: 200 }) {
    let n = 0;
    dispatcher = new NotificationDispatcher(async (aud) => {
      const token = `${aud}.${++n}`;
      signed.push(token);
      return token;
    }, retry);
    return dispatcher;
  }

  function target(callId = 'call-1', uri = rec.url, audience = 'app-1'): DeliveryTarget & { uri: string } {
    const t = {
      callId,
      audience,
      uri,
      callbackUri: () => t.uri,
      moveCallback: (u: string) => {
        t.uri = u;
      },
    };
    return t;
  }

  it('keeps each call in order while retrying with growing delays', async () => {
    const d = make();
    rec.respond = (r) => (r.body.seq === 1 && rec.received.filter((x) => x.body.seq === 1).length <= 3 ? 503 : 202);
    const t = target();
    for (let seq = 1; seq <= 4; seq++) d.enqueue(t, { seq });
    await d.idle('call-1');
    const seqs = rec.received.map((r) => r.body.seq);
    assert.deepEqual(seqs, [1, 1, 1, 1, 2, 3, 4], 'the first is retried until accepted; nothing overtakes it');
    const gaps = rec.received.slice(1, 4).map((r, i) => r.at - rec.received[i].at);
    assert.ok(gaps[0] >= 35 && gaps[1] >= 75 && gaps[2] >= 150, `backoff doubles: ${gaps.join(', ')} ms`);
    assert.deepEqual(d.stats('call-1'), { delivered: 4, failedAttempts: 3, dropped: 0, pending: 0 });
    assert.equal(new Set(rec.received.map((r) => r.authorization)).size, rec.received.length, 'a fresh token for every attempt');
    assert.ok(rec.received.every((r) => r.authorization.startsWith('Bearer app-1.')), 'tokens are for the call\'s bot');
  });

  it('gives up after the last attempt, reports the drop and goes on with the next', async () => {
    const d = make({ maxAttempts: 3, baseDelayMs: 10, maxDelayMs: 20 });
    const dropped: any[] = [];
    d.on('dropped', (e) => dropped.push(e));
    rec.respond = (r) => (r.body.seq === 1 ? 500 : 202);
    const t = target();
    d.enqueue(t, { seq: 1 });
    d.enqueue(t, { seq: 2 });
    await d.idle();
    assert.deepEqual(rec.received.map((r) => r.body.seq), [1, 1, 1, 2]);
    assert.equal(dropped.length, 1);
    assert.equal(dropped[0].attempts, 3);
    assert.match(dropped[0].reason, /500/);
    assert.deepEqual(d.stats('call-1'), { delivered: 1, failedAttempts: 3, dropped: 1, pending: 0 });
  });

  it('retries a bot that is not listening until it is', async () => {
    const d = make({ maxAttempts: 30, baseDelayMs: 20, maxDelayMs: 80 });
    const port = rec.port;
    await rec.close();
    const failed: any[] = [];
    d.on('attemptFailed', (e) => failed.push(e));
    d.enqueue(target('call-1', `http://127.0.0.1:${port}/callback`), { seq: 1 });
    await eventually(() => failed.length >= 2, 'failed attempts');
    assert.match(failed[0].reason, /ECONNREFUSED/);
    rec = await startRecorder(port);
    await d.idle();
    assert.deepEqual(rec.received.map((r) => r.body.seq), [1]);
  });

  it('follows a 3xx answer and sends the rest of the call to the new address', async () => {
    const d = make();
    const moved = rec.url.replace('/callback', '/moved');
    rec.respond = (r) => (r.path === '/callback' ? { status: 302, headers: { Location: '/moved' } } : 202);
    const t = target();
    d.enqueue(t, { seq: 1 });
    d.enqueue(t, { seq: 2 });
    await d.idle();
    assert.deepEqual(rec.received.map((r) => `${r.path}:${r.body.seq}`), ['/callback:1', '/moved:1', '/moved:2']);
    assert.equal(t.uri, moved);
    assert.equal(d.stats('call-1').failedAttempts, 0);
  });

  it('does not hold one call back for another call\'s failing bot', async () => {
    const d = make({ maxAttempts: 50, baseDelayMs: 50, maxDelayMs: 50 });
    rec.respond = (r) => (r.path === '/down' ? 503 : 202);
    d.enqueue(target('stuck', rec.url.replace('/callback', '/down')), { seq: 'stuck' });
    d.enqueue(target('fine'), { seq: 'fine' });
    await d.idle('fine');
    assert.ok(rec.received.some((r) => r.body.seq === 'fine'));
    assert.equal(d.stats('stuck').delivered, 0);
  });

  it('signs with the real issuer: tokens carry the audience of the call', async () => {
    const { TokenIssuer } = await import('../../src/service');
    const issuer = await TokenIssuer.create({ tenantId: 'tenant-1' });
    dispatcher = new NotificationDispatcher((aud) => issuer.sign('https://issuer.test', aud));
    dispatcher.enqueue(target('c', rec.url, 'bot-app'), { seq: 1 });
    await dispatcher.idle();
    const claims = decodeJwt(rec.received[0].authorization.replace('Bearer ', ''));
    assert.equal(claims.aud, 'bot-app');
    assert.equal(claims.iss, 'https://issuer.test');
    assert.equal(claims.tid, 'tenant-1');
  });
});
