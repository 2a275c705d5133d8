import * as http from 'http';
import type { AddressInfo } from 'net';
import { CommunicationsService, type CommunicationsServiceOptions } from './CommunicationsService';
import { createListener, type ListenerOptions } from './http/createListener';
import { DEFAULT_SERVICE_PORT } from '../signaling/defaults';


export interface StartServiceOptions extends CommunicationsServiceOptions, ListenerOptions {
  /** 0 picks a free port. Default DEFAULT_SERVICE_PORT. */
  port?: number;
  /** Default 127.0.0.1: the service is for the developer's machine. */
  host?: string;
  /** The URL bots reach the service at, if not http://host:port (e.g. behind a proxy). */
  publicUrl?: string;
}

export interface RunningService {
  /** Base URL: Graph at `${url}/v1.0`, tokens' issuer (unless overridden), admin at `${url}/admin`. */
  url: string;
  service: CommunicationsService;
  close(): Promise<void>;
}

/** Starts the local communications service; `close()` stops it and drops open connections. */
export async function startService(options: StartServiceOptions = {}): Promise<RunningService> {
  const service = await CommunicationsService.create(options);
  const server = http.createServer(createListener(service, options));
  const host = options.host ?? '127.0.0.1';
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? DEFAULT_SERVICE_PORT, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const { port } = server.address() as AddressInfo;
  const url = (options.publicUrl ?? `http://${host.includes(':') ? `[${host}]` : host}:${port}`).replace(/\/$/, '');
  service.baseUrl = url;
  let closing: Promise<void> | undefined;
  return {
    url,
    service,
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
