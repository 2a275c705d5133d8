import * as assert from 'assert';
import { setTimeout as delay } from 'timers/promises';
import type { SampleBot } from '../../../src/cli/sampleBot';
import { VideoFrame } from '../../../src/media';
import type { ConferenceMedia, RunningService } from '../../../src/service';
import { startConference, type Conference } from './conference';
import { until } from '../../helpers/until';

describe('service/media: multiview', function () {
  this.timeout(90_000);
  let running: RunningService;
  let bot: SampleBot;
  let media: ConferenceMedia;
  let conference: Conference | undefined;

  beforeEach(async () => {
    conference = await startConference('multiview-bot', { media: { video: { width: 160, height: 96, fps: 10 } }, bot: { videoSockets: 10 } });
    ({ running, media, bot } = conference);
  });

  afterEach(async () => {
    await conference?.close();
  });

  it('ten video sockets watch ten participants, each from the right source; resubscribing swaps them; a departed source is reported and the socket stays usable', async () => {
    const svc = running.service;
    const call = svc.placeIncomingCall({ from: { displayName: 'P0' }, toAppId: 'multiview-bot', modalities: ['video'] });
    await until(() => svc.findCall(call.id)?.state === 'established', 'the bot to answer');
    const people = [svc.findCall(call.id)?.remoteParticipants[0]];
    for (let i = 1; i < 10; i++) people.push(svc.addParticipant(call.id, { displayName: `P${i}`, modalities: ['video'] }));
    const session = bot.sessions.get(call.id);
    assert.ok(session);
    await until(() => session.videoSockets.every((s) => s.subscription !== undefined), 'ten subscriptions');
    const sockets = session.videoSockets;
    assert.strictEqual(new Set(sockets.map((s) => s.subscription)).size, 10, 'ten different sources');

    const frames = sockets.map(() => [] as VideoFrame[]);
    sockets.forEach((s, i) => s.on('frame', (f) => frames[i].push(f)));
    await delay(3000);
    sockets.forEach((s, i) => {
      assert.ok(frames[i].length >= 10, `socket ${i}: ${frames[i].length} frames`);
      assert.ok(frames[i].every((f) => f.mediaSourceId === s.subscription), `socket ${i} gets only its source`);
    });

    // Swap two sockets' sources.
    const [a, b] = [sockets[0].subscription as number, sockets[1].subscription as number];
    sockets[0].subscribe(b);
    sockets[1].subscribe(a);
    const mark = frames.map((f) => f.length);
    await until(() => frames[0].slice(mark[0]).some((f) => f.mediaSourceId === b) && frames[1].slice(mark[1]).some((f) => f.mediaSourceId === a), 'the swap', 5000);
    const after0 = frames[0].slice(mark[0]);
    const firstNew = after0.findIndex((f) => f.mediaSourceId === b);
    assert.ok(after0.slice(firstNew).every((f) => f.mediaSourceId === b));

    // The participant on socket 2 leaves: the socket says so, then watches someone else.
    const lost: number[] = [];
    sockets[2].on('sourceLost', (id) => lost.push(id));
    const leaving = sockets[2].subscription as number;
    const who = session.participantOf(leaving) as string;
    svc.dropParticipant(call.id, who);
    await until(() => lost.length === 1, 'sourceLost', 6000);
    assert.deepStrictEqual(lost, [leaving]);
    const replacement = sockets[3].subscription as number;
    const before = frames[2].length;
    sockets[2].subscribe(replacement);
    await until(() => frames[2].slice(before).some((f) => f.mediaSourceId === replacement), 'the socket to work again', 5000);
    const stats = session.stats();
    assert.ok(stats.framesReceived > 300);
    assert.strictEqual(stats.video.reduce((n, s) => n + s.decodeErrors, 0), 0);
    svc.remoteHangUp(call.id);
  });

  it('a socket can follow the dominant speaker', async () => {
    const svc = running.service;
    const call = svc.placeIncomingCall({ from: { displayName: 'Alice' }, toAppId: 'multiview-bot', modalities: ['audio', 'video'] });
    await until(() => svc.findCall(call.id)?.state === 'established', 'the bot to answer');
    const bob = svc.addParticipant(call.id, { displayName: 'Bob', modalities: ['audio', 'video'] });
    const session = bot.sessions.get(call.id);
    assert.ok(session?.audioSocket);
    const stage = session.videoSockets[9];
    stage.unsubscribe();
    const stop = session.followDominantSpeaker(stage);
    await until(() => session.audioSocket?.dominantSpeaker != null && stage.subscription !== undefined, 'a speaker on stage');
    const first = session.participantOf(stage.subscription as number);
    const other = first === bob.id ? svc.findCall(call.id)?.remoteParticipants.find((p) => p.id !== bob.id)?.id : bob.id;
    svc.dropParticipant(call.id, first as string);
    await until(() => session.participantOf(stage.subscription as number) === other, 'the stage to follow the new speaker', 8000);
    stop();
    svc.remoteHangUp(call.id);
  });
});
