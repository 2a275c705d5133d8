import type { NotificationDispatcher } from '../notifications/NotificationDispatcher';

/** One notification as it went out to the bot (or was given up on). */
export interface TimelineEntry {
  /** ms since the epoch, when it was delivered or dropped. */
  at: number;
  outcome: 'delivered' | 'dropped';
  attempts: number;
  changeType: string;
  /** The resource's '@odata.type' without its namespace: call, participant, playPromptOperation… */
  resource: string;
  resourceUrl: string;
  /** A call's state, an operation's status and result, a tone: what a person reads first. */
  summary: string;
}

/** Entries kept per call, and calls kept: the newest win. */
const ENTRIES_PER_CALL = 300;
const CALLS_KEPT = 200;

/**
 * Every notification of every call, as it went out: what the console's state timeline shows.
 * Bounded per call and in calls; fed by the dispatcher's events, so nothing on the delivery
 * path waits for it.
 */
export class CallTimeline {
  private readonly calls = new Map<string, TimelineEntry[]>();

  constructor(dispatcher: NotificationDispatcher) {
    dispatcher.on('delivered', (e: { callId: string; body: unknown; attempts: number }) => this.add(e.callId, 'delivered', e.body, e.attempts));
    dispatcher.on('dropped', (e: { callId: string; body: unknown; attempts: number }) => this.add(e.callId, 'dropped', e.body, e.attempts));
  }

  of(callId: string): readonly TimelineEntry[] {
    return this.calls.get(callId) ?? [];
  }

  private add(callId: string, outcome: TimelineEntry['outcome'], body: unknown, attempts: number): void {
    let entries = this.calls.get(callId);
    if (!entries) {
      entries = [];
      this.calls.set(callId, entries);
      if (this.calls.size > CALLS_KEPT) this.calls.delete(this.calls.keys().next().value as string);
    }
    const at = Date.now();
    for (const n of notificationsOf(body)) {
      entries.push({ at, outcome, attempts, ...n });
      if (entries.length > ENTRIES_PER_CALL) entries.shift();
    }
  }
}

type Described = Pick<TimelineEntry, 'changeType' | 'resource' | 'resourceUrl' | 'summary'>;

function notificationsOf(body: unknown): Described[] {
  const value = (body as { value?: unknown })?.value;
  if (!Array.isArray(value)) return [];
  return value.map((n: Record<string, unknown>) => {
    if (Array.isArray(n.resourceData)) {
      const roster = n.resourceData as { info?: { identity?: Record<string, { displayName?: string }> } }[];
      const names = roster.map((p) => Object.values(p.info?.identity ?? {}).find((i) => i?.displayName)?.displayName ?? '?');
      return { changeType: String(n.changeType ?? ''), resource: 'participants', resourceUrl: String(n.resourceUrl ?? ''), summary: `${roster.length}: ${names.join(', ')}` };
    }
    const data = (n.resourceData ?? {}) as Record<string, unknown>;
    const type = String(data['@odata.type'] ?? '').replace(/^#microsoft\.graph\./, '');
    return { changeType: String(n.changeType ?? ''), resource: type, resourceUrl: String(n.resourceUrl ?? ''), summary: summarize(type, data) };
  });
}

function summarize(type: string, data: Record<string, unknown>): string {
  if (type === 'call') {
    const parts = [String(data.state ?? '')];
    const tone = (data.toneInfo as { tone?: string } | undefined)?.tone;
    if (tone) parts.push(`tone ${tone}`);
    const result = data.resultInfo as { code?: number; message?: string } | undefined;
    if (result?.message) parts.push(`${result.code}: ${result.message}`);
    return parts.filter(Boolean).join(' · ');
  }
  if (/Operation$/.test(type)) {
    const result = data.resultInfo as { code?: number; message?: string } | undefined;
    return [String(data.status ?? ''), result ? `${result.code}${result.message ? `: ${result.message}` : ''}` : ''].filter(Boolean).join(' · ');
  }
  return '';
}
