import { strict as assert } from 'assert';
import type { Call as GraphCall, MediaPrompt, Participant } from '@microsoft/microsoft-graph-types';
import type { MediaBridge } from '../../src/service';
import { mediaPrompt } from '../../src/signaling';
import { answeredCall, bearer, eventually, jsonFetch, startStack, type Stack } from './harness';

/** A bridge that keeps what the service tells it of holds. */
class HoldRecorder implements MediaBridge {
  readonly holds: string[] = [];
  onHoldMusicChanged(_call: GraphCall, participant: Participant, held: boolean, prompt?: MediaPrompt): void {
    this.holds.push(`${participant.info?.identity?.user?.displayName}:${held ? prompt?.mediaInfo?.uri ?? 'tone' : 'off'}`);
  }
}

describe('service: in-call participant actions (startHoldMusic, stopHoldMusic)', () => {
  let stack: Stack;
  let bridge: HoldRecorder;
  beforeEach(async () => {
    bridge = new HoldRecorder();
    stack = await startStack({ mediaBridge: bridge });
  });
  afterEach(async () => {
    await stack.close();
  });

  it("holds one participant at a time with Graph's 202 and operation, shows it in the roster, and lets it go", async () => {
    const call = await answeredCall(stack, 'Alice');
    await stack.admin.post(`/admin/calls/${call.id}/participants`, { displayName: 'Bob' });
    await eventually(() => call.participants.size === 3, 'Bob in the roster');
    const person = (name: string) => [...call.participants.values()].find((p) => p.displayName === name)!;
    const url = (name: string, action: string) => `${stack.svc.url}/v1.0/communications/calls/${call.id}/participants/${person(name).id}/${action}`;
    const auth = await bearer(stack.svc.url, stack.bot.appId);

    const res = await jsonFetch('POST', url('Bob', 'startHoldMusic'), { customPrompt: mediaPrompt('https://bot.example/onHold.wav'), clientContext: 'hold-1' }, auth);
    assert.equal(res.status, 202);
    assert.equal(res.body['@odata.type'], '#microsoft.graph.startHoldMusicOperation');
    assert.equal(res.body.status, 'running');
    assert.equal(res.body.clientContext, 'hold-1');
    assert.ok(res.headers.get('location')?.endsWith(`/operations/${res.body.id}`));
    await eventually(() => person('Bob').mediaStreams.find((m) => m.mediaType === 'audio')?.direction === 'inactive', "Bob's audio inactive in the roster");
    await eventually(() => stack.svc.service.findCall(call.id)?.operations.get(res.body.id)?.status === 'completed', 'the operation completed');
    assert.deepEqual(bridge.holds, ['Bob:https://bot.example/onHold.wav']);

    const refusals: [string, string, unknown, number][] = [
      ['Alice', 'startHoldMusic', {}, 409], // Bob is already held
      ['Alice', 'stopHoldMusic', {}, 400], // Alice is not
      ['Bob', 'startHoldMusic', { customPrompt: { '@odata.type': '#microsoft.graph.mediaPrompt', mediaInfo: {} } }, 400],
    ];
    for (const [name, action, body, status] of refusals) assert.equal((await jsonFetch('POST', url(name, action), body, auth)).status, status, `${name} ${action}`);
    const me = `${stack.svc.url}/v1.0/communications/calls/${call.id}/participants/${call.me!.id}/startHoldMusic`;
    assert.equal((await jsonFetch('POST', me, {}, auth)).status, 400, 'the bot cannot hold itself');

    const stopped = await person('Bob').stopHoldMusic();
    assert.equal(stopped.status, 'completed');
    await eventually(() => person('Bob').mediaStreams.find((m) => m.mediaType === 'audio')?.direction === 'sendReceive', "Bob's audio back");
    const tone = await person('Alice').startHoldMusic();
    assert.equal(tone.status, 'completed');
    assert.deepEqual(bridge.holds, ['Bob:https://bot.example/onHold.wav', 'Bob:off', 'Alice:tone']);

    // Graph asks for the meeting-join permissions to hold anyone.
    const without = await bearer(stack.svc.url, stack.bot.appId, ['Calls.Initiate.All', 'Calls.AccessMedia.All']);
    const denied = await jsonFetch('POST', url('Alice', 'stopHoldMusic'), {}, without);
    assert.equal(denied.status, 403);
    assert.match(denied.body.error.message, /Calls\.JoinGroupCall/);
  });
});
