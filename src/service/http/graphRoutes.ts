import { AccessTokenError, type Caller } from '../auth/Authority';
import {
  ROLES_FOR_AUDIO_ROUTING_GROUPS,
  ROLES_FOR_HOLD_MUSIC,
  ROLES_TO_CREATE_ONLINE_MEETINGS,
  ROLES_TO_INVITE,
  ROLES_TO_READ_ONLINE_MEETINGS,
  ROLES_TO_REDIRECT,
  ROLES_TO_TRANSFER,
  rolesToAnswer,
  rolesToCreateCall,
  type RoleRequirement,
} from '../auth/permissions';
import type { CommunicationsService } from '../CommunicationsService';
import type { AudioRoutingGroupRecord } from '../model/ServiceCall';
import { operationToGraph, type ServiceOperation } from '../model/ServiceOperation';
import { readJsonObject } from './body';
import { GraphError } from '../model/GraphError';
import { sendEmpty, sendJson } from './responses';
import { Router, type RouteContext, type RouteHandler } from './Router';

/**
 * Graph's calls API, mounted under /v1.0 and /beta. Paths, bodies and status codes follow the
 * Graph reference: 201 + call for create, 202 for answer/reject/redirect/transfer/
 * changeScreenSharingRole/updateMetadata, 200 + commsOperation (with a Location header) for
 * operations, 204 for deletes.
 *
 * Every request has a verified caller (createListener checks the token first). A call belongs
 * to the app that placed or was called: any other app is refused (403), and each action asks
 * for the application permissions Graph's reference gives it.
 */
export function graphRoutes(service: CommunicationsService): Router {
  const calls = '/communications/calls';
  const call = `${calls}/{id}`;
  const r = new CallerRouter(service, `${call}`);

  const body = async (ctx: RouteContext, roles?: (b: Record<string, unknown>) => RoleRequirement[], action = 'perform this action') => {
    const b = await readJsonObject(ctx.req, { jsonContentType: true });
    if (roles) service.authority.require(caller(ctx), roles(b), action);
    return b;
  };
  const accepted = (ctx: RouteContext) => sendEmpty(ctx.res, 202);
  const operation = (ctx: RouteContext, op: ServiceOperation, status = 200, withBody = status !== 202) => {
    const location = `${service.baseUrl}/${ctx.version}/communications/calls/${ctx.params.id}/operations/${op.id}`;
    if (!withBody) sendEmpty(ctx.res, status, { Location: location });
    else sendJson(ctx.res, status, operationToGraph(op), { Location: location });
  };

  r.add('POST', calls, async (ctx) => {
    const b = await body(ctx, rolesToCreateCall, 'place this call');
    const named = (b.source as { identity?: { application?: { id?: unknown } } } | undefined)?.identity?.application?.id;
    if (named !== undefined && named !== null && named !== caller(ctx).appId) {
      throw new AccessTokenError(403, `The call's source names application '${String(named)}', but the access token is for '${caller(ctx).appId}'.`);
    }
    const created = service.callActions.createCall(b, caller(ctx).appId);
    sendJson(ctx.res, 201, created.toGraph(), { Location: `${service.baseUrl}/${ctx.version}${calls}/${created.id}` });
  });
  r.add('GET', call, (ctx) => sendJson(ctx.res, 200, service.call(ctx.params.id).toGraph()));
  r.add('DELETE', call, (ctx) => {
    service.callActions.hangUp(ctx.params.id);
    sendEmpty(ctx.res, 204);
  });

  r.add('POST', `${call}/answer`, async (ctx) => {
    service.callActions.answer(ctx.params.id, await body(ctx, rolesToAnswer, 'answer with app-hosted media'));
    accepted(ctx);
  });
  r.add('POST', `${call}/reject`, async (ctx) => {
    service.callActions.reject(ctx.params.id, await body(ctx));
    accepted(ctx);
  });
  r.add('POST', `${call}/redirect`, async (ctx) => {
    service.callActions.redirect(ctx.params.id, await body(ctx, () => ROLES_TO_REDIRECT, 'redirect a call'));
    accepted(ctx);
  });
  r.add('POST', `${call}/transfer`, async (ctx) => {
    service.callActions.transfer(ctx.params.id, await body(ctx, () => ROLES_TO_TRANSFER, 'transfer a call'));
    accepted(ctx);
  });
  r.add('POST', `${call}/keepAlive`, async (ctx) => {
    await body(ctx);
    service.callActions.keepAlive(ctx.params.id);
    sendEmpty(ctx.res, 200);
  });
  r.add('POST', `${call}/mute`, async (ctx) => operation(ctx, service.inCallActions.muteSelf(ctx.params.id, await body(ctx), true)));
  r.add('POST', `${call}/unmute`, async (ctx) => operation(ctx, service.inCallActions.muteSelf(ctx.params.id, await body(ctx), false)));
  r.add('POST', `${call}/updateRecordingStatus`, async (ctx) => operation(ctx, service.inCallActions.updateRecordingStatus(ctx.params.id, await body(ctx))));
  r.add('POST', `${call}/changeScreenSharingRole`, async (ctx) => {
    service.inCallActions.changeScreenSharingRole(ctx.params.id, await body(ctx));
    accepted(ctx);
  });
  r.add('POST', `${call}/playPrompt`, async (ctx) => operation(ctx, service.mediaActions.playPrompt(ctx.params.id, await body(ctx))));
  r.add('POST', `${call}/recordResponse`, async (ctx) => operation(ctx, service.mediaActions.recordResponse(ctx.params.id, await body(ctx))));
  r.add('POST', `${call}/record`, async (ctx) => operation(ctx, service.mediaActions.recordResponse(ctx.params.id, await body(ctx))));
  r.add('POST', `${call}/subscribeToTone`, async (ctx) => operation(ctx, service.mediaActions.subscribeToTone(ctx.params.id, await body(ctx))));
  r.add('POST', `${call}/sendDtmfTones`, async (ctx) => operation(ctx, service.mediaActions.sendDtmfTones(ctx.params.id, await body(ctx))));
  r.add('POST', `${call}/cancelMediaProcessing`, async (ctx) => operation(ctx, service.mediaActions.cancelMediaProcessing(ctx.params.id, await body(ctx))));
  r.add('POST', `${call}/updateMetadata`, async (ctx) => {
    betaOnly(ctx, 'updateMetadata');
    operation(ctx, service.inCallActions.updateMetadata(ctx.params.id, await body(ctx)), 202);
  });
  r.add('GET', `${call}/operations/{operationId}`, (ctx) =>
    sendJson(ctx.res, 200, operationToGraph(service.inCallActions.operation(ctx.params.id, ctx.params.operationId))),
  );

  r.add('GET', `${call}/contentSharingSessions`, (ctx) => sendJson(ctx.res, 200, { value: service.inCallActions.contentSharingSessions(ctx.params.id) }));
  r.add('GET', `${call}/contentSharingSessions/{sessionId}`, (ctx) => sendJson(ctx.res, 200, service.inCallActions.contentSharingSession(ctx.params.id, ctx.params.sessionId)));
  r.add('GET', `${call}/participants`, (ctx) => sendJson(ctx.res, 200, { value: service.inCallActions.listParticipants(ctx.params.id) }));
  r.add('POST', `${call}/participants/invite`, async (ctx) => operation(ctx, service.inCallActions.invite(ctx.params.id, await body(ctx, () => ROLES_TO_INVITE, 'invite participants'))));
  r.add('POST', `${call}/participants/muteAll`, async (ctx) => {
    betaOnly(ctx, 'muteAll');
    operation(ctx, service.inCallActions.muteAll(ctx.params.id, await body(ctx)));
  });
  r.add('GET', `${call}/participants/{participantId}`, (ctx) =>
    sendJson(ctx.res, 200, service.inCallActions.getParticipant(ctx.params.id, ctx.params.participantId)),
  );
  r.add('POST', `${call}/participants/{participantId}/mute`, async (ctx) =>
    operation(ctx, service.inCallActions.muteParticipant(ctx.params.id, ctx.params.participantId, await body(ctx))),
  );
  // Graph answers these 202 with the running operation in the body; a notification completes it.
  const holdMusic = (start: boolean) => async (ctx: RouteContext) => {
    const b = await body(ctx, () => ROLES_FOR_HOLD_MUSIC, 'put participants on hold');
    const op = start
      ? service.inCallActions.startHoldMusic(ctx.params.id, ctx.params.participantId, b)
      : service.inCallActions.stopHoldMusic(ctx.params.id, ctx.params.participantId, b);
    operation(ctx, op, 202, true);
  };
  r.add('POST', `${call}/participants/{participantId}/startHoldMusic`, holdMusic(true));
  r.add('POST', `${call}/participants/{participantId}/stopHoldMusic`, holdMusic(false));
  r.add('DELETE', `${call}/participants/{participantId}`, (ctx) => {
    service.inCallActions.removeParticipant(ctx.params.id, ctx.params.participantId);
    sendEmpty(ctx.res, 204);
  });

  const groups = `${call}/audioRoutingGroups`;
  const routing = (ctx: RouteContext) => body(ctx, () => ROLES_FOR_AUDIO_ROUTING_GROUPS, 'route audio');
  r.add('POST', groups, async (ctx) => sendJson(ctx.res, 200, routingGroupToGraph(service.audioRoutingGroups.create(ctx.params.id, await routing(ctx)))));
  r.add('GET', groups, (ctx) => sendJson(ctx.res, 200, { value: service.audioRoutingGroups.list(ctx.params.id).map(routingGroupToGraph) }));
  r.add('GET', `${groups}/{groupId}`, (ctx) => sendJson(ctx.res, 200, routingGroupToGraph(service.audioRoutingGroups.get(ctx.params.id, ctx.params.groupId))));
  r.add('PATCH', `${groups}/{groupId}`, async (ctx) =>
    sendJson(ctx.res, 200, routingGroupToGraph(service.audioRoutingGroups.update(ctx.params.id, ctx.params.groupId, await routing(ctx)))),
  );
  r.add('DELETE', `${groups}/{groupId}`, (ctx) => {
    service.audioRoutingGroups.delete(ctx.params.id, ctx.params.groupId);
    sendEmpty(ctx.res, 204);
  });

  // Online meetings, organized by a user: an app acts for the user the path names.
  const meetings = '/users/{userId}/onlineMeetings';
  const readMeetings = (ctx: RouteContext) => service.authority.require(caller(ctx), ROLES_TO_READ_ONLINE_MEETINGS, 'read online meetings');
  r.add('POST', `${meetings}/createOrGet`, async (ctx) => {
    const { meeting, created } = service.onlineMeetings.createOrGet(ctx.params.userId, await body(ctx, () => ROLES_TO_CREATE_ONLINE_MEETINGS, 'create online meetings'));
    sendJson(ctx.res, created ? 201 : 200, meeting);
  });
  r.add('POST', meetings, async (ctx) => {
    sendJson(ctx.res, 201, service.onlineMeetings.create(ctx.params.userId, await body(ctx, () => ROLES_TO_CREATE_ONLINE_MEETINGS, 'create online meetings')));
  });
  r.add('GET', meetings, (ctx) => {
    readMeetings(ctx);
    sendJson(ctx.res, 200, { value: service.onlineMeetings.find(ctx.params.userId, ctx.url.searchParams.get('$filter')) });
  });
  r.add('GET', `${meetings}/{meetingId}`, (ctx) => {
    readMeetings(ctx);
    sendJson(ctx.res, 200, service.onlineMeetings.get(ctx.params.userId, ctx.params.meetingId));
  });
  // /me is the signed-in user, and an app's token has none.
  const delegatedOnly = () => {
    throw GraphError.badRequest('/me request is only valid with delegated authentication flow.');
  };
  for (const method of ['GET', 'POST']) {
    r.add(method, '/me/onlineMeetings', delegatedOnly);
    r.add(method, '/me/onlineMeetings/{rest}', delegatedOnly);
  }
  return r;
}

function routingGroupToGraph(group: AudioRoutingGroupRecord): Record<string, unknown> {
  return { '@odata.type': '#microsoft.graph.audioRoutingGroup', ...group };
}

/** Graph has these only in beta; under v1.0 it does not know the segment. */
function betaOnly(ctx: RouteContext, segment: string): void {
  if (ctx.version !== 'beta') throw GraphError.badRequest(`Resource not found for the segment '${segment}'.`);
}

function caller(ctx: RouteContext): Caller {
  if (!ctx.caller) throw new AccessTokenError(401, 'Access token is empty.');
  return ctx.caller;
}

/**
 * The routes of one app's calls: a route under `/communications/calls/{id}` runs only for the
 * app the call belongs to. Another app's call is refused before its body is read.
 */
class CallerRouter extends Router {
  constructor(
    private readonly service: CommunicationsService,
    private readonly callPattern: string,
  ) {
    super();
  }

  override add(method: string, pattern: string, handler: RouteHandler): this {
    if (!pattern.startsWith(this.callPattern)) return super.add(method, pattern, handler);
    return super.add(method, pattern, (ctx) => {
      const owner = this.service.call(ctx.params.id).appId;
      if (owner !== caller(ctx).appId) throw new AccessTokenError(403, `The call '${ctx.params.id}' belongs to another application.`);
      return handler(ctx);
    });
  }
}
