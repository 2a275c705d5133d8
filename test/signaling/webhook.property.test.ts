import { strict as assert } from 'assert';
import * as http from 'http';
import fc from 'fast-check';
import { CommunicationsError, type Call, type CommsNotification } from '../../src/signaling';
import { answeredCall, startStack, type Stack } from '../service/harness';

/**
 * Generated requests against the bot's webhook. Without a valid token nothing is read; with one, a
 * body that is not a commsNotifications object is a 400, a notification whose shape Graph never
 * sends is dropped whole and counted, and the rest of its batch still applies. Never a 5xx, never
 * an exception out of the client, and a refused or dropped notification changes no call.
 */

interface Answer {
  status: number;
  text: string;
}

function post(url: string, agent: http.Agent, headers: Record<string, string>, body: Buffer): Promise<Answer> {
  const u = new URL(url);
  return new Promise((resolve, reject) => {
    const req = http.request(
      { host: u.hostname, port: u.port, path: u.pathname, method: 'POST', agent, headers: { ...headers, 'content-length': String(body.length) } },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString('utf8') }));
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

/** The bot's view of its calls, as one comparable value. */
function snapshot(calls: ReadonlyMap<string, Call>): string {
  return JSON.stringify(
    [...calls.values()].map((c) => ({ id: c.id, state: c.state, history: c.stateHistory, roster: [...c.participants.keys()], data: c.resource })),
  );
}

const printable = fc.string({ unit: fc.integer({ min: 0x21, max: 0x7e }).map((c) => String.fromCharCode(c)), maxLength: 40 });

/** Numbers JSON carries as numbers (Infinity and NaN would arrive as null). */
const finite = fc.double({ noDefaultInfinity: true, noNaN: true });

/** A value that is not an object: what a confused sender puts where Graph puts a resource. */
const notAnObject = fc.oneof(fc.string(), finite, fc.boolean(), fc.constant(null), fc.array(fc.jsonValue({ maxDepth: 1 }), { maxLength: 3 }));

describe('signaling/webhook: generated notifications, good tokens and bad', function () {
  this.timeout(180_000);
  let stack: Stack;
  let call: Call;
  let agent: http.Agent;
  let seen: CommsNotification[];
  const warnings: Error[] = [];

  before(async () => {
    stack = await startStack();
    call = await answeredCall(stack);
    stack.bot.client.on('warning', (w: Error) => warnings.push(w));
    agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  });
  beforeEach(() => {
    seen = [];
    warnings.length = 0;
    stack.bot.client.on('notification', (n: CommsNotification) => seen.push(n));
  });
  afterEach(() => stack.bot.client.removeAllListeners('notification'));
  after(async () => {
    agent?.destroy();
    await stack?.close();
  });

  const sign = () => stack.svc.service.tokens.sign(stack.svc.service.issuer, stack.bot.appId, {});
  const callUrl = () => `/communications/calls/${call.id}`;

  it('no valid token: 401 for any body and header, nothing is read or applied', async () => {
    const auth = fc.oneof(
      fc.constant(undefined),
      printable,
      printable.map((t) => `Bearer ${t}`),
      // a real token, cut or with one character changed
      fc.integer({ min: 1, max: 400 }).map((cut) => ({ cut })),
      fc.integer({ min: 0, max: 400 }).map((at) => ({ at })),
    );
    const token = await sign();
    const before = snapshot(stack.bot.client.calls);
    await fc.assert(
      fc.asyncProperty(auth, fc.json({ maxDepth: 4 }), async (a, json) => {
        let header: string | undefined;
        if (typeof a === 'object' && a && 'cut' in a) header = `Bearer ${token.slice(0, token.length - a.cut)}`;
        else if (typeof a === 'object' && a && 'at' in a) {
          const i = a.at % token.length;
          header = `Bearer ${token.slice(0, i)}${token[i] === 'A' ? 'B' : 'A'}${token.slice(i + 1)}`;
        } else header = a;
        const answer = await post(stack.bot.callbackUri, agent, header === undefined ? {} : { authorization: header }, Buffer.from(json));
        assert.equal(answer.status, 401, `${header?.slice(0, 60)}: ${answer.text}`);
        assert.equal(JSON.parse(answer.text).error.code, 'unauthenticated');
      }),
      { numRuns: 400 },
    );
    assert.equal(seen.length, 0);
    assert.equal(snapshot(stack.bot.client.calls), before);
  });

  it('a valid token and a body that is not commsNotifications: 400, nothing applied', async () => {
    const auth = `Bearer ${await sign()}`;
    const before = snapshot(stack.bot.client.calls);
    const body = fc.oneof(
      fc.string({ unit: 'binary', maxLength: 300 }).map((t) => Buffer.from(t)),
      fc.uint8Array({ maxLength: 300 }).map((b) => Buffer.from(b)),
      fc.jsonValue({ maxDepth: 3 }).filter((v) => !Array.isArray((v as { value?: unknown } | null)?.value)).map((v) => Buffer.from(JSON.stringify(v) ?? '')),
      fc.array(fc.oneof(notAnObject, fc.record({ resourceUrl: fc.string() })), { minLength: 1, maxLength: 4 })
        .filter((vs) => vs.some((v) => typeof (v as { changeType?: unknown } | null)?.changeType !== 'string'))
        .map((value) => Buffer.from(JSON.stringify({ value }))),
    );
    await fc.assert(
      fc.asyncProperty(body, async (b) => {
        const answer = await post(stack.bot.callbackUri, agent, { authorization: auth, 'content-type': 'application/json' }, b);
        assert.equal(answer.status, 400, `${b.subarray(0, 80).toString()}: ${answer.text}`);
        assert.equal(JSON.parse(answer.text).error.code, 'invalidRequest');
      }),
      { numRuns: 400 },
    );
    assert.equal(seen.length, 0);
    assert.equal(snapshot(stack.bot.client.calls), before);
  });

  it('a valid token, notifications of shapes Graph never sends about the live call: each dropped whole and counted, the good one in the batch applied', async () => {
    const auth = `Bearer ${await sign()}`;
    const malformed: fc.Arbitrary<Record<string, unknown>> = fc.oneof(
      // not a change Graph knows
      fc.record({ changeType: printable.filter((t) => !['created', 'updated', 'deleted'].includes(t)), resourceUrl: fc.constant(null).map(callUrl), resourceData: fc.constant({ state: 'terminated' }) }),
      // a resource that is no call (or a broken escape in its id)
      fc.record({ changeType: fc.constant('deleted'), resourceUrl: fc.oneof(printable, fc.constant('/communications/calls/%zz'), fc.constant('/communications/calls//participants')), resourceData: fc.constant({}) }),
      // a call whose resource is not an object, or whose state is no callState
      fc.record({ changeType: fc.constantFrom('created', 'updated'), resourceUrl: fc.constant(null).map(callUrl), resourceData: notAnObject.filter((v) => v !== null) }),
      fc.record({ changeType: fc.constantFrom('created', 'updated', 'deleted'), resourceUrl: fc.constant(null).map(callUrl), resourceData: fc.record({ state: fc.oneof(printable, finite, fc.boolean(), fc.dictionary(printable, fc.jsonValue({ maxDepth: 1 }))) }) }),
      // participants without ids
      fc.record({ changeType: fc.constantFrom('created', 'updated', 'deleted'), resourceUrl: fc.constant(null).map(() => `${callUrl()}/participants`), resourceData: fc.array(fc.oneof(notAnObject, fc.record({ id: fc.oneof(finite, fc.constant(''), fc.boolean()), info: fc.jsonValue({ maxDepth: 1 }) })), { minLength: 1, maxLength: 3 }) }),
      // operations without an id or with a status that is no string
      fc.record({ changeType: fc.constant('updated'), resourceUrl: fc.constant(null).map(() => `${callUrl()}/operations/x`), resourceData: fc.oneof(notAnObject, fc.record({ id: finite, status: fc.constant('completed') }), fc.record({ id: printable, status: fc.oneof(finite, fc.array(fc.string())) })) }),
    );
    let newcomer = 0;
    await fc.assert(
      fc.asyncProperty(fc.array(malformed, { minLength: 1, maxLength: 5 }), fc.nat(), async (bad, at) => {
        const before = snapshot(stack.bot.client.calls);
        const droppedBefore = stack.bot.client.notificationsMalformed;
        warnings.length = 0;
        // One good roster change rides in the same batch: a participant joins.
        const id = `newcomer-${++newcomer}`;
        const roster = [...call.participants.values()].map((p) => p.resource).concat([{ id, info: { identity: { user: { id, displayName: id } } } }]);
        const good = { changeType: 'updated', resourceUrl: `${callUrl()}/participants`, resourceData: roster };
        const value: unknown[] = [...bad];
        value.splice(at % (bad.length + 1), 0, good);
        const answer = await post(stack.bot.callbackUri, agent, { authorization: auth }, Buffer.from(JSON.stringify({ value })));
        assert.equal(answer.status, 202, answer.text);
        assert.equal(stack.bot.client.notificationsMalformed - droppedBefore, bad.length, 'every malformed notification counted');
        assert.equal(warnings.length, bad.length);
        for (const w of warnings) assert.ok(w instanceof CommunicationsError && w.code === 'MALFORMED_NOTIFICATION', `warning: ${w.stack}`);
        assert.ok(call.participants.has(id), 'the good notification in the batch was applied');
        // Apart from the newcomer, nothing moved.
        const after = JSON.parse(snapshot(stack.bot.client.calls)) as { id: string; roster: string[]; data: unknown }[];
        const expected = JSON.parse(before) as { id: string; roster: string[]; data: unknown }[];
        for (const c of [...after, ...expected]) if (c.id === call.id) c.roster = c.roster.filter((p) => p !== id);
        assert.deepEqual(after, expected);
        assert.equal(call.state, 'established');
      }),
      { numRuns: 300 },
    );
  });
});
