import { EventEmitter } from 'events';
import * as fs from 'fs';
import { CallMediaError } from './errors';
import { MediaSession, MediaSessionOptions } from './MediaSession';
import { NativeMediaPort, native } from './native';
import { LoadShedder } from './LoadShedding';
import { HealthChange, HealthMeasures, HealthMonitor, MediaPlatformHealthStatus } from './PlatformHealth';

export interface MediaPlatformEvents {
  /** Health moved (Normal / HeavilyLoaded / Overloaded), with the measure that moved it. */
  healthChanged: [HealthChange];
}

/** The platform's hard limits, as the Microsoft platform has them. */
export const MAX_VIDEO_SOCKETS = 10;

/** The instance's DTLS certificate: PEM text, or files holding it. */
export type CertificateSettings = { certificate: string; privateKey: string } | { certificateFile: string; privateKeyFile: string };

export interface MediaPlatformSettings {
  /** The bot's application id. */
  applicationId: string;
  /** The address the far end sends media to: this instance's public address (or loopback). */
  publicAddress?: string;
  /** The local address the media port binds (default: publicAddress, else 127.0.0.1; '0.0.0.0' or '::' for all). */
  localAddress?: string;
  /** The instance's media port, shared by every WebRTC session (default 0: the system picks one). */
  mediaPort?: number;
  /** The port the far end sends to, when a load balancer maps it (default: the media port). */
  publicMediaPort?: number;
  /** The instance's certificate for DTLS (default: a self-signed ECDSA P-256 one made at start). */
  certificate?: CertificateSettings;
  /** A session that finds no ICE connectivity this long fails with ICE_TIMEOUT (default 15000 ms). */
  iceTimeoutMs?: number;
  /** A peer silent this long is gone: the session goes 'disconnected' (default 30000 ms, RFC 7675). */
  consentTimeoutMs?: number;
}

/**
 * The media platform of a bot instance (the Microsoft SDK's MediaPlatform): settings shared by
 * every call, the instance's media port and DTLS certificate, and the factory of media sessions.
 */
export class MediaPlatform extends EventEmitter {
  private port?: NativeMediaPort;
  private closed = false;
  private readonly monitor = new HealthMonitor();
  private readonly shedder = new LoadShedder();
  private readonly sessions = new Set<MediaSession>();

  private constructor(readonly settings: Readonly<MediaPlatformSettings> & { publicAddress: string; localAddress: string }) {
    super();
    this.monitor.on('healthChanged', (change: HealthChange) => this.emit('healthChanged', change));
    this.monitor.on('sample', (status: MediaPlatformHealthStatus) => this.shedLoad(status));
  }

  /** Sheds conversion in LoadShedder's order while Overloaded; gives it back after. */
  private shedLoad(status: MediaPlatformHealthStatus): void {
    for (const s of this.sessions) if (s.isClosed) this.sessions.delete(s);
    if (status !== 'Overloaded' && this.shedder.shedCount === 0) return;  // the usual case: nothing to read
    const sockets = [...this.sessions].flatMap((s) => [...s.videoSockets, ...(s.vbssSocket ? [s.vbssSocket] : [])]);
    this.shedder.sample(status, sockets);
  }

  /**
   * How loaded the instance is (Microsoft's MediaPlatformHealthStatus), from the lag of the
   * event loop and of the media thread and the wait for worker threads (HEALTH_THRESHOLDS).
   * A bot that is HeavilyLoaded should take no new calls; one that is Overloaded is losing media.
   */
  get health(): MediaPlatformHealthStatus {
    return this.monitor.state.status;
  }

  /** The measures of the last sample behind `health`. */
  get healthMeasures(): HealthMeasures {
    return { ...this.monitor.last };
  }

  override on<K extends keyof MediaPlatformEvents>(event: K, listener: (...args: MediaPlatformEvents[K]) => void): this {
    return super.on(event, listener as (...args: unknown[]) => void);
  }

  override once<K extends keyof MediaPlatformEvents>(event: K, listener: (...args: MediaPlatformEvents[K]) => void): this {
    return super.once(event, listener as (...args: unknown[]) => void);
  }

  static initialize(settings: MediaPlatformSettings): MediaPlatform {
    if (!settings.applicationId) throw new CallMediaError('INVALID_ARGUMENT', 'applicationId is required');
    for (const [name, value] of [['mediaPort', settings.mediaPort], ['publicMediaPort', settings.publicMediaPort]] as const) {
      if (value !== undefined && (!Number.isInteger(value) || value < 0 || value > 65535)) {
        throw new CallMediaError('INVALID_ARGUMENT', `${name} must be an integer in 0..65535`);
      }
    }
    const publicAddress = settings.publicAddress ?? '127.0.0.1';
    return new MediaPlatform({ ...settings, publicAddress, localAddress: settings.localAddress ?? publicAddress });
  }

  createMediaSession(options: MediaSessionOptions = {}): MediaSession {
    if (this.closed) throw new CallMediaError('PLATFORM_CLOSED', 'the media platform is closed');
    const session = new MediaSession(this, options);
    this.sessions.add(session);
    return session;
  }

  /** The instance's media port (opened with the first WebRTC session, or here). */
  get mediaPort(): number {
    return this.nativePort().localPort();
  }

  /** The certificate's sha-256 fingerprint, as descriptions carry it. */
  get fingerprint(): string {
    return this.nativePort().fingerprint();
  }

  /** Where the far end reaches the media port: the candidates of every description. */
  get candidates(): { address: string; port: number }[] {
    return [{ address: this.settings.publicAddress, port: this.settings.publicMediaPort || this.mediaPort }];
  }

  /** Datagrams the media port refused: unknown ICE usernames, unvalidated addresses, other protocols. */
  portStats(): ReturnType<NativeMediaPort['stats']> | undefined {
    return this.port?.stats();
  }

  /** Closes the media port. Sessions still open lose their transport. */
  close(): void {
    this.closed = true;
    this.monitor.stop();
    this.port?.close();
    this.port = undefined;
  }

  /** The native port, for the platform's sessions. */
  nativePort(): NativeMediaPort {
    if (this.closed) throw new CallMediaError('PLATFORM_CLOSED', 'the media platform is closed');
    if (!this.port) {
      const pem = readCertificate(this.settings.certificate);
      try {
        this.port = new (native().MediaPort)({ address: this.settings.localAddress, port: this.settings.mediaPort ?? 0, ...pem });
      } catch (err) {
        throw CallMediaError.fromNative(err);
      }
    }
    return this.port;
  }
}

function readCertificate(c: CertificateSettings | undefined): { certificatePem?: string; privateKeyPem?: string } {
  if (!c) return {};
  try {
    if ('certificateFile' in c) return { certificatePem: fs.readFileSync(c.certificateFile, 'utf8'), privateKeyPem: fs.readFileSync(c.privateKeyFile, 'utf8') };
    return { certificatePem: c.certificate, privateKeyPem: c.privateKey };
  } catch (err) {
    throw new CallMediaError('INVALID_CERTIFICATE', `cannot read the certificate: ${(err as Error).message}`, { cause: err });
  }
}
