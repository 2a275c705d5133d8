import type { AuthenticationProvider } from '@microsoft/microsoft-graph-client';

/** Always the same access token (tests, or a token obtained elsewhere). */
export class StaticTokenProvider implements AuthenticationProvider {
  constructor(private readonly token: string) {}

  async getAccessToken(): Promise<string> {
    return this.token;
  }
}

/**
 * Tokens for the local communications service, which checks no signature: an unsigned JWT that
 * names the application (`appid`), the way a Graph token does, so the service knows which bot
 * is calling. Never sent anywhere but the configured base URL.
 */
export class LocalServiceTokenProvider implements AuthenticationProvider {
  private readonly token: string;

  constructor(appId: string) {
    const enc = (o: object) => Buffer.from(JSON.stringify(o)).toString('base64url');
    const now = Math.floor(Date.now() / 1000);
    this.token = `${enc({ alg: 'none', typ: 'JWT' })}.${enc({ appid: appId, aud: 'https://graph.microsoft.com', iat: now })}.`;
  }

  async getAccessToken(): Promise<string> {
    return this.token;
  }
}
