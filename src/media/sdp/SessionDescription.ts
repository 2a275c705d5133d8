import * as sdpTransform from 'sdp-transform';
import { CallMediaError } from '../errors';

/** RFC 3264 directions, from the point of view of whoever wrote the description. */
export type MediaDirection = 'sendrecv' | 'sendonly' | 'recvonly' | 'inactive';
/** RFC 5763 a=setup. */
export type DtlsSetup = 'actpass' | 'active' | 'passive';

export interface SdpCodec {
  payloadType: number;
  name: string;
  clockRate: number;
  channels?: number;
  /** fmtp parameters, as written (`profile-level-id` → '42e01f'; a bare value such as "0-16" maps to ''). */
  parameters: Record<string, string>;
  /** rtcp-fb values ('nack', 'nack pli', 'ccm fir', 'transport-cc'). */
  feedback: string[];
}

export interface SdpSource {
  ssrc: number;
  cname?: string;
  /** "stream-id track-id" (RFC 8830). */
  msid?: string;
}

export interface SdpCandidate {
  foundation: string;
  component: number;
  priority: number;
  address: string;
  port: number;
  type: string;
}

/** What one m-line says. */
export interface SdpMediaSection {
  kind: 'audio' | 'video' | 'application' | string;
  mid: string;
  /** 0: the section is rejected or stopped. */
  port: number;
  protocol: string;
  direction: MediaDirection;
  codecs: SdpCodec[];
  /** RFC 8285 header extensions: id → URI. */
  extensions: { id: number; uri: string }[];
  sources: SdpSource[];
  /** RFC 5576 a=ssrc-group (FID: a source and its RFC 4588 retransmission source). */
  ssrcGroups?: { semantics: string; ssrcs: number[] }[];
  /** RFC 8830 a=msid at media level (unified plan). */
  msid?: string;
  /** RFC 8851 a=rid: the RTP stream ids a simulcast section names, with their restrictions (max-width=1280…). */
  rids?: { id: string; direction: 'send' | 'recv'; parameters: Record<string, string> }[];
  /** RFC 8853 a=simulcast: one direction and its streams, in order (the first alternative of each; '~' paused dropped). */
  simulcast?: { direction: 'send' | 'recv'; rids: string[] };
  /** RFC 4796 a=content (screen share: 'slides'). */
  content?: string;
  label?: string;
  rtcpMux: boolean;
  /** Transport attributes when the section carries its own (the first of a bundle does). */
  iceUfrag?: string;
  icePwd?: string;
  fingerprint?: { algorithm: string; value: string };
  setup?: DtlsSetup;
  candidates: SdpCandidate[];
  /** c= address, for plain RTP sections. */
  address?: string;
}

/** The whole description, with the bundle's transport read once. */
export interface SessionDescriptionModel {
  sessionId: string;
  sessionVersion: number;
  name: string;
  iceLite: boolean;
  /** MIDs of the BUNDLE group (RFC 8843), first is the one whose transport the group uses. */
  bundle: string[];
  /** The bundle's transport (session-level or first section's attributes). */
  transport: {
    iceUfrag?: string;
    icePwd?: string;
    fingerprint?: { algorithm: string; value: string };
    setup?: DtlsSetup;
    candidates: SdpCandidate[];
  };
  media: SdpMediaSection[];
  /** c= at session level (plain RTP). */
  address?: string;
}

const DIRECTIONS: MediaDirection[] = ['sendrecv', 'sendonly', 'recvonly', 'inactive'];

function invalid(message: string): CallMediaError {
  return new CallMediaError('SDP_INVALID', message);
}

/** Bytes of each RFC 8122 hash function's digest. */
const FINGERPRINT_BYTES: Record<string, number> = { 'sha-1': 20, 'sha-224': 28, 'sha-256': 32, 'sha-384': 48, 'sha-512': 64 };

/** RFC 8122 5: a hash function named, and its digest as uppercase-or-lowercase hex pairs joined by ':'. */
function fingerprintOf(f: { type: string; hash: string } | undefined, where: string): { algorithm: string; value: string } | undefined {
  if (!f) return undefined;
  const algorithm = String(f.type).toLowerCase();
  const value = String(f.hash);
  const bytes = FINGERPRINT_BYTES[algorithm];
  if (!bytes) throw invalid(`${where}: a=fingerprint uses ${algorithm}, not a hash function of RFC 8122`);
  if (!new RegExp(`^[0-9A-Fa-f]{2}(:[0-9A-Fa-f]{2}){${bytes - 1}}$`).test(value)) {
    throw invalid(`${where}: a=fingerprint is not ${bytes} hex bytes joined by ':'`);
  }
  return { algorithm, value };
}

/** sdp-transform reads an all-digit token as a number: ICE credentials and the like are text. */
function text(value: unknown): string | undefined {
  return value === undefined || value === null ? undefined : String(value);
}

function setupOf(value: string | undefined, where: string): DtlsSetup | undefined {
  if (value === undefined) return undefined;
  if (value === 'actpass' || value === 'active' || value === 'passive') return value;
  throw invalid(`${where}: a=setup:${value} is not actpass, active or passive`);
}

/**
 * Reads an SDP into the model: every field the engine uses is checked, so a truncated or
 * malformed description is refused here with SDP_INVALID, never half-applied.
 */
export function parseDescription(sdp: unknown): SessionDescriptionModel {
  if (typeof sdp !== 'string' || sdp.length === 0) throw invalid('the description is not a non-empty string');
  if (sdp.length > 256 * 1024) throw invalid('the description is larger than 256 kB');
  if (!/^v=0\r?\n/.test(sdp)) throw invalid('the description does not start with v=0');
  let parsed: sdpTransform.SessionDescription;
  try {
    parsed = sdpTransform.parse(sdp);
  } catch (err) {
    throw invalid(`the description does not parse: ${(err as Error).message}`);
  }
  if (!parsed.origin || parsed.origin.sessionId === undefined) throw invalid('the description has no o= line');
  if (!Array.isArray(parsed.media) || parsed.media.length === 0) throw invalid('the description has no m= section');

  const media = parsed.media.map((m, index): SdpMediaSection => {
    const where = `m= section ${index}`;
    if (typeof m.type !== 'string' || !Number.isInteger(m.port) || m.port < 0 || m.port > 65535 || typeof m.protocol !== 'string') {
      throw invalid(`${where}: a malformed m= line`);
    }
    const payloads = String(m.payloads ?? '')
      .split(' ')
      .filter(Boolean);
    const codecs: SdpCodec[] = [];
    for (const p of payloads) {
      const pt = Number(p);
      if (!Number.isInteger(pt)) continue; // application sections list formats, not payload types
      if (pt < 0 || pt > 127) throw invalid(`${where}: payload type ${p} is out of range`);
      const rtp = m.rtp?.find((r) => r.payload === pt);
      const fmtp = m.fmtp?.filter((f) => f.payload === pt).map((f) => f.config).join(';');
      const parameters: Record<string, string> = {};
      if (fmtp) {
        for (const part of fmtp.split(';')) {
          const eq = part.indexOf('=');
          if (eq > 0) parameters[part.slice(0, eq).trim().toLowerCase()] = part.slice(eq + 1).trim();
          else if (part.trim()) parameters[part.trim()] = ''; // a bare value (telephone-event's "0-16")
        }
      }
      const feedback = (m.rtcpFb ?? [])
        .filter((f) => String(f.payload) === String(pt) || f.payload === '*')
        .map((f) => (f.subtype ? `${f.type} ${f.subtype}` : f.type));
      codecs.push({
        payloadType: pt,
        name: rtp?.codec ?? staticCodecName(pt),
        clockRate: rtp?.rate ?? staticClockRate(pt),
        channels: rtp?.encoding,
        parameters,
        feedback,
      });
    }
    const direction = (m.direction ?? 'sendrecv') as MediaDirection;
    if (!DIRECTIONS.includes(direction)) throw invalid(`${where}: direction ${String(m.direction)}`);
    const sources = new Map<number, SdpSource>();
    for (const s of m.ssrcs ?? []) {
      const ssrc = Number(s.id);
      if (!Number.isInteger(ssrc) || ssrc <= 0 || ssrc > 0xffffffff) throw invalid(`${where}: a=ssrc:${s.id} is not an SSRC`);
      const source = sources.get(ssrc) ?? { ssrc };
      if (s.attribute === 'cname') source.cname = text(s.value);
      if (s.attribute === 'msid') source.msid = text(s.value);
      sources.set(ssrc, source);
    }
    const ssrcGroups = (m.ssrcGroups ?? []).map((g) => {
      const ssrcs = String(g.ssrcs).split(' ').filter(Boolean).map(Number);
      if (ssrcs.some((x) => !Number.isInteger(x) || x <= 0 || x > 0xffffffff)) throw invalid(`${where}: a=ssrc-group:${g.semantics} names a value that is not an SSRC`);
      return { semantics: String(g.semantics), ssrcs };
    });
    const rids = (m.rids ?? []).map((r) => {
      const id = String(r.id);
      if (!/^[A-Za-z0-9_-]{1,16}$/.test(id)) throw invalid(`${where}: a=rid:${id} is not a stream id of 1..16 letters, digits, '-' or '_'`);
      if (r.direction !== 'send' && r.direction !== 'recv') throw invalid(`${where}: a=rid:${id} has direction ${String(r.direction)}, not send or recv`);
      const parameters: Record<string, string> = {};
      for (const part of String(r.params ?? '').split(';')) {
        const eq = part.indexOf('=');
        if (eq > 0) parameters[part.slice(0, eq).trim()] = part.slice(eq + 1).trim();
      }
      return { id, direction: r.direction as 'send' | 'recv', parameters };
    });
    let simulcast: SdpMediaSection['simulcast'];
    const sim = (m as { simulcast?: { dir1?: string; list1?: string } }).simulcast;
    if (sim?.dir1 !== undefined) {
      if (sim.dir1 !== 'send' && sim.dir1 !== 'recv') throw invalid(`${where}: a=simulcast direction ${sim.dir1}`);
      const list = String(sim.list1 ?? '')
        .split(';')
        .map((alternatives) => alternatives.split(',')[0].replace(/^~/, ''))
        .filter(Boolean);
      for (const id of list) if (!rids.some((r) => r.id === id)) throw invalid(`${where}: a=simulcast names ${id}, which no a=rid line describes`);
      simulcast = { direction: sim.dir1, rids: list };
    }
    const extensions = (m.ext ?? []).map((e) => {
      if (!Number.isInteger(e.value) || e.value < 1 || e.value > 255) throw invalid(`${where}: extmap id ${e.value}`);
      return { id: e.value, uri: e.uri };
    });
    const candidates = (m.candidates ?? []).map((c) => ({
      foundation: String(c.foundation),
      component: c.component,
      priority: c.priority,
      address: c.ip,
      port: c.port,
      type: c.type,
    }));
    return {
      kind: m.type,
      mid: m.mid !== undefined ? String(m.mid) : String(index),
      port: m.port,
      protocol: m.protocol,
      direction,
      codecs,
      extensions,
      sources: [...sources.values()],
      ...(ssrcGroups.length ? { ssrcGroups } : {}),
      ...(rids.length ? { rids } : {}),
      ...(simulcast ? { simulcast } : {}),
      msid: m.msid?.[0] ? `${m.msid[0].id}${m.msid[0].appdata ? ` ${m.msid[0].appdata}` : ''}` : undefined,
      content: text((m as { content?: string }).content),
      label: (m as { label?: string | number }).label !== undefined ? String((m as { label?: string | number }).label) : undefined,
      rtcpMux: m.rtcpMux === 'rtcp-mux',
      iceUfrag: text(m.iceUfrag),
      icePwd: text(m.icePwd),
      fingerprint: fingerprintOf(m.fingerprint, where),
      setup: setupOf(m.setup, where),
      candidates,
      address: m.connection?.ip,
    };
  });

  const mids = new Set<string>();
  for (const m of media) {
    if (mids.has(m.mid)) throw invalid(`two m= sections share the MID ${m.mid}`);
    mids.add(m.mid);
  }
  const bundleGroup = parsed.groups?.find((g) => g.type === 'BUNDLE');
  const bundle = bundleGroup ? String(bundleGroup.mids).split(' ').filter(Boolean) : [];
  for (const mid of bundle) if (!mids.has(mid)) throw invalid(`BUNDLE names the MID ${mid}, which no section has`);
  const first = media.find((m) => m.mid === bundle[0]) ?? media.find((m) => m.port !== 0) ?? media[0];
  return {
    sessionId: String(parsed.origin.sessionId),
    sessionVersion: Number(parsed.origin.sessionVersion) || 0,
    name: String(parsed.name ?? '-'),
    iceLite: parsed.icelite === 'ice-lite',
    bundle,
    transport: {
      iceUfrag: first.iceUfrag ?? text(parsed.iceUfrag),
      icePwd: first.icePwd ?? text(parsed.icePwd),
      fingerprint: first.fingerprint ?? fingerprintOf(parsed.fingerprint, 'the session'),
      setup: first.setup ?? setupOf(parsed.setup, 'the session'),
      candidates: first.candidates,
    },
    media,
    address: parsed.connection?.ip,
  };
}

function staticCodecName(pt: number): string {
  return pt === 0 ? 'PCMU' : pt === 8 ? 'PCMA' : '';
}

function staticClockRate(pt: number): number {
  return pt === 0 || pt === 8 ? 8000 : 0;
}

/** Writes the model as SDP (through sdp-transform's grammar, never by hand). */
export function writeDescription(model: SessionDescriptionModel): string {
  const ipVer = (address: string | undefined) => (address && address.includes(':') ? 6 : 4);
  const originAddress =
    model.transport.candidates[0]?.address ?? model.media.find((m) => m.candidates.length)?.candidates[0].address ?? model.address ?? '127.0.0.1';
  const session: sdpTransform.SessionDescription = {
    version: 0,
    origin: { username: 'callmedia', sessionId: model.sessionId, sessionVersion: model.sessionVersion, netType: 'IN', ipVer: ipVer(originAddress), address: originAddress },
    name: model.name,
    timing: { start: 0, stop: 0 },
    media: [],
  };
  if (model.address) session.connection = { version: ipVer(model.address), ip: model.address };
  if (model.iceLite) session.icelite = 'ice-lite';
  if (model.bundle.length) {
    session.groups = [{ type: 'BUNDLE', mids: model.bundle.join(' ') }];
    session.msidSemantic = { semantic: 'WMS', token: '*' };
  }
  for (const m of model.media) {
    const section: sdpTransform.MediaDescription = {
      type: m.kind,
      port: m.port,
      protocol: m.protocol,
      payloads: m.codecs.map((c) => c.payloadType).join(' '),
      rtp: m.codecs.map((c) => ({ payload: c.payloadType, codec: c.name, rate: c.clockRate, ...(c.channels ? { encoding: c.channels } : {}) })),
      fmtp: m.codecs
        .filter((c) => Object.keys(c.parameters).length)
        .map((c) => ({ payload: c.payloadType, config: Object.entries(c.parameters).map(([k, v]) => (v === '' ? k : `${k}=${v}`)).join(';') })),
      rtcpFb: m.codecs.flatMap((c) =>
        c.feedback.map((f) => {
          const [type, subtype] = f.split(' ');
          return subtype ? { payload: c.payloadType, type, subtype } : { payload: c.payloadType, type };
        }),
      ),
    };
    if (m.address) section.connection = { version: ipVer(m.address), ip: m.address };
    if (m.iceUfrag) section.iceUfrag = m.iceUfrag;
    if (m.icePwd) section.icePwd = m.icePwd;
    if (m.fingerprint) section.fingerprint = { type: m.fingerprint.algorithm, hash: m.fingerprint.value };
    if (m.setup) section.setup = m.setup;
    if (m.candidates.length) {
      section.candidates = m.candidates.map((c) => ({
        foundation: c.foundation,
        component: c.component,
        transport: 'udp',
        priority: c.priority,
        ip: c.address,
        port: c.port,
        type: c.type,
      }));
      section.endOfCandidates = 'end-of-candidates';
    }
    section.mid = m.mid;
    if (m.extensions.length) section.ext = m.extensions.map((e) => ({ value: e.id, uri: e.uri }));
    section.direction = m.direction;
    if (m.msid) {
      const [id, appdata] = m.msid.split(' ');
      section.msid = [{ id, ...(appdata ? { appdata } : {}) }] as sdpTransform.MediaDescription['msid'];
    }
    if (m.rtcpMux) section.rtcpMux = 'rtcp-mux';
    if (m.content) (section as { content?: string }).content = m.content;
    if (m.label) (section as { label?: string }).label = m.label;
    if (m.ssrcGroups?.length) section.ssrcGroups = m.ssrcGroups.map((g) => ({ semantics: g.semantics, ssrcs: g.ssrcs.join(' ') }));
    if (m.rids?.length) {
      section.rids = m.rids.map((r) => {
        const params = Object.entries(r.parameters).map(([k, v]) => `${k}=${v}`).join(';');
        return { id: r.id, direction: r.direction, ...(params ? { params } : {}) };
      });
    }
    if (m.simulcast) (section as { simulcast?: { dir1: string; list1: string } }).simulcast = { dir1: m.simulcast.direction, list1: m.simulcast.rids.join(';') };
    if (m.sources.length) {
      section.ssrcs = m.sources.flatMap((s) => [
        ...(s.cname ? [{ id: s.ssrc, attribute: 'cname', value: s.cname }] : []),
        ...(s.msid ? [{ id: s.ssrc, attribute: 'msid', value: s.msid }] : []),
      ]);
    }
    session.media.push(section);
  }
  return sdpTransform.write(session);
}
