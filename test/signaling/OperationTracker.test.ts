import { strict as assert } from 'assert';
import { OperationTracker, normalizeStatus } from '../../src/signaling/OperationTracker';
import { CommunicationsError } from '../../src/signaling';

describe('signaling: OperationTracker', () => {
  it('settles a waiter when the operation notification comes', async () => {
    const t = new OperationTracker();
    const waiting = t.wait('call', 'op-1', 1000);
    t.update({ id: 'op-1', status: 'running' });
    t.update({ id: 'op-1', status: 'completed', clientContext: 'c' });
    assert.equal((await waiting).clientContext, 'c');
  });

  it('settles at once when the notification came before the HTTP response', async () => {
    const t = new OperationTracker();
    t.update({ id: 'op-2', status: 'Completed' as never }); // Graph's docs show both casings
    assert.equal((await t.wait('call', 'op-2', 1000)).status, 'completed');
    assert.equal((await t.wait('call', 'op-2', 1000)).id, 'op-2');
  });

  it('rejects with the resultInfo of a failed operation', async () => {
    const t = new OperationTracker();
    const waiting = t.wait('call', 'op-3', 1000);
    t.update({ id: 'op-3', status: 'failed', resultInfo: { code: 400, subcode: 8508, message: 'cancelled' } });
    await assert.rejects(waiting, (err: CommunicationsError) => err.code === 'OPERATION_FAILED' && err.resultInfo?.subcode === 8508);
  });

  it('rejects the waiters of a call that ended, and times out', async () => {
    const t = new OperationTracker();
    const a = t.wait('ended', 'op-4', 1000);
    const b = t.wait('other', 'op-5', 50);
    t.failCall('ended', new CommunicationsError('CALL_TERMINATED', 'gone'));
    await assert.rejects(a, (err: CommunicationsError) => err.code === 'CALL_TERMINATED');
    await assert.rejects(b, (err: CommunicationsError) => err.code === 'TIMEOUT');
  });

  it('reads the status in any case Graph writes it', () => {
    assert.equal(normalizeStatus('Running'), 'running');
    assert.equal(normalizeStatus('NotStarted'), 'notStarted');
    assert.equal(normalizeStatus('COMPLETED'), 'completed');
    assert.equal(normalizeStatus('weird'), undefined);
  });
});
