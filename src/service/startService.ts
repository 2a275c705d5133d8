import * as http from 'http';
import * as https from 'https';
import { LocalCertificateAuthority, type LocalCertificateAuthorityOptions } from './auth/LocalCertificateAuthority';
import type { AddressInfo } from 'net';
import { CommunicationsService, type CommunicationsServiceOptions } from './CommunicationsService';
import { createListener } from './http/createListener';
import { DEFAULT_SERVICE_PORT } from '../signaling/defaults';


export interface StartServiceOptions extends CommunicationsServiceOptions {
  /** 0 picks a free port. Default DEFAULT_SERVICE_PORT. */
  port?: number;
  /** Default 127.0.0.1: the service is for the developer's machine. */
  host?: string;
  /** The URL bots reach the service at, if not http://host:port (e.g. behind a proxy). */
  publicUrl?: string;
  /**
   * Serve HTTPS, with a certificate from the service's local CA (made on first start, kept in
   * `dir`). Needed for `@azure/identity` and MSAL, which talk to an authority only over https;
   * the client trusts `running.ca.certificatePath` (NODE_EXTRA_CA_CERTS or a `ca` option).
   */
  https?: boolean | LocalCertificateAuthorityOptions;
}

export interface RunningService {
  /** Base URL: Graph at `${url}/v1.0`, tokens' issuer (unless overridden), admin at `${url}/admin`. */
  url: string;
  service: CommunicationsService;
  /** The CA the service's HTTPS certificate comes from, when it serves HTTPS. */
  ca?: { certificatePath: string; certificatePem: string };
  close(): Promise<void>;
}

/** Starts the local communications service; `close()` stops it and drops open connections. */
export async function startService(options: StartServiceOptions = {}): Promise<RunningService> {
  const service = await CommunicationsService.create(options);
  const host = options.host ?? '127.0.0.1';
  const listener = createListener(service);
  let ca: LocalCertificateAuthority | undefined;
  let server: http.Server;
  if (options.https) {
    ca = await LocalCertificateAuthority.open(typeof options.https === 'object' ? options.https : {});
    const extra = typeof options.https === 'object' ? (options.https.hostnames ?? []) : [];
    const names = host === '0.0.0.0' || host === '::' ? extra : [host.replace(/^\[|\]$/g, ''), ...extra];
    server = https.createServer(await ca.serverCertificate(names), listener);
  } else {
    server = http.createServer(listener);
  }
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? DEFAULT_SERVICE_PORT, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;
  const scheme = options.https ? 'https' : 'http';
  const url = (options.publicUrl ?? `${scheme}://${host.includes(':') ? `[${host}]` : host}:${port}`).replace(/\/$/, '');
  service.baseUrl = url;
  let closing: Promise<void> | undefined;
  return {
    url,
    service,
    ca: ca && { certificatePath: ca.certificatePath, certificatePem: ca.certificatePem },
    close() {
      closing ??= new Promise<void>((resolve) => {
        service.close();
        server.close(() => resolve());
        server.closeAllConnections();
      });
      return closing;
    },
  };
}
