import { strict as assert } from 'assert';
import type { Call as GraphCall } from '@microsoft/microsoft-graph-types';
import type { AudioRouting, MediaBridge } from '../../src/service';
import type { Call, CommunicationsError } from '../../src/signaling';
import { answeredCall, bearer, eventually, jsonFetch, startStack, type Stack } from './harness';

/** A bridge that keeps the routing the service hands it on every change. */
class RoutingRecorder implements MediaBridge {
  readonly changes: AudioRouting[] = [];
  onAudioRoutingChanged(_call: GraphCall, routing: AudioRouting): void {
    this.changes.push(routing);
  }
}

describe('service: audioRoutingGroups (whose audio the bot hears, and who hears it)', () => {
  let stack: Stack;
  let bridge: RoutingRecorder;
  beforeEach(async () => {
    bridge = new RoutingRecorder();
    stack = await startStack({ mediaBridge: bridge });
  });
  afterEach(async () => {
    await stack.close();
  });

  /** A group call: Alice calls the bot, then Bob and Carol join. */
  async function groupCall(): Promise<{ call: Call; alice: string; bob: string; carol: string; bot: string }> {
    const call = await answeredCall(stack, 'Alice');
    for (const displayName of ['Bob', 'Carol']) {
      const res = await stack.admin.post(`/admin/calls/${call.id}/participants`, { displayName });
      assert.equal(res.status, 201);
    }
    await eventually(() => call.participants.size === 4, 'the bot, Alice, Bob and Carol in the roster');
    const id = (name: string) => [...call.participants.values()].find((p) => p.displayName === name)!.id;
    return { call, alice: id('Alice'), bob: id('Bob'), carol: id('Carol'), bot: call.me!.id };
  }

  it('creates, reads, updates and deletes groups with Graph\'s shapes, and tells the media whose audio the bot hears', async () => {
    const { call, alice, bob, carol, bot } = await groupCall();
    const toBot = await call.createAudioRoutingGroup({ id: 'alice-to-bot', routingMode: 'oneToOne', sources: [alice], receivers: [bot] });
    assert.deepEqual(toBot, { '@odata.type': '#microsoft.graph.audioRoutingGroup', id: 'alice-to-bot', routingMode: 'oneToOne', sources: [alice], receivers: [bot] });
    assert.deepEqual(bridge.changes.at(-1), { botHears: [alice], botHeardBy: null });

    const whisper = await call.createAudioRoutingGroup({ routingMode: 'multicast', sources: [bot], receivers: [bob] });
    assert.ok(whisper.id, 'the service names a group made without an id');
    assert.deepEqual(bridge.changes.at(-1), { botHears: [alice], botHeardBy: [bob] });
    const widened = await call.updateAudioRoutingGroup(whisper.id!, [bob, carol]);
    assert.deepEqual(widened.receivers, [bob, carol]);
    assert.deepEqual(bridge.changes.at(-1), { botHears: [alice], botHeardBy: [bob, carol] });

    assert.deepEqual((await call.listAudioRoutingGroups()).map((g) => g.id).sort(), ['alice-to-bot', whisper.id].sort());
    assert.deepEqual(await call.getAudioRoutingGroup('alice-to-bot'), toBot);
    await call.deleteAudioRoutingGroup('alice-to-bot');
    await call.deleteAudioRoutingGroup(whisper.id!);
    assert.deepEqual(bridge.changes.at(-1), { botHears: null, botHeardBy: null }, 'with no groups the bot hears and is heard by the whole call');
    assert.deepEqual(await call.listAudioRoutingGroups(), []);
    await assert.rejects(call.getAudioRoutingGroup('alice-to-bot'), (err: CommunicationsError) => err.statusCode === 404);
  });

  it("refuses what Graph refuses, and what the service does not route, and changes nothing when it does", async () => {
    const { call, alice, bob, carol, bot } = await groupCall();
    await call.createAudioRoutingGroup({ id: 'taken', routingMode: 'oneToOne', sources: [alice], receivers: [bot] });
    const seen = bridge.changes.length;
    const url = `${stack.svc.url}/v1.0/communications/calls/${call.id}/audioRoutingGroups`;
    const auth = await bearer(stack.svc.url, stack.bot.appId);
    const refusals: [Record<string, unknown>, number, RegExp][] = [
      [{ routingMode: 'oneToOne', sources: [alice], receivers: [bot, bob] }, 400, /exactly one receiver/],
      [{ routingMode: 'multicast', sources: [alice, bob], receivers: [bot] }, 400, /exactly one source/],
      [{ routingMode: 'oneToOne', sources: ['nobody'], receivers: [bot] }, 400, /not a participant/],
      [{ routingMode: 'multicast', sources: [bot], receivers: [bot, bob] }, 400, /cannot be one of its receivers/],
      [{ routingMode: 'oneToOne', sources: [alice], receivers: [carol] }, 400, /the bot must be/],
      [{ routingMode: 'broadcast', sources: [alice], receivers: [bot] }, 400, /routingMode/],
      [{ routingMode: 'oneToOne', receivers: [bot] }, 400, /'sources' is required/],
      [{ id: 'taken', routingMode: 'oneToOne', sources: [bob], receivers: [bot] }, 409, /already exists/],
      [{ '@odata.type': '#microsoft.graph.call', routingMode: 'oneToOne', sources: [bob], receivers: [bot] }, 400, /@odata\.type/],
    ];
    for (const [body, status, message] of refusals) {
      const res = await jsonFetch('POST', url, body, auth);
      assert.equal(res.status, status, JSON.stringify(body));
      assert.match(res.body.error.message, message);
    }
    const patch = await jsonFetch('PATCH', `${url}/taken`, { sources: [bob], receivers: [bot] }, auth);
    assert.equal(patch.status, 400);
    assert.match(patch.body.error.message, /Only 'receivers'/);
    assert.equal((await jsonFetch('DELETE', `${url}/missing`, undefined, auth)).status, 404);

    // Another app's token is refused on the call; the call's own app needs a group call's permissions.
    const other = await bearer(stack.svc.url, 'another-app');
    assert.equal((await jsonFetch('POST', url, { routingMode: 'oneToOne', sources: [bob], receivers: [bot] }, other)).status, 403, "another app's call");
    const p2pOnly = await bearer(stack.svc.url, stack.bot.appId, ['Calls.Initiate.All', 'Calls.AccessMedia.All']);
    const denied = await jsonFetch('POST', url, { routingMode: 'oneToOne', sources: [bob], receivers: [bot] }, p2pOnly);
    assert.equal(denied.status, 403);
    assert.match(denied.body.error.message, /Calls\.JoinGroupCall\.All|Calls\.InitiateGroupCall\.All/);

    assert.equal(bridge.changes.length, seen, 'no refused request reached the media');
    assert.deepEqual((await call.listAudioRoutingGroups()).map((g) => g.id), ['taken']);
  });

  it('has no audio routing groups in a peer-to-peer call, as Graph has none', async () => {
    const call = await answeredCall(stack, 'Alice');
    const alice = [...call.participants.values()].find((p) => p !== call.me)!.id;
    await assert.rejects(call.createAudioRoutingGroup({ routingMode: 'oneToOne', sources: [alice], receivers: [call.me!.id] }), (err: CommunicationsError) => {
      assert.equal(err.statusCode, 400);
      assert.match(err.message, /peer-to-peer/);
      return true;
    });
  });
});
