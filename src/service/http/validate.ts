import type { IdentitySet, InvitationParticipantInfo, MediaPrompt, Modality } from '@microsoft/microsoft-graph-types';
import type { MediaConfigJson } from '../model/ServiceCall';
import { GraphHttpError } from './GraphHttpError';

/**
 * Checks for Graph request bodies. Each returns the typed value or throws the 400 that names
 * the offending field, so a bot developer sees exactly what to fix.
 */
type Body = Record<string, unknown>;

const bad = (message: string) => GraphHttpError.badRequest(message);

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

export function optionalCallbackUri(body: Body, field = 'callbackUri'): string | undefined {
  const v = optionalString(body, field);
  if (v === undefined) return undefined;
  let url: URL;
  try {
    url = new URL(v);
  } catch {
    throw bad(`'${field}' must be an absolute URL`);
  }
  // Graph insists on https; the local service also takes http so a bot on a laptop needs no TLS.
  if (url.protocol !== 'https:' && url.protocol !== 'http:') throw bad(`'${field}' must be an http(s) URL`);
  return v;
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
    const info = isObject(p) ? p.mediaInfo : undefined;
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

export function object(body: Body, field: string): Body | undefined {
  const v = body[field];
  if (v === undefined || v === null) return undefined;
  if (!isObject(v)) throw bad(`'${field}' must be an object`);
  return v;
}
