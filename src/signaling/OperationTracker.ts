import { CommunicationsError, describeResult } from './errors';
import type { CommsOperation, CommsOperationStatus } from './types';

interface Waiter {
  callId: string;
  resolve(op: CommsOperation): void;
  reject(err: Error): void;
  timer: NodeJS.Timeout;
}

/** How many finished operations are remembered for waiters that arrive after the notification. */
const FINISHED_KEPT = 1000;

export function normalizeStatus(status: unknown): CommsOperationStatus | undefined {
  if (typeof status !== 'string') return undefined;
  const s = status.toLowerCase();
  if (s === 'notstarted') return 'notStarted';
  if (s === 'running' || s === 'completed' || s === 'failed') return s;
  return undefined;
}

export function operationFailed(op: CommsOperation): CommunicationsError {
  return new CommunicationsError('OPERATION_FAILED', `${op['@odata.type'] ?? 'operation'} ${op.id} failed: ${describeResult(op.resultInfo)}`, {
    resultInfo: op.resultInfo,
  });
}

/**
 * Matches operation notifications to the actions waiting for them. A notification can beat the
 * HTTP response that named the operation (both travel separately), so finished operations are
 * remembered and a late waiter settles at once.
 */
export class OperationTracker {
  private readonly waiters = new Map<string, Waiter>();
  private readonly finished = new Map<string, CommsOperation>();

  wait(callId: string, operationId: string, timeoutMs: number): Promise<CommsOperation> {
    const done = this.finished.get(operationId);
    if (done) return settle(done);
    return new Promise<CommsOperation>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiters.delete(operationId);
        reject(new CommunicationsError('TIMEOUT', `operation ${operationId} did not finish within ${timeoutMs} ms`));
      }, timeoutMs);
      timer.unref();
      this.waiters.set(operationId, {
        callId,
        timer,
        resolve: (op) => settle(op).then(resolve, reject),
        reject,
      });
    });
  }

  /** An operation notification arrived. */
  update(received: CommsOperation): void {
    const status = normalizeStatus(received.status);
    const id = received.id;
    if (!id || (status !== 'completed' && status !== 'failed')) return;
    const op = { ...received, status };
    this.finished.set(id, op);
    if (this.finished.size > FINISHED_KEPT) this.finished.delete(this.finished.keys().next().value as string);
    const waiter = this.waiters.get(id);
    if (waiter) {
      this.waiters.delete(id);
      clearTimeout(waiter.timer);
      waiter.resolve(op);
    }
  }

  /** The call ended: nothing it started will complete any more. */
  failCall(callId: string, err: Error): void {
    for (const [id, w] of this.waiters) {
      if (w.callId !== callId) continue;
      this.waiters.delete(id);
      clearTimeout(w.timer);
      w.reject(err);
    }
  }
}

function settle(op: CommsOperation): Promise<CommsOperation> {
  return normalizeStatus(op.status) === 'failed' ? Promise.reject(operationFailed(op)) : Promise.resolve(op);
}
