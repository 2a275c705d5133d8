import * as assert from 'assert';
import type { SampleBot } from '../../../src/cli/sampleBot';
import { CallMediaError, MediaPlatform } from '../../../src/media';
import type { ConferenceMedia, RunningService } from '../../../src/service';
import { startConference, type Conference } from '../media/conference';
import type { CallStatsSeries } from '../../../src/service/console/CallStats';
import { until } from '../../helpers/until';
import { jsonFetch } from '../harness';

/**
 * The console's live figures: a bot that opts in (MediaSession.reportTo) posts its sockets'
 * figures once a second, and the service samples each participant's media as it forwards it.
 */
describe('service/console: live figures of the bot\'s sockets and the participants', function () {
  this.timeout(60_000);
  let running: RunningService;
  let bot: SampleBot;
  let media: ConferenceMedia;
  let conference: Conference | undefined;

  before(async () => {
    conference = await startConference('stats-bot', { media: { video: { width: 320, height: 180, fps: 15 } }, bot: { reportStats: true } });
    ({ running, media, bot } = conference);
  });

  after(async () => {
    await conference?.close();
  });

  const stats = async (callId: string): Promise<CallStatsSeries> => (await jsonFetch<CallStatsSeries>('GET', `${running.url}/admin/calls/${callId}/stats`)).body;

  it('the bot\'s reports show each socket\'s rate, bitrate and latency, with the source it watches; the participants\' media shows its bitrates', async () => {
    const svc = running.service;
    const call = svc.placeIncomingCall({ from: { displayName: 'Alice' }, toAppId: 'stats-bot', modalities: ['audio', 'video'] });
    await until(() => svc.findCall(call.id)?.state === 'established', 'the bot to answer', 10_000);
    const session = bot.sessions.get(call.id);
    assert.ok(session);
    const alice = [...(svc.findCall(call.id)?.participants.values() ?? [])].find((p) => p.info.identity?.user?.displayName === 'Alice');
    assert.ok(alice);
    const aliceVideo = Number(alice.mediaStreams.find((s) => s.mediaType === 'video')?.sourceId);

    // Three seconds of reports: the socket that watches Alice delivers her 15 fps.
    await until(async () => {
      const watching = Object.values((await stats(call.id)).bot).find((s) => s.sourceId === aliceVideo);
      return (watching?.points.length ?? 0) >= 3 && (watching?.points.at(-1)?.fps ?? 0) >= 5;
    }, 'three reports from the socket watching Alice', 20_000);
    const s = await stats(call.id);
    const [name, watching] = Object.entries(s.bot).find(([, x]) => x.sourceId === aliceVideo) ?? [];
    assert.ok(name && watching, 'a socket reports Alice\'s source');
    assert.match(name, /^video-\d$/);
    assert.strictEqual(watching.kind, 'video');
    const last = watching.points.at(-1);
    assert.ok(last && last.fps >= 5 && last.fps <= 20, `about 15 fps: ${JSON.stringify(last)}`);
    assert.ok(last.bitrate > 10_000, `her video's bitrate at the bot: ${last.bitrate}`);
    assert.ok(last.latencyP50 > 0 && last.latencyP99 >= last.latencyP50, `latency p50 ${last.latencyP50}, p99 ${last.latencyP99}`);
    assert.ok(last.lossAfterRecovery <= last.lossBeforeRecovery + 1e-9);
    const times = watching.points.map((p) => p.at);
    assert.ok(times.every((t, i) => i === 0 || t - times[i - 1] >= 500), `a report a second: ${times.join(', ')}`);
    // The bot hears the call: its audio socket reports 50 frames a second.
    const audio = s.bot.audio?.points.at(-1);
    assert.ok(audio && audio.fps > 30 && audio.fps < 70, `audio frames per second: ${JSON.stringify(audio)}`);

    // The service's side: what Alice sends it, a second at a time, as the console polls.
    await until(async () => ((await stats(call.id)).participants[alice.id]?.length ?? 0) >= 2, 'two samples of Alice\'s media', 10_000);
    const mine = (await stats(call.id)).participants[alice.id].at(-1);
    assert.ok(mine && mine.videoBitrate > 10_000 && mine.audioBitrate > 5_000, `Alice into the service: ${JSON.stringify(mine)}`);
    assert.strictEqual((await stats(call.id)).participants[svc.findCall(call.id)!.myParticipantId], undefined, 'the bot is not a participant the service samples');

    // A report that is not one is refused and changes nothing; an unknown call is a 404.
    const before = (await stats(call.id)).bot;
    const post = (body: unknown, id: string = call.id) => jsonFetch('POST', `${running.url}/admin/calls/${id}/botStats`, body);
    for (const body of [{ sockets: 'all' }, { sockets: [{ socket: 'video-0', kind: 'video', fps: -1 }] }, { sockets: [{ socket: '../x', kind: 'video' }] }, { sockets: new Array(17).fill({}) }]) {
      const res = await post(body);
      assert.strictEqual(res.status, 400, JSON.stringify(res.body));
      assert.strictEqual(res.body.error.code, 'invalidRequest');
    }
    assert.strictEqual((await post({ sockets: [] }, 'no-such-call')).status, 404);
    const after = (await stats(call.id)).bot;
    for (const [socket, series] of Object.entries(after)) {
      assert.ok(series.points.every((p) => p.fps >= 0), `${socket}: only the bot's own reports`);
    }
    assert.deepStrictEqual(Object.keys(after).sort(), Object.keys(before).sort(), 'no socket was added');
    svc.remoteHangUp(call.id);
  });

  it('a reporter is checked when it is made, and a service it cannot reach costs a counted failure, nothing more', async () => {
    const platform = MediaPlatform.initialize({ applicationId: 'reporter-test' });
    const session = platform.createMediaSession({ audio: {}, video: [{}] });
    try {
      assert.throws(() => session.reportTo('not a url', { callId: 'c' }), (e: CallMediaError) => e.code === 'INVALID_ARGUMENT');
      assert.throws(() => session.reportTo('ftp://127.0.0.1', { callId: 'c' }), (e: CallMediaError) => e.code === 'INVALID_ARGUMENT');
      assert.throws(() => session.reportTo(running.url, { callId: '' }), (e: CallMediaError) => e.code === 'INVALID_ARGUMENT');
      assert.throws(() => session.reportTo(running.url, { callId: 'c', intervalMs: 10 }), (e: CallMediaError) => e.code === 'INVALID_ARGUMENT');
      // Port 9 (discard) on loopback: nothing listens, every post fails at once.
      const reporter = session.reportTo('http://127.0.0.1:9', { callId: 'c', intervalMs: 250 });
      await until(() => reporter.counts.failed >= 2, 'two failed posts', 10_000);
      assert.strictEqual(reporter.counts.posted, 0);
      assert.ok(reporter.lastError);
      const report = reporter.report();
      assert.deepStrictEqual(report?.sockets.map((x) => x.socket), ['video-0', 'audio']);
      await session.close();
      assert.ok(reporter.isStopped, 'closing the session stops its reporters');
    } finally {
      await session.close();
      platform.close();
    }
  });
});
