import * as assert from 'assert';
import type { Browser } from 'playwright-core';
import type { SampleBot } from '../../../src/cli/sampleBot';
import { AudioFrame, VideoFrame } from '../../../src/media';
import type { ConferenceMedia, RunningService } from '../../../src/service';
import { startConference, type Conference } from './conference';
import { launchChromium, openBrowserPeer, type BrowserPeer } from '../../helpers/browserPeer';
import { startBotSender } from '../../helpers/botSender';
import { until } from '../../helpers/until';

/** RMS of 16-bit PCM. */
function rms(pcm: Buffer): number {
  let sum = 0;
  for (let i = 0; i + 1 < pcm.length; i += 2) sum += pcm.readInt16LE(i) ** 2;
  return Math.sqrt(sum / Math.max(1, pcm.length / 2));
}

describe('service/media/BrowserLeg: a person joins the bot\'s call from headless Chromium', function () {
  this.timeout(90_000);
  let browser: Browser;
  let running: RunningService;
  let bot: SampleBot;
  let media: ConferenceMedia;
  let conference: Conference | undefined;
  let peer: BrowserPeer | undefined;
  let sender: NodeJS.Timeout | undefined;

  before(async () => {
    browser = await launchChromium();
  });

  after(async () => {
    await browser?.close();
  });

  beforeEach(async () => {
    // A closed tab is noticed when its consent checks stop: sooner than RFC 7675's 30 s here.
    conference = await startConference('browser-bot', { media: { consentTimeoutMs: 8000 }, bot: { camera: { width: 320, height: 240, fps: 30 } } });
    ({ running, media, bot } = conference);
  });

  afterEach(async () => {
    if (sender) clearInterval(sender);
    sender = undefined;
    await peer?.close().catch(() => undefined);
    peer = undefined;
    await conference?.close();
  });

  async function join(callId: string, body: unknown): Promise<{ status: number; json: Record<string, unknown> }> {
    const res = await fetch(`${running.url}/admin/calls/${callId}/browserParticipants`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: typeof body === 'string' ? body : JSON.stringify(body),
    });
    return { status: res.status, json: (await res.json()) as Record<string, unknown> };
  }

  async function establishedCall(): Promise<string> {
    const svc = running.service;
    const call = svc.placeIncomingCall({ from: { displayName: 'Alice' }, toAppId: 'browser-bot', modalities: ['audio', 'video'] });
    await until(() => svc.findCall(call.id)?.state === 'established' && bot.sessions.get(call.id)?.transportState === 'connected', 'the bot to answer and connect', 15_000);
    return call.id;
  }

  it('camera and microphone reach the bot under the roster\'s source ids; the page sees and hears the bot', async () => {
    const callId = await establishedCall();
    const session = bot.sessions.get(callId);
    assert.ok(session?.audioSocket);
    peer = await openBrowserPeer(browser);
    const { status, json } = await join(callId, { displayName: 'Pat', sdp: await peer.offer() });
    assert.strictEqual(status, 201, JSON.stringify(json));
    await peer.answer(json.sdp as string);
    const participant = json.participant as { id: string; mediaStreams: { mediaType: string; sourceId: string }[] };
    const sourceOf = (type: string) => Number(participant.mediaStreams.find((s) => s.mediaType === type)?.sourceId);
    const audioId = sourceOf('audio');
    const videoId = sourceOf('video');
    assert.ok(audioId > 0 && videoId > 0, 'the person has audio and video source ids');

    // The bot sees Pat in its roster and watches Pat on a socket of its own.
    const botCall = bot.client.calls.get(callId);
    await until(() => [...(botCall?.participants.values() ?? [])].some((p) => p.displayName === 'Pat'), 'the bot\'s roster to show Pat', 10_000);
    await until(() => session.videoSockets.some((s) => s.subscription === videoId), 'a socket subscribed to Pat', 10_000);
    const socket = session.videoSockets.find((s) => s.subscription === videoId);
    assert.ok(socket);
    const frames: VideoFrame[] = [];
    socket.on('frame', (f) => frames.push(f));
    const audio: AudioFrame[] = [];
    session.audioSocket.on('audio', (f) => audio.push(f));

    // The bot shows a moving picture and speaks at 660 Hz.
    sender = startBotSender(session, 660);

    await until(() => frames.length >= 30, '30 of Pat\'s frames at the bot', 20_000);
    assert.ok(frames.every((f) => f.width === 640 && f.height === 480 && f.mediaSourceId === videoId), `frames of the browser's size from Pat: ${frames[0].width}x${frames[0].height} from ${frames[0].mediaSourceId}`);
    // The fake microphone beeps: Pat is heard unmixed under Pat's source id, not the browser's SSRC.
    await until(() => audio.filter((f) => f.unmixed.some((u) => u.sourceId === audioId && rms(u.data) > 100)).length >= 10, 'Pat\'s voice unmixed at the bot', 20_000);

    await until(async () => ((await peer?.videoFrames()) ?? 0) >= 30, 'the page to show 30 of the bot\'s frames', 20_000);
    assert.deepStrictEqual(await peer.videoSize(), { width: 320, height: 240 });
    // The page hears its own mix: the bot's 660 Hz voice and Alice's 440 Hz, never Pat's own microphone.
    await until(async () => ((await peer?.tonePresence(660)) ?? -Infinity) > 20, 'the page to hear the bot\'s 660 Hz voice', 20_000);
    await until(async () => ((await peer?.tonePresence(440)) ?? -Infinity) > 20, 'the page to hear Alice\'s 440 Hz voice', 20_000);
    const alice = [...(running.service.findCall(callId)?.participants.values() ?? [])].find((x) => x.info.identity?.user?.displayName === 'Alice');
    assert.ok(alice);
    assert.deepStrictEqual(media.describe(callId)?.participants[participant.id]?.mix?.sort(), ['bot', alice.id].sort(), 'Pat\'s mix: the bot and Alice, not Pat');
    const stats = await peer.transportStats();
    assert.strictEqual(stats.dtlsState, 'connected');

    // The tab closes: Pat leaves the roster, and the bot's roster follows.
    await peer.close();
    peer = undefined;
    await until(() => !running.service.findCall(callId)?.participants.has(participant.id), 'Pat to leave the roster', 30_000);
    await until(() => ![...(botCall?.participants.values() ?? [])].some((p) => p.displayName === 'Pat'), 'the bot\'s roster to lose Pat', 10_000);
  });

  it('an offer the service cannot use is refused with a Graph error, and the roster is unchanged', async () => {
    const callId = await establishedCall();
    const before = running.service.findCall(callId)?.participants.size;
    for (const body of [{ displayName: 'Pat', sdp: 'v=0\r\nthis is not SDP' }, { displayName: 'Pat' }, '{"displayName":', { displayName: 'Pat', sdp: 42 }]) {
      const { status, json } = await join(callId, body);
      assert.strictEqual(status, 400, JSON.stringify(json));
      const error = json.error as { code: string; message: string };
      assert.ok(error?.code && error.message, `a Graph error: ${JSON.stringify(json)}`);
    }
    // An offer with ICE and DTLS but no media it can forward.
    const noMedia = ['v=0', 'o=- 1 1 IN IP4 127.0.0.1', 's=-', 't=0 0', 'a=ice-ufrag:abcd', 'a=ice-pwd:abcdefghijklmnopqrstuvwx',
      'a=fingerprint:sha-256 ' + Array.from({ length: 32 }, () => 'AB').join(':'), 'a=setup:actpass', 'm=application 9 UDP/DTLS/SCTP webrtc-datachannel', 'c=IN IP4 0.0.0.0', 'a=mid:0', ''].join('\r\n');
    const { status } = await join(callId, { displayName: 'Pat', sdp: noMedia });
    assert.strictEqual(status, 400);
    assert.strictEqual(running.service.findCall(callId)?.participants.size, before);
    const missing = await join('no-such-call', { displayName: 'Pat', sdp: noMedia });
    assert.strictEqual(missing.status, 404);
  });
});
