import * as assert from 'assert';
import { setTimeout as delay } from 'timers/promises';
import { MediaPlatform, MediaSession, ServerSession, TransportStateChange, VideoFrame, VideoSocket, parseMediaConfiguration } from '../../../src/media';
import * as dgram from 'dgram';
import { bindingRequest, iceCredentials, parseStun, xorMappedAddress } from '../../helpers/stun';
import { until } from '../../helpers/until';

/** A bot session and a media server's side of it, connected; the server sends video on the first socket. */
async function connectPair(bot: MediaPlatform, server: MediaPlatform): Promise<{ session: MediaSession; serverSession: ServerSession; tx: VideoSocket }> {
  const session = bot.createMediaSession({ audio: false, video: [{ format: 'I420' }] });
  const serverSession = new ServerSession(server, parseMediaConfiguration(session.mediaConfiguration).sdp);
  const section = serverSession.sections[0];
  const tx = new VideoSocket({ send: { width: 160, height: 96, fps: 30 } }, { transport: serverSession.transport, mid: section.mid, payloadTypes: [] });
  tx.setRtpParameters({ route: { mid: section.mid, payloadTypes: [], remoteSsrcs: section.sessionSsrcs }, sendPayloadType: 96, sendCodec: 'H264' });
  await session.setRemoteDescription({ type: 'answer', sdp: serverSession.answer(new Map([[section.mid, tx.ssrcs.send as number]])) });
  await until(() => session.transportState === 'connected' && serverSession.transportState === 'connected', 'both ends to connect');
  return { session, serverSession, tx };
}

function sendFrames(tx: VideoSocket): NodeJS.Timeout {
  let n = 0;
  const picture = Buffer.alloc((160 * 96 * 3) / 2);
  return setInterval(() => {
    picture.fill(n++ & 0xff, 0, 160 * 96);
    tx.send({ format: 'I420', width: 160, height: 96, data: picture });
  }, 33);
}

describe('media/webrtc: ICE', function () {
  this.timeout(60_000);
  const closers: (() => unknown)[] = [];

  afterEach(async () => {
    for (const close of closers.splice(0).reverse()) await close();
  });

  it('works over IPv6: candidates, checks, DTLS and media on ::1', async () => {
    const bot = MediaPlatform.initialize({ applicationId: 'bot', publicAddress: '::1' });
    const server = MediaPlatform.initialize({ applicationId: 'server', publicAddress: '::1' });
    closers.push(() => bot.close(), () => server.close());
    const { session, serverSession, tx } = await connectPair(bot, server);
    assert.match(parseMediaConfiguration(session.mediaConfiguration).sdp, /a=candidate:\S+ 1 udp \d+ ::1 \d+ typ host/);
    closers.push(() => session.close(), () => serverSession.close(), () => tx.close());
    const frames: VideoFrame[] = [];
    session.videoSockets[0].on('frame', (f) => frames.push(f));
    const timer = sendFrames(tx);
    closers.push(() => clearInterval(timer));
    await until(() => frames.length >= 10, 'frames over IPv6');
    assert.match(session.stats().transport?.selectedRemote ?? '', /^\[::1\]:\d+$/);
  });

  it('a peer that stops its consent checks is disconnected (RFC 7675), and connected again when they resume', async () => {
    // The server checks every 4-6 s; a bot that waits 1.5 s for consent loses it between checks.
    const bot = MediaPlatform.initialize({ applicationId: 'bot', consentTimeoutMs: 1500 });
    const server = MediaPlatform.initialize({ applicationId: 'server' });
    closers.push(() => bot.close(), () => server.close());
    const { session, serverSession, tx } = await connectPair(bot, server);
    closers.push(() => session.close(), () => serverSession.close(), () => tx.close());
    const changes: TransportStateChange[] = [];
    session.on('transportStateChanged', (c) => changes.push(c));
    await until(() => changes.some((c) => c.state === 'disconnected'), 'consent to expire', 10_000);
    const lost = changes.find((c) => c.state === 'disconnected') as TransportStateChange;
    assert.strictEqual(lost.code, 'ICE_CONSENT_EXPIRED');
    assert.strictEqual(session.transportError?.code, 'ICE_CONSENT_EXPIRED');
    await until(() => session.transportState === 'connected', 'the next consent check to bring it back', 10_000);
    // Media flows again.
    const frames: VideoFrame[] = [];
    session.videoSockets[0].on('frame', (f) => frames.push(f));
    const timer = sendFrames(tx);
    closers.push(() => clearInterval(timer));
    await until(() => frames.length >= 5, 'frames after consent came back');
  });

  it('the pair the controlling agent nominates is the one used: a newly validated address with USE-CANDIDATE takes over', async () => {
    const bot = MediaPlatform.initialize({ applicationId: 'bot' });
    closers.push(() => bot.close());
    const session = bot.createMediaSession({ audio: {} });
    closers.push(() => session.close());
    const { ufrag, pwd } = iceCredentials(parseMediaConfiguration(session.mediaConfiguration).sdp);
    const sockets = [dgram.createSocket('udp4'), dgram.createSocket('udp4')];
    closers.push(() => sockets.forEach((s) => s.close()));
    const answers: { from: number; mapped?: { address: string; port: number } }[] = [];
    for (const [i, socket] of sockets.entries()) {
      await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve));
      socket.on('message', (msg) => {
        const m = parseStun(msg);
        if (m) answers.push({ from: i, mapped: xorMappedAddress(m) });
      });
    }
    const check = (i: number, useCandidate: boolean) =>
      sockets[i].send(bindingRequest({ username: `${ufrag}:peer`, password: pwd, useCandidate }).message, bot.mediaPort, '127.0.0.1');
    const selected = () => session.stats().transport?.selectedRemote;

    check(0, false); // the first valid pair carries DTLS until a nomination says otherwise
    await until(() => answers.length === 1, 'the first check answered');
    assert.deepStrictEqual(answers[0].mapped, { address: '127.0.0.1', port: sockets[0].address().port });
    await until(() => selected() === `127.0.0.1:${sockets[0].address().port}`, 'the first valid pair');
    check(1, false); // valid, not nominated: the pair stays
    await until(() => answers.length === 2, 'the second check answered');
    assert.strictEqual(selected(), `127.0.0.1:${sockets[0].address().port}`);
    check(1, true); // nominated: it takes over
    await until(() => selected() === `127.0.0.1:${sockets[1].address().port}`, 'the nominated pair');
    assert.strictEqual(session.stats().transport?.stunAuthFailures, 0);
  });
});
