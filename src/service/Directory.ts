import type { IdentitySet, InvitationParticipantInfo } from '@microsoft/microsoft-graph-types';
import { randomUUID } from 'crypto';

/** A bot the service can route calls to (redirect, transfer, incoming calls). */
export interface BotEntry {
  appId: string;
  displayName: string;
  callbackUri: string;
}

/** How a synthetic user answers when called, invited or transferred to. */
export type AnswerBehavior = 'accept' | 'decline';

export interface UserEntry {
  id: string;
  displayName: string;
  answer: AnswerBehavior;
}

/** Where an invitation target leads. */
export type ResolvedTarget =
  | { kind: 'bot'; bot: BotEntry; identity: IdentitySet }
  | { kind: 'voicemail'; identity: IdentitySet }
  | { kind: 'party'; identity: IdentitySet; answer: AnswerBehavior; displayName: string };

/**
 * The service's address book: bots registered through the admin API (or known from the calls
 * they made), and synthetic users with a scripted answer. Identities nobody registered are
 * parties that accept, so a bot can call or invite anyone without setup.
 */
export class Directory {
  private readonly bots = new Map<string, BotEntry>();
  private readonly users = new Map<string, UserEntry>();

  registerBot(bot: BotEntry): BotEntry {
    this.bots.set(bot.appId, { ...bot });
    return { ...bot };
  }

  bot(appId: string): BotEntry | undefined {
    return this.bots.get(appId);
  }

  /** Learns a bot's callback from a call it created or answered, unless it was registered. */
  rememberBot(appId: string, callbackUri: string, displayName?: string): void {
    if (!this.bots.has(appId)) this.bots.set(appId, { appId, callbackUri, displayName: displayName ?? appId });
  }

  registerUser(user: Partial<UserEntry> & { displayName: string }): UserEntry {
    const entry: UserEntry = { id: user.id ?? randomUUID(), displayName: user.displayName, answer: user.answer ?? 'accept' };
    this.users.set(entry.id, entry);
    return { ...entry };
  }

  user(id: string): UserEntry | undefined {
    return this.users.get(id);
  }

  /** Every registered bot and user, as copies (for the admin API and state comparisons). */
  entries(): { bots: BotEntry[]; users: UserEntry[] } {
    return { bots: [...this.bots.values()].map((b) => ({ ...b })), users: [...this.users.values()].map((u) => ({ ...u })) };
  }

  resolve(target: InvitationParticipantInfo & { endpointType?: string | null }): ResolvedTarget {
    const identity = target.identity ?? {};
    if (target.endpointType === 'voicemail') return { kind: 'voicemail', identity };
    const app = identity.application ?? (identity as Record<string, { id?: string | null } | undefined>).applicationInstance;
    if (app?.id) {
      const bot = this.bots.get(app.id);
      if (bot) return { kind: 'bot', bot, identity };
    }
    const anyIdentity = firstIdentity(identity);
    const user = anyIdentity?.id ? this.users.get(anyIdentity.id) : undefined;
    return {
      kind: 'party',
      identity,
      answer: user?.answer ?? 'accept',
      displayName: user?.displayName ?? anyIdentity?.displayName ?? anyIdentity?.id ?? 'unknown',
    };
  }
}

/** The name a target shows in the roster. */
export function targetDisplayName(resolved: ResolvedTarget): string {
  if (resolved.kind === 'party') return resolved.displayName;
  if (resolved.kind === 'bot') return resolved.bot.displayName;
  return 'voicemail';
}

function firstIdentity(identity: IdentitySet): { id?: string | null; displayName?: string | null } | undefined {
  for (const value of Object.values(identity as Record<string, unknown>)) {
    if (value && typeof value === 'object') return value as { id?: string | null; displayName?: string | null };
  }
  return undefined;
}
