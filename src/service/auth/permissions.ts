/**
 * Graph's application permissions for the calls and online meetings APIs, by the names an app
 * registration grants them under, and which of them each action needs. The rules follow the
 * Graph reference: placing a call needs the permission of its kind (peer-to-peer, group,
 * meeting), app-hosted media needs Calls.AccessMedia.All on top, and a bot needs nothing extra
 * to answer a call made to it, other than Calls.AccessMedia.All to take its media itself.
 */
export const GRAPH_APP_ROLES = [
  'Calls.Initiate.All',
  'Calls.InitiateGroupCall.All',
  'Calls.JoinGroupCall.All',
  'Calls.JoinGroupCallAsGuest.All',
  'Calls.AccessMedia.All',
  'OnlineMeetings.Read.All',
  'OnlineMeetings.ReadWrite.All',
] as const;

export type GraphAppRole = (typeof GRAPH_APP_ROLES)[number];

/** One requirement: any one of `anyOf` will do. An action may have several. */
export interface RoleRequirement {
  anyOf: readonly GraphAppRole[];
}

export function isGraphAppRole(value: unknown): value is GraphAppRole {
  return typeof value === 'string' && (GRAPH_APP_ROLES as readonly string[]).includes(value);
}

type Body = Record<string, unknown>;

function odataType(value: unknown): string {
  const t = value && typeof value === 'object' ? (value as Body)['@odata.type'] : undefined;
  return typeof t === 'string' ? t.replace(/^#/, '').replace(/^microsoft\.graph\./i, '').toLowerCase() : '';
}

function appHostedMedia(body: Body): RoleRequirement[] {
  return odataType(body.mediaConfig) === 'apphostedmediaconfig' ? [{ anyOf: ['Calls.AccessMedia.All'] }] : [];
}

/**
 * POST /communications/calls. Read from the body as sent, before it is validated: a request the
 * app has no permission for is refused whatever else is wrong with it, as Graph does.
 */
export function rolesToCreateCall(body: Body): RoleRequirement[] {
  let kind: RoleRequirement;
  if (body.meetingInfo !== undefined || body.chatInfo !== undefined) {
    kind = { anyOf: ['Calls.JoinGroupCall.All', 'Calls.JoinGroupCallAsGuest.All'] };
  } else if (Array.isArray(body.targets) && body.targets.length > 1) {
    kind = { anyOf: ['Calls.InitiateGroupCall.All'] };
  } else {
    kind = { anyOf: ['Calls.Initiate.All'] };
  }
  return [kind, ...appHostedMedia(body)];
}

/** answer: nothing to take a call made to the bot, Calls.AccessMedia.All to host its media. */
export function rolesToAnswer(body: Body): RoleRequirement[] {
  return appHostedMedia(body);
}

/** invite adds people to a group call; transfer and redirect send the call to someone. */
export const ROLES_TO_INVITE: RoleRequirement[] = [{ anyOf: ['Calls.InitiateGroupCall.All'] }];
export const ROLES_TO_TRANSFER: RoleRequirement[] = [{ anyOf: ['Calls.Initiate.All'] }];
export const ROLES_TO_REDIRECT: RoleRequirement[] = [{ anyOf: ['Calls.Initiate.All'] }];
/** Making or changing an audio routing group (Graph asks what a group call or meeting join does). */
export const ROLES_FOR_AUDIO_ROUTING_GROUPS: RoleRequirement[] = [{ anyOf: ['Calls.JoinGroupCall.All', 'Calls.InitiateGroupCall.All'] }];
/** Holding a participant with music (startHoldMusic, stopHoldMusic). */
export const ROLES_FOR_HOLD_MUSIC: RoleRequirement[] = [{ anyOf: ['Calls.JoinGroupCallAsGuest.All', 'Calls.JoinGroupCall.All'] }];
/** Creating an online meeting (create, createOrGet). */
export const ROLES_TO_CREATE_ONLINE_MEETINGS: RoleRequirement[] = [{ anyOf: ['OnlineMeetings.ReadWrite.All'] }];
/** Reading one (get, find by join URL or meeting id). */
export const ROLES_TO_READ_ONLINE_MEETINGS: RoleRequirement[] = [{ anyOf: ['OnlineMeetings.Read.All', 'OnlineMeetings.ReadWrite.All'] }];

/** The first requirement `roles` does not meet, or undefined when all are met. */
export function unmet(requirements: readonly RoleRequirement[], roles: readonly string[]): RoleRequirement | undefined {
  return requirements.find((r) => !r.anyOf.some((role) => roles.includes(role)));
}
