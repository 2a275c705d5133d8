import type { AuthenticationProvider } from '@microsoft/microsoft-graph-client';
import { CommunicationsError } from './errors';

/** Always the same access token (tests, or a token obtained elsewhere). */
export class StaticTokenProvider implements AuthenticationProvider {
  constructor(private readonly token: string) {}

  async getAccessToken(): Promise<string> {
    return this.token;
  }
}

export interface ClientCredentialsOptions {
  /** The authority's base, e.g. the local service's URL (`https://login.microsoftonline.com` for Azure AD). */
  authorityUrl: string;
  tenantId: string;
  clientId: string;
  clientSecret: string;
  /** Default `https://graph.microsoft.com/.default`. */
  scope?: string;
  /** A token is renewed this long before it expires. Default 5 minutes. */
  renewBeforeMs?: number;
}

/**
 * OAuth 2.0 client credentials (RFC 6749 §4.4) against an identity platform token endpoint,
 * `{authorityUrl}/{tenantId}/oauth2/v2.0/token`: the bot acts as itself with its client secret.
 * The token is cached until shortly before it expires, and concurrent requests share one fetch.
 *
 * This is the default for the local service, which may run over plain http on the developer's
 * machine. Against Azure AD, or the local service over https, `@azure/identity`'s
 * ClientSecretCredential (the `credential` option of CommunicationsClient) does the same.
 */
export class ClientCredentialsTokenProvider implements AuthenticationProvider {
  private cached?: { token: string; renewAt: number };
  private pending?: Promise<string>;

  constructor(private readonly options: ClientCredentialsOptions) {}

  async getAccessToken(): Promise<string> {
    if (this.cached && Date.now() < this.cached.renewAt) return this.cached.token;
    this.pending ??= this.fetchToken().finally(() => (this.pending = undefined));
    return this.pending;
  }

  private async fetchToken(): Promise<string> {
    const o = this.options;
    const url = `${o.authorityUrl.replace(/\/$/, '')}/${encodeURIComponent(o.tenantId)}/oauth2/v2.0/token`;
    const form = new URLSearchParams({
      grant_type: 'client_credentials',
      client_id: o.clientId,
      client_secret: o.clientSecret,
      scope: o.scope ?? 'https://graph.microsoft.com/.default',
    });
    let res: Response;
    try {
      res = await fetch(url, { method: 'POST', headers: { 'Content-Type': 'application/x-www-form-urlencoded' }, body: form });
    } catch (err) {
      throw new CommunicationsError('AUTHENTICATION_FAILED', `token endpoint ${url} unreachable: ${(err as Error).message}`);
    }
    const body = (await res.json().catch(() => ({}))) as { access_token?: string; expires_in?: number; error?: string; error_description?: string };
    if (!res.ok || typeof body.access_token !== 'string') {
      throw new CommunicationsError('AUTHENTICATION_FAILED', `token request for '${o.clientId}' refused (${res.status} ${body.error ?? ''}): ${body.error_description ?? 'no access_token in the answer'}`);
    }
    const lifetimeMs = (typeof body.expires_in === 'number' ? body.expires_in : 3600) * 1000;
    this.cached = { token: body.access_token, renewAt: Date.now() + Math.max(lifetimeMs - (o.renewBeforeMs ?? 300_000), lifetimeMs / 2) };
    return body.access_token;
  }
}
