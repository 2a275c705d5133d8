import { strict as assert } from 'assert';
import * as http from 'http';
import fc from 'fast-check';
import type { CommunicationsService } from '../../../src/service';
import { operationToGraph } from '../../../src/service/model/ServiceOperation';
import type { Call } from '../../../src/signaling';
import { accessToken, answeredCall, startStack, type Stack } from '../harness';

/**
 * Generated requests against every route of the service: bodies, headers, ids and paths that a
 * confused or hostile client sends. Each is answered with a Graph error body and a 4xx (or, when
 * the generator happened to write a valid request, a 2xx), never a 5xx; and a refused request
 * leaves every call, operation, roster and directory entry exactly as it was.
 */

interface Answer {
  status: number;
  headers: http.IncomingHttpHeaders;
  text: string;
}

/** One raw request: http.request, so GET and DELETE may carry a body and no client fixes anything up. */
function send(base: URL, agent: http.Agent, method: string, path: string, headers: Record<string, string>, body?: Buffer): Promise<Answer> {
  // Node's client frames a GET or DELETE body only when told its length.
  const framed = body ? { ...headers, 'content-length': String(body.length) } : headers;
  return new Promise((resolve, reject) => {
    const req = http.request({ host: base.hostname, port: base.port, method, path, headers: framed, agent }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, text: Buffer.concat(chunks).toString('utf8') }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(body);
  });
}

/** Everything a request could change, as one comparable value. */
function snapshot(service: CommunicationsService): string {
  const calls = [...service.liveCalls(), ...service.endedCalls()].map((c) => ({
    graph: c.toGraph(),
    roster: c.rosterToGraph(),
    history: c.stateHistory,
    operations: [...c.operations.values()].map(operationToGraph),
  }));
  return JSON.stringify({ calls, directory: service.directory.entries() });
}

/** Until what accepted requests set going has finished: the state holds still across 10 ms with no notification queued. */
async function settled(service: CommunicationsService): Promise<void> {
  for (let round = 0; round < 40; round++) {
    const seen = snapshot(service);
    await new Promise((resolve) => setTimeout(resolve, 10));
    await service.dispatcher.idle();
    if (snapshot(service) === seen) return;
  }
}

/** Graph's calls API and the admin API, each route with whether a real call id may be put in it. */
type Route = { method: string; path: string; realIds: boolean };
const CALL = '/communications/calls/{id}';
const ROUTES: Route[] = [
  { method: 'POST', path: '/v1.0/communications/calls', realIds: true },
  ...['answer', 'reject', 'redirect', 'transfer', 'mute', 'unmute', 'updateRecordingStatus', 'changeScreenSharingRole', 'playPrompt',
    'recordResponse', 'record', 'subscribeToTone', 'cancelMediaProcessing', 'participants/invite', 'participants/{pid}/mute']
    .map((action) => ({ method: 'POST', path: `/v1.0${CALL}/${action}`, realIds: true })),
  { method: 'POST', path: `/beta${CALL}/updateMetadata`, realIds: true },
  { method: 'POST', path: `/beta${CALL}/participants/muteAll`, realIds: true },
  { method: 'GET', path: `/v1.0${CALL}`, realIds: true },
  { method: 'GET', path: `/v1.0${CALL}/operations/{oid}`, realIds: true },
  { method: 'GET', path: `/v1.0${CALL}/participants/{pid}`, realIds: true },
  // Actions that take no body: with a real id any request is valid, so only made-up ids here.
  { method: 'POST', path: `/v1.0${CALL}/keepAlive`, realIds: false },
  { method: 'DELETE', path: `/v1.0${CALL}`, realIds: false },
  { method: 'DELETE', path: `/v1.0${CALL}/participants/{pid}`, realIds: false },
  { method: 'POST', path: '/admin/calls/{id}/hangup', realIds: false },
  { method: 'DELETE', path: '/admin/calls/{id}/participants/{pid}', realIds: false },
  { method: 'POST', path: '/admin/bots', realIds: true },
  { method: 'POST', path: '/admin/users', realIds: true },
  { method: 'POST', path: '/admin/calls/incoming', realIds: true },
  { method: 'POST', path: '/admin/calls/{id}/participants', realIds: true },
  { method: 'POST', path: '/admin/calls/{id}/tones', realIds: true },
  { method: 'POST', path: '/admin/calls/{id}/hold', realIds: true },
  { method: 'GET', path: '/recordings/{id}', realIds: false },
];

/** Field names the service reads, so generated objects reach its validation, not only its JSON parser. */
const FIELDS = ['@odata.type', 'acceptedModalities', 'answer', 'appId', 'callbackUri', 'callOptions', 'chatInfo', 'clientContext',
  'displayName', 'from', 'held', 'id', 'identity', 'info', 'initialSilenceTimeoutInSeconds', 'loop', 'maxRecordDurationInSeconds',
  'maxSilenceTimeoutInSeconds', 'mediaConfig', 'meetingInfo', 'metadata', 'modalities', 'others', 'participantCapacity',
  'participants', 'playBeep', 'prompts', 'reason', 'requestedModalities', 'role', 'sharing', 'source', 'status', 'stopTones',
  'subject', 'targets', 'tenantId', 'timeout', 'toAppId', 'tones', 'transferTarget', 'transferee', 'user', 'uri'];

const printable = fc.string({ unit: fc.integer({ min: 0x21, max: 0x7e }).map((c) => String.fromCharCode(c)), maxLength: 40 });

/** A path segment: mostly percent-encoded anything, sometimes raw printable text or a classic trick. */
const segment = fc.oneof(
  fc.string({ unit: 'binary', maxLength: 30 }).map(encodeURIComponent),
  printable.map((s) => s.replace(/[?#/]/g, '')),
  fc.constantFrom('..', '.', '%00', '%2F', '%2e%2e', '%ZZ', '{id}', 'x'.repeat(3000), ''),
  fc.uuid(),
);

const nested = fc.integer({ min: 1, max: 50_000 }).chain((depth) =>
  fc.constantFrom('[', '{"a":').map((open) => open.repeat(depth) + (open === '[' ? ']'.repeat(depth) : '1' + '}'.repeat(depth))),
);

/** JSON that names the service's fields with values of every type, unparseable text, raw bytes, deep nesting. */
const bodyText: fc.Arbitrary<Buffer | undefined> = fc.oneof(
  { weight: 6, arbitrary: fc.dictionary(fc.constantFrom(...FIELDS), fc.jsonValue({ maxDepth: 3 }), { maxKeys: 6 }).map((o) => Buffer.from(JSON.stringify(o))) },
  { weight: 2, arbitrary: fc.json({ maxDepth: 4 }).map((t) => Buffer.from(t)) },
  { weight: 2, arbitrary: fc.string({ unit: 'binary', maxLength: 200 }).map((t) => Buffer.from(t)) },
  { weight: 1, arbitrary: fc.uint8Array({ maxLength: 512 }).map((b) => Buffer.from(b)) },
  { weight: 1, arbitrary: nested.map((t) => Buffer.from(t)) },
  { weight: 1, arbitrary: fc.constant(undefined) },
);

/** Headers, the bot's own valid token most often (so the checks past it are reached), or junk. */
const headersWith = (token: string) => fc.record(
  {
    'content-type': fc.oneof(fc.constantFrom('application/json', 'text/plain', 'application/x-www-form-urlencoded', 'application/json; charset=latin1'), printable),
    authorization: fc.oneof(
      { weight: 4, arbitrary: fc.constant(`Bearer ${token}`) },
      { weight: 1, arbitrary: printable.map((t) => `Bearer ${t}`) },
      { weight: 1, arbitrary: printable },
      { weight: 1, arbitrary: fc.constant('Bearer') },
    ),
    'client-request-id': printable.filter((s) => s.length > 0),
    accept: fc.constantFrom('application/json', '*/*', 'text/html'),
  },
  { requiredKeys: [] },
);

function assertGraphError(answer: Answer, sent: Record<string, string>): void {
  assert.match(String(answer.headers['content-type']), /^application\/json/, 'an error is JSON');
  const body = JSON.parse(answer.text) as { error?: { code?: unknown; message?: unknown; innerError?: Record<string, unknown> } };
  assert.equal(typeof body.error?.code, 'string', `error.code in ${answer.text.slice(0, 200)}`);
  assert.ok((body.error!.code as string).length > 0);
  assert.equal(typeof body.error?.message, 'string');
  assert.equal(body.error?.innerError?.['request-id'], answer.headers['request-id']);
  if (sent['client-request-id']) assert.equal(body.error?.innerError?.['client-request-id'], sent['client-request-id']);
  assert.match(String(body.error?.innerError?.date), /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
}

describe('service/http: generated bad requests get a Graph 4xx and change nothing', function () {
  this.timeout(180_000);
  let stack: Stack;
  let call: Call;
  let agent: http.Agent;
  const warnings: unknown[] = [];

  before(async () => {
    stack = await startStack();
    stack.svc.service.on('warning', (w) => warnings.push(w));
    call = await answeredCall(stack, 'Alice', { others: [{ displayName: 'Bob' }] });
    agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  });
  after(async () => {
    agent?.destroy();
    await stack?.close();
  });

  it('every route, generated ids, bodies and headers: 4xx with Graph\'s error body or a real success; never 5xx; a refusal changes no state', async () => {
    const base = new URL(stack.svc.url);
    const service = stack.svc.service;
    const real = () => ({
      id: call.id,
      pid: [...call.participants.keys()][0] ?? 'none',
      oid: [...(service.liveCalls().find((c) => c.id === call.id)?.operations.keys() ?? [])][0] ?? 'none',
    });
    const counts = { refused: 0, succeeded: 0 };
    const request = fc.record({
      route: fc.constantFrom(...ROUTES),
      useReal: fc.boolean(),
      ids: fc.record({ id: segment, pid: segment, oid: segment }),
      query: fc.option(printable.map((q) => `?${encodeURI(q).replace(/#/g, '')}`), { nil: '' }),
      headers: headersWith(await accessToken(stack.svc.url, stack.bot.appId)),
      body: bodyText,
    });
    await fc.assert(
      fc.asyncProperty(request, async (r) => {
        const ids = r.useReal && r.route.realIds ? real() : r.ids;
        const path = r.route.path.replace(/\{(id|pid|oid)\}/g, (_, k: 'id' | 'pid' | 'oid') => ids[k]) + r.query;
        const before = snapshot(service);
        const answer = await send(base, agent, r.route.method, path, r.headers, r.body);
        assert.ok(answer.status < 500, `${r.route.method} ${path.slice(0, 120)} answered ${answer.status}: ${answer.text.slice(0, 300)}`);
        if (answer.status >= 400) {
          counts.refused++;
          assertGraphError(answer, r.headers);
          assert.equal(snapshot(service), before, `${r.route.method} ${path.slice(0, 120)} was refused (${answer.status}) and still changed state`);
        } else {
          counts.succeeded++;
          assert.ok(answer.status >= 200 && answer.status < 300, `status ${answer.status}`);
          // An accepted request may finish later (updateMetadata's operation completes on a
          // timer): let it, so the next request's "before" does not catch it half-way.
          await settled(service);
        }
      }),
      { numRuns: 1500 },
    );
    assert.deepEqual(warnings, [], 'no request made the service warn');
    // The generator is for bad input: most requests must have been refused (the rest are valid: Graph ignores unknown fields).
    assert.ok(counts.refused >= 0.7 * (counts.refused + counts.succeeded), `refused ${counts.refused}, succeeded ${counts.succeeded}`);
    // A generated request may be a valid one (hold, then resume): alive is established or on hold.
    assert.ok(['established', 'hold'].includes(String(call.state)), `the call under test lived through all of it (${call.state})`);
  });

  it('made-up paths and methods under every prefix: Graph 4xx, never 5xx, nothing changes', async () => {
    const base = new URL(stack.svc.url);
    const service = stack.svc.service;
    const request = fc.record({
      method: fc.constantFrom('GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS', 'PROPFIND'),
      prefix: fc.constantFrom('/v1.0', '/beta', '/admin', '', '/v2.0', '/v1.0/communications', '/v1.0/communications/calls', '/.well-known'),
      segments: fc.array(segment, { maxLength: 6 }),
      headers: headersWith(await accessToken(stack.svc.url, stack.bot.appId)),
      body: bodyText,
    });
    await fc.assert(
      fc.asyncProperty(request, async (r) => {
        const path = r.prefix + '/' + r.segments.join('/');
        const before = snapshot(service);
        const answer = await send(base, agent, r.method, path, r.headers, r.body);
        assert.ok(answer.status < 500, `${r.method} ${path.slice(0, 120)} answered ${answer.status}: ${answer.text.slice(0, 300)}`);
        if (answer.status >= 400) {
          assertGraphError(answer, r.headers);
          assert.equal(snapshot(service), before);
        }
      }),
      {
        numRuns: 1000,
        // Found by this property: a target starting with '//' parsed as a host, and threw outside the error handling.
        examples: [[{ method: 'GET', prefix: '', segments: ['', '['], headers: {}, body: undefined }]],
      },
    );
    assert.deepEqual(warnings, []);
  });
});
