import { generateKeyPairSync, type KeyObject } from 'crypto';
import { calculateJwkThumbprint, exportJWK, SignJWT, type JWK } from 'jose';

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
 */
export class TokenIssuer {
  private constructor(
    private readonly privateKey: KeyObject,
    private readonly publicJwk: JWK,
    readonly kid: string,
    private readonly options: Required<Pick<TokenIssuerOptions, 'lifetimeSeconds'>> & TokenIssuerOptions,
  ) {}

  static async create(options: TokenIssuerOptions = {}): Promise<TokenIssuer> {
    const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const jwk = await exportJWK(publicKey);
    const kid = await calculateJwkThumbprint(jwk);
    const publicJwk: JWK = { ...jwk, kid, use: 'sig', alg: 'RS256' };
    return new TokenIssuer(privateKey, publicJwk, kid, { lifetimeSeconds: 3600, ...options });
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
