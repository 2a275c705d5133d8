import { createHash, randomBytes, randomUUID, timingSafeEqual } from 'crypto';
import { readFileSync } from 'fs';
import { GRAPH_APP_ROLES, isGraphAppRole, type GraphAppRole } from './permissions';

/** An application as its registration holds it: who it is, its secrets, what it was granted. */
export interface AppRegistration {
  appId: string;
  displayName: string;
  /** The tenant it is registered in; its tokens carry it as `tid`. */
  tenantId: string;
  /** Application permissions granted (the token's `roles`). */
  roles: GraphAppRole[];
}

/** What registering an app takes; everything has a default. */
export interface AppRegistrationInput {
  /** Default: a new GUID. */
  appId?: string;
  displayName?: string;
  tenantId?: string;
  /** Default: every calls and online meetings permission (GRAPH_APP_ROLES). */
  roles?: readonly string[];
  /** Client secrets; default one new secret, returned once by `register`. */
  secrets?: readonly string[];
}

/** The file `appsFile` names: `{ "apps": [AppRegistrationInput, …] }`. */
export interface AppsFile {
  apps: AppRegistrationInput[];
}

export class AppRegistrationError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'AppRegistrationError';
  }
}

interface Entry extends AppRegistration {
  /** SHA-256 of each secret: the registry never keeps a secret it could leak. */
  secretHashes: Buffer[];
}

const sha256 = (s: string) => createHash('sha256').update(s, 'utf8').digest();

/** A client secret in the identity platform's style: 40 characters, about 240 bits. */
export function newClientSecret(): string {
  return randomBytes(30).toString('base64url');
}

/**
 * The service's app registrations: the applications allowed to call the API, with their client
 * secrets (kept hashed) and their application permissions. Filled from the service's options,
 * a JSON file and the admin API.
 */
export class AppRegistry {
  private readonly apps = new Map<string, Entry>();

  constructor(private readonly defaultTenantId: string) {}

  /** Registers (or replaces) an app; returns it with its secrets, the only time they are shown. */
  register(input: AppRegistrationInput = {}): AppRegistration & { secrets: string[] } {
    const appId = input.appId ?? randomUUID();
    if (typeof appId !== 'string' || appId.length === 0 || appId.length > 200) throw new AppRegistrationError(`'appId' must be a non-empty string`);
    const roles = checkedRoles(input.roles ?? GRAPH_APP_ROLES);
    const secrets = input.secrets ? [...input.secrets] : [newClientSecret()];
    for (const secret of secrets) {
      if (typeof secret !== 'string' || secret.length < 16) throw new AppRegistrationError('a client secret must be a string of at least 16 characters');
    }
    const entry: Entry = {
      appId,
      displayName: input.displayName ?? appId,
      tenantId: input.tenantId ?? this.defaultTenantId,
      roles,
      secretHashes: secrets.map(sha256),
    };
    this.apps.set(appId, entry);
    return { ...publicPart(entry), secrets };
  }

  /** Loads `{ apps: [...] }` from a JSON file; a file that is not that is an error naming it. */
  loadFile(path: string): AppRegistration[] {
    let parsed: unknown;
    try {
      parsed = JSON.parse(readFileSync(path, 'utf8'));
    } catch (err) {
      throw new AppRegistrationError(`apps file ${path}: ${(err as Error).message}`);
    }
    const apps = (parsed as Partial<AppsFile> | null)?.apps;
    if (!Array.isArray(apps)) throw new AppRegistrationError(`apps file ${path}: expected { "apps": [ … ] }`);
    return apps.map((app, i) => {
      if (!app || typeof app !== 'object') throw new AppRegistrationError(`apps file ${path}: apps[${i}] is not an object`);
      if (!Array.isArray(app.secrets) || app.secrets.length === 0) throw new AppRegistrationError(`apps file ${path}: apps[${i}] needs "secrets"`);
      const { secrets: _shownOnce, ...registered } = this.register(app);
      return registered;
    });
  }

  get(appId: string): AppRegistration | undefined {
    const e = this.apps.get(appId);
    return e && publicPart(e);
  }

  list(): AppRegistration[] {
    return [...this.apps.values()].map(publicPart);
  }

  /** Changes an app's permissions or name; undefined when there is no such app. */
  update(appId: string, change: { roles?: readonly string[]; displayName?: string }): AppRegistration | undefined {
    const e = this.apps.get(appId);
    if (!e) return undefined;
    if (change.roles) e.roles = checkedRoles(change.roles);
    if (change.displayName !== undefined) e.displayName = change.displayName;
    return publicPart(e);
  }

  remove(appId: string): boolean {
    return this.apps.delete(appId);
  }

  /** The app, when `secret` is one of its secrets (compared in constant time). */
  authenticate(appId: string, secret: string): AppRegistration | undefined {
    const e = this.apps.get(appId);
    if (!e) return undefined;
    const h = sha256(secret);
    return e.secretHashes.some((s) => timingSafeEqual(s, h)) ? publicPart(e) : undefined;
  }
}

/** The roles without repeats, each one of GRAPH_APP_ROLES, or an error naming the first that is not. */
function checkedRoles(roles: readonly unknown[]): GraphAppRole[] {
  const i = roles.findIndex((role) => !isGraphAppRole(role));
  if (i >= 0) throw new AppRegistrationError(`'${String(roles[i])}' is not an application permission of the calls API (one of ${GRAPH_APP_ROLES.join(', ')})`);
  return [...new Set(roles as GraphAppRole[])];
}

function publicPart(e: Entry): AppRegistration {
  return { appId: e.appId, displayName: e.displayName, tenantId: e.tenantId, roles: [...e.roles] };
}
