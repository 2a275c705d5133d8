import * as assert from 'assert';
import { X509Certificate, generateKeyPairSync } from 'crypto';
import * as fs from 'fs';
import * as path from 'path';
import { setTimeout as delay } from 'timers/promises';
import { CallMediaError, MediaPlatform, ServerSession, parseDescription, parseMediaConfiguration } from '../../../src/media';
import { until } from '../../helpers/until';

// A self-signed ECDSA P-256 test certificate, as a hosting platform would hand an instance its own.
const FIXTURES = path.resolve(__dirname, '..', '..', '..', '..', 'test', 'fixtures');
const CERT = path.join(FIXTURES, 'instance-cert.pem');
const KEY = path.join(FIXTURES, 'instance-key.pem');

describe('media/webrtc: the instance certificate', function () {
  this.timeout(30_000);

  it('the certificate named in the settings is the one DTLS presents: its fingerprint in the offer, and a peer connects checking it', async () => {
    const platform = MediaPlatform.initialize({ applicationId: 'bot', certificate: { certificateFile: CERT, privateKeyFile: KEY } });
    const server = MediaPlatform.initialize({ applicationId: 'server' });
    try {
      const expected = new X509Certificate(fs.readFileSync(CERT)).fingerprint256;
      assert.strictEqual(platform.fingerprint, expected);
      const session = platform.createMediaSession({ audio: { send: {} } });
      const offer = parseDescription(parseMediaConfiguration(session.mediaConfiguration).sdp);
      assert.deepStrictEqual(offer.transport.fingerprint, { algorithm: 'sha-256', value: expected });
      const serverSession = new ServerSession(server, parseMediaConfiguration(session.mediaConfiguration).sdp);
      await session.setRemoteDescription({ type: 'answer', sdp: serverSession.answer(new Map()) });
      await until(() => session.transportState === 'connected' && serverSession.transportState === 'connected', 'DTLS with the instance certificate', 10_000);
      await session.close();
      await serverSession.close();
    } finally {
      platform.close();
      server.close();
    }
  });

  it('PEM text works as files do; a key that does not match, garbage and a missing file are refused with INVALID_CERTIFICATE', () => {
    const cert = fs.readFileSync(CERT, 'utf8');
    const key = fs.readFileSync(KEY, 'utf8');
    const ok = MediaPlatform.initialize({ applicationId: 'bot', certificate: { certificate: cert, privateKey: key } });
    const fingerprint = ok.fingerprint;
    assert.strictEqual(fingerprint, new X509Certificate(cert).fingerprint256);
    ok.close();
    const generated = MediaPlatform.initialize({ applicationId: 'bot' }); // a certificate of its own
    assert.notStrictEqual(generated.fingerprint, fingerprint);
    generated.close();
    const refused = (certificate: Parameters<typeof MediaPlatform.initialize>[0]['certificate']) => {
      const p = MediaPlatform.initialize({ applicationId: 'bot', certificate });
      assert.throws(() => p.mediaPort, (e: CallMediaError) => e.code === 'INVALID_CERTIFICATE', JSON.stringify(certificate).slice(0, 80));
      p.close();
    };
    const wrongKey = generateKeyPairSync('ec', { namedCurve: 'prime256v1' }).privateKey.export({ type: 'pkcs8', format: 'pem' }) as string;
    refused({ certificate: cert, privateKey: wrongKey });
    refused({ certificate: 'not a certificate', privateKey: key });
    refused({ certificateFile: path.join(FIXTURES, 'missing.pem'), privateKeyFile: KEY });
  });
});
