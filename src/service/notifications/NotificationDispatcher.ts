import { EventEmitter } from 'events';
import * as http from 'http';
import * as https from 'https';

export interface RetryPolicy {
  /** Attempts per notification, the first one included, before it is dropped. */
  maxAttempts: number;
  /** Delay before the second attempt; doubles each attempt up to `maxDelayMs`. */
  baseDelayMs: number;
  maxDelayMs: number;
}

export const DEFAULT_RETRY: RetryPolicy = { maxAttempts: 10, baseDelayMs: 250, maxDelayMs: 5000 };

/** Where one call's notifications go and who they are for. */
export interface DeliveryTarget {
  callId: string;
  /** Read at each attempt: answer/reject/redirect and 3xx answers change it mid-call. */
  callbackUri(): string;
  /** The bot's 3xx answer moved the call's notifications elsewhere. */
  moveCallback(uri: string): void;
  /** Application id of the bot: the `aud` of the token. */
  audience: string;
}

export interface DeliveryStats {
  delivered: number;
  failedAttempts: number;
  dropped: number;
  pending: number;
}

interface Item {
  body: unknown;
  attempts: number;
}

interface Queue {
  target: DeliveryTarget;
  items: Item[];
  running: boolean;
  stats: DeliveryStats;
  idleWaiters: Array<() => void>;
  /** The call ended: drop the queue once it has sent what it holds. */
  released: boolean;
}

/** Stats of released queues kept for inspection (the admin API shows ended calls too). */
const RELEASED_STATS_KEPT = 500;

/** Gives up on one attempt after this long, so a hung bot cannot stall its call's queue. */
const ATTEMPT_TIMEOUT_MS = 10_000;
const MAX_REDIRECTS = 5;

/**
 * Delivers notifications to bots: one ordered queue per call (a notification is sent only after
 * the one before it was accepted or dropped), a freshly signed bearer token per attempt,
 * exponential backoff on non-2xx answers and connection errors, a bounded number of attempts,
 * and 3xx answers followed by moving the call's callback.
 *
 * Events: 'delivered' ({ callId, body, attempts }), 'attemptFailed' ({ callId, attempt, reason }),
 * 'dropped' ({ callId, body, attempts, reason }), 'redirected' ({ callId, from, to }).
 */
export class NotificationDispatcher extends EventEmitter {
  private readonly queues = new Map<string, Queue>();
  private readonly releasedStats = new Map<string, DeliveryStats>();
  private readonly timers = new Set<NodeJS.Timeout>();
  private readonly agent = new http.Agent({ keepAlive: true, maxSockets: 16 });
  private readonly tlsAgent = new https.Agent({ keepAlive: true, maxSockets: 16 });
  private closed = false;

  constructor(
    private readonly signToken: (audience: string) => Promise<string>,
    private readonly retry: RetryPolicy = DEFAULT_RETRY,
  ) {
    super();
  }

  enqueue(target: DeliveryTarget, body: unknown): void {
    if (this.closed) return;
    let queue = this.queues.get(target.callId);
    if (!queue) {
      queue = { target, items: [], running: false, stats: { delivered: 0, failedAttempts: 0, dropped: 0, pending: 0 }, idleWaiters: [], released: false };
      this.queues.set(target.callId, queue);
    }
    queue.items.push({ body, attempts: 0 });
    queue.stats.pending = queue.items.length;
    if (!queue.running) void this.run(queue);
  }

  stats(callId: string): DeliveryStats {
    const q = this.queues.get(callId);
    if (q) return { ...q.stats, pending: q.items.length };
    return { ...(this.releasedStats.get(callId) ?? { delivered: 0, failedAttempts: 0, dropped: 0, pending: 0 }) };
  }

  /** The call is over: its queue goes away once it has delivered (or dropped) what it holds. */
  release(callId: string): void {
    const q = this.queues.get(callId);
    if (!q) return;
    q.released = true;
    if (!q.running && q.items.length === 0) this.forget(q);
  }

  private forget(q: Queue): void {
    this.queues.delete(q.target.callId);
    this.releasedStats.set(q.target.callId, { ...q.stats, pending: 0 });
    if (this.releasedStats.size > RELEASED_STATS_KEPT) this.releasedStats.delete(this.releasedStats.keys().next().value as string);
  }

  /** Resolves when the call's queue (or every queue) has nothing left to send. */
  idle(callId?: string): Promise<void> {
    const queues = callId ? [this.queues.get(callId)].filter((q): q is Queue => !!q) : [...this.queues.values()];
    return Promise.all(
      queues.map((q) => (q.running || q.items.length > 0 ? new Promise<void>((r) => q.idleWaiters.push(r)) : undefined)),
    ).then(() => undefined);
  }

  close(): void {
    this.closed = true;
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
    for (const q of this.queues.values()) {
      q.items.length = 0;
      for (const w of q.idleWaiters.splice(0)) w();
    }
    this.agent.destroy();
    this.tlsAgent.destroy();
  }

  private async run(queue: Queue): Promise<void> {
    queue.running = true;
    try {
      while (!this.closed && queue.items.length > 0) {
        const item = queue.items[0];
        await this.deliver(queue, item);
        queue.items.shift();
        queue.stats.pending = queue.items.length;
      }
    } finally {
      queue.running = false;
      if (queue.items.length === 0 || this.closed) for (const w of queue.idleWaiters.splice(0)) w();
      if (queue.released && queue.items.length === 0) this.forget(queue);
    }
  }

  /** Tries until accepted or out of attempts; never throws. */
  private async deliver(queue: Queue, item: Item): Promise<void> {
    const { target, stats } = queue;
    let redirects = 0;
    while (!this.closed) {
      item.attempts++;
      const uri = target.callbackUri();
      let reason: string;
      try {
        const token = await this.signToken(target.audience);
        const { status, location } = await this.post(uri, token, item.body);
        if (status >= 200 && status < 300) {
          stats.delivered++;
          this.emit('delivered', { callId: target.callId, body: item.body, attempts: item.attempts });
          return;
        }
        if (status >= 300 && status < 400 && location && redirects < MAX_REDIRECTS) {
          // The bot moved this call: send this and later notifications to the new address.
          redirects++;
          item.attempts--;
          const to = new URL(location, uri).toString();
          target.moveCallback(to);
          this.emit('redirected', { callId: target.callId, from: uri, to });
          continue;
        }
        reason = `HTTP ${status}`;
      } catch (err) {
        reason = (err as Error).message || String(err);
      }
      stats.failedAttempts++;
      this.emit('attemptFailed', { callId: target.callId, attempt: item.attempts, reason });
      if (item.attempts >= this.retry.maxAttempts) {
        stats.dropped++;
        this.emit('dropped', { callId: target.callId, body: item.body, attempts: item.attempts, reason });
        return;
      }
      await this.sleep(Math.min(this.retry.maxDelayMs, this.retry.baseDelayMs * 2 ** (item.attempts - 1)));
    }
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const t = setTimeout(() => {
        this.timers.delete(t);
        resolve();
      }, ms);
      this.timers.add(t);
    });
  }

  private post(uri: string, token: string, body: unknown): Promise<{ status: number; location?: string }> {
    return new Promise((resolve, reject) => {
      let url: URL;
      try {
        url = new URL(uri);
      } catch {
        reject(new Error(`invalid callbackUri '${uri}'`));
        return;
      }
      const payload = Buffer.from(JSON.stringify(body));
      const secure = url.protocol === 'https:';
      const req = (secure ? https : http).request(
        url,
        {
          method: 'POST',
          agent: secure ? this.tlsAgent : this.agent,
          timeout: ATTEMPT_TIMEOUT_MS,
          headers: {
            'Content-Type': 'application/json; charset=utf-8',
            'Content-Length': payload.length,
            Authorization: `Bearer ${token}`,
          },
        },
        (res) => {
          res.resume(); // the bot's answer body carries nothing we use
          res.on('end', () => resolve({ status: res.statusCode ?? 0, location: res.headers.location }));
          res.on('error', reject);
        },
      );
      req.on('timeout', () => req.destroy(new Error(`no answer within ${ATTEMPT_TIMEOUT_MS} ms`)));
      req.on('error', reject);
      req.end(payload);
    });
  }
}
