/**
 * Writes the fuzz targets' seed corpora (test/fuzz/corpus/<target>/) from real traffic: RTP
 * that ffmpeg sends, the RTCP and STUN the tests build, the DTLS a real handshake puts on the
 * wire. Run it again (`node dist/test/fuzz/makeSeeds.js`) when a target's input changes shape.
 */
import * as crypto from 'crypto';
import * as dgram from 'dgram';
import * as fs from 'fs';
import * as path from 'path';
import { setTimeout as delay } from 'timers/promises';
import { MediaPlatform, ServerSession, parseMediaConfiguration } from '../../src/media';
import { exited, makeH264Clip, sendOpusTone, sendRtp } from '../../src/peers/ffmpeg';
import { bindingRequest } from '../helpers/stun';

const CORPUS = path.resolve(__dirname, '..', '..', '..', 'test', 'fuzz', 'corpus');

function write(target: string, seeds: Buffer[]): void {
  const dir = path.join(CORPUS, target);
  fs.rmSync(dir, { recursive: true, force: true });
  fs.mkdirSync(dir, { recursive: true });
  for (const seed of seeds) fs.writeFileSync(path.join(dir, crypto.createHash('sha1').update(seed).digest('hex')), seed);
  console.log(`${target}: ${seeds.length} seeds`);
}

/** What a sender puts on a UDP port, datagram by datagram. */
async function capture(send: (port: number) => Promise<void>): Promise<Buffer[]> {
  const socket = dgram.createSocket('udp4');
  const got: Buffer[] = [];
  socket.on('message', (m) => got.push(Buffer.from(m)));
  await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve));
  await send(socket.address().port);
  await delay(200);
  socket.close();
  return got;
}

function rtcp(type: number, count: number, body: Buffer): Buffer {
  const header = Buffer.alloc(4);
  header[0] = 0x80 | count;
  header[1] = type;
  header.writeUInt16BE((body.length + 4) / 4 - 1, 2);
  return Buffer.concat([header, body]);
}

const u32 = (...values: number[]) => Buffer.concat(values.map((v) => { const b = Buffer.alloc(4); b.writeUInt32BE(v >>> 0); return b; }));

/** An RTP packet of `ssrc` whose one-byte extension element 5 names the simulcast layer `rid` (RFC 8852). */
function ridPacket(ssrc: number, rid: string): Buffer {
  const header = Buffer.from([0x90, 96, 0, 1, 0, 0, 0, 0, 0, 0, 0, ssrc]);
  const element = Buffer.concat([Buffer.from([(5 << 4) | (rid.length - 1)]), Buffer.from(rid)]);
  const body = Buffer.concat([element, Buffer.alloc((4 - (element.length % 4)) % 4)]);
  const extension = Buffer.concat([Buffer.from([0xbe, 0xde, 0, body.length / 4]), body]);
  return Buffer.concat([header, extension, Buffer.from([1, 2, 3, 4])]);
}

async function main(): Promise<void> {
  const h264 = await capture((port) => exited(sendRtp(makeH264Clip({ width: 320, height: 180, seconds: 1, profile: 'baseline' }), { ports: [port] })));
  const opus = await capture(async (port) => {
    const tone = sendOpusTone({ port, frequency: 440, seconds: 0.5 });
    await exited(tone);
  });
  const rtp = [...h264.filter((_, i) => i % 4 === 0).slice(0, 20), ...opus.slice(0, 5)];
  write('rtp_packet', rtp);

  const block = u32(0x1000, 0x00000005, 0x0000ffff, 20, 0x12345678, 100);
  write('rtcp_compound', [
    Buffer.concat([rtcp(201, 1, Buffer.concat([u32(0xabc), block])), rtcp(206, 1, u32(0xabc, 0x1000))]), // RR + PLI
    rtcp(200, 1, Buffer.concat([u32(0x1000, 0xe0000000, 0x1, 90000, 10, 1000), block])), // SR with a block
    rtcp(206, 4, u32(0xabc, 0, 0x1000, 0x05000000)), // FIR
    rtcp(204, 0, Buffer.concat([u32(0xabc), Buffer.from('SUBS'), u32(42), Buffer.from([0x05, 0x00, 0x02, 0xd0])])), // subscription
    rtcp(205, 1, u32(0xabc, 0x1000, 0x00640003)), // NACK
    rtcp(203, 1, u32(0x1000)), // BYE
  ]);

  write('stun_message', [
    bindingRequest({ username: 'abcd:efgh', password: 'a-password-of-22-chars', useCandidate: true }).message,
    bindingRequest({ username: 'abcd:efgh', password: 'a-password-of-22-chars', role: 'controlled' }).message,
    bindingRequest({ username: 'abcd:efgh' }).message,
  ]);

  // A real handshake between a bot and a media server, as the wire carries it.
  const bot = MediaPlatform.initialize({ applicationId: 'seeds-bot' });
  const server = MediaPlatform.initialize({ applicationId: 'seeds-server' });
  const session = bot.createMediaSession({ audio: { send: {} } });
  const tap = dgram.createSocket('udp4');
  const dtls: Buffer[] = [];
  const srtp: Buffer[] = [];
  let serverAddress: dgram.RemoteInfo | undefined;
  tap.on('message', (m, from) => {
    if (m[0] >= 20 && m[0] <= 63) dtls.push(Buffer.from(m));
    if (m[0] >= 128 && m[0] <= 191 && srtp.length < 10) srtp.push(Buffer.from(m));
    if (from.port === bot.mediaPort) {
      if (serverAddress) tap.send(m, serverAddress.port, serverAddress.address);
    } else {
      serverAddress = from;
      tap.send(m, bot.mediaPort, '127.0.0.1');
    }
  });
  await new Promise<void>((resolve) => tap.bind(0, '127.0.0.1', resolve));
  const offer = parseMediaConfiguration(session.mediaConfiguration).sdp.replace(/ 127\.0\.0\.1 \d+ typ host/, ` 127.0.0.1 ${tap.address().port} typ host`);
  const serverSession = new ServerSession(server, offer);
  await session.setRemoteDescription({ type: 'answer', sdp: serverSession.answer(new Map()) });
  for (let i = 0; i < 100 && session.transportState !== 'connected'; i++) await delay(20);
  for (let i = 0; i < 10; i++) {
    session.audioSocket?.send(Buffer.alloc(640));
    await delay(20);
  }
  await delay(200);
  await session.close();
  await serverSession.close();
  tap.close();
  bot.close();
  server.close();
  write('dtls_record', dtls);
  write('srtp_session', srtp);

  // The structured targets read their own layout; real payloads are a start to mutate from.
  const payloads = (packets: Buffer[]) => packets.map((p) => p.subarray(12));
  write('depacketizer', [Buffer.concat(payloads(h264.slice(0, 8))), Buffer.concat(payloads(h264.slice(8, 12)))]);
  write('frame_assembler', [Buffer.concat(h264.slice(0, 16)), Buffer.concat(h264.slice(16, 24))]);
  write('audio_source', [Buffer.concat(opus.slice(0, 10))]);
  write('dtmf_receiver', [Buffer.from([0x05, 0x0a, 0x01, 0x40, 0x05, 0x8a, 0x03, 0x20, 0x05, 0x8a, 0x03, 0x20, 0, 0, 0x1f, 0x40])]);
  write('rtp_rewriter', [Buffer.concat(rtp.slice(0, 12))]);
  write('simulcast_streams', [Buffer.concat([Buffer.from([5]), ...[1, 2, 3].flatMap((ssrc) => ['h', 'm', 'l'].map((rid) => ridPacket(ssrc, rid)))])]);
  write('rtp_stream_recv', [Buffer.concat(h264.slice(0, 10).map((p) => p.subarray(2, 8)))]);
}

main().then(() => process.exit(0), (err) => {
  console.error(err);
  process.exit(1);
});
