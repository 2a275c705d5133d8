/**
 * A bot as it would be written for Azure AD: `@azure/identity`'s ClientSecretCredential, pointed
 * at an authority by `authorityHost`, through CommunicationsClient's `credential` option. Run as
 * its own process by identity.test.ts, with NODE_EXTRA_CA_CERTS naming the service's local CA:
 * the way a developer trusts it. Prints one JSON line: what happened.
 */
import { ClientSecretCredential } from '@azure/identity';
import * as http from 'http';
import type { AddressInfo } from 'net';
import { CommunicationsClient, serviceHostedMediaConfig } from '../../../src/signaling';

async function main(): Promise<void> {
  const [serviceUrl, tenantId, appId, secret] = process.argv.slice(2);
  const credential = new ClientSecretCredential(tenantId, appId, secret, { authorityHost: serviceUrl, disableInstanceDiscovery: true });
  const token = await credential.getToken('https://graph.microsoft.com/.default');
  let webhook: http.RequestListener = (_req, res) => res.end();
  const server = http.createServer((req, res) => webhook(req, res));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const callbackUri = `http://127.0.0.1:${(server.address() as AddressInfo).port}/callback`;
  const client = new CommunicationsClient({ appId, callbackUri, baseUrl: serviceUrl, credential, operationTimeoutMs: 15_000 });
  webhook = client.webhook;
  const ann = { '@odata.type': '#microsoft.graph.invitationParticipantInfo', identity: { user: { id: 'ann', displayName: 'Ann' } } };
  const call = await client.createCall({
    targets: [ann],
    mediaConfig: serviceHostedMediaConfig(),
  });
  const state = call.state;
  await call.hangUp();
  server.close();
  process.stdout.write(JSON.stringify({ tokenClaims: JSON.parse(Buffer.from(token.token.split('.')[1], 'base64url').toString()), callId: call.id, state }) + '\n');
}

main().then(
  () => process.exit(0),
  (err) => {
    process.stdout.write(JSON.stringify({ error: String((err as Error)?.stack ?? err) }) + '\n');
    process.exit(1);
  },
);
