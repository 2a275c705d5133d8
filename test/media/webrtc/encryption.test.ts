import * as assert from 'assert';
import * as dgram from 'dgram';
import { setTimeout as delay } from 'timers/promises';
import { MediaPlatform, MediaSession, ServerSession, VideoFrame, VideoSocket, parseMediaConfiguration } from '../../../src/media';
import { exited, makeH264Clip, sendRtp } from '../../../src/peers/ffmpeg';
import { ForwardingPort } from '../../../src/service/media/ForwardingPort';
import { until } from '../../helpers/until';

/** The access units of a clip, as ffmpeg packetizes them and the engine reassembles them. */
async function accessUnits(clip: string): Promise<Buffer[]> {
  const capture = new VideoSocket({ format: 'H264' });
  const units: Buffer[] = [];
  capture.on('frame', (f) => units.push(Buffer.from(f.data)));
  await exited(sendRtp(clip, { ports: [capture.port] }));
  await delay(200);
  await capture.close();
  return units;
}

/**
 * A relay between the media server's port and the bot's: every datagram both ways passes through
 * it, and it keeps them all.
 */
class WireTap {
  readonly datagrams: Buffer[] = [];
  private readonly socket = dgram.createSocket('udp4');
  private server?: { address: string; port: number };

  constructor(private readonly botPort: number) {
    this.socket.on('message', (msg, from) => {
      this.datagrams.push(Buffer.from(msg));
      if (from.port === this.botPort) {
        if (this.server) this.socket.send(msg, this.server.port, this.server.address);
      } else {
        this.server = { address: from.address, port: from.port };
        this.socket.send(msg, this.botPort, '127.0.0.1');
      }
    });
  }

  async listen(): Promise<number> {
    await new Promise<void>((resolve) => this.socket.bind(0, '127.0.0.1', resolve));
    return this.socket.address().port;
  }

  close(): void {
    this.socket.close();
  }
}

describe('media/webrtc: what goes over the wire is encrypted', function () {
  this.timeout(60_000);
  const closers: (() => unknown)[] = [];

  afterEach(async () => {
    for (const close of closers.splice(0).reverse()) await close();
  });

  it('a relay between a bot and its media server sees DTLS and SRTP, never a byte run of the H.264 the bot sends', async () => {
    const botPlatform = MediaPlatform.initialize({ applicationId: 'bot' });
    const serverPlatform = MediaPlatform.initialize({ applicationId: 'server' });
    closers.push(() => botPlatform.close(), () => serverPlatform.close());
    const session: MediaSession = botPlatform.createMediaSession({ audio: false, video: [{ format: 'H264', send: { width: 320, height: 240 } }] });
    closers.push(() => session.close());
    const tap = new WireTap(botPlatform.mediaPort);
    const tapPort = await tap.listen();
    closers.push(() => tap.close());

    // The server is told the bot is at the relay.
    const offer = parseMediaConfiguration(session.mediaConfiguration).sdp.replace(/ 127\.0\.0\.1 \d+ typ host/, ` 127.0.0.1 ${tapPort} typ host`);
    const server = new ServerSession(serverPlatform, offer);
    closers.push(() => server.close());
    const section = server.sections[0];
    const point = new ForwardingPort('video', { transport: server.transport, mid: section.mid, remoteSsrcs: section.sessionSsrcs });
    closers.push(() => point.close());
    const received = new VideoSocket({ format: 'H264' });
    closers.push(() => received.close());
    point.forwardTo(received.port);
    const got: VideoFrame[] = [];
    received.on('frame', (f) => got.push(f));
    await session.setRemoteDescription({ type: 'answer', sdp: server.answer(new Map([[section.mid, point.ssrc]])) });
    await until(() => session.transportState === 'connected' && server.transportState === 'connected', 'both ends to connect');

    // The bot sends a known clip as H.264 access units.
    const units = await accessUnits(makeH264Clip({ width: 320, height: 240, seconds: 2, profile: 'baseline' }));
    assert.strictEqual(units.length, 60);
    for (const unit of units) {
      session.videoSockets[0].send({ format: 'H264', data: unit });
      await delay(33);
    }
    await until(() => got.length >= units.length - 2, `the access units through the server (${got.length} of ${units.length})`);
    assert.ok(got.slice(1).every((f) => units.some((u) => u.equals(f.data))), 'the server passed on the bot\'s access units unchanged');

    const kinds = { stun: 0, dtls: 0, rtp: 0, other: 0 };
    for (const d of tap.datagrams) {
      if (d[0] <= 3) kinds.stun++;
      else if (d[0] >= 20 && d[0] <= 63) kinds.dtls++;
      else if (d[0] >= 128 && d[0] <= 191) kinds.rtp++;
      else kinds.other++;
    }
    assert.ok(kinds.stun >= 2 && kinds.dtls >= 4 && kinds.rtp >= units.length, JSON.stringify(kinds));
    // 24-byte runs from inside every slice NAL (past its header) must not appear in any datagram.
    const probes: Buffer[] = [];
    for (const unit of units) {
      for (let off = 64; off + 24 <= unit.length; off += 997) probes.push(unit.subarray(off, off + 24));
    }
    assert.ok(probes.length > 50);
    const wire = Buffer.concat(tap.datagrams);
    const leaked = probes.filter((p) => wire.includes(p));
    assert.strictEqual(leaked.length, 0, `${leaked.length} of ${probes.length} plaintext runs on the wire`);
    // The same runs are found when they are there: the search itself works.
    assert.ok(Buffer.concat([wire.subarray(0, 100), probes[7], wire.subarray(100, 200)]).includes(probes[7]));
  });
});
