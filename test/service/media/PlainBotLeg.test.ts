import * as assert from 'assert';
import type { SampleBot } from '../../../src/cli/sampleBot';
import { AudioFrame, VideoFrame } from '../../../src/media';
import type { ConferenceMedia, RunningService } from '../../../src/service';
import { startConference, type Conference } from './conference';
import { dB, samples, toneAmplitude } from '../../helpers/goertzel';
import { until } from '../../helpers/until';

/**
 * A bot whose media is plain RTP (a port per socket, as ffmpeg or GStreamer pipelines speak)
 * in a conference: the service sends each participant's voice and camera to the bot's ports in
 * the numbers the bot's own offer gave them.
 */
describe('service/media: a bot on plain RTP in a conference', function () {
  this.timeout(60_000);
  let running: RunningService;
  let bot: SampleBot;
  let media: ConferenceMedia;
  let conference: Conference | undefined;

  before(async () => {
    conference = await startConference('plain-bot', { media: { video: { width: 320, height: 180, fps: 15 } }, bot: { transport: 'rtp', videoSockets: 2 } });
    ({ running, media, bot } = conference);
  });

  after(async () => {
    await conference?.close();
  });

  it('hears each voice under its source id, watches the cameras it subscribes to, and gets DTMF in its audio', async () => {
    const svc = running.service;
    const call = svc.placeIncomingCall({ from: { displayName: 'Alice' }, toAppId: 'plain-bot', modalities: ['audio', 'video'] });
    await until(() => svc.findCall(call.id)?.state === 'established', 'the bot to answer', 10_000);
    const session = bot.sessions.get(call.id);
    assert.ok(session?.audioSocket);
    assert.strictEqual(session.transportKind, 'rtp');
    const audio: AudioFrame[] = [];
    session.audioSocket.on('audio', (f) => audio.push(f));
    const tones: string[] = [];
    session.audioSocket.on('toneReceived', (t) => tones.push(t.tone));

    const alice = [...(svc.findCall(call.id)?.participants.values() ?? [])].find((p) => p.info.identity?.user?.displayName === 'Alice');
    assert.ok(alice);
    const aliceAudio = Number(alice.mediaStreams.find((s) => s.mediaType === 'audio')?.sourceId);
    const aliceVideo = Number(alice.mediaStreams.find((s) => s.mediaType === 'video')?.sourceId);

    // The sample bot subscribes a socket to everyone it sees in the roster.
    await until(() => session.videoSockets.some((s) => s.subscription === aliceVideo), 'a socket subscribed to Alice', 10_000);
    const socket = session.videoSockets.find((s) => s.subscription === aliceVideo);
    const frames: VideoFrame[] = [];
    socket?.on('frame', (f) => frames.push(f));
    await until(() => frames.length >= 15, 'Alice\'s camera at the bot', 15_000);
    assert.ok(frames.every((f) => f.width === 320 && f.height === 180), `her camera's size: ${frames[0].width}x${frames[0].height}`);

    // Her voice is a 440 Hz tone, unmixed under her source id.
    await until(() => audio.filter((f) => f.unmixed.some((u) => u.sourceId === aliceAudio)).length >= 25, 'half a second of Alice\'s voice', 10_000);
    const hers = samples(Buffer.concat(audio.slice(-25).map((f) => f.unmixed.find((u) => u.sourceId === aliceAudio)?.data ?? Buffer.alloc(640))));
    assert.ok(dB(toneAmplitude(hers, 440)) > -40, `Alice's 440 Hz: ${dB(toneAmplitude(hers, 440)).toFixed(1)} dB`);

    svc.sendTones(call.id, '5#');
    await until(() => tones.length >= 2, 'the tones in the bot\'s audio', 10_000);
    assert.deepStrictEqual(tones, ['5', '#']);
    svc.remoteHangUp(call.id);
  });
});
