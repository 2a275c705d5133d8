import { EventEmitter } from 'events';
import { CallMediaError, MediaPlatform, ServerSession, TransportStateChange } from '../../media';
import { ForwardingPort } from './ForwardingPort';

/** Tiles a browser may ask for: the others' cameras beyond these are not shown. */
export const MAX_TILES = 9;

/** What the roster gives a browser participant's streams. */
export interface BrowserSources {
  audio?: number;
  video?: number;
  /** What the browser shares on its screen m-line (it also shows the bot's screen share there). */
  screen?: number;
}

/**
 * The service's end of a person who joins a call from a browser: one WebRTC transport on the
 * service's media port, answered as ICE-lite (the browser checks and nominates) and serving
 * DTLS, with a forwarding point per m-line. The page offers, in this order:
 * - an audio m-line: its microphone comes in; the bot's voice goes out;
 * - a video m-line: its camera comes in; the bot's camera goes out;
 * - optionally a second video m-line: the bot's screen share goes out;
 * - any further video m-lines are tiles: each shows another participant's camera, whose
 *   roster source id the packets carry in their CSRC (RTCRtpReceiver.getContributingSources).
 * What goes out is rewritten to the one SSRC the answer announces per m-line, in the answer's
 * payload types; what comes in carries the roster's source ids onward, not the browser's SSRCs.
 * Emits 'gone' ({ reason }) once when the browser's transport fails or closes, or its consent
 * expires (a tab that closed sends no more consent checks: RFC 7675, the platform's
 * consentTimeoutMs).
 */
export class BrowserLeg extends EventEmitter {
  readonly answer: string;
  readonly audio?: ForwardingPort;
  readonly camera?: ForwardingPort;
  readonly screen?: ForwardingPort;
  readonly tiles: ForwardingPort[] = [];
  private readonly server: ServerSession;
  private gone = false;

  /** Throws SDP_INVALID when the offer cannot be used (no ICE credentials, no audio or video). */
  constructor(platform: MediaPlatform, offerSdp: string) {
    super();
    this.server = new ServerSession(platform, offerSdp, { peer: 'browser' });
    const points: [string, ForwardingPort][] = [];
    try {
      for (const s of this.server.sections) {
        const bundle = { transport: this.server.transport, mid: s.mid, remoteSsrcs: s.sessionSsrcs, rewrite: true };
        if (s.kind === 'audio' && !this.audio) points.push([s.mid, (this.audio = new ForwardingPort('audio', bundle))]);
        else if (s.kind === 'video' && !this.camera) points.push([s.mid, (this.camera = new ForwardingPort('video', bundle))]);
        else if (s.kind === 'video' && !this.screen) points.push([s.mid, (this.screen = new ForwardingPort('video', bundle))]);
        else if (s.kind === 'video' && this.tiles.length < MAX_TILES) {
          const tile = new ForwardingPort('video', bundle);
          this.tiles.push(tile);
          points.push([s.mid, tile]);
        }
      }
      if (!points.length) throw new CallMediaError('SDP_INVALID', 'the offer has no audio or video m-line');
      this.answer = this.server.answer(new Map(points.map(([mid, point]) => [mid, point.ssrc])));
      for (const [mid, point] of points) {
        const payloadTypes = this.server.payloadTypesOf(mid);
        if (!payloadTypes.length) throw new CallMediaError('SDP_INVALID', `m-line '${mid}' offers no codec the service forwards (Opus, PCMU, PCMA; H.264)`);
        point.setPayloadTypes(payloadTypes);
      }
    } catch (err) {
      void Promise.all(points.map(([, p]) => p.close())).then(() => this.server.close());
      throw err;
    }
    this.server.on('transportStateChanged', (change: TransportStateChange) => {
      // Consent that expired is a tab that closed or a network that went: the person is gone.
      const gone = change.state === 'failed' || change.state === 'closed' || change.code === 'ICE_CONSENT_EXPIRED';
      if (gone) this.leave(change.reason ?? `the browser's transport ${change.state}`);
    });
  }

  get transportState(): string {
    return this.server.transportState;
  }

  /** Its streams' roster source ids: consumers carry them, not the browser's own SSRCs. */
  setSources(sources: BrowserSources): void {
    if (sources.audio !== undefined) this.audio?.setSourceId(sources.audio);
    if (sources.video !== undefined) this.camera?.setSourceId(sources.video);
    if (sources.screen !== undefined) this.screen?.setSourceId(sources.screen);
  }

  async close(): Promise<void> {
    this.gone = true;
    await Promise.all([this.audio?.close(), this.camera?.close(), this.screen?.close(), ...this.tiles.map((t) => t.close())]);
    await this.server.close();
  }

  private leave(reason: string): void {
    if (this.gone) return;
    this.gone = true;
    this.emit('gone', { reason });
  }
}
