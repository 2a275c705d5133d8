import { strict as assert } from 'assert';
import type { Context, Middleware } from '@microsoft/microsoft-graph-client';
import { BearerTokenHandler, CommunicationsClient, StaticTokenProvider, appHostedMediaConfig } from '../../src/signaling';
import { startService } from '../../src/service';
import { accessToken, startRecorder, user } from '../service/harness';

class Capture implements Middleware {
  contexts: Context[] = [];
  async execute(context: Context): Promise<void> {
    this.contexts.push(context);
  }
}

describe('signaling: access tokens for the calls API', () => {
  it('adds the bearer token only for the configured origin', async () => {
    const handler = new BearerTokenHandler(new StaticTokenProvider('secret'), 'http://127.0.0.1:9440/');
    const next = new Capture();
    handler.setNext(next);
    await handler.execute({ request: 'http://127.0.0.1:9440/v1.0/communications/calls', options: { headers: { 'Content-Type': 'application/json' } } });
    await handler.execute({ request: 'http://elsewhere.example/v1.0/x', options: { headers: {} } });
    const [mine, theirs] = next.contexts.map((c) => c.options?.headers as Record<string, string>);
    assert.equal(mine.Authorization, 'Bearer secret');
    assert.equal(mine['Content-Type'], 'application/json');
    assert.equal(theirs.Authorization, undefined);
  });

  it('sends the token provider\'s token, which the service checks', async () => {
    const svc = await startService({ port: 0 });
    const rec = await startRecorder();
    const seen: string[] = [];
    const token = await accessToken(svc.url, 'tok-app');
    const provider = { getAccessToken: async () => (seen.push('asked'), token) };
    try {
      const client = new CommunicationsClient({ appId: 'tok-app', callbackUri: rec.url, baseUrl: svc.url, tokenProvider: provider });
      const call = await client.createCall({ targets: [user('Ann')], mediaConfig: appHostedMediaConfig('blob'), waitUntilEstablished: false });
      assert.ok(call.id);
      assert.ok(seen.length >= 1, 'the token provider was used');
      assert.equal((await client.getCall(call.id)).id, call.id);
    } finally {
      await svc.close();
      await rec.close();
    }
  });
});
