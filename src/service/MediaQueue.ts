import type { ResultInfo } from '@microsoft/microsoft-graph-types';
import type { ServiceOperation } from './model/ServiceOperation';

/** How a media operation ended. */
export interface MediaOutcome {
  status: 'completed' | 'failed';
  resultInfo: ResultInfo;
  extra?: Record<string, unknown>;
}

type Work = (signal: AbortSignal) => Promise<MediaOutcome>;

interface Job {
  op: ServiceOperation;
  work: Work;
  cancelled: () => MediaOutcome;
  controller: AbortController;
  settled: boolean;
}

/**
 * A call's service-hosted media work (prompts, recordings), run one at a time in the order the
 * bot asked. Cancelling settles each queued or running operation at once with its cancelled
 * outcome; a running job's late result is then ignored.
 */
export class MediaQueue {
  private readonly jobs: Job[] = [];
  private current: Job | undefined;

  constructor(private readonly settle: (op: ServiceOperation, outcome: MediaOutcome) => void) {}

  enqueue(op: ServiceOperation, work: Work, cancelled: () => MediaOutcome): void {
    this.jobs.push({ op, work, cancelled, controller: new AbortController(), settled: false });
    void this.pump();
  }

  /** Cancels everything queued or running; returns the operations it cancelled. */
  cancelAll(notify = true): ServiceOperation[] {
    const victims = [...(this.current ? [this.current] : []), ...this.jobs.splice(0)];
    for (const job of victims) {
      job.controller.abort();
      this.finish(job, job.cancelled(), notify);
    }
    return victims.map((j) => j.op);
  }

  get size(): number {
    return this.jobs.length + (this.current ? 1 : 0);
  }

  private finish(job: Job, outcome: MediaOutcome, notify: boolean): void {
    if (job.settled) return;
    job.settled = true;
    job.op.status = outcome.status;
    job.op.resultInfo = outcome.resultInfo;
    if (outcome.extra) Object.assign(job.op.extra, outcome.extra);
    if (notify) this.settle(job.op, outcome);
  }

  private async pump(): Promise<void> {
    if (this.current) return;
    let job: Job | undefined;
    while ((job = this.jobs.shift())) {
      this.current = job;
      let outcome: MediaOutcome;
      try {
        outcome = await job.work(job.controller.signal);
      } catch (err) {
        outcome = job.controller.signal.aborted
          ? job.cancelled()
          : { status: 'failed', resultInfo: { code: 500, subcode: 0, message: `Media operation failed: ${(err as Error).message}` } };
      }
      this.finish(job, outcome, true);
      this.current = undefined;
    }
  }
}
