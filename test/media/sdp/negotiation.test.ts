import * as assert from 'assert';
import { CallMediaError, parseDescription } from '../../../src/media';
import { LocalTrack, answerOffer, createOffer, readAnswer } from '../../../src/media/sdp/negotiation';
import { mulberry32 } from '../../helpers/UdpRelay';

const TRANSPORT = {
  iceUfrag: 'Ufrag1234567',
  icePwd: 'Password0123456789abcdef',
  fingerprint: { algorithm: 'sha-256', value: Array.from({ length: 32 }, (_, i) => i.toString(16).padStart(2, '0').toUpperCase()).join(':') },
  candidates: [{ address: '192.0.2.10', port: 3478 }],
};
const track = (kind: 'audio' | 'video', mid: string, send: boolean, extra: Partial<LocalTrack> = {}): LocalTrack => ({
  kind, mid, send, sendSsrc: send ? 1111 : undefined, rtcpSsrc: 2222, label: mid, streamId: 's', trackId: `t-${mid}`, ...extra,
});

/** A browser's offer, trimmed to what matters: VP8 first, several H.264 profiles, RTX, Opus and telephone-event. */
const BROWSER_OFFER = [
  'v=0', 'o=- 4611731400430051336 2 IN IP4 127.0.0.1', 's=-', 't=0 0', 'a=group:BUNDLE 0 1', 'a=msid-semantic: WMS stream',
  'm=audio 9 UDP/TLS/RTP/SAVPF 111 63 9 0 8 126 110', 'c=IN IP4 0.0.0.0', 'a=rtcp:9 IN IP4 0.0.0.0',
  'a=candidate:1 1 udp 2122260223 192.0.2.20 50000 typ host', 'a=ice-ufrag:Ab3d', 'a=ice-pwd:abcdefghijklmnopqrstuvwx',
  `a=fingerprint:sha-256 ${TRANSPORT.fingerprint.value}`, 'a=setup:actpass', 'a=mid:0',
  'a=extmap:1 urn:ietf:params:rtp-hdrext:ssrc-audio-level', 'a=extmap:4 urn:ietf:params:rtp-hdrext:sdes:mid',
  'a=sendrecv', 'a=msid:stream audio-track', 'a=rtcp-mux', 'a=rtpmap:111 opus/48000/2', 'a=fmtp:111 minptime=10;useinbandfec=1',
  'a=rtpmap:63 red/48000/2', 'a=rtpmap:9 G722/8000', 'a=rtpmap:0 PCMU/8000', 'a=rtpmap:8 PCMA/8000',
  'a=rtpmap:126 telephone-event/8000', 'a=rtpmap:110 telephone-event/48000', 'a=ssrc:1001 cname:c', 'a=ssrc:1001 msid:stream audio-track',
  'm=video 9 UDP/TLS/RTP/SAVPF 96 97 102 103 108 109 127', 'c=IN IP4 0.0.0.0', 'a=mid:1', 'a=sendrecv', 'a=rtcp-mux',
  'a=extmap:4 urn:ietf:params:rtp-hdrext:sdes:mid', 'a=rtpmap:96 VP8/90000', 'a=rtcp-fb:96 nack pli', 'a=rtpmap:97 rtx/90000', 'a=fmtp:97 apt=96',
  'a=rtpmap:102 H264/90000', 'a=fmtp:102 level-asymmetry-allowed=1;packetization-mode=1;profile-level-id=64001f',
  'a=rtpmap:103 rtx/90000', 'a=fmtp:103 apt=102',
  'a=rtpmap:108 H264/90000', 'a=fmtp:108 level-asymmetry-allowed=1;packetization-mode=1;profile-level-id=42e01f',
  'a=rtcp-fb:108 nack pli', 'a=rtcp-fb:108 transport-cc', 'a=rtpmap:109 rtx/90000', 'a=fmtp:109 apt=108',
  'a=rtpmap:127 H264/90000', 'a=fmtp:127 level-asymmetry-allowed=1;packetization-mode=0;profile-level-id=42e01f',
  'a=ssrc-group:FID 2001 2002', 'a=ssrc:2001 cname:c', 'a=ssrc:2001 msid:stream video-track', 'a=ssrc:2002 cname:c',
].join('\r\n') + '\r\n';

describe('media/sdp: offers and answers', () => {
  it('the offer bundles every socket on one ICE-lite transport, actpass, with the extensions and codecs it speaks', () => {
    const sdp = createOffer('123', 1, TRANSPORT, [track('audio', 'audio', true), track('video', 'video0', true), track('video', 'video1', false)]);
    const o = parseDescription(sdp);
    assert.ok(o.iceLite);
    assert.deepStrictEqual(o.bundle, ['audio', 'video0', 'video1']);
    assert.strictEqual(o.transport.setup, 'actpass');
    assert.deepStrictEqual(o.transport.fingerprint, TRANSPORT.fingerprint);
    assert.deepStrictEqual(o.media.map((m) => m.direction), ['sendrecv', 'sendrecv', 'recvonly']);
    const audio = o.media[0];
    assert.deepStrictEqual(audio.codecs.map((c) => `${c.name}/${c.clockRate}`), ['opus/48000', 'PCMU/8000', 'PCMA/8000', 'telephone-event/48000', 'telephone-event/8000']);
    assert.strictEqual(audio.codecs[0].parameters.useinbandfec, '1');
    const uris = (m: typeof audio) => m.extensions.map((e) => e.uri.split(/[:/]/).pop());
    assert.deepStrictEqual(uris(audio), ['ssrc-audio-level', 'abs-send-time', 'draft-holmer-rmcat-transport-wide-cc-extensions-01', 'mid']);
    const video = o.media[1];
    assert.deepStrictEqual(video.codecs.map((c) => `${c.name} ${c.parameters['profile-level-id'] ?? c.parameters.apt ?? ''}`.trim()),
      ['H264 42e01f', 'H264 640c1f', 'VP8', 'rtx 96', 'rtx 97', 'rtx 98'], 'an RFC 4588 format for each codec, apt naming it');
    const media = video.codecs.filter((c) => c.name !== 'rtx');
    assert.ok(media.every((c) => c.feedback.includes('nack') && c.feedback.includes('nack pli') && c.feedback.includes('ccm fir')));
    assert.deepStrictEqual(video.sources.map((s) => s.ssrc), [1111, 2222], 'the sender and the receiver announce their SSRCs');
    const withRtx = parseDescription(createOffer('123', 1, TRANSPORT, [track('video', 'v', true, { sendRtxSsrc: 3333 })])).media[0];
    assert.deepStrictEqual(withRtx.sources.map((s) => s.ssrc), [1111, 3333, 2222]);
    assert.deepStrictEqual(withRtx.ssrcGroups, [{ semantics: 'FID', ssrcs: [1111, 3333] }], 'the retransmission source is grouped with its media (RFC 5576)');
    assert.strictEqual(withRtx.sources[1].msid, withRtx.sources[0].msid);
    assert.deepStrictEqual(o.media[2].sources.map((s) => s.ssrc), [2222]);
    assert.strictEqual(o.media[0].candidates[0].address, '192.0.2.10');
  });

  it('answering a browser: H.264 (constrained baseline sent), Opus with its 48 kHz events, the offer\'s ids and RTX formats; no mode 0', () => {
    const { sdp, negotiation } = answerOffer(BROWSER_OFFER, (sections) => sections.map((s, i) => track(s.kind as 'audio' | 'video', s.mid, true, { label: `l${i}` })), '9', 1, TRANSPORT);
    const a = parseDescription(sdp);
    assert.ok(a.iceLite);
    assert.strictEqual(a.transport.setup, 'passive', 'an ICE-lite bot serves DTLS');
    assert.deepStrictEqual(a.bundle, ['0', '1']);
    const [audio, video] = a.media;
    // One telephone-event, the 48 kHz one beside Opus: offered both, Chromium sends on the 8 kHz one when it may.
    assert.deepStrictEqual(audio.codecs.map((c) => c.payloadType), [111, 0, 8, 110], 'only what the engine decodes');
    assert.deepStrictEqual(video.codecs.map((c) => c.payloadType), [102, 108, 103, 109], 'H.264 packetization mode 1 and its RTX only, no VP8 when H.264 is offered');
    assert.ok(video.codecs.every((c) => !c.feedback.includes('transport-cc')), 'feedback the engine does not send is not promised');
    const [at, vt] = negotiation.tracks;
    assert.strictEqual(at.sendPayloadType, 111);
    assert.strictEqual(at.audio?.telephoneEvent, 110);
    assert.strictEqual(at.audio?.telephoneEventRate, 48000);
    assert.strictEqual(at.audio?.audioLevelExtensionId, 1);
    assert.strictEqual(vt.sendPayloadType, 108, 'the encoder writes constrained baseline');
    assert.strictEqual(vt.sendCodec, 'H264');
    assert.deepStrictEqual(vt.remoteSsrcs, [2001, 2002]);
    assert.deepStrictEqual(vt.receiveRtx, [{ payloadType: 103, apt: 102 }, { payloadType: 109, apt: 108 }]);
    assert.strictEqual(vt.sendRtxPayloadType, undefined, 'no generic NACK offered: nothing is retransmitted, RTX or not');
    const nacking = answerOffer(BROWSER_OFFER.replace('a=rtcp-fb:108 nack pli', 'a=rtcp-fb:108 nack\r\na=rtcp-fb:108 nack pli'),
      (x) => x.map((t) => track(t.kind as 'audio' | 'video', t.mid, true)), '9', 1, TRANSPORT);
    assert.strictEqual(nacking.negotiation.tracks[1].sendRtxPayloadType, 109, 'retransmissions of 108 go as 109');
    assert.ok(parseDescription(nacking.sdp).media[1].codecs.find((c) => c.payloadType === 108)?.feedback.includes('nack'));
    const forwarder = answerOffer(BROWSER_OFFER, (x) => x.map((t) => track(t.kind as 'audio' | 'video', t.mid, true)), '9', 1, TRANSPORT, { rtx: false });
    assert.deepStrictEqual(parseDescription(forwarder.sdp).media[1].codecs.map((c) => c.payloadType), [102, 108], 'rtx: false takes no RTX format');
    assert.strictEqual(negotiation.transport.dtlsRole, 'server');
    assert.strictEqual(negotiation.transport.midExtensionId, 4);
    assert.strictEqual(negotiation.transport.iceUfrag, 'Ab3d');
  });

  it('transport-cc: answered with its sequence extension when both are offered, declined with congestionControl: false, read from an answer', () => {
    const withCc = BROWSER_OFFER.replace(/a=extmap:4 urn:ietf:params:rtp-hdrext:sdes:mid/g,
      'a=extmap:4 urn:ietf:params:rtp-hdrext:sdes:mid\r\na=extmap:5 http://www.ietf.org/id/draft-holmer-rmcat-transport-wide-cc-extensions-01');
    const all = (x: { kind: string; mid: string }[]) => x.map((t) => track(t.kind as 'audio' | 'video', t.mid, true));
    const on = answerOffer(withCc, all, '9', 1, TRANSPORT);
    const video = parseDescription(on.sdp).media[1];
    assert.strictEqual(on.negotiation.transport.transportCcExtensionId, 5, 'the offer\'s id');
    assert.ok(video.extensions.some((e) => e.id === 5 && e.uri.includes('transport-wide-cc')));
    assert.ok(video.codecs.find((c) => c.payloadType === 108)?.feedback.includes('transport-cc'));
    const off = answerOffer(withCc, all, '9', 1, TRANSPORT, { congestionControl: false });
    assert.strictEqual(off.negotiation.transport.transportCcExtensionId, 0);
    assert.ok(parseDescription(off.sdp).media.every((m) => m.extensions.every((e) => !e.uri.includes('transport-wide-cc')) && m.codecs.every((c) => !c.feedback.includes('transport-cc'))));
    // Without the extension (the browser offer above), nothing is on.
    assert.strictEqual(answerOffer(BROWSER_OFFER, all, '9', 1, TRANSPORT).negotiation.transport.transportCcExtensionId, 0);
    // The bot's own offer carries both; an answer that keeps them turns it on.
    const offer = createOffer('1', 1, TRANSPORT, [track('video', 'v0', true)]);
    const o = parseDescription(offer).media[0];
    assert.ok(o.codecs.filter((c) => c.name !== 'rtx').every((c) => c.feedback.includes('transport-cc')));
    const answer = answerOffer(offer, all, '2', 1, TRANSPORT, { iceLite: false });
    const read = readAnswer(answer.sdp.replace('a=setup:passive', 'a=setup:active'), [track('video', 'v0', true)]);
    assert.strictEqual(read.transport.transportCcExtensionId, o.extensions.find((e) => e.uri.includes('transport-wide-cc'))?.id);
  });

  it('simulcast: an offer names each layer (a=rid, a=simulcast, SIM and FID groups), a media server takes it, a bot does not, and the answer says which layers send', () => {
    const layers = [
      { rid: 'h', ssrc: 301, rtxSsrc: 401, width: 1280, height: 720 },
      { rid: 'm', ssrc: 302, rtxSsrc: 402, width: 640, height: 360 },
      { rid: 'l', ssrc: 303, rtxSsrc: 403, width: 320, height: 180 },
    ];
    const camera = track('video', 'v0', true, { sendSsrc: 301, sendRtxSsrc: 401, simulcast: layers });
    const offer = createOffer('1', 1, TRANSPORT, [camera]);
    const o = parseDescription(offer).media[0];
    assert.deepStrictEqual(o.simulcast, { direction: 'send', rids: ['h', 'm', 'l'] });
    assert.deepStrictEqual(o.rids?.map((r) => [r.id, r.direction, r.parameters['max-height']]), [['h', 'send', '720'], ['m', 'send', '360'], ['l', 'send', '180']]);
    assert.deepStrictEqual(o.ssrcGroups?.find((g) => g.semantics === 'SIM')?.ssrcs, [301, 302, 303]);
    assert.deepStrictEqual(o.ssrcGroups?.filter((g) => g.semantics === 'FID').map((g) => g.ssrcs), [[301, 401], [302, 402], [303, 403]]);
    assert.ok(o.extensions.some((e) => e.uri.endsWith('sdes:rtp-stream-id')) && o.extensions.some((e) => e.uri.endsWith('repaired-rtp-stream-id')));

    // A media server receives every layer.
    const server = answerOffer(offer, (x) => x.map((t) => track('video', t.mid, true, { receiveSimulcast: true })), '2', 1, TRANSPORT, { iceLite: false });
    assert.deepStrictEqual(server.negotiation.tracks[0].receiveLayers, [{ rid: 'h', width: 1280, height: 720 }, { rid: 'm', width: 640, height: 360 }, { rid: 'l', width: 320, height: 180 }]);
    assert.strictEqual(server.negotiation.transport.ridExtensionId, o.extensions.find((e) => e.uri.endsWith('sdes:rtp-stream-id'))?.id);
    const a = parseDescription(server.sdp).media[0];
    assert.deepStrictEqual(a.simulcast, { direction: 'recv', rids: ['h', 'm', 'l'] });
    const read = readAnswer(server.sdp.replace('a=setup:active', 'a=setup:passive'), [camera]);
    assert.deepStrictEqual(read.tracks[0].sendLayers, ['h', 'm', 'l']);
    assert.ok(read.transport.ridExtensionId > 0 && read.transport.repairedRidExtensionId > 0);
    // An answer that keeps two layers: the third stops.
    const two = server.sdp.replace('a=simulcast:recv h;m;l', 'a=simulcast:recv h;~l').replace('a=setup:active', 'a=setup:passive');
    assert.deepStrictEqual(readAnswer(two, [camera]).tracks[0].sendLayers, ['h', 'l']);

    // A peer that takes no simulcast answers without it: only the first layer sends, unnamed.
    const plain = answerOffer(offer, (x) => x.map((t) => track('video', t.mid, true)), '3', 1, TRANSPORT, { iceLite: false });
    const p = parseDescription(plain.sdp).media[0];
    assert.strictEqual(p.simulcast, undefined);
    assert.ok(p.extensions.every((e) => !e.uri.includes('stream-id')));
    const readPlain = readAnswer(plain.sdp.replace('a=setup:active', 'a=setup:passive'), [camera]);
    assert.deepStrictEqual(readPlain.tracks[0].sendLayers, []);
    assert.strictEqual(readPlain.transport.ridExtensionId, 0);

    // Descriptions that contradict themselves are refused.
    assert.throws(() => parseDescription(offer.replace('a=simulcast:send h;m;l', 'a=simulcast:send h;m;x')), (e: CallMediaError) => e.code === 'SDP_INVALID');
    assert.throws(() => parseDescription(offer.replace('a=rid:l send', 'a=rid:l! send')), (e: CallMediaError) => e.code === 'SDP_INVALID');
  });

  it('a socket that takes only H.264 (passthrough) rejects a VP8-only section; a VP8-only peer gets VP8 elsewhere', () => {
    const vp8Only = BROWSER_OFFER.replace(/m=video 9 UDP\/TLS\/RTP\/SAVPF [0-9 ]+/, 'm=video 9 UDP/TLS/RTP/SAVPF 96 97');
    const passthrough = answerOffer(vp8Only, (s) => s.map((x) => track(x.kind as 'audio' | 'video', x.mid, false, x.kind === 'video' ? { videoCodecs: ['H264'] } : {})), '9', 1, TRANSPORT);
    assert.strictEqual(parseDescription(passthrough.sdp).media[1].port, 0);
    const decoding = answerOffer(vp8Only, (s) => s.map((x) => track(x.kind as 'audio' | 'video', x.mid, true)), '9', 1, TRANSPORT);
    assert.strictEqual(decoding.negotiation.tracks[1].sendCodec, 'VP8');
    assert.deepStrictEqual(decoding.negotiation.tracks[1].receiveCodecs, [{ payloadType: 96, codec: 'VP8' }]);
  });

  it('reading an answer: the DTLS role it takes, the directions it gives, and refusals', () => {
    const tracks = [track('audio', 'audio', true), track('video', 'video0', true)];
    const offer = createOffer('123', 1, TRANSPORT, tracks);
    const answer = offer.replace(/a=setup:actpass/g, 'a=setup:active').replace(/a=sendrecv/g, 'a=recvonly').replace('a=ice-lite\r\n', '');
    const n = readAnswer(answer, tracks);
    assert.strictEqual(n.transport.dtlsRole, 'server', 'an active answerer is the DTLS client');
    assert.deepStrictEqual(n.tracks.map((t) => t.direction), ['sendonly', 'sendonly']);
    const code = (f: () => unknown) => {
      try {
        f();
        return 'none';
      } catch (err) {
        return (err as CallMediaError).code;
      }
    };
    assert.strictEqual(code(() => readAnswer(offer, tracks)), 'SDP_INVALID', 'actpass takes no role');
    assert.strictEqual(code(() => readAnswer(answer.replace(/a=mid:video0/, 'a=mid:other'), tracks)), 'SDP_INVALID');
    assert.strictEqual(code(() => readAnswer(answer.replace(/a=fingerprint:[^\r]+\r\n/g, ''), tracks)), 'SDP_INVALID');
    assert.strictEqual(code(() => readAnswer(answer.replace(/a=rtcp-mux\r\n/g, ''), tracks)), 'SDP_INVALID');
  });

  it('20000 mutations of real descriptions: each parses and negotiates, or is refused with an SDP code, never anything else', () => {
    const random = mulberry32(2026);
    const simulcast = [{ rid: 'h', ssrc: 301, width: 640, height: 360 }, { rid: 'l', ssrc: 302, width: 320, height: 180 }];
    const sources = [
      BROWSER_OFFER,
      createOffer('123', 1, TRANSPORT, [track('audio', 'audio', true), track('video', 'video0', true)]),
      createOffer('124', 1, TRANSPORT, [track('video', 'video0', true, { sendSsrc: 301, simulcast })]),
    ];
    const pick = (s: { kind: string; mid: string }[]) =>
      s.map((x) => (x.kind === 'audio' || x.kind === 'video' ? track(x.kind, x.mid, true, { receiveSimulcast: x.kind === 'video' }) : undefined));
    let refused = 0;
    for (let i = 0; i < 20000; i++) {
      const lines = sources[i % sources.length].split('\r\n');
      for (let k = 1 + Math.floor(random() * 4); k > 0; k--) {
        const at = Math.floor(random() * lines.length);
        const r = random();
        if (r < 0.25) lines.splice(at, 1);
        else if (r < 0.5) lines.splice(at, 0, lines[Math.floor(random() * lines.length)]);
        else if (r < 0.75) lines[at] = lines[at].slice(0, Math.floor(random() * lines[at].length));
        else lines[at] = lines[at].replace(/\d+/, String(Math.floor(random() * 70000) - 100));
      }
      try {
        answerOffer(lines.join('\r\n'), pick, '1', 1, TRANSPORT);
      } catch (err) {
        assert.ok(err instanceof CallMediaError && (err.code === 'SDP_INVALID' || err.code === 'SDP_NO_COMMON_CODEC'), `${String(err)} on:\n${lines.join('\n')}`);
        refused++;
      }
    }
    assert.ok(refused > 1000 && refused < 20000, `${refused} refused`);
  });
});
