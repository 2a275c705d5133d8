import { strict as assert } from 'assert';
import { createLocalJWKSet, createRemoteJWKSet, decodeProtectedHeader, jwtVerify } from 'jose';
import { startService, TokenIssuer, type RunningService } from '../../src/service';
import { jsonFetch } from './harness';

describe('service: notification tokens and their keys', () => {
  let svc: RunningService;
  afterEach(async () => {
    await svc?.close();
  });

  it('publishes an OpenID configuration and JWKS that verify its tokens', async () => {
    svc = await startService({ port: 0, tenantId: 'contoso' });
    for (const path of ['/.well-known/openid-configuration', '/v1/.well-known/OpenIdConfiguration']) {
      const config = (await jsonFetch('GET', svc.url + path)).body;
      assert.equal(config.issuer, svc.url, 'the issuer defaults to the service URL');
      assert.equal(config.jwks_uri, `${svc.url}/keys`);
      assert.deepEqual(config.id_token_signing_alg_values_supported, ['RS256']);
    }
    const jwks = (await jsonFetch('GET', `${svc.url}/v1/keys`)).body;
    assert.equal(jwks.keys.length, 1);
    const [key] = jwks.keys;
    assert.equal(key.kty, 'RSA');
    assert.equal(key.alg, 'RS256');
    assert.equal(key.use, 'sig');
    assert.equal(key.d, undefined, 'no private part is published');

    const token = await svc.service.tokens.sign(svc.service.issuer, 'bot-app');
    assert.equal(decodeProtectedHeader(token).kid, key.kid);
    const { payload } = await jwtVerify(token, createRemoteJWKSet(new URL(`${svc.url}/keys`)), { issuer: svc.url, audience: 'bot-app' });
    assert.equal(payload.tid, 'contoso');
    assert.ok(payload.exp! - payload.iat! >= 600, 'lives long enough for retries');
    assert.ok(payload.nbf! <= payload.iat!);

    const other = await TokenIssuer.create();
    const foreign = await other.sign(svc.url, 'bot-app');
    await assert.rejects(jwtVerify(foreign, createLocalJWKSet(jwks), { issuer: svc.url, audience: 'bot-app' }));
  });

  it('takes a fixed issuer, e.g. the one Graph uses', async () => {
    svc = await startService({ port: 0, issuer: 'https://api.botframework.com' });
    const config = (await jsonFetch('GET', `${svc.url}/.well-known/openid-configuration`)).body;
    assert.equal(config.issuer, 'https://api.botframework.com');
    const token = await svc.service.tokens.sign(svc.service.issuer, 'x');
    const { payload } = await jwtVerify(token, createRemoteJWKSet(new URL(config.jwks_uri)), { issuer: 'https://api.botframework.com', audience: 'x' });
    assert.equal(payload.aud, 'x');
  });
});
