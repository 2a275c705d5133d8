import { strict as assert } from 'assert';
import { Call, type CallContext } from '../../src/signaling/Call';
import { OperationTracker } from '../../src/signaling/OperationTracker';
import { CommunicationsClient, type Participant, type ParticipantsChange } from '../../src/signaling';
import type { RosterParticipant } from '../../src/media';

const ctx = (): CallContext => ({ transport: undefined as never, operations: new OperationTracker(), timeoutMs: 200, callbackUri: 'http://bot/cb' });

describe('signaling: Call state from notifications', () => {
  it('keeps the newer state when establishing arrives after established', () => {
    const call = new Call('c1', { state: 'incoming' }, ctx());
    call.applyCall('updated', { state: 'established' });
    call.applyCall('updated', { state: 'establishing' });
    assert.equal(call.state, 'established');
    assert.deepEqual(call.stateHistory, ['incoming', 'established']);
  });

  it('ignores anything after terminated and fails pending waits', async () => {
    const call = new Call('c2', { state: 'established' }, ctx());
    const waiting = call.waitForState('hold');
    call.applyCall('deleted', { resultInfo: { code: 0, subcode: 7015 } });
    await assert.rejects(waiting, (err: Error & { code?: string }) => err.code === 'CALL_TERMINATED');
    call.applyCall('updated', { state: 'established' });
    assert.equal(call.state, 'terminated');
    assert.equal(call.resultInfo?.subcode, 7015);
  });

  it('tells joins, leaves and updates apart and keeps participant objects stable', () => {
    const call = new Call('c3', { state: 'established', myParticipantId: 'me' }, ctx());
    const changes: ParticipantsChange[] = [];
    call.on('participantsChanged', (c: ParticipantsChange) => changes.push(c));
    const a = { id: 'a', info: { identity: { user: { id: 'ua', displayName: 'A' } } }, isMuted: false, mediaStreams: [{ mediaType: 'audio' as const, sourceId: '1' }] };
    const me = { id: 'me', info: { identity: { application: { id: 'app' } } }, mediaStreams: [{ mediaType: 'audio' as const, sourceId: '2' }, { mediaType: 'video' as const, sourceId: '3' }] };
    call.applyRoster('updated', [a, me]);
    const first = call.participants.get('a') as Participant;
    call.applyRoster('updated', [{ ...a, isMuted: true, rosterSequenceNumber: 2 }, { ...me, rosterSequenceNumber: 2 }]);
    call.applyRoster('updated', [{ ...me, rosterSequenceNumber: 3 }]);
    assert.deepEqual(changes.map((c) => [c.joined.length, c.left.length, c.updated.length]), [[2, 0, 0], [0, 0, 1], [0, 1, 0]]);
    assert.equal(changes[1].updated[0], first, 'the same object, updated in place');
    assert.equal(first.isMuted, true);
    assert.equal(call.me?.videoSourceIds[0], '3');
    assert.equal(call.participantBySourceId('2'), call.me);
    assert.equal(call.participantBySourceId('1'), undefined, 'A left');
    // The media side takes roster participants to subscribe to and to map source ids.
    const roster: RosterParticipant[] = [...call.participants.values()];
    assert.deepEqual(roster.map((p) => p.mediaStreams?.map((s) => s.sourceId)), [['2', '3']]);
  });

  it('emits each tone once, in sequence', () => {
    const call = new Call('c4', { state: 'established' }, ctx());
    const tones: string[] = [];
    call.on('toneReceived', (t: { tone: string }) => tones.push(t.tone));
    for (const [seq, tone] of [[1, 'tone1'], [2, 'pound'], [2, 'pound'], [1, 'tone1']] as const) {
      call.applyCall('updated', { state: 'established', toneInfo: { sequenceId: seq, tone } } as never);
    }
    assert.deepEqual(tones, ['tone1', 'pound']);
  });

  it('routes notifications by resource, the older /app/calls path included', () => {
    const client = new CommunicationsClient({ appId: 'x', appSecret: 'unused-secret-0123456789', callbackUri: 'http://bot/cb', baseUrl: 'http://127.0.0.1:1' });
    const incoming: string[] = [];
    client.on('incomingCall', (c: Call) => incoming.push(c.id));
    client.handleNotification({ changeType: 'created', resourceUrl: '/communications/calls/k1', resourceData: { state: 'incoming' } });
    client.handleNotification({ changeType: 'updated', resource: '/app/calls/k1/participants', resourceData: [{ id: 'p1' }] });
    client.handleNotification({ changeType: 'updated', resourceUrl: '/communications/calls/k1', resourceData: { state: 'establishing' } });
    assert.deepEqual(incoming, ['k1']);
    assert.equal(client.call('k1')?.state, 'establishing');
    assert.equal(client.call('k1')?.participants.size, 1);
  });
});
