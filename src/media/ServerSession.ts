import { EventEmitter } from 'events';
import { CallMediaError } from './errors';
import type { MediaPlatform } from './MediaPlatform';
import { TransportState, transportStateChanges } from './MediaSession';
import { NativeTransportStats, NativeWebRtcTransport, native } from './native';
import { LocalTrack, Negotiation, answerOffer } from './sdp/negotiation';
import { parseDescription } from './sdp/SessionDescription';

/** One m-line of the session's offer, as the server sees it. */
export interface ServerSection {
  mid: string;
  kind: 'audio' | 'video';
  /** The session's label for it ('main-audio', 'video-0', 'main-vbss'). */
  label: string;
  content?: string;
  /** The session sends media on it (the server receives). */
  sessionSends: boolean;
  /** The SSRCs the offer announces for it: what the session sends and the receiver's own. */
  sessionSsrcs: number[];
}

/**
 * A media server's side of a MediaSession (what the local service runs for each bot call):
 * it answers the session's offer as the controlling ICE agent and the DTLS client, on the
 * server's own media port, and carries the server's forwarders and sockets for that call.
 * The session is ICE-lite: the server's checks and nomination open the path.
 */
export class ServerSession extends EventEmitter {
  readonly transport: NativeWebRtcTransport;
  readonly sections: readonly ServerSection[];
  private readonly offerSdp: string;
  private negotiation?: Negotiation;
  private state: TransportState = 'new';
  private closed?: Promise<void>;
  private closing = false;
  private resolveClosed?: () => void;

  /** Reads the session's offer (SDP_INVALID when it cannot be used) and opens the transport. */
  constructor(readonly platform: MediaPlatform, offerSdp: string) {
    super();
    const offer = parseDescription(offerSdp);
    if (!offer.transport.iceUfrag || !offer.transport.icePwd || !offer.transport.fingerprint) {
      throw new CallMediaError('SDP_INVALID', 'the offer has no ICE credentials or DTLS fingerprint');
    }
    this.offerSdp = offerSdp;
    this.sections = offer.media
      .filter((m) => m.port !== 0 && (m.kind === 'audio' || m.kind === 'video'))
      .map((m) => ({
        mid: m.mid,
        kind: m.kind as 'audio' | 'video',
        label: m.label ?? m.mid,
        content: m.content,
        sessionSends: m.direction === 'sendrecv' || m.direction === 'sendonly',
        sessionSsrcs: m.sources.map((s) => s.ssrc),
      }));
    this.closed = new Promise((resolve) => (this.resolveClosed = resolve));
    try {
      this.transport = new (native().WebRtcTransport)(
        platform.nativePort(),
        { controlling: true, iceTimeoutMs: platform.settings.iceTimeoutMs, consentTimeoutMs: platform.settings.consentTimeoutMs },
        (kind, payload) => this.onTransportEvent(kind, payload),
      );
    } catch (err) {
      throw CallMediaError.fromNative(err);
    }
  }

  get transportState(): TransportState {
    return this.state;
  }

  /**
   * The answer to the session's offer, with the SSRC the server sends under on each video
   * m-line (audio goes out under each source's own). Checks and DTLS start at once.
   */
  answer(sendSsrcs: ReadonlyMap<string, number>): string {
    const local = this.transport.localParameters();
    const { sdp, negotiation } = answerOffer(
      this.offerSdp,
      (offered) =>
        offered.map((o): LocalTrack | undefined => {
          const section = this.sections.find((s) => s.mid === o.mid);
          if (!section) return undefined;
          return {
            kind: section.kind,
            mid: section.mid,
            send: true,
            sendSsrc: sendSsrcs.get(section.mid),
            label: section.label,
            content: section.content === 'slides' ? 'slides' : undefined,
            streamId: 'callmedia-service',
            trackId: `callmedia-service-${section.mid}`,
            // A simulcast camera's layers all come in; each subscriber is forwarded the one it asked for.
            receiveSimulcast: section.kind === 'video',
          };
        }),
      String(Date.now()),
      1,
      { iceUfrag: local.usernameFragment, icePwd: local.password, fingerprint: local.fingerprint, candidates: this.platform.candidates },
      // The forwarder passes packets on as they come: it neither retransmits nor paces to an estimate.
      { iceLite: false, preferDtlsClient: true, rtx: false, congestionControl: false },
    );
    this.negotiation = negotiation;
    const r = negotiation.transport;
    this.transport.setRemote({
      usernameFragment: r.iceUfrag,
      password: r.icePwd,
      dtlsRole: r.dtlsRole,
      fingerprint: r.fingerprint,
      candidates: r.candidates,
      midExtensionId: r.midExtensionId,
      transportCcExtensionId: r.transportCcExtensionId,
    });
    return sdp;
  }

  /**
   * The simulcast layers the session sends on an m-line (answered, largest first, each with the
   * size its description restricts it to), or undefined when it sends one stream there.
   */
  layersOf(mid: string): { rid: string; width: number; height: number }[] | undefined {
    return this.negotiation?.tracks.find((t) => t.mid === mid)?.receiveLayers;
  }

  /** The RFC 8852 rtp-stream-id extension id the session's layers carry (0: no simulcast). */
  get streamIdExtensionId(): number {
    return this.negotiation?.transport.ridExtensionId ?? 0;
  }

  stats(): NativeTransportStats {
    return this.transport.stats();
  }

  close(): Promise<void> {
    // Even after the peer closed DTLS: that ended the media, not the transport.
    if (!this.closing) {
      this.closing = true;
      this.transport.close();
    }
    return this.closed as Promise<void>;
  }

  private onTransportEvent(kind: string, payload: unknown): void {
    if (kind === 'state') {
      for (const change of transportStateChanges(payload)) {
        this.state = change.state;
        this.emit('transportStateChanged', change);
      }
    } else if (kind === 'closed') {
      this.state = 'closed';
      this.resolveClosed?.();
    }
  }

  /** Sections of the offer by kind. */
  sectionsOf(kind: 'audio' | 'video'): ServerSection[] {
    return this.sections.filter((s) => s.kind === kind);
  }
}
