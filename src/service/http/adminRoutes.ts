import type { Modality } from '@microsoft/microsoft-graph-types';
import type { CommunicationsService, RemoteParty } from '../CommunicationsService';
import type { ServiceCall } from '../model/ServiceCall';
import { participantToGraph } from '../model/ServiceParticipant';
import { readBody, readJsonObject } from './body';

/** A prompt a person plays into a call: a few minutes of 16 kHz mono WAV at most. */
const MAX_PROMPT_BYTES = 16 << 20;
import { AppRegistrationError } from '../auth/AppRegistry';
import { GraphError } from '../model/GraphError';
import { sendEmpty, sendJson } from './responses';
import { Router } from './Router';
import * as v from '../model/validate';

/**
 * The admin API: the other side of calls, for tests, the demo and the CLI. Documented in
 * src/service/README.md. Errors use Graph's shape like the rest of the service.
 */
export function adminRoutes(service: CommunicationsService): Router {
  const r = new Router();

  r.add('POST', '/admin/bots', async (ctx) => {
    const body = await readJsonObject(ctx.req);
    const bot = service.directory.registerBot({
      appId: v.requireString(body, 'appId'),
      callbackUri: v.requireCallbackUri(body),
      displayName: v.optionalString(body, 'displayName') ?? v.requireString(body, 'appId'),
    });
    sendJson(ctx.res, 201, bot);
  });

  // App registrations: who may call the API, with which secret and permissions.
  const apps = service.authority.apps;
  const registration = (fn: () => unknown) => {
    try {
      return fn();
    } catch (err) {
      if (err instanceof AppRegistrationError) throw GraphError.badRequest(err.message);
      throw err;
    }
  };
  const optionalRoles = (body: Record<string, unknown>): string[] | undefined => {
    const roles = body.roles;
    if (roles !== undefined && !(Array.isArray(roles) && roles.every((x) => typeof x === 'string'))) throw GraphError.badRequest(`'roles' must be an array of permission names`);
    return roles as string[] | undefined;
  };
  r.add('POST', '/admin/apps', async (ctx) => {
    const body = await readJsonObject(ctx.req);
    const appId = v.optionalString(body, 'appId');
    if (appId !== undefined && apps.get(appId)) throw GraphError.conflict(`app '${appId}' is already registered`);
    const roles = optionalRoles(body);
    const secret = v.optionalString(body, 'secret');
    const app = registration(() =>
      apps.register({ appId, displayName: v.optionalString(body, 'displayName'), tenantId: v.optionalString(body, 'tenantId'), roles, secrets: secret === undefined ? undefined : [secret] }),
    ) as ReturnType<typeof apps.register>;
    // The secret is shown once, as the identity platform does.
    sendJson(ctx.res, 201, { ...app, secrets: undefined, secret: app.secrets[0], tokenEndpoint: `${service.baseUrl}/${app.tenantId}/oauth2/v2.0/token` });
  });
  r.add('GET', '/admin/apps', (ctx) => sendJson(ctx.res, 200, { value: apps.list() }));
  r.add('GET', '/admin/apps/{appId}', (ctx) => {
    const app = apps.get(ctx.params.appId);
    if (!app) throw GraphError.notFound(`app '${ctx.params.appId}' is not registered`);
    sendJson(ctx.res, 200, app);
  });
  r.add('PATCH', '/admin/apps/{appId}', async (ctx) => {
    const body = await readJsonObject(ctx.req);
    const roles = optionalRoles(body);
    const app = registration(() => apps.update(ctx.params.appId, { roles, displayName: v.optionalString(body, 'displayName') }));
    if (!app) throw GraphError.notFound(`app '${ctx.params.appId}' is not registered`);
    sendJson(ctx.res, 200, app);
  });
  r.add('DELETE', '/admin/apps/{appId}', (ctx) => {
    if (!apps.remove(ctx.params.appId)) throw GraphError.notFound(`app '${ctx.params.appId}' is not registered`);
    sendEmpty(ctx.res, 204);
  });

  r.add('POST', '/admin/users', async (ctx) => {
    const body = await readJsonObject(ctx.req);
    const user = service.directory.registerUser({
      id: v.optionalString(body, 'id'),
      displayName: v.requireString(body, 'displayName'),
      answer: v.enumValue(body, 'answer', ['accept', 'decline'] as const, false),
    });
    sendJson(ctx.res, 201, user);
  });

  r.add('POST', '/admin/calls/incoming', async (ctx) => {
    const body = await readJsonObject(ctx.req);
    const others = body.others;
    if (others !== undefined && !Array.isArray(others)) throw GraphError.badRequest(`'others' must be an array of parties`);
    const call = service.placeIncomingCall({
      from: party(body.from, 'from'),
      toAppId: v.requireString(body, 'toAppId'),
      callbackUri: v.optionalCallbackUri(body),
      modalities: body.modalities === undefined ? undefined : v.requireModalities(body, 'modalities'),
      others: (others as unknown[] | undefined)?.map((o, i) => party(o, `others[${i}]`)),
      subject: v.optionalString(body, 'subject'),
    });
    sendJson(ctx.res, 201, call.toGraph());
  });

  r.add('GET', '/admin/calls', (ctx) => {
    const all = [...service.liveCalls(), ...service.endedCalls()];
    sendJson(ctx.res, 200, { value: all.map((c) => summary(service, c)) });
  });

  r.add('GET', '/admin/calls/{id}', (ctx) => {
    const call = service.findCall(ctx.params.id);
    if (!call) throw GraphError.notFound(`call '${ctx.params.id}' was not found`);
    sendJson(ctx.res, 200, { ...summary(service, call), call: call.toGraph(), participants: call.rosterToGraph(), speakers: service.speakers(call.id) ?? null });
  });

  r.add('GET', '/admin/calls/{id}/timeline', (ctx) => {
    const call = service.findCall(ctx.params.id);
    if (!call) throw GraphError.notFound(`call '${ctx.params.id}' was not found`);
    sendJson(ctx.res, 200, { stateHistory: call.stateHistory, value: service.timeline.of(call.id) });
  });

  r.add('GET', '/admin/calls/{id}/stats', (ctx) => sendJson(ctx.res, 200, service.callStats(ctx.params.id)));
  r.add('POST', '/admin/calls/{id}/botStats', async (ctx) => {
    service.reportBotStats(ctx.params.id, await readJsonObject(ctx.req));
    sendEmpty(ctx.res, 204);
  });

  r.add('POST', '/admin/calls/{id}/participants', async (ctx) => {
    const p = service.addParticipant(ctx.params.id, party(await readJsonObject(ctx.req), 'body'));
    sendJson(ctx.res, 201, participantToGraph(p));
  });

  r.add('POST', '/admin/calls/{id}/browserParticipants', async (ctx) => {
    const body = await readJsonObject(ctx.req);
    const { participant, sdp } = service.joinFromBrowser(ctx.params.id, v.requireString(body, 'displayName'), v.requireString(body, 'sdp'));
    sendJson(ctx.res, 201, { participant: participantToGraph(participant), sdp });
  });

  r.add('POST', '/admin/calls/{id}/prompts', async (ctx) => {
    const type = (ctx.req.headers['content-type'] ?? '').split(';')[0].trim().toLowerCase();
    if (type !== 'audio/wav' && type !== 'audio/wave' && type !== 'audio/x-wav') {
      throw GraphError.badRequest(`a prompt is posted as audio/wav (16-bit PCM), not '${type || 'nothing'}'`);
    }
    const played = service.mediaActions.playIntoCall(ctx.params.id, await readBody(ctx.req, MAX_PROMPT_BYTES));
    sendJson(ctx.res, 202, played);
  });

  r.add('DELETE', '/admin/calls/{id}/participants/{participantId}', (ctx) => {
    service.dropParticipant(ctx.params.id, ctx.params.participantId);
    sendEmpty(ctx.res, 204);
  });

  r.add('POST', '/admin/calls/{id}/tones', async (ctx) => {
    const body = await readJsonObject(ctx.req);
    service.sendTones(ctx.params.id, v.requireString(body, 'tones'));
    sendEmpty(ctx.res, 202);
  });

  r.add('POST', '/admin/calls/{id}/participants/{participantId}/mute', async (ctx) => {
    const muted = v.requireBoolean(await readJsonObject(ctx.req), 'muted');
    service.setParticipantMuted(ctx.params.id, ctx.params.participantId, muted);
    sendEmpty(ctx.res, 202);
  });

  r.add('POST', '/admin/calls/{id}/participants/{participantId}/sharing', async (ctx) => {
    const sharing = v.requireBoolean(await readJsonObject(ctx.req), 'sharing');
    service.setParticipantSharing(ctx.params.id, ctx.params.participantId, sharing);
    sendEmpty(ctx.res, 202);
  });

  r.add('POST', '/admin/calls/{id}/hold', async (ctx) => {
    const held = v.requireBoolean(await readJsonObject(ctx.req), 'held');
    service.setHold(ctx.params.id, held);
    sendEmpty(ctx.res, 202);
  });

  r.add('POST', '/admin/calls/{id}/hangup', async (ctx) => {
    await readJsonObject(ctx.req);
    service.remoteHangUp(ctx.params.id);
    sendEmpty(ctx.res, 202);
  });

  return r;
}

function party(value: unknown, field: string): RemoteParty {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw GraphError.badRequest(`'${field}' is required: { displayName, id?, modalities?, sharing? }`);
  }
  const body = value as Record<string, unknown>;
  return {
    displayName: v.requireString(body, 'displayName'),
    id: v.optionalString(body, 'id'),
    modalities: body.modalities === undefined ? undefined : (v.requireModalities(body, 'modalities') as Modality[]),
    sharing: v.optionalBoolean(body, 'sharing'),
  };
}

function summary(service: CommunicationsService, call: ServiceCall): Record<string, unknown> {
  return {
    id: call.id,
    appId: call.appId,
    state: call.state,
    stateHistory: call.stateHistory,
    kind: call.kind,
    callbackUri: call.callbackUri,
    participantCount: call.participants.size,
    notifications: service.dispatcher.stats(call.id),
  };
}
