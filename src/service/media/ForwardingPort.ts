import { EventEmitter } from 'events';
import { ForwardedCodecName, NativeForwarder, NativeForwarderEvent, NativeForwarderStats, NativeWebRtcTransport, native } from '../../media/native';

/** A forwarder on one m-line of a bot's WebRTC transport, instead of a plain port of its own. */
export interface ForwardingPortBundle {
  transport: NativeWebRtcTransport;
  mid: string;
  /** The SSRCs the peer's offer announces for the m-line (its media and its receiver's reports). */
  remoteSsrcs: number[];
  /**
   * As a consumer, send under an SSRC of its own with the source in the CSRC (default: for
   * video). A browser's audio m-line takes one stream, so it is rewritten too.
   */
  rewrite?: boolean;
}

/**
 * A forwarding point of the service's media, on the engine's media thread. On a plain UDP port
 * (a participant's ingest) what arrives goes out to every target: plain ports, unchanged, or
 * consumers. A consumer is a forwarding point on one m-line of a bot's WebRTC transport: what
 * it is given goes into that m-line (video under an SSRC of its own, the source in the CSRC),
 * and what the bot sends there arrives at it. For video, a new target starts at a key frame.
 * Events: 'subscription' ({ sourceId, width, height }) and 'keyFrameRequested' ({ mediaSsrc })
 * from the RTCP a bot socket (or a browser) sends, typed as the addon reports them.
 */
export class ForwardingPort extends EventEmitter {
  /** On a peer's WebRTC transport (a consumer when fed), rather than a plain port of its own. */
  readonly bundled: boolean;
  private readonly port: NativeForwarder;
  private readonly targets = new Set<string>();
  private readonly consumers = new Set<ForwardingPort>();
  private closed?: Promise<void>;

  constructor(readonly kind: 'audio' | 'video', bundle?: ForwardingPortBundle) {
    super();
    const options = bundle
      ? { video: kind === 'video', rewrite: bundle.rewrite ?? kind === 'video', transport: bundle.transport, route: { mid: bundle.mid, remoteSsrcs: bundle.remoteSsrcs } }
      : { video: kind === 'video' };
    this.port = new (native().Forwarder)(options, (event, payload) => this.onEvent(event, payload));
    this.port.unref(); // the service's HTTP server keeps the process alive, not its media ports
    this.bundled = bundle !== undefined;
  }

  /**
   * What arrives here also goes to `target`: into its m-line when it is on a peer's transport
   * (a consumer), else to its plain port. `layer` as for forwardTo.
   */
  feed(target: ForwardingPort, layer?: string): void {
    if (target.bundled) this.forwardToConsumer(target, layer);
    else this.forwardTo(target.localPort, '127.0.0.1', layer);
  }

  stopFeeding(target: ForwardingPort): void {
    if (target.bundled) this.stopForwardingToConsumer(target);
    else this.stopForwardingTo(target.localPort);
  }

  /**
   * What the payload types of this point's session mean (for a bundled point, its answer's; for
   * a plain ingest, what its sender uses), so packets forwarded into another session keep
   * their codec. A point without them passes numbers as they come.
   */
  setPayloadTypes(map: readonly { payloadType: number; codec: ForwardedCodecName }[]): void {
    this.port.setPayloadTypes(map);
  }

  /** The roster source id of whoever sends here, when it is not their SSRC (a browser's). */
  setSourceId(id: number): void {
    this.port.setSourceId(id);
  }

  get localPort(): number {
    return this.port.localPort();
  }

  /** The SSRC a consumer sends under (the m-line's stream, as the answer announces it). */
  get ssrc(): number {
    return this.port.stats().ssrc;
  }

  stats(): NativeForwarderStats {
    return this.port.stats();
  }

  /**
   * What arrives here also goes to that plain port. `layer`: of a simulcast sender, only the
   * layer with this RFC 8852 stream id (calling again with another switches it, at a key frame).
   * `payloadTypes`: what the port's numbers mean; each packet goes under the number its codec
   * has there (one it has no number for is not sent). Without them, numbers pass as they come.
   */
  forwardTo(port: number, address = '127.0.0.1', layer?: string, payloadTypes?: readonly { payloadType: number; codec: ForwardedCodecName }[]): void {
    this.targets.add(`${address}:${port}`);
    this.port.addTarget(address, port, layer ?? '', payloadTypes ?? []);
  }

  stopForwardingTo(port: number, address = '127.0.0.1'): void {
    this.targets.delete(`${address}:${port}`);
    this.port.removeTarget(address, port);
  }

  isForwardingTo(port: number, address = '127.0.0.1'): boolean {
    return this.targets.has(`${address}:${port}`);
  }

  /** What arrives here also goes to `consumer` (a forwarding point on a bot's transport). */
  forwardToConsumer(consumer: ForwardingPort, layer?: string): void {
    this.consumers.add(consumer);
    this.port.addConsumer(consumer.port, layer ?? '');
  }

  /** The sender's packets name their simulcast layer with this RFC 8852 extension id. */
  setStreamIdExtension(id: number): void {
    this.port.setStreamIdExtension(id);
  }

  stopForwardingToConsumer(consumer: ForwardingPort): void {
    this.consumers.delete(consumer);
    this.port.removeConsumer(consumer.port);
  }

  isForwardingToConsumer(consumer: ForwardingPort): boolean {
    return this.consumers.has(consumer);
  }

  /** Reports to a socket from this port, so that its RTCP (and media) come here. */
  announceTo(port: number, address = '127.0.0.1'): void {
    this.port.announce(address, port);
  }

  requestKeyFrame(): void {
    this.port.requestKeyFrame();
  }

  close(): Promise<void> {
    this.closed ??= new Promise((resolve) => {
      this.once('closed', resolve);
      this.port.close();
    });
    return this.closed;
  }

  private onEvent(event: string, payload: unknown): void {
    if (event === 'events') {
      for (const e of payload as NativeForwarderEvent[]) {
        if (e.type === 'subscription') this.emit('subscription', { sourceId: e.sourceId, width: e.width, height: e.height });
        else this.emit('keyFrameRequested', { mediaSsrc: e.mediaSsrc });
      }
    } else if (event === 'closed') {
      this.emit('closed');
    }
  }
}

/** The numbers an AudioSocket with default payload types takes (the service's listener, its recorders). */
export const AUDIO_SOCKET_PAYLOAD_TYPES: readonly { payloadType: number; codec: ForwardedCodecName }[] = [
  { payloadType: 111, codec: 'opus' },
  { payloadType: 0, codec: 'pcmu' },
  { payloadType: 8, codec: 'pcma' },
  { payloadType: 101, codec: 'telephone-event/48000' },
];

/** What an SDP media section's numbers mean, for the codecs the forwarder carries. */
export function payloadTypesOfSection(codecs: readonly { payloadType: number; name: string; clockRate: number }[]): { payloadType: number; codec: ForwardedCodecName }[] {
  const out: { payloadType: number; codec: ForwardedCodecName }[] = [];
  for (const c of codecs) {
    const name = c.name.toLowerCase();
    const codec: ForwardedCodecName | undefined =
      name === 'opus' ? 'opus'
      : name === 'pcmu' ? 'pcmu'
      : name === 'pcma' ? 'pcma'
      : name === 'telephone-event' ? (c.clockRate === 8000 ? 'telephone-event/8000' : 'telephone-event/48000')
      : name === 'h264' ? 'h264'
      : name === 'vp8' ? 'vp8'
      : undefined;
    if (codec) out.push({ payloadType: c.payloadType, codec });
  }
  return out;
}
