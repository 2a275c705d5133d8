import * as assert from 'assert';
import * as dgram from 'dgram';
import { CallMediaError, MediaPlatform, MediaSession, TransportStateChange, parseDescription } from '../../../src/media';
import { mulberry32 } from '../../helpers/UdpRelay';
import { SeenPicture, flatPicture, seenPicture } from '../../helpers/picture';
import {
  ATTR,
  BINDING_ERROR,
  BINDING_SUCCESS,
  attributeOf,
  bindingRequest,
  errorCode,
  fingerprintOk,
  iceCredentials,
  integrityOk,
  parseStun,
  xorMappedAddress,
} from '../../helpers/stun';
import { sine } from '../../helpers/tones';
import { WebRtcRelay, answerThroughRelay, isRtcp, isRtpOrRtcp } from '../../helpers/WebRtcRelay';
import { Pacer, WrtcPeer, closeSession, waitFor } from '../../helpers/wrtc';

const [W, H] = [320, 240];
const FPS = 30;

type Seen = SeenPicture;
const seen = (data: ArrayLike<number>, width: number, height: number): Seen => seenPicture(data, width, height, W, H);

interface CallOptions {
  /** Tags and levels of what the peer and the bot send. */
  peer: { tag: number; level: number };
  bot: { tag: number; level: number };
  audio?: boolean;
  /** Rewrites the peer's offer before the bot sees it. */
  offer?: (sdp: string) => string;
  /** A relay the peer reaches the bot through. */
  relay?: WebRtcRelay;
}

/** A wrtc peer and a bot session exchanging tagged pictures both ways (and a tone, with audio). */
class Call {
  readonly atBot: Seen[] = [];
  readonly atPeer: Seen[] = [];
  readonly states: TransportStateChange[] = [];
  readonly peer = new WrtcPeer();
  readonly session: MediaSession;
  offerSdp = '';
  answerSdp = '';
  private botPacer?: Pacer;

  constructor(platform: MediaPlatform, private readonly o: CallOptions) {
    this.session = platform.createMediaSession({
      audio: o.audio ? { send: {} } : false,
      video: [{ format: 'I420', send: { width: W, height: H, fps: FPS } }],
    });
    this.session.on('transportStateChanged', (e) => {
      this.states.push(e);
      if (e.state === 'connected' && !this.botPacer) this.startBot();
    });
    this.session.videoSockets[0].on('frame', (f) => this.atBot.push(seen(f.data, f.width, f.height)));
  }

  /** Negotiates; resolves once the answer is applied at the peer (not necessarily connected). */
  async negotiate(platform: MediaPlatform): Promise<void> {
    const p = this.peer;
    const video = p.addVideo();
    await p.keepResolution(video.transceiver);
    p.videoSink(video.transceiver, (f) => this.atPeer.push(seen(f.data, f.width, f.height)));
    const videoPacer = new Pacer(1000 / FPS, (n) => video.source.onFrame({ width: W, height: H, data: new Uint8ClampedArray(flatPicture(this.o.peer.level, this.o.peer.tag, n, W, H)) }), false);
    p.onClose(() => videoPacer.stop());
    if (this.o.audio) {
      const audio = p.addAudio();
      const audioPacer = new Pacer(10, (k) => audio.source.onData({ samples: sine(500, 48000, k * 480, 480), sampleRate: 48000, bitsPerSample: 16, channelCount: 1, numberOfFrames: 480 }), true);
      p.onClose(() => audioPacer.stop());
    }
    const offer = await p.gatheredOffer();
    this.offerSdp = this.o.offer ? this.o.offer(offer.sdp) : offer.sdp;
    const answer = await this.session.acceptOffer({ type: 'offer', sdp: this.offerSdp });
    this.answerSdp = answer.sdp;
    const toPeer = this.o.relay ? answerThroughRelay(answer.sdp, platform.mediaPort, await this.o.relay.listen()) : answer.sdp;
    await p.pc.setRemoteDescription({ type: 'answer', sdp: toPeer });
  }

  async connected(): Promise<void> {
    await waitFor('the call to connect', () => this.session.transportState === 'connected', 20_000, () => JSON.stringify(this.states));
    await waitFor('pictures both ways', () => this.atBot.length >= 10 && this.atPeer.length >= 10, 20_000, () => `${this.atBot.length} at the bot, ${this.atPeer.length} at the peer`);
  }

  /** Pictures keep coming both ways, each the right one. */
  async expectFlowing(what: string, frames = 15): Promise<void> {
    const [b, p] = [this.atBot.length, this.atPeer.length];
    await waitFor(`pictures to keep flowing ${what}`, () => this.atBot.length >= b + frames && this.atPeer.length >= p + frames, 20_000, () =>
      `${this.atBot.length - b} more at the bot, ${this.atPeer.length - p} more at the peer; ${JSON.stringify(this.session.stats().transport)}`,
    );
    const wrong = (list: Seen[], e: { tag: number; level: number }) => list.filter((s) => s.tag !== e.tag || Math.abs(s.luma - e.level) > 8).length;
    assert.strictEqual(wrong(this.atBot.slice(b), this.o.peer), 0, `${what}: the bot decoded a picture that is not its peer's`);
    assert.strictEqual(wrong(this.atPeer.slice(p), this.o.bot), 0, `${what}: the peer decoded a picture that is not its bot's`);
  }

  close(): Promise<void> {
    this.botPacer?.stop();
    this.peer.close();
    return closeSession(this.session);
  }

  private startBot(): void {
    const socket = this.session.videoSockets[0];
    this.botPacer = new Pacer(1000 / FPS, (n) => {
      if (!socket.isClosed) socket.send({ format: 'I420', width: W, height: H, data: flatPicture(this.o.bot.level, this.o.bot.tag, n, W, H) });
    }, false);
  }
}

/** A UDP socket of the test's own, keeping every datagram it receives. */
class Udp {
  readonly received: Buffer[] = [];
  private readonly socket = dgram.createSocket('udp4');
  private waiters: (() => void)[] = [];

  static async open(): Promise<Udp> {
    const u = new Udp();
    await new Promise<void>((resolve) => u.socket.bind(0, '127.0.0.1', resolve));
    return u;
  }

  private constructor() {
    this.socket.on('message', (msg) => {
      this.received.push(Buffer.from(msg));
      for (const w of this.waiters.splice(0)) w();
    });
  }

  get port(): number {
    return this.socket.address().port;
  }

  send(data: Buffer, port: number): void {
    this.socket.send(data, port, '127.0.0.1');
  }

  /** The first datagram from index `from` on that `match`es, within the deadline. */
  async next(from: number, match: (d: Buffer) => boolean, what: string, timeoutMs = 5_000): Promise<{ datagram: Buffer; index: number }> {
    await waitFor(what, () => this.received.slice(from).some(match), timeoutMs);
    const index = this.received.findIndex((d, i) => i >= from && match(d));
    return { datagram: this.received[index], index };
  }

  close(): void {
    this.socket.close();
  }
}

const sameTransaction = (id: Buffer) => (d: Buffer) => parseStun(d)?.transactionId.equals(id) ?? false;

/** Changes one hex digit of every a=fingerprint value. */
function tamperFingerprint(sdp: string): string {
  const value = /^a=fingerprint:\S+ (\S+)/m.exec(sdp)?.[1];
  assert.ok(value, 'the offer has a fingerprint');
  const digit = value[0] === 'A' ? 'B' : 'A';
  return sdp.split(value).join(digit + value.slice(1));
}

/**
 * Keeps in every section of `kind` only the codecs `keep` accepts (and their RTX), removing the
 * lines of the others; a section left with none keeps its m-line with the formats it had.
 */
function keepCodecs(sdp: string, kind: string, keep: (name: string) => boolean): string {
  const [session, ...sections] = sdp.split(/\r\n(?=m=)/);
  const edited = sections.map((section) => {
    const lines = section.split('\r\n');
    const m = /^m=(\S+) (\d+) (\S+) (.*)$/.exec(lines[0]);
    if (!m || m[1] !== kind) return section;
    const names = new Map<string, string>();
    for (const l of lines) {
      const r = /^a=rtpmap:(\d+) ([^/]+)/.exec(l);
      if (r) names.set(r[1], r[2]);
    }
    const apt = new Map<string, string>();
    for (const l of lines) {
      const f = /^a=fmtp:(\d+) apt=(\d+)/.exec(l);
      if (f) apt.set(f[1], f[2]);
    }
    const kept = m[4].split(' ').filter((pt) => {
      const name = names.get(pt) ?? '';
      if (name.toLowerCase() === 'rtx') return keep(names.get(apt.get(pt) ?? '') ?? '');
      return keep(name);
    });
    const dropped = new Set(m[4].split(' ').filter((pt) => !kept.includes(pt)));
    const body = lines.slice(1).filter((l) => {
      const pt = /^a=(?:rtpmap|fmtp|rtcp-fb):(\d+) /.exec(l)?.[1];
      return !pt || !dropped.has(pt);
    });
    return [`m=${m[1]} ${m[2]} ${m[3]} ${kept.join(' ')}`, ...body].join('\r\n');
  });
  return [session, ...edited].join('\r\n');
}

async function refused(promise: Promise<unknown>, code: string, what: string): Promise<void> {
  await assert.rejects(promise, (err: unknown) => {
    assert.ok(err instanceof CallMediaError, `${what}: ${String(err)} is not a CallMediaError`);
    assert.strictEqual(err.code, code, `${what}: ${err.code} (${err.message})`);
    return true;
  }, `${what} was accepted`);
}

describe('media/webrtc: bad input is answered as the RFCs say, or counted and dropped, and reaches no other session', function () {
  this.timeout(90_000);

  let platform: MediaPlatform;
  let healthy: Call;
  const calls: Call[] = [];
  const peers: WrtcPeer[] = [];
  const sessions: MediaSession[] = [];
  const sockets: Udp[] = [];
  const relays: WebRtcRelay[] = [];

  beforeEach(async () => {
    platform = MediaPlatform.initialize({ applicationId: 'webrtc-test' });
    healthy = new Call(platform, { peer: { tag: 30, level: 60 }, bot: { tag: 31, level: 190 } });
    calls.push(healthy);
    await healthy.negotiate(platform);
    await healthy.connected();
  });

  afterEach(async () => {
    for (const s of sockets.splice(0)) s.close();
    for (const r of relays.splice(0)) r.close();
    for (const p of peers.splice(0)) p.close();
    try {
      await Promise.all([...calls.splice(0).map((c) => c.close()), ...sessions.splice(0).map((s) => closeSession(s))]);
    } finally {
      platform.close();
    }
  });

  /** The healthy call is untouched: pictures flow both ways, its pair is the same, nothing failed. */
  async function healthyUnaffected(what: string): Promise<void> {
    const selected = healthy.session.stats().transport?.selectedRemote;
    await healthy.expectFlowing(what);
    const t = healthy.session.stats().transport;
    assert.ok(t);
    assert.strictEqual(t.state, 'connected', what);
    assert.strictEqual(t.dtlsState, 'connected', what);
    assert.strictEqual(t.selectedRemote, selected, `${what}: the healthy call's pair changed`);
    for (const counter of ['stunAuthFailures', 'srtpAuthFailures', 'srtpMalformed', 'rtpUnroutable', 'dtlsRecordsDropped'] as const) {
      assert.strictEqual(t[counter], 0, `${what}: the healthy call counted ${counter}`);
    }
    // A replay only where the healthy call itself asked for a packet again (a loss on a busy
    // machine, answered twice): never one of the bad call's packets.
    const asked = healthy.session.stats().video.reduce((n, v) => n + v.packetsNacked, 0);
    assert.ok(t.srtpReplayFailures <= asked, `${what}: the healthy call counted ${t.srtpReplayFailures} replays, asked for ${asked} packets`);
  }

  /** A session that made its offer (so its ICE credentials are known) and has no peer yet. */
  async function offeringSession(): Promise<{ session: MediaSession; ufrag: string; pwd: string }> {
    const session = platform.createMediaSession({ audio: {}, video: [] });
    sessions.push(session);
    return { session, ...iceCredentials((await session.createOffer()).sdp) };
  }

  it("STUN binding requests: the right password gets a success with the sender's address, a wrong password or a corrupted MESSAGE-INTEGRITY a 401, an unknown ufrag no answer", async () => {
    const { session, ufrag, pwd } = await offeringSession();
    const client = await Udp.open();
    sockets.push(client);
    const port = platform.mediaPort;
    const username = `${ufrag}:x`;

    const good = bindingRequest({ username, password: pwd });
    client.send(good.message, port);
    const success = parseStun((await client.next(0, sameTransaction(good.transactionId), 'a success response')).datagram);
    assert.ok(success);
    assert.strictEqual(success.type, BINDING_SUCCESS, `type 0x${success.type.toString(16)}`);
    assert.deepStrictEqual(xorMappedAddress(success), { address: '127.0.0.1', port: client.port }, 'XOR-MAPPED-ADDRESS is where the request came from');
    assert.ok(integrityOk(success, pwd), 'the success response carries MESSAGE-INTEGRITY keyed with the password');
    assert.ok(fingerprintOk(success), 'and a FINGERPRINT that checks out');

    for (const [what, request] of [
      ['a wrong password', bindingRequest({ username, password: `${pwd}x` })],
      ['a corrupted MESSAGE-INTEGRITY', bindingRequest({ username, password: pwd, corruptIntegrity: true })],
    ] as const) {
      const from = client.received.length;
      client.send(request.message, port);
      const response = parseStun((await client.next(from, sameTransaction(request.transactionId), `an answer to ${what}`)).datagram);
      assert.ok(response);
      assert.strictEqual(response.type, BINDING_ERROR, `${what}: type 0x${response.type.toString(16)}`);
      assert.strictEqual(errorCode(response)?.code, 401, `${what}: ${JSON.stringify(errorCode(response))}`);
      assert.strictEqual(attributeOf(response, ATTR.MESSAGE_INTEGRITY), undefined, `${what}: an error response carries no MESSAGE-INTEGRITY (RFC 5389 10.1.2)`);
      assert.ok(fingerprintOk(response), `${what}: FINGERPRINT checks out`);
    }
    const t = session.stats().transport;
    assert.strictEqual(t?.stunRequests, 3);
    assert.strictEqual(t?.stunAuthFailures, 2);

    // An unknown ufrag: counted by the port, never answered. A good request sent right after is
    // answered first, so no answer to the first one is on its way.
    const before = platform.portStats()?.stunUnknownUsername ?? 0;
    const from = client.received.length;
    const unknown = bindingRequest({ username: 'nosuchufrag0:x', password: pwd });
    const after = bindingRequest({ username, password: pwd });
    client.send(unknown.message, port);
    client.send(after.message, port);
    const answered = await client.next(from, sameTransaction(after.transactionId), 'the answer to the request after');
    assert.strictEqual(answered.index, from, `${answered.index - from} datagram(s) came back before it`);
    await waitFor('the port to count the unknown ufrag', () => (platform.portStats()?.stunUnknownUsername ?? 0) === before + 1, 5_000);
    assert.strictEqual(session.stats().transport?.stunRequests, 4, 'the request with an unknown ufrag reached no session');
    await healthyUnaffected('after the STUN requests');
  });

  it('STUN edge cases: no MESSAGE-INTEGRITY is a 400 (RFC 5389 10.1.2), ICE-CONTROLLED at a lite agent a 487 (RFC 8445 7.3.1.1), a bad FINGERPRINT is dropped', async () => {
    const { session, ufrag, pwd } = await offeringSession();
    const client = await Udp.open();
    sockets.push(client);
    const port = platform.mediaPort;
    const username = `${ufrag}:x`;
    const answerTo = async (request: { message: Buffer; transactionId: Buffer }, what: string) => {
      const from = client.received.length;
      client.send(request.message, port);
      const r = parseStun((await client.next(from, sameTransaction(request.transactionId), `an answer to ${what}`)).datagram);
      assert.ok(r);
      return r;
    };

    const conflict = await answerTo(bindingRequest({ username, password: pwd, role: 'controlled' }), 'ICE-CONTROLLED');
    assert.strictEqual(conflict.type, BINDING_ERROR);
    assert.strictEqual(errorCode(conflict)?.code, 487, JSON.stringify(errorCode(conflict)));
    assert.strictEqual(session.stats().transport?.stunRoleConflicts, 1);

    // A bad FINGERPRINT: not STUN as far as the port is concerned; the next good request is answered first.
    const malformedBefore = platform.portStats()?.stunMalformed ?? 0;
    const from = client.received.length;
    client.send(bindingRequest({ username, password: pwd, corruptFingerprint: true }).message, port);
    client.send(Buffer.from([0, 1, 0, 0, 0x21, 0x12, 0xa4, 0x42, 1, 2, 3]), port); // a header cut short
    const next = bindingRequest({ username, password: pwd });
    client.send(next.message, port);
    const answered = await client.next(from, sameTransaction(next.transactionId), 'the answer to the good request');
    assert.strictEqual(answered.index, from, 'nothing answered the malformed requests');
    await waitFor('the port to count two malformed STUN messages', () => (platform.portStats()?.stunMalformed ?? 0) === malformedBefore + 2, 5_000);

    const bare = await answerTo(bindingRequest({ username }), 'a request without MESSAGE-INTEGRITY');
    assert.strictEqual(bare.type, BINDING_ERROR);
    assert.strictEqual(errorCode(bare)?.code, 400, `a request without MESSAGE-INTEGRITY: ${JSON.stringify(errorCode(bare))}, RFC 5389 10.1.2 says 400 (Bad Request)`);
    await healthyUnaffected('after the STUN edge cases');
  });

  it('DTLS, SRTP and other datagrams from an address ICE did not validate are counted and dropped, never answered', async () => {
    const stranger = await Udp.open();
    sockets.push(stranger);
    const port = platform.mediaPort;
    const before = platform.portStats();
    assert.ok(before);
    // A DTLS 1.2 handshake record (ClientHello) with a body of noise, then SRTP-looking bytes.
    const random = mulberry32(3);
    const noise = (n: number) => Buffer.from(Array.from({ length: n }, () => Math.floor(random() * 256)));
    const hello = Buffer.concat([Buffer.from([22, 0xfe, 0xfd, 0, 0, 0, 0, 0, 0, 0, 0, 0, 120, 1, 0, 0, 108]), noise(116)]);
    const srtp = Buffer.concat([Buffer.from([0x80, 0x60, 0x12, 0x34, 0, 0, 0, 1, 0xca, 0xfe, 0xba, 0xbe]), noise(100)]);
    stranger.send(hello, port);
    stranger.send(srtp, port);
    stranger.send(Buffer.from([64, 0, 0, 4, 1, 2, 3, 4]), port); // TURN channel data: not spoken here
    await waitFor('the port to count what came from nowhere', () => {
      const s = platform.portStats();
      return !!s && s.unknownAddress === before.unknownAddress + 2 && s.unknownKind === before.unknownKind + 1;
    }, 5_000, () => JSON.stringify({ before, now: platform.portStats() }));
    // Nothing came back: a STUN request sent last is the first thing answered.
    const { ufrag, pwd } = await offeringSession();
    const probe = bindingRequest({ username: `${ufrag}:x`, password: pwd });
    stranger.send(probe.message, port);
    const answered = await stranger.next(0, sameTransaction(probe.transactionId), 'the answer to the STUN probe');
    assert.strictEqual(answered.index, 0, `${answered.index} datagram(s) answered the DTLS or SRTP from an unvalidated address`);
    await healthyUnaffected('after datagrams from an unvalidated address');
  });

  it('an empty datagram is counted (unknownKind) and dropped', async () => {
    const stranger = await Udp.open();
    sockets.push(stranger);
    const before = platform.portStats();
    assert.ok(before);
    stranger.send(Buffer.alloc(0), platform.mediaPort);
    // Sent after it on the same path: once this one is counted, the empty one has arrived too.
    stranger.send(Buffer.from([64, 0, 0, 0]), platform.mediaPort);
    await waitFor('the port to count the datagram sent after it', () => (platform.portStats()?.unknownKind ?? 0) >= before.unknownKind + 1, 5_000);
    const now = platform.portStats();
    assert.strictEqual(now?.unknownKind, before.unknownKind + 2, `the empty datagram was not counted: ${JSON.stringify({ before, now })}`);
    await healthyUnaffected('after an empty datagram');
  });

  it("a peer whose certificate does not match its offer's fingerprint: the session fails with DTLS_FINGERPRINT_MISMATCH", async () => {
    const bad = new Call(platform, { peer: { tag: 40, level: 120 }, bot: { tag: 41, level: 90 }, offer: tamperFingerprint });
    calls.push(bad);
    await bad.negotiate(platform);
    await waitFor('the session to fail', () => bad.session.transportState === 'failed', 20_000, () => JSON.stringify(bad.states));
    const failed = bad.states.find((e) => e.state === 'failed');
    assert.strictEqual(failed?.code, 'DTLS_FINGERPRINT_MISMATCH', JSON.stringify(bad.states));
    assert.strictEqual(bad.session.transportError?.code, 'DTLS_FINGERPRINT_MISMATCH');
    assert.ok(!bad.states.some((e) => e.state === 'connected'), 'it never connected');
    const t = bad.session.stats().transport;
    assert.strictEqual(t?.dtlsState, 'failed');
    assert.strictEqual(t?.srtpCipher, '', 'no SRTP keys were taken from the handshake');
    assert.strictEqual(bad.atBot.length, 0, 'no media from that peer was decoded');
    await healthyUnaffected('after a fingerprint mismatch');
  });

  it('SRTP with a bad auth tag or replayed (through a relay): counted as srtpAuthFailures and srtpReplayFailures, and media keeps flowing', async () => {
    let mutating = false;
    let rtp = 0;
    let flipped = 0;
    let duplicated = 0;
    const relay = new WebRtcRelay({ address: '127.0.0.1', port: platform.mediaPort }, (d) => {
      if (!mutating || !isRtpOrRtcp(d) || isRtcp(d)) return d;
      const k = rtp++;
      if (k % 10 === 3) {
        // The last byte (the auth tag), or one in the encrypted payload.
        d[k % 20 === 3 ? d.length - 1 : d.length - 20] ^= 0x40;
        flipped++;
        return d;
      }
      if (k % 10 === 7) {
        duplicated++;
        return [d, Buffer.from(d)];
      }
      return d;
    });
    relays.push(relay);
    const call = new Call(platform, { peer: { tag: 50, level: 150 }, bot: { tag: 51, level: 30 }, audio: true, relay });
    calls.push(call);
    await call.negotiate(platform);
    await call.connected();
    assert.ok(relay.outsidePorts.length > 0, 'the peer reached the bot through the relay');
    assert.ok(relay.outsidePorts.some((p) => call.session.stats().transport?.selectedRemote === `127.0.0.1:${p}`), 'the selected pair goes through the relay');

    mutating = true;
    await waitFor('the relay to flip and replay packets', () => flipped >= 30 && duplicated >= 30, 20_000, () => `${flipped} flipped, ${duplicated} duplicated`);
    mutating = false;
    await waitFor('the bot to count them', () => {
      const t = call.session.stats().transport;
      return !!t && t.srtpAuthFailures >= flipped && t.srtpReplayFailures >= duplicated;
    }, 10_000, () => `${flipped} flipped, ${duplicated} duplicated: ${JSON.stringify(call.session.stats().transport)}`);
    const t = call.session.stats().transport;
    assert.strictEqual(t?.srtpAuthFailures, flipped, 'every packet with a flipped byte failed authentication, nothing else did');
    // Every replayed packet is refused. A packet the bot asked for again (NACK) that had come
    // after all, or whose retransmission came twice, is a replay too: at most one per request.
    const asked = call.session.stats().video.reduce((n, v) => n + v.packetsNacked, 0);
    assert.ok(t && t.srtpReplayFailures >= duplicated && t.srtpReplayFailures <= duplicated + asked,
      `replay failures ${t?.srtpReplayFailures}: ${duplicated} replayed by the relay, ${asked} packets asked for again`);
    assert.strictEqual(t?.srtpMalformed, 0);
    assert.strictEqual(t?.state, 'connected');
    await call.expectFlowing('after the bad packets');
    console.log(`      ${flipped} flipped, ${duplicated} replayed; bot: srtpAuthFailures ${t?.srtpAuthFailures}, srtpReplayFailures ${t?.srtpReplayFailures}, PLIs sent ${call.session.stats().video[0].pliSent}`);
    await healthyUnaffected('while the other call was fed bad SRTP');
  });

  it('SDP: a truncated offer is refused with SDP_INVALID, and the session then accepts the whole one', async () => {
    const session = platform.createMediaSession({ audio: {}, video: [{ format: 'I420' }, { format: 'I420' }] });
    sessions.push(session);
    const peer = new WrtcPeer();
    peers.push(peer);
    peer.addVideo();
    peer.addAudio();
    const video = peer.addVideo();
    const offer = (await peer.gatheredOffer()).sdp;
    await refused(session.acceptOffer({ type: 'offer', sdp: offer.slice(0, Math.floor(offer.length / 2)) }), 'SDP_INVALID', 'half of the offer');
    await refused(session.acceptOffer(offer.slice(0, Math.floor(offer.length / 4))), 'SDP_INVALID', 'a quarter of the offer');
    // The first section whole, the others cut away (BUNDLE still names them).
    const second = offer.indexOf('\r\nm=', offer.indexOf('\r\nm=') + 4);
    await refused(session.acceptOffer({ type: 'offer', sdp: offer.slice(0, second + 2) }), 'SDP_INVALID', 'the offer without its last two sections');

    const answer = await session.acceptOffer({ type: 'offer', sdp: offer });
    await peer.pc.setRemoteDescription(answer);
    let frames = 0;
    session.videoSockets[1].on('frame', () => frames++);
    const pacer = new Pacer(1000 / FPS, (n) => video.source.onFrame({ width: W, height: H, data: new Uint8ClampedArray(flatPicture(100, 1, n, W, H)) }), false);
    peer.onClose(() => pacer.stop());
    await waitFor('frames after the good offer', () => frames >= 10, 20_000, () => session.transportState);
    await healthyUnaffected('after truncated offers');
  });

  it('SDP: a malformed a=fingerprint (cut short, not hex pairs, an unknown hash function) is refused with SDP_INVALID (RFC 8122 5)', async () => {
    const peer = new WrtcPeer();
    peers.push(peer);
    peer.addAudio();
    const offer = (await peer.gatheredOffer()).sdp;
    const fingerprint = /^a=fingerprint:sha-256 (\S+)/m.exec(offer)?.[1] as string;
    const cases: [string, string][] = [
      ['cut to 3 bytes', offer.split(fingerprint).join(fingerprint.slice(0, 8))],
      ['not hex pairs', offer.split(fingerprint).join(fingerprint.replace(/:/g, ''))],
      ['an unknown hash function', offer.replace(/^a=fingerprint:sha-256 /gm, 'a=fingerprint:sha-999 ')],
    ];
    const accepted: string[] = [];
    for (const [what, sdp] of cases) {
      assert.notStrictEqual(sdp, offer, `${what}: the edit changed nothing`);
      // A fresh session each time: one that accepted is negotiated.
      const session = platform.createMediaSession({ audio: {} });
      sessions.push(session);
      try {
        await session.acceptOffer({ type: 'offer', sdp });
        accepted.push(what);
      } catch (err) {
        assert.strictEqual((err as CallMediaError).code, 'SDP_INVALID', `${what}: ${(err as Error).message}`);
      }
    }
    assert.deepStrictEqual(accepted, [], `accepted offers whose fingerprint is ${accepted.join('; ')}`);
    await healthyUnaffected('after malformed fingerprints');
  });

  it('SDP: an offer with no codec the engine takes is refused with SDP_NO_COMMON_CODEC; one with a single unusable section gets that section rejected (port 0)', async () => {
    const session = platform.createMediaSession({ audio: {}, video: [{ format: 'I420' }] });
    sessions.push(session);
    const peer = new WrtcPeer();
    peers.push(peer);
    const video = peer.addVideo();
    const audio = peer.addAudio();
    const offer = (await peer.gatheredOffer()).sdp;
    const vp9Av1 = (n: string) => ['VP9', 'AV1'].includes(n.toUpperCase());
    assert.ok(/^m=video \d+ \S+ [\d ]+$/m.test(keepCodecs(offer, 'video', vp9Av1)) && !/VP8/.test(keepCodecs(offer, 'video', vp9Av1)), 'the edit leaves VP9 and AV1 only');
    const videoOnly = offer.replace(/\r\nm=audio[\s\S]*$/, '\r\n').replace(/^a=group:BUNDLE .*$/m, 'a=group:BUNDLE 0');
    await refused(session.acceptOffer(keepCodecs(videoOnly, 'video', vp9Av1)), 'SDP_NO_COMMON_CODEC', 'video in VP9 and AV1 only, no audio');
    const g722 = (n: string) => ['G722', 'CN'].includes(n.toUpperCase());
    await refused(session.acceptOffer(keepCodecs(keepCodecs(offer, 'video', vp9Av1), 'audio', g722)), 'SDP_NO_COMMON_CODEC', 'VP9/AV1 video and G.722 audio');
    await refused(session.acceptOffer(keepCodecs(keepCodecs(offer, 'video', () => false), 'audio', () => false)), 'SDP_NO_COMMON_CODEC', 'sections without a single codec');

    // VP9-only video beside good audio: the audio is taken, the video section rejected as RFC 3264 6 says.
    const other = platform.createMediaSession({ audio: {}, video: [{ format: 'I420' }] });
    sessions.push(other);
    const partial = parseDescription((await other.acceptOffer(keepCodecs(offer, 'video', vp9Av1))).sdp);
    // (The audio socket only receives, so it answers wrtc's sendrecv with recvonly.)
    assert.deepStrictEqual(partial.media.map((m) => `${m.kind} ${m.port === 0 ? 'rejected' : m.direction}`), ['video rejected', 'audio recvonly']);
    assert.deepStrictEqual(partial.bundle, ['1'], 'BUNDLE holds only the accepted section');

    // The session that refused three offers takes the good one.
    await peer.pc.setRemoteDescription(await session.acceptOffer({ type: 'offer', sdp: offer }));
    let frames = 0;
    session.videoSockets[0].on('frame', () => frames++);
    const pacers = [
      new Pacer(1000 / FPS, (n) => video.source.onFrame({ width: W, height: H, data: new Uint8ClampedArray(flatPicture(100, 1, n, W, H)) }), false),
      new Pacer(10, (k) => audio.source.onData({ samples: sine(500, 48000, k * 480, 480), sampleRate: 48000, bitsPerSample: 16, channelCount: 1, numberOfFrames: 480 }), true),
    ];
    peer.onClose(() => pacers.forEach((p) => p.stop()));
    await waitFor('frames after the good offer', () => frames >= 10, 20_000, () => session.transportState);
    await healthyUnaffected('after offers without a common codec');
  });

  it("SDP: garbage, '', non-strings and descriptions missing what DTLS-SRTP needs are refused with SDP_INVALID; the session still negotiates", async () => {
    const session = platform.createMediaSession({ audio: {}, video: [{ format: 'I420' }] });
    sessions.push(session);
    const peer = new WrtcPeer();
    peers.push(peer);
    const video = peer.addVideo();
    const offer = (await peer.gatheredOffer()).sdp;
    const random = mulberry32(17);
    const bad: [string, unknown][] = [
      ['garbage text', 'hello, this is not SDP'],
      ["''", ''],
      ['42', 42],
      ['null', null],
      ['undefined', undefined],
      ['{}', {}],
      ['an object with no sdp', { type: 'offer' }],
      ['an object whose sdp is a number', { type: 'offer', sdp: 42 }],
      ['an answer given as an offer', { type: 'answer', sdp: offer }],
      ['v=0 alone', 'v=0\r\n'],
      ['random bytes', Buffer.from(Array.from({ length: 2000 }, () => Math.floor(random() * 256))).toString('latin1')],
      ['300 kB of attributes', offer + 'a=x-filler:' + 'x'.repeat(300 * 1024) + '\r\n'],
      ['no ICE credentials', offer.replace(/^a=ice-(ufrag|pwd):.*\r\n/gm, '')],
      ['no fingerprint', offer.replace(/^a=fingerprint:.*\r\n/gm, '')],
      ['plain RTP/AVP', offer.replace(/UDP\/TLS\/RTP\/SAVPF/g, 'RTP/AVP')],
      ['no rtcp-mux', offer.replace(/^a=rtcp-mux\r\n/gm, '')],
      ['two sections with one MID', offer.replace(/\r\n(m=video[\s\S]*)$/, (_all, s: string) => `\r\n${s}${s}`)],
      ['a=setup:holdconn', offer.replace(/^a=setup:actpass/gm, 'a=setup:holdconn')],
    ];
    for (const [what, input] of bad) {
      assert.notStrictEqual(input, offer, `${what}: the edit changed nothing`);
      await refused(session.acceptOffer(input as string), 'SDP_INVALID', what);
    }

    await peer.pc.setRemoteDescription(await session.acceptOffer({ type: 'offer', sdp: offer }));
    let frames = 0;
    session.videoSockets[0].on('frame', () => frames++);
    const pacer = new Pacer(1000 / FPS, (n) => video.source.onFrame({ width: W, height: H, data: new Uint8ClampedArray(flatPicture(100, 1, n, W, H)) }), false);
    peer.onClose(() => pacer.stop());
    await waitFor('frames after the good offer', () => frames >= 10, 20_000, () => session.transportState);
    // Negotiated: a second offer, good or bad, is refused (no renegotiation).
    await refused(session.acceptOffer({ type: 'offer', sdp: offer }), 'SDP_INVALID', 'a second offer');
    await healthyUnaffected('after garbage descriptions');
  });

  it("SDP: bad answers to the bot's offer are refused (SDP_INVALID, SDP_NO_COMMON_CODEC), then the good answer connects", async () => {
    const session = platform.createMediaSession({ audio: {}, video: [{ format: 'I420' }] });
    sessions.push(session);
    const offer = await session.createOffer();
    const peer = new WrtcPeer();
    peers.push(peer);
    let source: ReturnType<WrtcPeer['addVideoTrack']> | undefined;
    const answer = (await peer.gatheredAnswer(offer, () => (source = peer.addVideoTrack()))).sdp;
    const bad: [string, unknown, string][] = [
      ['garbage', 'not an answer', 'SDP_INVALID'],
      ['an offer given as the answer', { type: 'offer', sdp: answer }, 'SDP_INVALID'],
      ['a=setup:actpass in an answer (RFC 5763 5)', answer.replace(/^a=setup:\w+/gm, 'a=setup:actpass'), 'SDP_INVALID'],
      ['half of the answer', answer.slice(0, Math.floor(answer.length / 2)), 'SDP_INVALID'],
      ['no section for the offered video MID', answer.replace(/^a=mid:video0\r\n/m, 'a=mid:other\r\n').replace(/^(a=group:BUNDLE .*)video0/m, '$1other'), 'SDP_INVALID'],
      ['every section rejected', answer.replace(/^m=(audio|video) \d+ /gm, 'm=$1 0 '), 'SDP_NO_COMMON_CODEC'],
    ];
    for (const [what, input, code] of bad) {
      assert.notStrictEqual(input, answer, `${what}: the edit changed nothing`);
      await refused(session.setRemoteDescription(input as string), code, what);
    }
    await refused(session.acceptOffer(offer.sdp), 'SDP_INVALID', 'acceptOffer on a session that made an offer');

    await session.setRemoteDescription({ type: 'answer', sdp: answer });
    let frames = 0;
    session.videoSockets[0].on('frame', () => frames++);
    const v = source as NonNullable<typeof source>;
    const pacer = new Pacer(1000 / FPS, (n) => v.onFrame({ width: W, height: H, data: new Uint8ClampedArray(flatPicture(100, 1, n, W, H)) }), false);
    peer.onClose(() => pacer.stop());
    await waitFor('frames after the good answer', () => frames >= 10, 20_000, () => session.transportState);
    await healthyUnaffected('after bad answers');
  });
});

describe('media/webrtc: peers that go silent', function () {
  this.timeout(60_000);

  let platform: MediaPlatform | undefined;
  const calls: Call[] = [];
  const sessions: MediaSession[] = [];
  const relays: WebRtcRelay[] = [];

  afterEach(async () => {
    for (const r of relays.splice(0)) r.close();
    try {
      await Promise.all([...calls.splice(0).map((c) => c.close()), ...sessions.splice(0).map((s) => closeSession(s))]);
    } finally {
      platform?.close();
      platform = undefined;
    }
  });

  it('a session whose peer never checks fails with ICE_TIMEOUT', async () => {
    platform = MediaPlatform.initialize({ applicationId: 'webrtc-test', iceTimeoutMs: 1500 });
    const session = platform.createMediaSession({ audio: {}, video: [] });
    sessions.push(session);
    const states: TransportStateChange[] = [];
    session.on('transportStateChanged', (e) => states.push(e));
    // An offer from a peer that is never started: its candidate goes nowhere.
    const peer = new WrtcPeer();
    peer.addAudio();
    const offer = await peer.gatheredOffer();
    peer.close();
    await session.acceptOffer(offer);
    await waitFor('the session to fail', () => session.transportState === 'failed', 15_000, () => JSON.stringify(states));
    assert.deepStrictEqual(states.map((e) => `${e.state}${e.code ? ` ${e.code}` : ''}`), ['checking', 'failed ICE_TIMEOUT']);
    assert.strictEqual(session.transportError?.code, 'ICE_TIMEOUT');
  });

  it('a peer cut off goes disconnected (ICE_CONSENT_EXPIRED, RFC 7675), and connected again when its checks come back', async () => {
    platform = MediaPlatform.initialize({ applicationId: 'webrtc-test', consentTimeoutMs: 1500 });
    let cut = false;
    const relay = new WebRtcRelay({ address: '127.0.0.1', port: platform.mediaPort }, (d) => (cut ? null : d));
    relays.push(relay);
    const call = new Call(platform, { peer: { tag: 60, level: 80 }, bot: { tag: 61, level: 160 }, relay });
    calls.push(call);
    await call.negotiate(platform);
    await call.connected();
    cut = true;
    await waitFor('the session to go disconnected', () => call.session.transportState === 'disconnected', 15_000, () => JSON.stringify(call.states));
    const gone = call.states[call.states.length - 1];
    assert.strictEqual(gone.code, 'ICE_CONSENT_EXPIRED', JSON.stringify(gone));
    cut = false;
    await waitFor('the session to connect again', () => call.session.transportState === 'connected', 20_000, () => JSON.stringify(call.states));
    assert.deepStrictEqual(call.states.map((e) => e.state), ['checking', 'connected', 'disconnected', 'connected']);
    await call.expectFlowing('after consent came back');
  });
});
