import { createRemoteJWKSet, errors as joseErrors, jwtVerify, type JWTPayload } from 'jose';

/** Where notification tokens come from and how to check them. */
export interface NotificationAuthOptions {
  /** Accepted `iss` value(s). */
  issuer: string | string[];
  /** OpenID configuration whose `jwks_uri` has the signing keys; default `${issuer}/.well-known/openid-configuration`. */
  openIdConfigurationUrl?: string;
  /** The JWKS itself, skipping discovery. */
  jwksUri?: string;
  /** Leeway for exp/nbf against clock skew. Default 60 s. */
  clockToleranceSeconds?: number;
}

/**
 * Graph's own calling notifications: issued by the Bot Framework, keys published by the
 * Skype media platform's OpenID configuration.
 */
export const GRAPH_NOTIFICATION_AUTH: Readonly<NotificationAuthOptions> = Object.freeze({
  issuer: ['https://api.botframework.com', 'https://graph.microsoft.com'],
  openIdConfigurationUrl: 'https://api.aps.skype.com/v1/.well-known/OpenIdConfiguration',
});

export type NotificationAuthFailure =
  | 'missing' // no bearer token
  | 'malformed'
  | 'signature' // not signed by a published key, unsigned, or a disallowed algorithm
  | 'expired'
  | 'notYetValid'
  | 'issuer'
  | 'audience'
  | 'keysUnavailable'; // the JWKS could not be fetched: not the sender's fault

export class NotificationAuthError extends Error {
  constructor(
    readonly reason: NotificationAuthFailure,
    message: string,
  ) {
    super(message);
    this.name = 'NotificationAuthError';
  }
}

/**
 * Verifies the bearer token of a notification: RS256 signature against the issuer's JWKS
 * (fetched once, refetched when an unknown key id shows up), `iss`, `aud` = the bot's
 * application id, `exp`/`nbf`/`iat`.
 */
export class NotificationVerifier {
  private keys?: Promise<ReturnType<typeof createRemoteJWKSet>>;
  private readonly issuers: string[];

  constructor(
    private readonly appId: string,
    private readonly options: NotificationAuthOptions,
  ) {
    this.issuers = Array.isArray(options.issuer) ? [...options.issuer] : [options.issuer];
    if (this.issuers.length === 0) throw new Error('NotificationVerifier needs at least one issuer');
  }

  async verify(authorization: string | string[] | undefined): Promise<JWTPayload> {
    const header = Array.isArray(authorization) ? authorization[0] : authorization;
    const m = /^Bearer\s+(\S+)\s*$/i.exec(header ?? '');
    if (!m) throw new NotificationAuthError('missing', 'no bearer token');
    const keys = await this.jwks();
    try {
      const { payload } = await jwtVerify(m[1], keys, {
        issuer: this.issuers,
        audience: this.appId,
        algorithms: ['RS256'],
        clockTolerance: this.options.clockToleranceSeconds ?? 60,
        requiredClaims: ['exp', 'iat'],
      });
      return payload;
    } catch (err) {
      throw classify(err);
    }
  }

  private jwks(): Promise<ReturnType<typeof createRemoteJWKSet>> {
    this.keys ??= this.discover().catch((err) => {
      this.keys = undefined; // try discovery again with the next notification
      throw new NotificationAuthError('keysUnavailable', `cannot load signing keys: ${(err as Error).message}`);
    });
    return this.keys;
  }

  private async discover(): Promise<ReturnType<typeof createRemoteJWKSet>> {
    let jwksUri = this.options.jwksUri;
    if (!jwksUri) {
      const configUrl = this.options.openIdConfigurationUrl ?? `${this.issuers[0].replace(/\/$/, '')}/.well-known/openid-configuration`;
      const res = await fetch(configUrl, { signal: AbortSignal.timeout(10_000) });
      if (!res.ok) throw new Error(`${configUrl} answered ${res.status}`);
      const config = (await res.json()) as { jwks_uri?: unknown };
      if (typeof config.jwks_uri !== 'string') throw new Error(`${configUrl} has no jwks_uri`);
      jwksUri = config.jwks_uri;
    }
    return createRemoteJWKSet(new URL(jwksUri), { timeoutDuration: 10_000 });
  }
}

function classify(err: unknown): NotificationAuthError {
  if (err instanceof NotificationAuthError) return err;
  const message = (err as Error)?.message ?? String(err);
  if (err instanceof joseErrors.JWTExpired) return new NotificationAuthError('expired', message);
  if (err instanceof joseErrors.JWTClaimValidationFailed) {
    if (err.claim === 'iss') return new NotificationAuthError('issuer', message);
    if (err.claim === 'aud') return new NotificationAuthError('audience', message);
    if (err.claim === 'nbf' || err.claim === 'iat') return new NotificationAuthError('notYetValid', message);
    return new NotificationAuthError('malformed', message);
  }
  if (
    err instanceof joseErrors.JWSSignatureVerificationFailed ||
    err instanceof joseErrors.JOSEAlgNotAllowed ||
    err instanceof joseErrors.JWKSNoMatchingKey ||
    err instanceof joseErrors.JWKSMultipleMatchingKeys ||
    err instanceof joseErrors.JOSENotSupported
  ) {
    return new NotificationAuthError('signature', message);
  }
  if (err instanceof joseErrors.JWSInvalid || err instanceof joseErrors.JWTInvalid) {
    return new NotificationAuthError('malformed', message);
  }
  // Fetching the JWKS failed (timeout, network, a non-JWKS answer): not the sender's fault.
  if (!(err instanceof joseErrors.JOSEError) || err instanceof joseErrors.JWKSTimeout || err instanceof joseErrors.JWKSInvalid || err.code === 'ERR_JOSE_GENERIC') {
    return new NotificationAuthError('keysUnavailable', message);
  }
  return new NotificationAuthError('malformed', message);
}
