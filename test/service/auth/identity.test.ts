import { strict as assert } from 'assert';
import { execFile } from 'child_process';
import { X509Certificate } from 'crypto';
import { mkdtempSync, readFileSync } from 'fs';
import { tmpdir } from 'os';
import { join } from 'path';
import { startService, type RunningService } from '../../../src/service';
import { DEFAULT_TENANT_ID } from '../../../src/signaling';

interface ChildResult {
  code: number | null;
  out: { tokenClaims?: Record<string, unknown>; callId?: string; state?: string; error?: string };
}

/** Runs identityClient.js in its own process; `ca` is what NODE_EXTRA_CA_CERTS names (or nothing). */
function runBot(args: string[], ca: string | undefined): Promise<ChildResult> {
  const env = { ...process.env };
  delete env.NODE_EXTRA_CA_CERTS;
  if (ca) env.NODE_EXTRA_CA_CERTS = ca;
  return new Promise((resolve) => {
    execFile(process.execPath, [join(__dirname, 'identityClient.js'), ...args], { env, timeout: 60_000 }, (err, stdout) => {
      const line = stdout.trim().split('\n').pop() ?? '';
      let out: ChildResult['out'];
      try {
        out = JSON.parse(line);
      } catch {
        out = { error: `no result (${err?.message ?? 'exit 0'}): ${stdout}` };
      }
      resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, out });
    });
  });
}

/**
 * `@azure/identity` against the service exactly as against Azure AD: ClientSecretCredential with
 * `authorityHost`, MSAL discovering the authority over HTTPS, the service's certificate trusted
 * through its local CA.
 */
describe('service/auth: @azure/identity against the service over HTTPS', function () {
  this.timeout(120_000);
  let svc: RunningService;
  let caDir: string;

  before(async () => {
    caDir = mkdtempSync(join(tmpdir(), 'callmedia-ca-'));
    svc = await startService({ port: 0, https: { dir: caDir } });
  });
  after(async () => {
    await svc?.close();
  });

  it('makes its CA once, keeps it, and serves a certificate for localhost and 127.0.0.1 signed by it', async () => {
    assert.ok(svc.url.startsWith('https://127.0.0.1:'));
    assert.equal(svc.ca?.certificatePath, join(caDir, 'ca.pem'));
    const ca = new X509Certificate(readFileSync(svc.ca!.certificatePath));
    assert.equal(ca.ca, true);
    const again = await startService({ port: 0, https: { dir: caDir } });
    try {
      assert.equal(again.ca?.certificatePem, svc.ca?.certificatePem, 'the same CA on the next start');
    } finally {
      await again.close();
    }
  });

  it('gets a token with ClientSecretCredential and places a call through CommunicationsClient({ credential })', async () => {
    const app = svc.service.authority.apps.register({ appId: 'identity-bot', roles: ['Calls.Initiate.All'] });
    const { code, out } = await runBot([svc.url, DEFAULT_TENANT_ID, app.appId, app.secrets[0]], svc.ca!.certificatePath);
    assert.equal(code, 0, out.error);
    assert.equal(out.tokenClaims?.appid, 'identity-bot');
    assert.equal(out.tokenClaims?.aud, 'https://graph.microsoft.com');
    assert.deepEqual(out.tokenClaims?.roles, ['Calls.Initiate.All']);
    assert.equal(out.state, 'established');
    const call = svc.service.findCall(out.callId!);
    assert.equal(call?.appId, 'identity-bot');
    assert.equal(call?.isLive, false, 'hung up');
  });

  it('fails as it should: an untrusted certificate, and a wrong secret', async () => {
    const app = svc.service.authority.apps.register({ appId: 'identity-bot-2' });
    const untrusted = await runBot([svc.url, DEFAULT_TENANT_ID, app.appId, app.secrets[0]], undefined);
    assert.notEqual(untrusted.code, 0);
    // MSAL cannot read the authority's OpenID configuration over a connection it does not trust.
    assert.match(untrusted.out.error ?? '', /endpoints_resolution_error|certificate|UNABLE_TO_VERIFY/i);
    const wrong = await runBot([svc.url, DEFAULT_TENANT_ID, app.appId, 'a-wrong-secret-of-some-length'], svc.ca!.certificatePath);
    assert.notEqual(wrong.code, 0);
    assert.match(wrong.out.error ?? '', /AADSTS7000215/);
  });
});
