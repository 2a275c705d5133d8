import type { IncomingMessage, RequestListener, ServerResponse } from 'http';
import { randomUUID } from 'crypto';
import type { CommunicationsService } from '../CommunicationsService';
import { consoleRoutes } from '../console/consoleRoutes';
import { AccessTokenError, type Caller } from '../auth/Authority';
import { adminRoutes } from './adminRoutes';
import { addAuthorityRoutes } from './authorityRoutes';
import { graphRoutes } from './graphRoutes';
import { GraphError } from '../model/GraphError';
import { sendGraphError, sendJson } from './responses';
import { methodNotAllowed, Router } from './Router';

const VERSIONS = ['v1.0', 'beta'];

/**
 * The service's HTTP front: Graph's API under /v1.0 and /beta (every request with a bearer token
 * from the service's authority), the authority itself under /{tenant}, the OpenID configuration
 * and JWKS that notification tokens verify against, recordings, the admin API, and the call
 * console (/console).
 */
export function createListener(service: CommunicationsService): RequestListener {
  const graph = graphRoutes(service);
  const admin = adminRoutes(service);
  const page = consoleRoutes();
  const wellKnown = new Router();
  const openId = (ctx: { res: ServerResponse }) =>
    sendJson(ctx.res, 200, service.tokens.openIdConfiguration(service.issuer, `${service.baseUrl}/keys`));
  const keys = (ctx: { res: ServerResponse }) => sendJson(ctx.res, 200, service.tokens.jwks());
  wellKnown.add('GET', '/.well-known/openid-configuration', openId);
  wellKnown.add('GET', '/v1/.well-known/OpenIdConfiguration', openId); // Graph's published path
  wellKnown.add('GET', '/keys', keys);
  wellKnown.add('GET', '/v1/keys', keys);
  addAuthorityRoutes(wellKnown, service);
  wellKnown.add('GET', '/recordings/{id}', (ctx) => {
    const token = /^Bearer\s+(.+)$/i.exec(ctx.req.headers.authorization ?? '')?.[1];
    const rec = service.mediaActions.recording(ctx.params.id, token);
    if (!rec) throw GraphError.notFound(`recording '${ctx.params.id}' was not found (or the access token is wrong)`);
    ctx.res.writeHead(200, { 'Content-Type': rec.contentType, 'Content-Length': rec.data.length });
    ctx.res.end(rec.data);
  });

  return (req: IncomingMessage, res: ServerResponse) => {
    const requestId = randomUUID();
    const clientRequestId = header(req, 'client-request-id');
    res.setHeader('request-id', requestId);
    res.setHeader('client-request-id', clientRequestId ?? requestId);
    const method = req.method ?? 'GET';
    const fail = (err: unknown) => {
      if (res.headersSent) {
        res.destroy();
        return;
      }
      const e =
        err instanceof GraphError
          ? err
          : err instanceof AccessTokenError
            ? new GraphError(err.status, err.status === 401 ? 'InvalidAuthenticationToken' : 'accessDenied', err.message)
            : new GraphError(500, 'generalException', (err as Error)?.message ?? String(err));
      if (e.status >= 500) service.emit('warning', err);
      // Drain what is left of the body so the client reads our answer.
      req.resume();
      if (e.status === 401) res.setHeader('WWW-Authenticate', `Bearer realm="", authorization_uri="${service.baseUrl}/${service.authority.tenantId}/oauth2/v2.0/authorize", error="invalid_token"`);
      sendGraphError(res, e, requestId, clientRequestId);
    };
    try {
      const url = requestUrl(req.url);
      const [first, ...rest] = url.pathname.split('/').filter(Boolean);
      let router: Router;
      let path: string;
      let version = '';
      const isGraph = first !== undefined && VERSIONS.includes(first);
      if (isGraph) {
        router = graph;
        version = first;
        path = '/' + rest.join('/');
      } else if (first === 'admin') {
        router = admin;
        path = url.pathname;
      } else if (first === 'console') {
        router = page;
        path = url.pathname;
      } else {
        router = wellKnown;
        path = url.pathname;
      }
      const dispatch = (caller?: Caller) => {
        const match = router.match(method, path);
        if (match === 'method') throw methodNotAllowed(method, url.pathname);
        if (!match) {
          const segment = path.split('/').filter(Boolean).pop() ?? '';
          throw version
            ? GraphError.badRequest(`Resource not found for the segment '${segment}'.`)
            : GraphError.notFound(`no resource at ${url.pathname}`);
        }
        return match.handler({ req, res, params: match.params, version, url, caller });
      };
      // Graph checks the token before anything else about the request, the path included.
      const run = isGraph ? service.authority.verify(service.baseUrl, header(req, 'authorization')).then(dispatch) : Promise.resolve(dispatch());
      run.catch(fail);
    } catch (err) {
      fail(err);
    }
  };
}

/**
 * The request target as a URL. Origin-form ('/path?q') is read against a fixed base so that a path
 * starting with '//' stays a path; absolute-form is accepted as HTTP/1.1 allows; anything else
 * ('*', garbage) is a 400, never an exception outside the error handling.
 */
function requestUrl(target: string | undefined): URL {
  try {
    if (target?.startsWith('/')) return new URL(`http://local${target}`);
    if (target && /^https?:\/\//i.test(target)) return new URL(target);
  } catch {
    // falls through to the refusal
  }
  throw GraphError.badRequest(`request target '${String(target).slice(0, 100)}' is not a path`);
}

function header(req: IncomingMessage, name: string): string | undefined {
  const v = req.headers[name];
  return Array.isArray(v) ? v[0] : v;
}
