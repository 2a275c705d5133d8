import { CallMediaError } from '../errors';
import { MediaDirection, SdpCodec, SdpMediaSection, SessionDescriptionModel, parseDescription, writeDescription } from './SessionDescription';

/** RFC 8285 header extensions the engine offers, with the ids it offers them under. */
export const RTP_EXTENSIONS = {
  audioLevel: { id: 1, uri: 'urn:ietf:params:rtp-hdrext:ssrc-audio-level' },
  absSendTime: { id: 2, uri: 'http://www.webrtc.org/experiments/rtp-hdrext/abs-send-time' },
  transportCc: { id: 3, uri: 'http://www.ietf.org/id/draft-holmer-rmcat-transport-wide-cc-extensions-01' },
  mid: { id: 4, uri: 'urn:ietf:params:rtp-hdrext:sdes:mid' },
  /** RFC 8852: a simulcast layer's packets name it, and its retransmissions the layer they repair. */
  rid: { id: 5, uri: 'urn:ietf:params:rtp-hdrext:sdes:rtp-stream-id' },
  repairedRid: { id: 6, uri: 'urn:ietf:params:rtp-hdrext:sdes:repaired-rtp-stream-id' },
} as const;

const STREAM_ID_URIS: readonly string[] = [RTP_EXTENSIONS.rid.uri, RTP_EXTENSIONS.repairedRid.uri];

const KNOWN_EXTENSION_URIS: readonly string[] = Object.values(RTP_EXTENSIONS).map((e) => e.uri);
const VIDEO_FEEDBACK = ['nack', 'nack pli', 'ccm fir', 'transport-cc'];

/** The codecs of an offer, in preference order. */
export const OFFERED_AUDIO: readonly SdpCodec[] = [
  { payloadType: 111, name: 'opus', clockRate: 48000, channels: 2, parameters: { minptime: '10', useinbandfec: '1' }, feedback: [] },
  { payloadType: 0, name: 'PCMU', clockRate: 8000, parameters: {}, feedback: [] },
  { payloadType: 8, name: 'PCMA', clockRate: 8000, parameters: {}, feedback: [] },
  { payloadType: 101, name: 'telephone-event', clockRate: 48000, parameters: { '0-16': '' }, feedback: [] },
  { payloadType: 100, name: 'telephone-event', clockRate: 8000, parameters: { '0-16': '' }, feedback: [] },
];
/**
 * H.264 first: constrained baseline is what the engine's encoder writes and every endpoint
 * decodes; High is received where the decoder can. VP8 (RFC 7742's other mandatory codec) for
 * the endpoints that have no H.264.
 */
export const OFFERED_VIDEO: readonly SdpCodec[] = [
  { payloadType: 96, name: 'H264', clockRate: 90000, parameters: { 'level-asymmetry-allowed': '1', 'packetization-mode': '1', 'profile-level-id': '42e01f' }, feedback: VIDEO_FEEDBACK },
  { payloadType: 97, name: 'H264', clockRate: 90000, parameters: { 'level-asymmetry-allowed': '1', 'packetization-mode': '1', 'profile-level-id': '640c1f' }, feedback: VIDEO_FEEDBACK },
  { payloadType: 98, name: 'VP8', clockRate: 90000, parameters: {}, feedback: VIDEO_FEEDBACK },
  // RFC 4588 retransmissions of each, under an SSRC of their own (apt: the payload type repaired).
  { payloadType: 102, name: 'rtx', clockRate: 90000, parameters: { apt: '96' }, feedback: [] },
  { payloadType: 103, name: 'rtx', clockRate: 90000, parameters: { apt: '97' }, feedback: [] },
  { payloadType: 104, name: 'rtx', clockRate: 90000, parameters: { apt: '98' }, feedback: [] },
];

function isRtx(codec: SdpCodec): boolean {
  return codec.name.toLowerCase() === 'rtx' && /^\d+$/.test(codec.parameters.apt ?? '');
}

/** The RTX formats among `all` that repair one of `codecs`. */
function rtxFor(all: readonly SdpCodec[], codecs: readonly SdpCodec[]): SdpCodec[] {
  return all.filter((c) => isRtx(c) && codecs.some((k) => !isRtx(k) && String(k.payloadType) === c.parameters.apt));
}

function rtxMapping(codecs: readonly SdpCodec[]): { payloadType: number; apt: number }[] {
  return codecs.filter(isRtx).map((c) => ({ payloadType: c.payloadType, apt: Number(c.parameters.apt) }));
}

/**
 * What RTX settles for a video section, from the formats both sides keep (`codecs`): the RTX
 * payload types that may arrive, and the one to retransmit with, which repairs what is sent.
 * Retransmission is asked for with generic NACK (RFC 4585); without it, nothing is resent.
 */
function rtxParameters(codecs: readonly SdpCodec[], remote: readonly SdpCodec[], sendPayloadType: number | undefined) {
  const nack = remote.some((c) => !isRtx(c) && c.feedback.includes('nack'));
  const receiveRtx = rtxMapping(codecs);
  const send = receiveRtx.find((r) => r.apt === sendPayloadType);
  return { receiveRtx, sendRtxPayloadType: nack && send ? send.payloadType : undefined };
}

export type VideoCodecName = 'H264' | 'VP8';

/** A socket of the session, as a description shows it. */
export interface LocalTrack {
  kind: 'audio' | 'video';
  mid: string;
  /** The socket sends (it has send settings). */
  send: boolean;
  /** SSRC of what it sends. */
  sendSsrc?: number;
  /** SSRC of its RFC 4588 retransmissions (video). */
  sendRtxSsrc?: number;
  /** The receiver's own SSRC (its reports and subscriptions): a media server tells sockets apart by it. */
  rtcpSsrc?: number;
  label: string;
  content?: 'main' | 'slides';
  /** RFC 8830 stream and track ids of what it sends. */
  streamId: string;
  trackId: string;
  /** Video codecs the socket takes (an H.264 passthrough socket takes H.264 only). */
  videoCodecs?: VideoCodecName[];
  /** Simulcast send (RFC 8853): every layer, largest first, each under its own SSRC and stream id. */
  simulcast?: SimulcastLayerDescription[];
  /** Takes an offered simulcast (a media server: it forwards the layer each subscriber asks for). */
  receiveSimulcast?: boolean;
}

/** One simulcast layer as a description names it. */
export interface SimulcastLayerDescription {
  rid: string;
  ssrc: number;
  rtxSsrc?: number;
  width: number;
  height: number;
}

export interface LocalTransport {
  iceUfrag: string;
  icePwd: string;
  fingerprint: { algorithm: string; value: string };
  candidates: { address: string; port: number }[];
}

/** What negotiation settled for one socket. */
export interface NegotiatedTrack {
  mid: string;
  kind: 'audio' | 'video';
  /** This side's direction (rejected sections are 'inactive'). */
  direction: MediaDirection;
  receivePayloadTypes: number[];
  /** The payload type this side sends with (H.264 or VP8, or Opus), if it sends. */
  sendPayloadType?: number;
  /** Video: the codec of each payload type received, and the codec sent. */
  receiveCodecs?: { payloadType: number; codec: VideoCodecName }[];
  sendCodec?: VideoCodecName;
  /** Video: RFC 4588 payload types received with the one each repairs, and the one to resend with. */
  receiveRtx?: { payloadType: number; apt: number }[];
  sendRtxPayloadType?: number;
  audio?: { opus: number; pcmu: number; pcma: number; telephoneEvent: number; telephoneEventRate: number; audioLevelExtensionId: number };
  /** The sources the remote side announces for this section. */
  remoteSsrcs: number[];
  remoteMsid?: string;
  /** Simulcast send: the stream ids of our layers the far end accepted, in its order (absent: no simulcast; only the first layer sends). */
  sendLayers?: string[];
  /** Simulcast receive: the layers the far end sends, each with the size its a=rid restricts it to (0: not said). */
  receiveLayers?: { rid: string; width: number; height: number }[];
}

export interface NegotiatedTransport {
  iceUfrag: string;
  icePwd: string;
  fingerprint: { algorithm: string; value: string };
  dtlsRole: 'client' | 'server';
  candidates: { address: string; port: number }[];
  midExtensionId: number;
  /** The transport-wide sequence number extension's id when both sides do transport-cc feedback; 0: no congestion control. */
  transportCcExtensionId: number;
  /** RFC 8852 rtp-stream-id and repaired-rtp-stream-id ids when a section negotiated simulcast; 0: none. */
  ridExtensionId: number;
  repairedRidExtensionId: number;
}

export interface Negotiation {
  transport: NegotiatedTransport;
  tracks: NegotiatedTrack[];
}

const CNAME = 'callmedia';

function candidateLines(transport: LocalTransport) {
  return transport.candidates.map((c, i) => ({
    foundation: String(i + 1),
    component: 1,
    priority: 2130706431 - i,
    address: c.address,
    port: c.port,
    type: 'host',
  }));
}

/** `rtx`: the section announces a retransmission source (it sends, and has both SSRCs). */
function sourcesOf(track: LocalTrack, sending: boolean, rtx: boolean) {
  const sources = [];
  const msid = `${track.streamId} ${track.trackId}`;
  if (sending && track.simulcast) {
    for (const layer of track.simulcast) {
      sources.push({ ssrc: layer.ssrc, cname: CNAME, msid });
      if (rtx && layer.rtxSsrc) sources.push({ ssrc: layer.rtxSsrc, cname: CNAME, msid });
    }
  } else {
    if (sending && track.sendSsrc) sources.push({ ssrc: track.sendSsrc, cname: CNAME, msid });
    if (rtx) sources.push({ ssrc: track.sendRtxSsrc as number, cname: CNAME, msid });
  }
  if (track.rtcpSsrc && track.rtcpSsrc !== track.sendSsrc) sources.push({ ssrc: track.rtcpSsrc, cname: CNAME });
  return sources;
}

/**
 * RFC 5576 groups of a sending section: each source with its retransmissions (FID) and, for
 * simulcast, the layers' sources in order (SIM), for receivers that map SSRCs rather than read
 * stream ids.
 */
function groupsOf(track: LocalTrack, rtx: boolean): { semantics: string; ssrcs: number[] }[] {
  if (track.simulcast) {
    const fid = rtx ? track.simulcast.filter((l) => l.rtxSsrc).map((l) => ({ semantics: 'FID', ssrcs: [l.ssrc, l.rtxSsrc as number] })) : [];
    return [{ semantics: 'SIM', ssrcs: track.simulcast.map((l) => l.ssrc) }, ...fid];
  }
  return rtx ? [{ semantics: 'FID', ssrcs: [track.sendSsrc as number, track.sendRtxSsrc as number] }] : [];
}

/** RFC 8851 a=rid lines and the RFC 8853 a=simulcast line of a simulcast section. */
function simulcastLines(
  layers: readonly { rid: string; width: number; height: number }[],
  direction: 'send' | 'recv',
): Pick<SdpMediaSection, 'rids' | 'simulcast'> {
  return {
    rids: layers.map((l) => ({
      id: l.rid,
      direction,
      parameters: l.width > 0 && l.height > 0 ? { 'max-width': String(l.width), 'max-height': String(l.height) } : ({} as Record<string, string>),
    })),
    simulcast: { direction, rids: layers.map((l) => l.rid) },
  };
}

function section(track: LocalTrack, transport: LocalTransport, direction: MediaDirection, codecs: SdpCodec[], extensions: { id: number; uri: string }[]): SdpMediaSection {
  const sending = direction === 'sendrecv' || direction === 'sendonly';
  // The retransmission source is announced with the one it repairs (RFC 4588 8.7, RFC 5576 4.2).
  const rtx = codecs.some(isRtx) && sending && (track.simulcast ? track.simulcast.some((l) => l.rtxSsrc) : !!track.sendSsrc && !!track.sendRtxSsrc);
  const groups = sending ? groupsOf(track, rtx) : [];
  return {
    kind: track.kind,
    mid: track.mid,
    port: transport.candidates[0]?.port ?? 9,
    protocol: 'UDP/TLS/RTP/SAVPF',
    direction,
    codecs,
    extensions,
    sources: sourcesOf(track, sending, rtx),
    ...(groups.length ? { ssrcGroups: groups } : {}),
    ...(sending && track.simulcast ? simulcastLines(track.simulcast, 'send') : {}),
    msid: sending ? `${track.streamId} ${track.trackId}` : undefined,
    content: track.content,
    label: track.label,
    rtcpMux: true,
    iceUfrag: transport.iceUfrag,
    icePwd: transport.icePwd,
    fingerprint: transport.fingerprint,
    candidates: candidateLines(transport),
    address: transport.candidates[0]?.address,
  };
}

/** A JSEP offer of every socket, bundled on one ICE-lite transport (a=setup:actpass). */
export function createOffer(sessionId: string, version: number, transport: LocalTransport, tracks: LocalTrack[]): string {
  const model: SessionDescriptionModel = {
    sessionId,
    sessionVersion: version,
    name: '-',
    iceLite: true,
    bundle: tracks.map((t) => t.mid),
    transport: { candidates: [] },
    media: tracks.map((t) => {
      const extensions = t.kind === 'audio'
        ? [RTP_EXTENSIONS.audioLevel, RTP_EXTENSIONS.absSendTime, RTP_EXTENSIONS.transportCc, RTP_EXTENSIONS.mid]
        : [RTP_EXTENSIONS.absSendTime, RTP_EXTENSIONS.transportCc, RTP_EXTENSIONS.mid,
          ...(t.simulcast && t.send ? [RTP_EXTENSIONS.rid, RTP_EXTENSIONS.repairedRid] : [])];
      const media = OFFERED_VIDEO.filter((c) => (t.videoCodecs ?? ['H264', 'VP8']).includes(c.name as VideoCodecName));
      const codecs = t.kind === 'audio' ? [...OFFERED_AUDIO] : [...media, ...rtxFor(OFFERED_VIDEO, media)];
      const s = section(t, transport, t.send ? 'sendrecv' : 'recvonly', codecs, extensions.map((e) => ({ ...e })));
      s.setup = 'actpass';
      return s;
    }),
  };
  return writeDescription(model);
}

/** A plain RTP offer (RTP/AVP, a port per socket, no encryption) for RTP pipelines. */
export function createPlainOffer(sessionId: string, name: string, address: string, tracks: (LocalTrack & { port: number })[]): string {
  const model: SessionDescriptionModel = {
    sessionId,
    sessionVersion: 1,
    name,
    iceLite: false,
    bundle: [],
    transport: { candidates: [] },
    address,
    media: tracks.map((t) => ({
      kind: t.kind,
      mid: t.mid,
      port: t.port,
      protocol: 'RTP/AVP',
      direction: t.send ? 'sendrecv' : 'recvonly',
      codecs: t.kind === 'audio' ? OFFERED_AUDIO.slice(0, 4) : [{ ...OFFERED_VIDEO[0], parameters: { 'packetization-mode': '1', 'profile-level-id': '42e01f' } }],
      extensions: [],
      sources: [],
      content: t.content,
      label: t.label,
      rtcpMux: true,
      candidates: [],
    })),
  };
  return writeDescription(model);
}

// ---- codec choice

function h264Profile(codec: SdpCodec): { idc: number; constrained: boolean } | undefined {
  const plid = codec.parameters['profile-level-id'] ?? '42001f';
  if (!/^[0-9a-fA-F]{6}$/.test(plid)) return undefined;
  const idc = parseInt(plid.slice(0, 2), 16);
  const iop = parseInt(plid.slice(2, 4), 16);
  return { idc, constrained: idc === 0x42 && (iop & 0x40) !== 0 };
}

/** H.264 in packetization mode 1 with a profile the decoder handles (Baseline, Main, High; 4:2:0 8-bit). */
function receivableH264(codec: SdpCodec): boolean {
  if (codec.name.toUpperCase() !== 'H264' || codec.clockRate !== 90000) return false;
  if ((codec.parameters['packetization-mode'] ?? '0') !== '1') return false;
  const profile = h264Profile(codec);
  return profile !== undefined && [0x42, 0x4d, 0x64].includes(profile.idc);
}

function receivableVp8(codec: SdpCodec): boolean {
  return codec.name.toUpperCase() === 'VP8' && codec.clockRate === 90000;
}

function videoCodecOf(codec: SdpCodec): VideoCodecName | undefined {
  return receivableH264(codec) ? 'H264' : receivableVp8(codec) ? 'VP8' : undefined;
}

/**
 * The payload type to send with: H.264 when the far end takes it (constrained baseline, what
 * the encoder writes, first), else VP8.
 */
function sendableVideo(codecs: SdpCodec[]): { payloadType: number; codec: VideoCodecName } | undefined {
  const rank = (c: SdpCodec): number => {
    if (receivableVp8(c)) return 3;
    const p = h264Profile(c);
    return p?.constrained ? 0 : p?.idc === 0x42 ? 1 : 2;
  };
  const best = [...codecs].filter((c) => videoCodecOf(c)).sort((a, b) => rank(a) - rank(b))[0];
  return best ? { payloadType: best.payloadType, codec: videoCodecOf(best) as VideoCodecName } : undefined;
}

function videoReceiveCodecs(codecs: SdpCodec[]): { payloadType: number; codec: VideoCodecName }[] {
  return codecs.flatMap((c) => {
    const codec = videoCodecOf(c);
    return codec ? [{ payloadType: c.payloadType, codec }] : [];
  });
}

function audioCodecs(codecs: SdpCodec[]): SdpCodec[] {
  return codecs.filter((c) => {
    const name = c.name.toLowerCase();
    if (name === 'opus') return c.clockRate === 48000 && (c.channels ?? 1) === 2;
    if (name === 'pcmu' || name === 'pcma') return c.clockRate === 8000;
    if (name === 'telephone-event') return c.clockRate === 8000 || c.clockRate === 16000 || c.clockRate === 48000;
    return false;
  });
}

function audioParameters(codecs: SdpCodec[], extensions: { id: number; uri: string }[]): NonNullable<NegotiatedTrack['audio']> {
  const find = (name: string) => codecs.find((c) => c.name.toLowerCase() === name);
  const opus = find('opus');
  const events = codecs.filter((c) => c.name.toLowerCase() === 'telephone-event');
  // The far end sends events on the clock of the codec it speaks: 48 kHz beside Opus.
  const event = (opus ? events.find((e) => e.clockRate === 48000) : events.find((e) => e.clockRate === 8000)) ?? events[0];
  return {
    opus: opus?.payloadType ?? -1,
    pcmu: find('pcmu')?.payloadType ?? -1,
    pcma: find('pcma')?.payloadType ?? -1,
    telephoneEvent: event?.payloadType ?? -1,
    telephoneEventRate: event?.clockRate ?? 48000,
    audioLevelExtensionId: extensions.find((e) => e.uri === RTP_EXTENSIONS.audioLevel.uri)?.id ?? 0,
  };
}

function remoteSources(m: SdpMediaSection): number[] {
  return m.sources.map((s) => s.ssrc);
}

function sends(d: MediaDirection): boolean {
  return d === 'sendrecv' || d === 'sendonly';
}

function receives(d: MediaDirection): boolean {
  return d === 'sendrecv' || d === 'recvonly';
}

/** Our direction answering an offered one (RFC 3264 6.1). */
function answerDirection(offered: MediaDirection, canSend: boolean): MediaDirection {
  const send = canSend && receives(offered);
  const receive = sends(offered);
  return send && receive ? 'sendrecv' : send ? 'sendonly' : receive ? 'recvonly' : 'inactive';
}

/** Our direction once the answer says its own. */
function directionFromAnswer(answered: MediaDirection): MediaDirection {
  return answered === 'sendrecv' ? 'sendrecv' : answered === 'recvonly' ? 'sendonly' : answered === 'sendonly' ? 'recvonly' : 'inactive';
}

function requireTransport(model: SessionDescriptionModel, what: string) {
  const t = model.transport;
  if (!t.iceUfrag || !t.icePwd) throw new CallMediaError('SDP_INVALID', `the ${what} has no ICE credentials (a=ice-ufrag, a=ice-pwd)`);
  if (!t.fingerprint) throw new CallMediaError('SDP_INVALID', `the ${what} has no DTLS fingerprint (a=fingerprint)`);
  const usable = model.media.filter((m) => m.port !== 0 && (m.kind === 'audio' || m.kind === 'video'));
  for (const m of usable) {
    if (!/^UDP\/TLS\/RTP\/SAVPF?$/.test(m.protocol)) throw new CallMediaError('SDP_INVALID', `section ${m.mid}: protocol ${m.protocol} is not DTLS-SRTP (UDP/TLS/RTP/SAVPF)`);
    if (!m.rtcpMux) throw new CallMediaError('SDP_INVALID', `section ${m.mid}: RTP and RTCP must share the port (a=rtcp-mux)`);
  }
  return { iceUfrag: t.iceUfrag, icePwd: t.icePwd, fingerprint: t.fingerprint };
}

function midExtensionOf(model: SessionDescriptionModel): number {
  for (const m of model.media) {
    const e = m.extensions.find((x) => x.uri === RTP_EXTENSIONS.mid.uri);
    if (e && m.port !== 0) return e.id;
  }
  return 0;
}

/**
 * Transport-wide congestion control is on when a section both sides keep carries the
 * transport-wide sequence number extension and a format with \`a=rtcp-fb:… transport-cc\`
 * (what libwebrtc requires too). BUNDLE gives every section the same id.
 */
function transportCcExtensionOf(media: readonly SdpMediaSection[]): number {
  for (const m of media) {
    if (m.port === 0) continue;
    const e = m.extensions.find((x) => x.uri === RTP_EXTENSIONS.transportCc.uri);
    if (e && e.id >= 1 && e.id <= 14 && m.codecs.some((c) => c.feedback.includes('transport-cc'))) return e.id;
  }
  return 0;
}

/** The layers an offered section sends as simulcast (RFC 8853), with the sizes its a=rid lines restrict them to. */
function offeredLayers(m: SdpMediaSection): { rid: string; width: number; height: number }[] | undefined {
  if (m.simulcast?.direction !== 'send' || m.simulcast.rids.length < 2) return undefined;
  if (!m.extensions.some((e) => e.uri === RTP_EXTENSIONS.rid.uri && e.id >= 1 && e.id <= 14)) return undefined; // layers it could not tell apart
  return m.simulcast.rids.map((rid) => {
    const p = m.rids?.find((r) => r.id === rid)?.parameters ?? {};
    const size = (v: string | undefined) => (v && /^\d+$/.test(v) ? Number(v) : 0);
    return { rid, width: size(p['max-width']), height: size(p['max-height']) };
  });
}

/** Our layers that an answer receives (a=simulcast:recv), in its order; none when it took no simulcast. */
function acceptedLayers(m: SdpMediaSection, layers: readonly SimulcastLayerDescription[]): string[] {
  if (m.port === 0 || m.simulcast?.direction !== 'recv') return [];
  return m.simulcast.rids.filter((rid) => layers.some((l) => l.rid === rid));
}

/** The RFC 8852 extension ids of the sections that negotiated simulcast (BUNDLE: one id for all). */
function streamIdExtensionsOf(media: readonly SdpMediaSection[]): { ridExtensionId: number; repairedRidExtensionId: number } {
  const id = (uri: string) => {
    for (const m of media) {
      const e = m.extensions.find((x) => x.uri === uri);
      if (e && e.id >= 1 && e.id <= 14) return e.id;
    }
    return 0;
  };
  return { ridExtensionId: id(RTP_EXTENSIONS.rid.uri), repairedRidExtensionId: id(RTP_EXTENSIONS.repairedRid.uri) };
}

/**
 * Answers a remote offer (JSEP): `pick` matches each offered section with a socket (undefined:
 * rejected). Returns the answer and what it settled.
 */
export interface AnswerOptions {
  /** An ICE-lite answerer (a bot, default) or a full agent that checks (a media server). */
  iceLite?: boolean;
  /** Take the DTLS client role when the offerer leaves the choice (a=setup:actpass). */
  preferDtlsClient?: boolean;
  /** Accept the offer's RFC 4588 retransmission formats (default true; a forwarder that passes packets on as they come takes none). */
  rtx?: boolean;
  /** Accept transport-wide congestion control (default true: the engine's senders follow the estimate, and it reports what it receives). */
  congestionControl?: boolean;
}

export function answerOffer(
  offerSdp: unknown,
  pick: (sections: { kind: string; mid: string }[]) => (LocalTrack | undefined)[],
  sessionId: string,
  version: number,
  transport: LocalTransport,
  options: AnswerOptions = {},
): { sdp: string; negotiation: Negotiation } {
  const offer = parseDescription(offerSdp);
  const remote = requireTransport(offer, 'offer');
  const tracks = pick(offer.media.map((m) => ({ kind: m.port === 0 ? 'rejected' : m.kind, mid: m.mid })));
  // RFC 5763 5: an active offerer leaves us the server side, a passive one the client side;
  // actpass leaves the choice (a bot serves, so the peer's first flight needs no wait).
  const setup = offer.transport.setup ?? 'actpass';
  const dtlsRole: 'client' | 'server' = setup === 'passive' || (setup === 'actpass' && options.preferDtlsClient) ? 'client' : 'server';
  const negotiated: NegotiatedTrack[] = [];
  const media = offer.media.map((m, i): SdpMediaSection => {
    const track = tracks[i];
    const kind = m.kind === 'audio' || m.kind === 'video' ? m.kind : undefined;
    let codecs: SdpCodec[] = [];
    if (track && kind === track.kind && m.port !== 0) {
      if (kind === 'audio') {
        // One telephone-event, the one the receiver reads (beside Opus, 48 kHz): offered both,
        // a browser sends its tones on whichever the answer leaves it.
        const all = audioCodecs(m.codecs);
        const event = audioParameters(all, []).telephoneEvent;
        codecs = all.filter((c) => c.name.toLowerCase() !== 'telephone-event' || c.payloadType === event);
      } else {
        // One family, so both sides send what the other expects: H.264 when offered (what the
        // engine's encoders and Microsoft's platform speak), else VP8.
        const allowed = track.videoCodecs ?? ['H264', 'VP8'];
        const h264 = allowed.includes('H264') ? m.codecs.filter(receivableH264) : [];
        const vp8 = allowed.includes('VP8') ? m.codecs.filter(receivableVp8) : [];
        const feedback = options.congestionControl === false ? VIDEO_FEEDBACK.filter((f) => f !== 'transport-cc') : VIDEO_FEEDBACK;
        const chosen = (h264.length ? h264 : vp8).map((c) => ({ ...c, feedback: c.feedback.filter((f) => feedback.includes(f)) }));
        codecs = [...chosen, ...(options.rtx === false ? [] : rtxFor(m.codecs, chosen).map((c) => ({ ...c, feedback: [] })))];
      }
    }
    const usable = codecs.some((c) => c.name.toLowerCase() !== 'telephone-event');
    if (!track || !usable) {
      // Rejected (RFC 3264 6): port 0, the offered formats, nothing else.
      return {
        kind: m.kind, mid: m.mid, port: 0, protocol: m.protocol, direction: 'inactive',
        codecs: m.codecs.slice(0, 1), extensions: [], sources: [], rtcpMux: false, candidates: [],
      };
    }
    // An offered simulcast is taken by a socket that receives it (a media server); otherwise
    // the section is answered without it and the offerer sends its first layer alone (RFC 8853 5.3).
    const layers = track.receiveSimulcast && kind === 'video' ? offeredLayers(m) : undefined;
    const extensions = m.extensions.filter(
      (e) =>
        KNOWN_EXTENSION_URIS.includes(e.uri) &&
        (options.congestionControl !== false || e.uri !== RTP_EXTENSIONS.transportCc.uri) &&
        (layers !== undefined || !STREAM_ID_URIS.includes(e.uri)),
    );
    let direction = answerDirection(m.direction, track.send);
    const audio = kind === 'audio' ? audioParameters(codecs, extensions) : undefined;
    const video = kind === 'video' ? sendableVideo(codecs) : undefined;
    const sendPayloadType = audio ? (audio.opus >= 0 ? audio.opus : undefined) : video?.payloadType;
    if (sendPayloadType === undefined && sends(direction)) direction = direction === 'sendrecv' ? 'recvonly' : 'inactive';
    negotiated.push({
      mid: m.mid,
      kind: track.kind,
      direction,
      receivePayloadTypes: codecs.map((c) => c.payloadType),
      sendPayloadType,
      receiveCodecs: kind === 'video' ? videoReceiveCodecs(codecs) : undefined,
      sendCodec: video?.codec,
      ...(kind === 'video' ? rtxParameters(codecs, m.codecs, video?.payloadType) : {}),
      audio,
      remoteSsrcs: remoteSources(m),
      remoteMsid: m.msid ?? m.sources.find((s) => s.msid)?.msid,
      ...(layers ? { receiveLayers: layers } : {}),
      ...(track.simulcast ? { sendLayers: [] } : {}),
    });
    // Transport-cc feedback is promised only with the sequence number it reports on.
    const withCc = extensions.some((e) => e.uri === RTP_EXTENSIONS.transportCc.uri);
    const answered = withCc ? codecs : codecs.map((c) => ({ ...c, feedback: c.feedback.filter((f) => f !== 'transport-cc') }));
    // An answerer sends no simulcast of its own: a simulcast socket sends its first layer.
    const s = section({ ...track, mid: m.mid, simulcast: undefined }, transport, direction, answered, extensions);
    if (layers) Object.assign(s, simulcastLines(layers, 'recv'));
    s.setup = dtlsRole === 'server' ? 'passive' : 'active';
    return s;
  });
  if (negotiated.length === 0) {
    throw new CallMediaError('SDP_NO_COMMON_CODEC', 'no offered section has a codec the engine speaks (Opus, PCMU, PCMA; H.264 packetization mode 1) on a socket of this session');
  }
  const accepted = media.filter((m) => m.port !== 0).map((m) => m.mid);
  const model: SessionDescriptionModel = {
    sessionId, sessionVersion: version, name: '-', iceLite: options.iceLite ?? true, bundle: accepted, transport: { candidates: [] }, media,
  };
  return {
    sdp: writeDescription(model),
    negotiation: {
      transport: {
        ...remote,
        dtlsRole,
        candidates: offer.transport.candidates.map((c) => ({ address: c.address, port: c.port })),
        midExtensionId: midExtensionOf(offer),
        transportCcExtensionId: transportCcExtensionOf(media),
        ...streamIdExtensionsOf(media.filter((x) => x.simulcast)),
      },
      tracks: negotiated,
    },
  };
}

/** Reads the answer to an offer of `tracks`: what each socket sends and receives, and the transport. */
export function readAnswer(answerSdp: unknown, tracks: LocalTrack[]): Negotiation {
  const answer = parseDescription(answerSdp);
  const remote = requireTransport(answer, 'answer');
  const setup = answer.transport.setup;
  if (setup !== 'active' && setup !== 'passive') {
    throw new CallMediaError('SDP_INVALID', 'an answer must take a DTLS role: a=setup:active or a=setup:passive (RFC 5763)');
  }
  const negotiated: NegotiatedTrack[] = [];
  for (const track of tracks) {
    const m = answer.media.find((x) => x.mid === track.mid);
    if (!m) throw new CallMediaError('SDP_INVALID', `the answer has no section for the offered MID ${track.mid}`);
    const offered = track.kind === 'audio' ? OFFERED_AUDIO : OFFERED_VIDEO;
    const codecs = m.port === 0 ? [] : m.codecs.filter((c) => offered.some((o) => o.payloadType === c.payloadType && o.name.toLowerCase() === c.name.toLowerCase()));
    const usable = codecs.some((c) => c.name.toLowerCase() !== 'telephone-event');
    let direction = m.port === 0 || !usable ? 'inactive' : directionFromAnswer(m.direction);
    if (!track.send && sends(direction)) direction = direction === 'sendrecv' ? 'recvonly' : 'inactive';
    const audio = track.kind === 'audio' ? audioParameters(codecs, m.extensions) : undefined;
    const video = track.kind === 'video' ? sendableVideo(codecs) : undefined;
    const sendPayloadType = audio ? (audio.opus >= 0 ? audio.opus : undefined) : video?.payloadType;
    if (sendPayloadType === undefined && sends(direction)) direction = direction === 'sendrecv' ? 'recvonly' : 'inactive';
    negotiated.push({
      mid: track.mid,
      kind: track.kind,
      direction: direction as MediaDirection,
      receivePayloadTypes: codecs.map((c) => c.payloadType),
      sendPayloadType,
      receiveCodecs: track.kind === 'video' ? videoReceiveCodecs(codecs) : undefined,
      sendCodec: video?.codec,
      ...(track.kind === 'video' ? rtxParameters(codecs, codecs, video?.payloadType) : {}),
      audio,
      remoteSsrcs: remoteSources(m),
      remoteMsid: m.msid ?? m.sources.find((s) => s.msid)?.msid,
      ...(track.simulcast ? { sendLayers: acceptedLayers(m, track.simulcast) } : {}),
    });
  }
  if (negotiated.every((t) => t.direction === 'inactive')) {
    throw new CallMediaError('SDP_NO_COMMON_CODEC', 'the answer accepts no section with a codec the engine speaks');
  }
  return {
    transport: {
      ...remote,
      // a=setup:active in the answer makes the answerer the DTLS client (RFC 5763 5).
      dtlsRole: setup === 'active' ? 'server' : 'client',
      candidates: answer.transport.candidates.map((c) => ({ address: c.address, port: c.port })),
      midExtensionId: midExtensionOf(answer),
      transportCcExtensionId: transportCcExtensionOf(answer.media),
      ...streamIdExtensionsOf(answer.media.filter((m) => m.port !== 0 && m.simulcast?.direction === 'recv')),
    },
    tracks: negotiated,
  };
}
