import type * as X509 from '@peculiar/x509';
import { webcrypto, X509Certificate as NodeX509 } from 'crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'fs';
import { homedir } from 'os';
import { join } from 'path';

/** A certificate and its private key, PEM-encoded, ready for `https.createServer`. */
export interface PemPair {
  cert: string;
  key: string;
}

export interface LocalCertificateAuthorityOptions {
  /** Where the CA's certificate and key are kept. Default: the user's cache directory (see defaultCaDirectory). */
  dir?: string;
  /** Names the server certificate is for, besides localhost, 127.0.0.1 and ::1. */
  hostnames?: string[];
}

const ALGORITHM: EcKeyGenParams & EcdsaParams = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' };
const CA_YEARS = 10;
const SERVER_DAYS = 30;

/** `$XDG_CACHE_HOME/callmedia/ca`, `%LOCALAPPDATA%\callmedia\ca` on Windows, else `~/.cache/callmedia/ca`. */
export function defaultCaDirectory(): string {
  if (process.platform === 'win32' && process.env.LOCALAPPDATA) return join(process.env.LOCALAPPDATA, 'callmedia', 'ca');
  return join(process.env.XDG_CACHE_HOME || join(homedir(), '.cache'), 'callmedia', 'ca');
}

/**
 * The certificate authority the local service serves HTTPS under, because MSAL (and so
 * `@azure/identity`) talks to an authority only over https. Made on first start and kept in
 * `dir` (`ca.pem` public, `ca-key.pem` readable by the user only), so a client trusts it once:
 * `NODE_EXTRA_CA_CERTS=<dir>/ca.pem`, or a `ca` option. Each start issues a fresh short-lived
 * server certificate for localhost, 127.0.0.1, ::1 and any extra hostnames.
 */
export class LocalCertificateAuthority {
  private constructor(
    readonly dir: string,
    private readonly caCert: X509.X509Certificate,
    private readonly caKeys: CryptoKeyPair,
  ) {}

  /** Path of the CA certificate a client trusts. */
  get certificatePath(): string {
    return join(this.dir, 'ca.pem');
  }

  /** The CA certificate, PEM. */
  get certificatePem(): string {
    return this.caCert.toString('pem');
  }

  /** Loads the CA from `dir`, or makes one there when there is none (or it has expired). */
  static async open(options: LocalCertificateAuthorityOptions = {}): Promise<LocalCertificateAuthority> {
    const x509 = loadX509();
    const dir = options.dir ?? defaultCaDirectory();
    const certPath = join(dir, 'ca.pem');
    const keyPath = join(dir, 'ca-key.pem');
    if (existsSync(certPath) && existsSync(keyPath)) {
      const certPem = readFileSync(certPath, 'utf8');
      if (new Date(new NodeX509(certPem).validTo).getTime() > Date.now() + 86_400_000) {
        const cert = new x509.X509Certificate(certPem);
        const privateKey = await webcrypto.subtle.importKey('pkcs8', pemBody(readFileSync(keyPath, 'utf8')), ALGORITHM, true, ['sign']);
        const publicKey = await cert.publicKey.export(ALGORITHM, ['verify']);
        return new LocalCertificateAuthority(dir, cert, { privateKey, publicKey } as CryptoKeyPair);
      }
    }
    const keys = (await webcrypto.subtle.generateKey(ALGORITHM, true, ['sign', 'verify'])) as CryptoKeyPair;
    const now = new Date();
    const cert = await x509.X509CertificateGenerator.createSelfSigned({
      serialNumber: serial(),
      name: 'CN=callmedia local CA, O=callmedia',
      notBefore: new Date(now.getTime() - 60_000),
      notAfter: new Date(now.getTime() + CA_YEARS * 365 * 86_400_000),
      keys,
      signingAlgorithm: ALGORITHM,
      extensions: [
        new x509.BasicConstraintsExtension(true, 0, true),
        new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign, true),
        await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
      ],
    });
    mkdirSync(dir, { recursive: true });
    writeFileSync(keyPath, toPem('PRIVATE KEY', await webcrypto.subtle.exportKey('pkcs8', keys.privateKey)), { mode: 0o600 });
    chmodSync(keyPath, 0o600);
    writeFileSync(certPath, cert.toString('pem'));
    return new LocalCertificateAuthority(dir, cert, keys);
  }

  /** A server certificate for localhost, 127.0.0.1, ::1 and `hostnames`, signed by this CA. */
  async serverCertificate(hostnames: string[] = []): Promise<PemPair> {
    const x509 = loadX509();
    const keys = (await webcrypto.subtle.generateKey(ALGORITHM, true, ['sign', 'verify'])) as CryptoKeyPair;
    const names = new Set(['localhost', '127.0.0.1', '::1', ...hostnames]);
    const now = Date.now();
    const cert = await x509.X509CertificateGenerator.create({
      serialNumber: serial(),
      subject: 'CN=localhost',
      issuer: this.caCert.subject,
      notBefore: new Date(now - 60_000),
      notAfter: new Date(now + SERVER_DAYS * 86_400_000),
      publicKey: keys.publicKey,
      signingKey: this.caKeys.privateKey,
      signingAlgorithm: ALGORITHM,
      extensions: [
        new x509.BasicConstraintsExtension(false, undefined, true),
        new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature | x509.KeyUsageFlags.keyAgreement, true),
        new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.serverAuth]),
        new x509.SubjectAlternativeNameExtension([...names].map((n) => ({ type: isIp(n) ? ('ip' as const) : ('dns' as const), value: n }))),
        await x509.AuthorityKeyIdentifierExtension.create(this.caKeys.publicKey),
      ],
    });
    return {
      cert: cert.toString('pem'),
      key: toPem('PRIVATE KEY', await webcrypto.subtle.exportKey('pkcs8', keys.privateKey)),
    };
  }
}

/**
 * The X.509 library, loaded only when the service serves HTTPS: its dependency injection needs
 * the Reflect metadata polyfill, which a process that never serves HTTPS should not get.
 */
function loadX509(): typeof X509 {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  require('reflect-metadata');
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const x509 = require('@peculiar/x509') as typeof X509;
  x509.cryptoProvider.set(webcrypto as unknown as Crypto);
  return x509;
}

function isIp(name: string): boolean {
  return /^\d{1,3}(\.\d{1,3}){3}$/.test(name) || name.includes(':');
}

/** A positive 16-byte serial (the top bit clear, as DER integers want). */
function serial(): string {
  const bytes = webcrypto.getRandomValues(new Uint8Array(16));
  bytes[0] &= 0x7f;
  return Buffer.from(bytes).toString('hex');
}

function toPem(label: string, der: ArrayBuffer): string {
  const b64 = Buffer.from(der).toString('base64').replace(/(.{64})/g, '$1\n');
  return `-----BEGIN ${label}-----\n${b64.trim()}\n-----END ${label}-----\n`;
}

function pemBody(pem: string): Buffer {
  return Buffer.from(pem.replace(/-----[^-]+-----/g, '').replace(/\s+/g, ''), 'base64');
}
