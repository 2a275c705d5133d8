import { errors as joseErrors } from 'jose';
import { randomUUID } from 'crypto';
import type { TokenIssuer } from '../notifications/TokenIssuer';
import type { AppRegistration, AppRegistry } from './AppRegistry';
import { unmet, type RoleRequirement } from './permissions';

/** Graph's resource id and its application id; a token for either is a token for Graph. */
export const GRAPH_RESOURCE = 'https://graph.microsoft.com';
export const GRAPH_RESOURCE_APP_ID = '00000003-0000-0000-c000-000000000000';
/** The identity platform's app tokens live an hour. */
const ACCESS_TOKEN_SECONDS = 3599;

/** Who called the API, from a verified access token. */
export interface Caller {
  appId: string;
  tenantId: string;
  roles: string[];
}

/**
 * A refusal from the token endpoint, in the identity platform's shape (`error`,
 * `error_description` starting with its AADSTS code, `error_codes`), so MSAL and
 * `@azure/identity` report it as they would the real one.
 */
export class OAuthError extends Error {
  constructor(
    readonly status: number,
    readonly error: string,
    readonly aadsts: number,
    description: string,
  ) {
    super(`AADSTS${aadsts}: ${description}`);
    this.name = 'OAuthError';
  }

  toJSON(): Record<string, unknown> {
    const id = randomUUID();
    return {
      error: this.error,
      error_description: this.message,
      error_codes: [this.aadsts],
      timestamp: new Date().toISOString().replace('T', ' ').replace(/\.\d{3}Z$/, 'Z'),
      trace_id: id,
      correlation_id: id,
    };
  }
}

/** Why a bearer token was not accepted: the 401 (or 403) the REST layer answers with. */
export class AccessTokenError extends Error {
  constructor(
    readonly status: 401 | 403,
    message: string,
  ) {
    super(message);
    this.name = 'AccessTokenError';
  }
}

/**
 * The service's OAuth 2.0 authority: the identity platform's client credentials grant for the
 * apps in the registry, tokens for Graph's audience with the app's `roles`, the OpenID
 * configuration that MSAL discovers, and the checks the REST API makes on every request.
 */
export class Authority {
  constructor(
    readonly apps: AppRegistry,
    private readonly signer: TokenIssuer,
    readonly tenantId: string,
  ) {}

  /** `iss` of tokens issued for `tenant`, as the identity platform's v2.0 endpoint names it. */
  issuer(baseUrl: string, tenant: string): string {
    return `${baseUrl}/${tenant}/v2.0`;
  }

  openIdConfiguration(baseUrl: string, tenant: string): Record<string, unknown> {
    const base = `${baseUrl}/${tenant}`;
    return {
      issuer: this.issuer(baseUrl, tenant),
      token_endpoint: `${base}/oauth2/v2.0/token`,
      authorization_endpoint: `${base}/oauth2/v2.0/authorize`,
      jwks_uri: `${base}/discovery/v2.0/keys`,
      token_endpoint_auth_methods_supported: ['client_secret_post', 'client_secret_basic'],
      grant_types_supported: ['client_credentials'],
      response_types_supported: ['token'],
      id_token_signing_alg_values_supported: ['RS256'],
      scopes_supported: ['openid'],
      claims_supported: ['iss', 'aud', 'iat', 'nbf', 'exp', 'appid', 'azp', 'roles', 'tid', 'idtyp'],
      tenant_region_scope: null,
    };
  }

  /**
   * POST /{tenant}/oauth2/v2.0/token. Only the client credentials grant: a bot acts as itself.
   * The client authenticates in the form (client_secret_post) or with HTTP Basic.
   */
  async token(baseUrl: string, tenant: string, form: URLSearchParams, basic?: { id: string; secret: string }): Promise<Record<string, unknown>> {
    const grant = form.get('grant_type');
    if (!grant) throw new OAuthError(400, 'invalid_request', 900144, "The request body must contain the following parameter: 'grant_type'.");
    if (grant !== 'client_credentials') {
      throw new OAuthError(400, 'unsupported_grant_type', 70003, `The app requested an unsupported grant type '${grant}'; this authority issues only client_credentials.`);
    }
    const clientId = basic?.id ?? form.get('client_id');
    const secret = basic?.secret ?? form.get('client_secret');
    if (!clientId) throw new OAuthError(400, 'invalid_request', 900144, "The request body must contain the following parameter: 'client_id'.");
    const scope = form.get('scope');
    if (!scope) throw new OAuthError(400, 'invalid_request', 900144, "The request body must contain the following parameter: 'scope'.");
    const resource = scope.split(/\s+/).find((s) => s.endsWith('/.default'))?.slice(0, -'/.default'.length);
    if (resource !== GRAPH_RESOURCE && resource !== GRAPH_RESOURCE_APP_ID) {
      throw new OAuthError(400, 'invalid_scope', 1002012, `The provided value for scope ${scope} is not valid. Client credential flows must have a scope value with /.default suffixed to the resource identifier (application ID URI), and the only resource here is ${GRAPH_RESOURCE}.`);
    }
    const known = this.apps.get(clientId);
    if (!known || known.tenantId !== tenant) {
      throw new OAuthError(400, 'unauthorized_client', 700016, `Application with identifier '${clientId}' was not found in the directory '${tenant}'.`);
    }
    if (!secret) throw new OAuthError(401, 'invalid_client', 7000218, "The request body must contain the following parameter: 'client_assertion' or 'client_secret'.");
    const app = this.apps.authenticate(clientId, secret);
    if (!app) throw new OAuthError(401, 'invalid_client', 7000215, `Invalid client secret provided. Ensure the secret being sent in the request is the client secret value, not the client secret ID, for a secret added to app '${clientId}'.`);
    const access_token = await this.accessToken(baseUrl, app);
    return { token_type: 'Bearer', expires_in: ACCESS_TOKEN_SECONDS, ext_expires_in: ACCESS_TOKEN_SECONDS, access_token };
  }

  /** An app token as the identity platform makes one for Graph. `now` moves it in time (tests). */
  accessToken(baseUrl: string, app: AppRegistration, options: { now?: number; audience?: string; issuer?: string } = {}): Promise<string> {
    const claims = { appid: app.appId, azp: app.appId, appidacr: '1', idtyp: 'app', oid: app.appId, sub: app.appId, roles: app.roles, tid: app.tenantId, ver: '2.0' };
    return this.signer.signClaims(claims, options.issuer ?? this.issuer(baseUrl, app.tenantId), options.audience ?? GRAPH_RESOURCE, ACCESS_TOKEN_SECONDS, options.now);
  }

  /**
   * Checks the `Authorization` header of a REST request: a bearer token this authority issued
   * for Graph, in date, for an app still registered. Messages are Graph's.
   */
  async verify(baseUrl: string, authorization: string | undefined): Promise<Caller> {
    const token = /^Bearer\s+(\S+)\s*$/i.exec(authorization ?? '')?.[1];
    if (!token) throw new AccessTokenError(401, 'Access token is empty.');
    let claims;
    try {
      claims = await this.signer.verify(token, {
        issuer: this.issuers(baseUrl),
        audience: [GRAPH_RESOURCE, GRAPH_RESOURCE_APP_ID, `${GRAPH_RESOURCE}/`],
      });
    } catch (err) {
      throw new AccessTokenError(401, whyRefused(err));
    }
    const appId = typeof claims.appid === 'string' ? claims.appid : typeof claims.azp === 'string' ? claims.azp : undefined;
    const app = appId ? this.apps.get(appId) : undefined;
    if (!app) throw new AccessTokenError(401, `Access token validation failure. The application '${appId ?? ''}' is not registered.`);
    const roles = Array.isArray(claims.roles) ? claims.roles.filter((r): r is string => typeof r === 'string') : [];
    return { appId: app.appId, tenantId: typeof claims.tid === 'string' ? claims.tid : app.tenantId, roles };
  }

  /** 403 unless the caller holds every requirement. */
  require(caller: Caller, requirements: readonly RoleRequirement[], action: string): void {
    const missing = unmet(requirements, caller.roles);
    if (missing) {
      throw new AccessTokenError(
        403,
        `Application is not authorized to ${action}. It needs one of these application permissions: ${missing.anyOf.join(', ')}.`,
      );
    }
  }

  /** The authority's own tenant and every tenant an app is registered in. */
  tenants(): Set<string> {
    return new Set([this.tenantId, ...this.apps.list().map((a) => a.tenantId)]);
  }

  /** Issuers of every tenant the authority knows. */
  private issuers(baseUrl: string): string[] {
    return [...this.tenants()].map((t) => this.issuer(baseUrl, t));
  }
}

function whyRefused(err: unknown): string {
  if (err instanceof joseErrors.JWTExpired) return 'Lifetime validation failed, the token is expired.';
  if (err instanceof joseErrors.JWTClaimValidationFailed) {
    if (err.claim === 'aud') return 'Access token validation failure. Invalid audience.';
    if (err.claim === 'iss') return 'Access token validation failure. Invalid issuer.';
    if (err.claim === 'nbf') return 'Lifetime validation failed, the token is not yet valid.';
    return `Access token validation failure. Invalid '${err.claim}' claim.`;
  }
  if (err instanceof joseErrors.JWSSignatureVerificationFailed || err instanceof joseErrors.JOSEAlgNotAllowed) {
    return 'Access token validation failure. Signature validation failed.';
  }
  return 'CompactToken parsing failed with error code: 80049217';
}
