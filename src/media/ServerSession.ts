import { EventEmitter } from 'events';
import { CallMediaError } from './errors';
import type { MediaPlatform } from './MediaPlatform';
import { TransportState, transportStateChanges } from './MediaSession';
import { ForwardedCodecName, NativeTransportStats, NativeWebRtcTransport, native } from './native';
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

export interface ServerSessionOptions {
  /**
   * Who offered. 'session' (default): a MediaSession, which is ICE-lite; the server is the
   * controlling agent and the DTLS client. 'browser': a full ICE agent (a browser, libwebrtc);
   * the server is ICE-lite and serves DTLS, as a media server answering a browser does.
   */
  peer?: 'session' | 'browser';
}

/**
 * A media server's side of a peer's session (what the local service runs for each bot call,
 * and for each person who joins from a browser): it answers the peer's offer on the server's
 * own media port, and carries the server's forwarders and sockets for that peer. A bot's
 * MediaSession is ICE-lite, so the server's checks and nomination open the path; a browser
 * checks and nominates, and the server answers as ICE-lite.
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
  private readonly peer: 'session' | 'browser';

  constructor(readonly platform: MediaPlatform, offerSdp: string, options: ServerSessionOptions = {}) {
    super();
    this.peer = options.peer ?? 'session';
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
        { controlling: this.peer === 'session', iceTimeoutMs: platform.settings.iceTimeoutMs, consentTimeoutMs: platform.settings.consentTimeoutMs },
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
            // The forwarder starts a new target at an H.264 key frame; a browser offers VP8 first.
            videoCodecs: this.peer === 'browser' ? ['H264'] : undefined,
          };
        }),
      String(Date.now()),
      1,
      { iceUfrag: local.usernameFragment, icePwd: local.password, fingerprint: local.fingerprint, candidates: this.platform.candidates },
      // The forwarder passes packets on as they come: it neither retransmits nor paces to an estimate.
      { iceLite: this.peer === 'browser', preferDtlsClient: this.peer === 'session', rtx: false, congestionControl: false },
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

  /**
   * What the answer's payload types on an m-line mean (both directions use the offer's
   * numbers), for forwarders that carry packets between sessions; empty before the answer.
   */
  payloadTypesOf(mid: string): { payloadType: number; codec: ForwardedCodecName }[] {
    const track = this.negotiation?.tracks.find((t) => t.mid === mid);
    if (!track) return [];
    const out: { payloadType: number; codec: ForwardedCodecName }[] = [];
    for (const c of track.receiveCodecs ?? []) out.push({ payloadType: c.payloadType, codec: c.codec === 'H264' ? 'h264' : 'vp8' });
    const a = track.audio;
    if (a) {
      if (a.opus >= 0) out.push({ payloadType: a.opus, codec: 'opus' });
      if (a.pcmu >= 0) out.push({ payloadType: a.pcmu, codec: 'pcmu' });
      if (a.pcma >= 0) out.push({ payloadType: a.pcma, codec: 'pcma' });
      if (a.telephoneEvent >= 0) out.push({ payloadType: a.telephoneEvent, codec: a.telephoneEventRate === 8000 ? 'telephone-event/8000' : 'telephone-event/48000' });
    }
    return out;
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
