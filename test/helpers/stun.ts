import { createHmac, randomBytes } from 'crypto';
import * as zlib from 'zlib';

/** RFC 5389 (STUN) and RFC 8445 (ICE) as the tests write and read it, from scratch. */
export const MAGIC_COOKIE = 0x2112a442;
export const BINDING_REQUEST = 0x0001;
export const BINDING_SUCCESS = 0x0101;
export const BINDING_ERROR = 0x0111;
export const ATTR = {
  USERNAME: 0x0006,
  MESSAGE_INTEGRITY: 0x0008,
  ERROR_CODE: 0x0009,
  XOR_MAPPED_ADDRESS: 0x0020,
  PRIORITY: 0x0024,
  USE_CANDIDATE: 0x0025,
  FINGERPRINT: 0x8028,
  ICE_CONTROLLED: 0x8029,
  ICE_CONTROLLING: 0x802a,
} as const;
const FINGERPRINT_XOR = 0x5354554e;

function attribute(type: number, value: Buffer): Buffer {
  const padded = Buffer.alloc(4 + Math.ceil(value.length / 4) * 4);
  padded.writeUInt16BE(type, 0);
  padded.writeUInt16BE(value.length, 2);
  value.copy(padded, 4);
  return padded;
}

function header(type: number, length: number, transactionId: Buffer): Buffer {
  const h = Buffer.alloc(20);
  h.writeUInt16BE(type, 0);
  h.writeUInt16BE(length, 2);
  h.writeUInt32BE(MAGIC_COOKIE, 4);
  transactionId.copy(h, 8);
  return h;
}

/** crc32 of the bytes, XOR "STUN" (RFC 5389 15.5). */
function fingerprintOf(bytes: Buffer): number {
  return (zlib.crc32(bytes) ^ FINGERPRINT_XOR) >>> 0;
}

export interface BindingRequestOptions {
  username?: string;
  /** The key of MESSAGE-INTEGRITY (the receiver's ICE password); without it, no MESSAGE-INTEGRITY. */
  password?: string;
  transactionId?: Buffer;
  /** ICE-CONTROLLING (default) or ICE-CONTROLLED, with a tie-breaker. */
  role?: 'controlling' | 'controlled';
  useCandidate?: boolean;
  /** Flips a bit of the HMAC after computing it (the FINGERPRINT stays right). */
  corruptIntegrity?: boolean;
  /** Flips a bit of the FINGERPRINT. */
  corruptFingerprint?: boolean;
}

/** An ICE connectivity check: USERNAME, PRIORITY, ICE-CONTROLLING, MESSAGE-INTEGRITY, FINGERPRINT. */
export function bindingRequest(o: BindingRequestOptions): { message: Buffer; transactionId: Buffer } {
  const transactionId = o.transactionId ?? randomBytes(12);
  const priority = Buffer.alloc(4);
  priority.writeUInt32BE(0x6e0001ff, 0); // peer-reflexive type preference 110 (RFC 8445 5.1.2)
  const parts: Buffer[] = [];
  if (o.username !== undefined) parts.push(attribute(ATTR.USERNAME, Buffer.from(o.username, 'utf8')));
  parts.push(attribute(ATTR.PRIORITY, priority));
  parts.push(attribute(o.role === 'controlled' ? ATTR.ICE_CONTROLLED : ATTR.ICE_CONTROLLING, randomBytes(8)));
  if (o.useCandidate) parts.push(attribute(ATTR.USE_CANDIDATE, Buffer.alloc(0)));
  let body = Buffer.concat(parts);
  if (o.password !== undefined) {
    // The HMAC covers the header and the attributes before it, with the length counting MESSAGE-INTEGRITY (RFC 5389 15.4).
    const hmac = createHmac('sha1', Buffer.from(o.password, 'utf8'))
      .update(Buffer.concat([header(BINDING_REQUEST, body.length + 24, transactionId), body]))
      .digest();
    if (o.corruptIntegrity) hmac[7] ^= 0x01;
    body = Buffer.concat([body, attribute(ATTR.MESSAGE_INTEGRITY, hmac)]);
  }
  // The CRC covers everything before FINGERPRINT, with the length counting it.
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(fingerprintOf(Buffer.concat([header(BINDING_REQUEST, body.length + 8, transactionId), body])), 0);
  if (o.corruptFingerprint) crc[3] ^= 0x01;
  body = Buffer.concat([body, attribute(ATTR.FINGERPRINT, crc)]);
  return { message: Buffer.concat([header(BINDING_REQUEST, body.length, transactionId), body]), transactionId };
}

export interface StunMessage {
  type: number;
  transactionId: Buffer;
  attributes: { type: number; value: Buffer; offset: number }[];
  raw: Buffer;
}

/** Parses a STUN message; undefined if it is not one. */
export function parseStun(raw: Buffer): StunMessage | undefined {
  if (raw.length < 20 || raw.readUInt32BE(4) !== MAGIC_COOKIE || raw.readUInt16BE(2) !== raw.length - 20) return undefined;
  const attributes: StunMessage['attributes'] = [];
  for (let off = 20; off + 4 <= raw.length; ) {
    const type = raw.readUInt16BE(off);
    const length = raw.readUInt16BE(off + 2);
    attributes.push({ type, value: raw.subarray(off + 4, off + 4 + length), offset: off });
    off += 4 + Math.ceil(length / 4) * 4;
  }
  return { type: raw.readUInt16BE(0), transactionId: raw.subarray(8, 20), attributes, raw };
}

export function attributeOf(m: StunMessage, type: number): Buffer | undefined {
  return m.attributes.find((a) => a.type === type)?.value;
}

/** The address XOR-MAPPED-ADDRESS holds (IPv4). */
export function xorMappedAddress(m: StunMessage): { address: string; port: number } | undefined {
  const v = attributeOf(m, ATTR.XOR_MAPPED_ADDRESS);
  if (!v || v[1] !== 0x01) return undefined;
  const port = v.readUInt16BE(2) ^ (MAGIC_COOKIE >>> 16);
  const a = (v.readUInt32BE(4) ^ MAGIC_COOKIE) >>> 0;
  return { address: [a >>> 24, (a >>> 16) & 255, (a >>> 8) & 255, a & 255].join('.'), port };
}

export function errorCode(m: StunMessage): { code: number; reason: string } | undefined {
  const v = attributeOf(m, ATTR.ERROR_CODE);
  if (!v || v.length < 4) return undefined;
  return { code: (v[2] & 7) * 100 + v[3], reason: v.subarray(4).toString('utf8') };
}

/** MESSAGE-INTEGRITY checks out with this password. */
export function integrityOk(m: StunMessage, password: string): boolean {
  const a = m.attributes.find((x) => x.type === ATTR.MESSAGE_INTEGRITY);
  if (!a) return false;
  const head = Buffer.from(m.raw.subarray(0, a.offset));
  head.writeUInt16BE(a.offset + 24 - 20, 2);
  return createHmac('sha1', Buffer.from(password, 'utf8')).update(head).digest().equals(a.value);
}

/** FINGERPRINT is last and checks out. */
export function fingerprintOk(m: StunMessage): boolean {
  const a = m.attributes[m.attributes.length - 1];
  if (!a || a.type !== ATTR.FINGERPRINT) return false;
  return a.value.readUInt32BE(0) === fingerprintOf(m.raw.subarray(0, a.offset));
}

/** The ICE credentials a description carries (its first a=ice-ufrag and a=ice-pwd). */
export function iceCredentials(sdp: string): { ufrag: string; pwd: string } {
  const ufrag = /^a=ice-ufrag:(\S+)/m.exec(sdp)?.[1];
  const pwd = /^a=ice-pwd:(\S+)/m.exec(sdp)?.[1];
  if (!ufrag || !pwd) throw new Error('the description has no ICE credentials');
  return { ufrag, pwd };
}
