import type { IdentitySet, InvitationParticipantInfo, MediaPrompt, Modality } from '@microsoft/microsoft-graph-types';
import type { MediaConfigJson } from './ServiceCall';
import { GraphError } from './GraphError';

/**
 * Checks for Graph request bodies. Each returns the typed value or throws the 400 that names
 * the offending field, so a bot developer sees exactly what to fix.
 */
type Body = Record<string, unknown>;

const bad = (message: string) => GraphError.badRequest(message);

function isObject(v: unknown): v is Body {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

export function requireString(body: Body, field: string): string {
  const v = body[field];
  if (typeof v !== 'string' || v.length === 0) throw bad(`'${field}' is required and must be a non-empty string`);
  return v;
}

export function optionalString(body: Body, field: string, maxLength?: number): string | undefined {
  const v = body[field];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'string') throw bad(`'${field}' must be a string`);
  if (maxLength !== undefined && v.length > maxLength) throw bad(`'${field}' must be at most ${maxLength} characters`);
  return v;
}

/** Graph caps clientContext at 256 characters. */
export function clientContext(body: Body): string | undefined {
  return optionalString(body, 'clientContext', 256);
}

export function optionalBoolean(body: Body, field: string): boolean | undefined {
  const v = body[field];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'boolean') throw bad(`'${field}' must be a boolean`);
  return v;
}

export function requireBoolean(body: Body, field: string): boolean {
  const v = optionalBoolean(body, field);
  if (v === undefined) throw bad(`'${field}' is required and must be a boolean`);
  return v;
}

export function optionalInt(body: Body, field: string, min: number, max: number): number | undefined {
  const v = body[field];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max) {
    throw bad(`'${field}' must be an integer between ${min} and ${max}`);
  }
  return v;
}

/** A string enum, matched case-insensitively (Graph documents `Busy` and sends `busy`). */
export function enumValue<T extends string>(body: Body, field: string, values: readonly T[], required: true): T;
export function enumValue<T extends string>(body: Body, field: string, values: readonly T[], required: false): T | undefined;
export function enumValue<T extends string>(body: Body, field: string, values: readonly T[], required: boolean): T | undefined {
  const v = body[field];
  if (v === undefined || v === null) {
    if (required) throw bad(`'${field}' is required; one of: ${values.join(', ')}`);
    return undefined;
  }
  const match = typeof v === 'string' ? values.find((x) => x.toLowerCase() === v.toLowerCase()) : undefined;
  if (!match) throw bad(`'${field}' must be one of: ${values.join(', ')}`);
  return match;
}

/** Hosts a callback may reach over plain http: this machine only. */
const LOOPBACK_HOSTS = new Set(['localhost', '127.0.0.1', '[::1]']);

/**
 * Graph takes only https callbacks. The one local convenience: http to this machine
 * (`localhost`, `127.0.0.1`, `[::1]`), so a bot on a laptop needs no certificate.
 */
export function optionalCallbackUri(body: Body, field = 'callbackUri'): string | undefined {
  const v = optionalString(body, field);
  if (v === undefined) return undefined;
  let url: URL;
  try {
    url = new URL(v);
  } catch {
    throw bad(`'${field}' must be an absolute URL`);
  }
  if (url.protocol === 'https:') return v;
  if (url.protocol === 'http:' && LOOPBACK_HOSTS.has(url.hostname.toLowerCase())) return v;
  throw bad(`'${field}' must be an https URL (http is taken only for localhost, 127.0.0.1 and [::1]): ${url.protocol}//${url.host}`);
}

const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export function optionalGuid(body: Body, field: string): string | undefined {
  const v = optionalString(body, field);
  if (v !== undefined && !GUID.test(v)) throw bad(`'${field}' must be a GUID`);
  return v;
}

/**
 * An object's `@odata.type`, when it has one, must name one of the resources the field takes
 * (`microsoft.graph.<name>`, with or without '#', in any case): Graph refuses a body that says
 * it is something else. `field` is '' for the body itself.
 */
export function odataType(value: unknown, field: string, ...names: string[]): void {
  if (!isObject(value)) return;
  const t = value['@odata.type'];
  if (t === undefined || t === null) return;
  const given = typeof t === 'string' ? t.replace(/^#/, '').toLowerCase() : '';
  if (names.some((n) => given === `microsoft.graph.${n.toLowerCase()}`)) return;
  const where = field ? `'${field}'` : 'the request body';
  throw new GraphError(400, 'BadRequest', `${where} has '@odata.type' ${JSON.stringify(t)}; expected ${names.map((n) => `'#microsoft.graph.${n}'`).join(' or ')}`);
}

export function requireCallbackUri(body: Body): string {
  const v = optionalCallbackUri(body);
  if (!v) throw bad(`'callbackUri' is required`);
  return v;
}

const MODALITIES: readonly Modality[] = ['audio', 'video', 'videoBasedScreenSharing', 'data'];

export function requireModalities(body: Body, field: string): Modality[] {
  const v = body[field];
  if (!Array.isArray(v) || v.length === 0) throw bad(`'${field}' is required and must list at least one of: ${MODALITIES.join(', ')}`);
  return v.map((m) => {
    const match = typeof m === 'string' ? MODALITIES.find((x) => x.toLowerCase() === m.toLowerCase()) : undefined;
    if (!match) throw bad(`'${field}' has '${String(m)}'; allowed: ${MODALITIES.join(', ')}`);
    return match;
  });
}

export function requireMediaConfig(body: Body, field = 'mediaConfig'): MediaConfigJson {
  const v = body[field];
  if (!isObject(v)) throw bad(`'${field}' is required: an appHostedMediaConfig or a serviceHostedMediaConfig`);
  const type = typeof v['@odata.type'] === 'string' ? (v['@odata.type'] as string).replace(/^#/, '').toLowerCase() : '';
  if (type === 'microsoft.graph.apphostedmediaconfig') {
    if (typeof v.blob !== 'string' || v.blob.length === 0) throw bad(`'${field}.blob' is required for app-hosted media`);
  } else if (type === 'microsoft.graph.servicehostedmediaconfig') {
    if (v.preFetchMedia !== undefined && v.preFetchMedia !== null && !Array.isArray(v.preFetchMedia)) {
      throw bad(`'${field}.preFetchMedia' must be an array of mediaInfo`);
    }
  } else {
    throw bad(`'${field}.@odata.type' must be '#microsoft.graph.appHostedMediaConfig' or '#microsoft.graph.serviceHostedMediaConfig'`);
  }
  return v as MediaConfigJson;
}

export function identitySet(value: unknown, field: string): IdentitySet {
  if (!isObject(value)) throw bad(`'${field}' is required: an identitySet`);
  odataType(value, field, 'identitySet', 'communicationsIdentitySet');
  const entries = Object.entries(value).filter(([k]) => !k.startsWith('@'));
  const ids = entries.filter(([, v]) => isObject(v) && typeof v.id === 'string' && v.id.length > 0);
  if (ids.length === 0) throw bad(`'${field}' must name at least one identity (user, application, phone, …) with an 'id'`);
  return value as IdentitySet;
}

export function invitationTargets(value: unknown, field: string, max: number): InvitationParticipantInfo[] {
  if (!Array.isArray(value) || value.length === 0) throw bad(`'${field}' is required and must not be empty`);
  if (value.length > max) throw bad(`'${field}' takes at most ${max} entries`);
  return value.map((t, i) => invitationTarget(t, `${field}[${i}]`));
}

export function invitationTarget(value: unknown, field: string): InvitationParticipantInfo {
  if (!isObject(value)) throw bad(`'${field}' must be an invitationParticipantInfo`);
  odataType(value, field, 'invitationParticipantInfo');
  identitySet(value.identity, `${field}.identity`);
  return value as InvitationParticipantInfo;
}

export function prompts(value: unknown, field: string, options: { required: boolean; max?: number }): MediaPrompt[] {
  if (value === undefined || value === null) {
    if (options.required) throw bad(`'${field}' is required and must not be empty`);
    return [];
  }
  if (!Array.isArray(value) || (options.required && value.length === 0)) throw bad(`'${field}' must be a non-empty array of mediaPrompt`);
  if (options.max !== undefined && value.length > options.max) throw bad(`'${field}' takes at most ${options.max} prompts`);
  return value.map((p, i) => {
    odataType(p, `${field}[${i}]`, 'mediaPrompt');
    const info = isObject(p) ? p.mediaInfo : undefined;
    odataType(info, `${field}[${i}].mediaInfo`, 'mediaInfo');
    if (!isObject(info) || typeof info.uri !== 'string' || info.uri.length === 0) {
      throw bad(`'${field}[${i}].mediaInfo.uri' is required`);
    }
    return p as MediaPrompt;
  });
}

export function stringArray(body: Body, field: string): string[] | undefined {
  const v = body[field];
  if (v === undefined || v === null) return undefined;
  if (!Array.isArray(v) || v.some((x) => typeof x !== 'string')) throw bad(`'${field}' must be an array of strings`);
  return v as string[];
}

/** An optional object; `types`, when given, are the resources its `@odata.type` may name. */
export function object(body: Body, field: string, ...types: string[]): Body | undefined {
  const v = body[field];
  if (v === undefined || v === null) return undefined;
  if (!isObject(v)) throw bad(`'${field}' must be an object`);
  if (types.length > 0) odataType(v, field, ...types);
  return v;
}
