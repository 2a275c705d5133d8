import { generateKeyPairSync, type KeyObject } from 'crypto';
import { calculateJwkThumbprint, exportJWK, jwtVerify, SignJWT, type JWK, type JWTPayload } from 'jose';

export interface TokenIssuerOptions {
  /** Token lifetime; Graph's notification tokens live about an hour. */
  lifetimeSeconds?: number;
  /** Tenant id put in the `tid` claim, as Graph does. */
  tenantId?: string;
}

/**
 * Signs the bearer tokens on notifications with an RSA key made when the service starts, and
 * publishes its public half as a JWKS. Claims follow Graph's calling notifications: `iss`,
 * `aud` = the bot's application id, `iat`, `nbf`, `exp`, `tid`.
 *
 * The service's OAuth authority signs its access tokens with the same key, as one identity
 * platform signs all its tokens: the two kinds never pass for each other because their issuer
 * and audience differ, and both are checked.
 */
export class TokenIssuer {
  private constructor(
    private readonly privateKey: KeyObject,
    private readonly publicKey: KeyObject,
    private readonly publicJwk: JWK,
    readonly kid: string,
    private readonly options: Required<Pick<TokenIssuerOptions, 'lifetimeSeconds'>> & TokenIssuerOptions,
  ) {}

  static async create(options: TokenIssuerOptions = {}): Promise<TokenIssuer> {
    const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const jwk = await exportJWK(publicKey);
    const kid = await calculateJwkThumbprint(jwk);
    const publicJwk: JWK = { ...jwk, kid, use: 'sig', alg: 'RS256' };
    return new TokenIssuer(privateKey, publicKey, publicJwk, kid, { lifetimeSeconds: 3600, ...options });
  }

  /**
   * A fresh token for one delivery attempt to the bot whose application id is `audience`.
   * `times` moves the token in time (seconds since the epoch), for testing a bot's checks.
   */
  async sign(issuer: string, audience: string, times: { iat?: number; nbf?: number; exp?: number } = {}): Promise<string> {
    const now = Math.floor(Date.now() / 1000);
    const iat = times.iat ?? now;
    const claims: Record<string, unknown> = {};
    if (this.options.tenantId) claims.tid = this.options.tenantId;
    return new SignJWT(claims)
      .setProtectedHeader({ alg: 'RS256', typ: 'JWT', kid: this.kid })
      .setIssuer(issuer)
      .setAudience(audience)
      .setIssuedAt(iat)
      .setNotBefore(times.nbf ?? iat)
      .setExpirationTime(times.exp ?? iat + this.options.lifetimeSeconds)
      .sign(this.privateKey);
  }

  /** An access token with the given claims (the authority's), signed with the same key. */
  async signClaims(claims: Record<string, unknown>, issuer: string, audience: string, lifetimeSeconds: number, now = Math.floor(Date.now() / 1000)): Promise<string> {
    return new SignJWT(claims)
      .setProtectedHeader({ alg: 'RS256', typ: 'JWT', kid: this.kid })
      .setIssuer(issuer)
      .setAudience(audience)
      .setIssuedAt(now)
      .setNotBefore(now)
      .setExpirationTime(now + lifetimeSeconds)
      .sign(this.privateKey);
  }

  /**
   * Checks a token this issuer signed: RS256 with this key, issuer and audience among those
   * given, and its lifetime (60 s of clock skew, as Graph allows some). Throws jose's errors,
   * whose `code` tells which check failed.
   */
  async verify(token: string, expect: { issuer: string | string[]; audience: string | string[] }): Promise<JWTPayload> {
    const { payload } = await jwtVerify(token, this.publicKey, {
      algorithms: ['RS256'],
      issuer: expect.issuer,
      audience: expect.audience,
      clockTolerance: 60,
      requiredClaims: ['exp', 'iat'],
    });
    return payload;
  }

  jwks(): { keys: JWK[] } {
    return { keys: [{ ...this.publicJwk }] };
  }

  /** The OpenID configuration document a bot discovers the JWKS through. */
  openIdConfiguration(issuer: string, jwksUri: string): Record<string, unknown> {
    return {
      issuer,
      jwks_uri: jwksUri,
      id_token_signing_alg_values_supported: ['RS256'],
      token_endpoint_auth_methods_supported: ['private_key_jwt'],
      claims_supported: ['iss', 'aud', 'iat', 'nbf', 'exp', 'tid'],
    };
  }
}
