import type { AuthenticationProvider, Context, Middleware } from '@microsoft/microsoft-graph-client';

/**
 * Middleware that puts `Authorization: Bearer <token>` on requests to one origin. The graph
 * client's own AuthenticationHandler adds tokens only for https Graph hosts, so it would send
 * none to a local service on http://127.0.0.1; this one keys on the configured base URL's
 * origin instead, and still never leaks the token to another host.
 */
export class BearerTokenHandler implements Middleware {
  private next?: Middleware;
  private readonly origin: string;

  constructor(
    private readonly provider: AuthenticationProvider,
    baseUrl: string,
  ) {
    this.origin = new URL(baseUrl).origin;
  }

  async execute(context: Context): Promise<void> {
    const url = typeof context.request === 'string' ? context.request : (context.request as { url: string }).url;
    if (new URL(url).origin === this.origin) {
      const token = await this.provider.getAccessToken();
      context.options ??= {};
      const headers = context.options.headers as unknown;
      if (headers && typeof (headers as { set?: unknown }).set === 'function') {
        (headers as { set(k: string, v: string): void }).set('Authorization', `Bearer ${token}`);
      } else {
        context.options.headers = { ...((headers as Record<string, string>) ?? {}), Authorization: `Bearer ${token}` };
      }
    }
    if (!this.next) throw new Error('BearerTokenHandler must not be the last middleware');
    await this.next.execute(context);
  }

  setNext(next: Middleware): void {
    this.next = next;
  }
}
