import type { ServerResponse } from 'http';
import { OAuthError } from '../auth/Authority';
import type { CommunicationsService } from '../CommunicationsService';
import { readBody } from './body';
import { GraphError } from '../model/GraphError';
import { sendJson } from './responses';
import type { Router } from './Router';

/** A token request is a short form; anything larger is not one. */
const MAX_FORM_BYTES = 64 << 10;

/**
 * The identity platform's endpoints, under `/{tenant}`: the client credentials token endpoint,
 * the OpenID configuration MSAL discovers it through, and the keys tokens verify against.
 */
export function addAuthorityRoutes(r: Router, service: CommunicationsService): void {
  const authority = service.authority;
  const knownTenant = (tenant: string) => {
    if (!authority.tenants().has(tenant)) {
      throw GraphError.notFound(`tenant '${tenant}' is not known to this authority`);
    }
  };
  r.add('GET', '/{tenant}/v2.0/.well-known/openid-configuration', (ctx) => {
    knownTenant(ctx.params.tenant);
    sendJson(ctx.res, 200, authority.openIdConfiguration(service.baseUrl, ctx.params.tenant));
  });
  r.add('GET', '/{tenant}/discovery/v2.0/keys', (ctx) => {
    knownTenant(ctx.params.tenant);
    sendJson(ctx.res, 200, service.tokens.jwks());
  });
  r.add('POST', '/{tenant}/oauth2/v2.0/token', async (ctx) => {
    try {
      const type = (ctx.req.headers['content-type'] ?? '').split(';')[0].trim().toLowerCase();
      const raw = await readBody(ctx.req, MAX_FORM_BYTES).catch(() => {
        throw new OAuthError(400, 'invalid_request', 900144, 'The request body is too large.');
      });
      if (type !== 'application/x-www-form-urlencoded') {
        throw new OAuthError(400, 'invalid_request', 900144, "The request body must be 'application/x-www-form-urlencoded'.");
      }
      const answer = await authority.token(service.baseUrl, ctx.params.tenant, new URLSearchParams(raw.toString('utf8')), basicCredentials(ctx.req.headers.authorization));
      sendJson(ctx.res, 200, answer, { 'Cache-Control': 'no-store', Pragma: 'no-cache' });
    } catch (err) {
      if (!(err instanceof OAuthError)) throw err;
      sendOAuthError(ctx.res, err);
    }
  });
}

function sendOAuthError(res: ServerResponse, err: OAuthError): void {
  const headers: Record<string, string> = { 'Cache-Control': 'no-store' };
  if (err.status === 401) headers['WWW-Authenticate'] = 'Basic realm="token"';
  sendJson(res, err.status, err.toJSON(), headers);
}

/** client_secret_basic: `Authorization: Basic base64(urlencode(id):urlencode(secret))` (RFC 6749 §2.3.1). */
function basicCredentials(header: string | undefined): { id: string; secret: string } | undefined {
  const m = /^Basic\s+(\S+)$/i.exec(header ?? '');
  if (!m) return undefined;
  const decoded = Buffer.from(m[1], 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon < 0) return undefined;
  try {
    return { id: decodeURIComponent(decoded.slice(0, colon)), secret: decodeURIComponent(decoded.slice(colon + 1)) };
  } catch {
    return undefined;
  }
}
