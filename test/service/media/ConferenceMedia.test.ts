import * as assert from 'assert';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { setTimeout as delay } from 'timers/promises';
import type { SampleBot } from '../../../src/cli/sampleBot';
import { AudioFrame, AudioSocket, VideoFrame } from '../../../src/media';
import { ffmpegPath, run } from '../../../src/peers/ffmpeg';
import type { ConferenceMedia, RunningService } from '../../../src/service';
import { startConference, type Conference } from './conference';
import { mediaPrompt, serviceHostedMediaConfig } from '../../../src/signaling';
import { startBot } from '../harness';
import { dB, samples, toneAmplitude } from '../../helpers/goertzel';
import { until } from '../../helpers/until';

describe('service/media/ConferenceMedia: a call with media, end to end', function () {
  this.timeout(60_000);
  let running: RunningService;
  let bot: SampleBot;
  let media: ConferenceMedia;
  let conference: Conference | undefined;
  const log: string[] = [];

  beforeEach(async () => {
    conference = await startConference('media-bot', { media: { video: { width: 640, height: 360, fps: 15 } }, bot: { log: (l) => log.push(l) } });
    ({ running, media, bot } = conference);
  });

  afterEach(async () => {
    await conference?.close();
  });

  it('each participant reaches its own video socket with its source id, voices and DTMF reach the audio socket; leaving frees the socket', async () => {
    const svc = running.service;
    const call = svc.placeIncomingCall({ from: { displayName: 'Alice' }, toAppId: 'media-bot', modalities: ['audio', 'video'] });
    await until(() => svc.findCall(call.id)?.state === 'established', 'the bot to answer', 10_000);
    const bob = svc.addParticipant(call.id, { displayName: 'Bob', modalities: ['audio', 'video'] });
    const session = bot.sessions.get(call.id);
    assert.ok(session?.audioSocket);
    const botCall = bot.client.calls.get(call.id);
    assert.ok(botCall);
    await until(() => session.videoSockets.filter((s) => s.subscription !== undefined).length === 2, 'two subscriptions', 10_000);

    const frames = new Map<number, VideoFrame[]>();
    session.videoSockets.forEach((s, i) => {
      frames.set(i, []);
      s.on('frame', (f) => frames.get(i)?.push(f));
    });
    const audio: AudioFrame[] = [];
    session.audioSocket.on('audio', (f) => audio.push(f));
    const tones: string[] = [];
    session.audioSocket.on('toneReceived', (t) => tones.push(t.tone));
    await delay(2500);

    for (const [i, socket] of session.videoSockets.entries()) {
      if (socket.subscription === undefined) continue;
      const got = frames.get(i) ?? [];
      assert.ok(got.length >= 20, `socket ${i}: ${got.length} frames`);
      assert.ok(got.every((f) => f.mediaSourceId === socket.subscription), `socket ${i} only gets its source`);
      assert.strictEqual(got[0].width, 640, 'a 360p subscription gets the camera as sent');
    }
    const watched = session.videoSockets.map((s) => s.subscription).filter((x) => x !== undefined).map((id) => session.participantOf(id as number));
    const alice = [...botCall.participants.values()].find((p) => p.displayName === 'Alice');
    assert.deepStrictEqual(new Set(watched), new Set([alice?.id, bob.id]), 'the roster maps the sockets to Alice and Bob');

    // Each voice is a tone of its own (440 Hz first, 660 Hz second), unmixed under its source id.
    const talking = audio.filter((f) => f.unmixed.length >= 2).slice(-50);
    assert.ok(talking.length === 50, 'both voices in the audio');
    const aliceAudio = Number(alice?.audioSourceId);
    const aliceTone = samples(Buffer.concat(talking.map((f) => f.unmixed.find((u) => u.sourceId === aliceAudio)?.data ?? Buffer.alloc(640))));
    assert.ok(toneAmplitude(aliceTone, 440) > 0.05, `Alice's 440 Hz voice: ${toneAmplitude(aliceTone, 440).toFixed(3)}`);

    // A subscription at a smaller size gets frames of that size, from the same source.
    const small = session.videoSockets[0];
    const source = small.subscription as number;
    const smallFrames: VideoFrame[] = [];
    small.on('frame', (f) => smallFrames.push(f));
    small.subscribe(source, { resolution: '180p' });
    await until(() => smallFrames.some((f) => f.width === 320), 'frames at 320x180', 8000);
    const firstSmall = smallFrames.findIndex((f) => f.width === 320);
    assert.ok(smallFrames.slice(firstSmall).every((f) => f.width === 320 && f.height === 180 && f.mediaSourceId === source));

    svc.sendTones(call.id, '7*');
    await until(() => tones.length === 2, 'DTMF in the media', 10_000);
    assert.deepStrictEqual(tones, ['7', '*']);

    // And the other way: the bot talks and shows itself; every participant gets it.
    const botVoice = Buffer.alloc(640);
    for (let i = 0; i < 320; i++) botVoice.writeInt16LE(Math.round(6000 * Math.sin((2 * Math.PI * 500 * i) / 16000)), i * 2);
    for (let i = 0; i < 25; i++) session.audioSocket.send(botVoice);
    await delay(700);
    const flows = media.describe(call.id);
    assert.ok(flows);
    for (const id of [alice?.id as string, bob.id]) assert.ok(flows.participants[id].heard >= 20, `${id} heard the bot: ${JSON.stringify(flows.participants[id])}`);

    svc.dropParticipant(call.id, bob.id);
    await until(() => session.videoSockets.filter((s) => s.subscription !== undefined).length === 1, 'Bob’s socket freed', 10_000);
    svc.remoteHangUp(call.id);
    await until(() => !bot.sessions.has(call.id), 'the session to close with the call', 10_000);
  });

  it("sendDtmfTones: the bot's digits reach every participant as RFC 4733, in order and spaced as asked, and the operation completes", async () => {
    const svc = running.service;
    const call = svc.placeIncomingCall({ from: { displayName: 'Alice' }, toAppId: 'media-bot', modalities: ['audio', 'video'] });
    await until(() => svc.findCall(call.id)?.state === 'established', 'the bot to answer', 10_000);
    const bob = svc.addParticipant(call.id, { displayName: 'Bob', modalities: ['audio', 'video'] });
    const botCall = bot.client.calls.get(call.id);
    assert.ok(botCall);
    const alice = [...(svc.findCall(call.id)?.participants.values() ?? [])].find((p) => p.info.identity?.user?.displayName === 'Alice');
    assert.ok(alice);
    // Each participant's ear: what it hears, also sent to an RTP receiver of the test's own.
    const ears = [alice.id, bob.id].map((id) => {
      const socket = new AudioSocket({});
      const heard: { tone: string; at: number }[] = [];
      socket.on('toneReceived', (t) => heard.push({ tone: t.tone, at: Date.now() }));
      const stop = media.listen(call.id, id, socket.port);
      return { id, socket, heard, stop };
    });
    try {
      const op = await botCall.sendDtmfTones(['tone4', 'tone2', 'pound'], { delayBetweenTonesMs: 400, clientContext: 'dial' });
      assert.strictEqual(op.status, 'completed');
      assert.strictEqual((op as { completionReason?: string }).completionReason, 'completedSuccessfully');
      assert.strictEqual(op.clientContext, 'dial');
      for (const ear of ears) {
        await until(() => ear.heard.length === 3, `${ear.id} to hear three tones`, 5000);
        assert.deepStrictEqual(ear.heard.map((h) => h.tone), ['4', '2', '#']);
        const gaps = ear.heard.slice(1).map((h, i) => h.at - ear.heard[i].at);
        assert.ok(gaps.every((g) => g >= 400), `the tones came at least 400 ms apart: ${gaps.join(', ')} ms`);
      }
      // Digits as a string, and tones Graph names but DTMF does not carry.
      const again = await botCall.sendDtmfTones('*0');
      assert.strictEqual(again.status, 'completed');
      await until(() => ears.every((e) => e.heard.length === 5), 'two more tones each', 5000);
      assert.deepStrictEqual(ears[0].heard.slice(3).map((h) => h.tone), ['*', '0']);
      await assert.rejects(botCall.sendDtmfTones(['flash']), (err: Error & { statusCode?: number }) => err.statusCode === 400);
    } finally {
      for (const ear of ears) {
        ear.stop();
        await ear.socket.close();
      }
    }
    svc.remoteHangUp(call.id);
  });

  it('audio routing groups: of four speakers the bot hears only the sources of its groups (all four again once they are gone), and a group from the bot reaches only its receivers', async () => {
    const svc = running.service;
    const call = svc.placeIncomingCall({ from: { displayName: 'Alice' }, toAppId: 'media-bot', modalities: ['audio'] });
    await until(() => svc.findCall(call.id)?.state === 'established', 'the bot to answer', 10_000);
    // Four voices, each a tone of its own: 440, 660, 550 and 770 Hz in the order they join.
    for (const displayName of ['Bob', 'Carol', 'Dave']) svc.addParticipant(call.id, { displayName, modalities: ['audio'] });
    const botCall = bot.client.calls.get(call.id);
    const session = bot.sessions.get(call.id);
    assert.ok(botCall && session?.audioSocket);
    await until(() => botCall.participants.size === 5, 'the bot and four speakers in its roster', 10_000);
    const person = (name: string) => [...botCall.participants.values()].find((p) => p.displayName === name)!;
    const source = (name: string) => Number(person(name).audioSourceId);
    const audio: AudioFrame[] = [];
    session.audioSocket.on('audio', (f) => audio.push(f));
    // What the last second of audio holds: whose voices are unmixed, and how loud each tone is in the mix.
    const lastSecond = () => {
      const frames = audio.slice(-50);
      const unmixed = new Set(frames.flatMap((f) => f.unmixed.filter((u) => u.level < 60).map((u) => u.sourceId)));
      const mix = samples(Buffer.concat(frames.map((f) => f.data)));
      const tone = (hz: number) => toneAmplitude(mix, hz);
      return { unmixed, tone };
    };
    const hears = (names: string[]) => {
      const { unmixed } = lastSecond();
      return unmixed.size === names.length && names.every((n) => unmixed.has(source(n)));
    };
    await until(() => hears(['Alice', 'Bob', 'Carol', 'Dave']), 'all four voices unmixed', 15_000);

    const me = botCall.me!.id;
    await botCall.createAudioRoutingGroup({ id: 'alice', routingMode: 'oneToOne', sources: [person('Alice').id], receivers: [me] });
    await botCall.createAudioRoutingGroup({ id: 'carol', routingMode: 'oneToOne', sources: [person('Carol').id], receivers: [me] });
    audio.length = 0;
    await until(() => audio.length >= 50 && hears(['Alice', 'Carol']), 'only Alice and Carol', 10_000);
    const routed = lastSecond();
    assert.ok(routed.tone(440) > 0.02 && routed.tone(550) > 0.02, `Alice's 440 Hz and Carol's 550 Hz in the mix: ${routed.tone(440).toFixed(3)}, ${routed.tone(550).toFixed(3)}`);
    assert.ok(routed.tone(660) < 0.005 && routed.tone(770) < 0.005, `not Bob's 660 Hz nor Dave's 770 Hz: ${routed.tone(660).toFixed(4)}, ${routed.tone(770).toFixed(4)}`);
    // The service still hears everyone: who speaks is the call's, not the bot's routing.
    assert.strictEqual(Object.keys(svc.speakers(call.id)?.levels ?? {}).length, 4);

    await botCall.deleteAudioRoutingGroup('carol');
    audio.length = 0;
    await until(() => audio.length >= 50 && hears(['Alice']), 'only Alice', 10_000);
    await botCall.deleteAudioRoutingGroup('alice');
    audio.length = 0;
    await until(() => audio.length >= 50 && hears(['Alice', 'Bob', 'Carol', 'Dave']), 'all four again', 10_000);

    // The other way: a group from the bot to Bob alone, and only Bob hears what the bot says.
    await botCall.createAudioRoutingGroup({ id: 'whisper', routingMode: 'multicast', sources: [me], receivers: [person('Bob').id] });
    const heard = () => media.describe(call.id)?.participants ?? {};
    await delay(200); // packets the bot sent before the group may still be on their way
    const before = heard();
    const voice = Buffer.alloc(640);
    for (let i = 0; i < 320; i++) voice.writeInt16LE(Math.round(6000 * Math.sin((2 * Math.PI * 500 * i) / 16000)), i * 2);
    for (let i = 0; i < 25; i++) session.audioSocket.send(voice);
    await until(() => heard()[person('Bob').id].heard - before[person('Bob').id].heard >= 20, 'Bob to hear the bot', 5000);
    for (const name of ['Alice', 'Carol', 'Dave']) {
      assert.strictEqual(heard()[person(name).id].heard, before[person(name).id].heard, `${name} does not hear the bot`);
    }
    svc.remoteHangUp(call.id);
  });

  it('hold music: the held participant hears the hold tone or the bot\'s prompt and nobody hears it; stopHoldMusic brings it back', async () => {
    const svc = running.service;
    const call = svc.placeIncomingCall({ from: { displayName: 'Alice' }, toAppId: 'media-bot', modalities: ['audio'] });
    await until(() => svc.findCall(call.id)?.state === 'established', 'the bot to answer', 10_000);
    svc.addParticipant(call.id, { displayName: 'Bob', modalities: ['audio'] }); // speaks at 660 Hz
    const botCall = bot.client.calls.get(call.id);
    const session = bot.sessions.get(call.id);
    assert.ok(botCall && session?.audioSocket);
    await until(() => botCall.participants.size === 3, 'the bot, Alice and Bob in its roster', 10_000);
    const bob = [...botCall.participants.values()].find((p) => p.displayName === 'Bob')!;
    const bobSource = Number(bob.audioSourceId);
    const audio: AudioFrame[] = [];
    session.audioSocket.on('audio', (f) => audio.push(f));
    const botHearsBob = () => audio.slice(-25).some((f) => f.unmixed.some((u) => u.sourceId === bobSource && u.level < 60));
    await until(() => botHearsBob(), 'the bot to hear Bob', 10_000);

    // What Bob hears, from the moment he is held.
    const ear = new AudioSocket({});
    const heard: AudioFrame[] = [];
    ear.on('audio', (f) => heard.push(f));
    const stop = media.listen(call.id, bob.id, ear.port);
    const strongest = (frames: AudioFrame[], hz: number) => {
      const pcm = samples(Buffer.concat(frames.map((f) => f.data)));
      let best = 0;
      for (let off = 0; off + 6400 <= pcm.length; off += 1600) best = Math.max(best, toneAmplitude(pcm.subarray(off, off + 6400), hz));
      return best;
    };
    try {
      const held = await bob.startHoldMusic();
      assert.strictEqual(held.status, 'completed');
      await until(() => bob.mediaStreams.find((m) => m.mediaType === 'audio')?.direction === 'inactive', "the roster to show Bob's audio inactive", 5000);
      await until(() => audio.length > 50 && !botHearsBob(), 'the bot to stop hearing Bob', 5000);
      heard.length = 0;
      await until(() => heard.length >= 100, 'two seconds of what Bob hears', 10_000);
      assert.ok(strongest(heard, 587.33) > 0.02 && strongest(heard, 698.46) > 0.02, `Bob hears the hold tone's notes: ${strongest(heard, 587.33).toFixed(3)}, ${strongest(heard, 698.46).toFixed(3)}`);
      assert.ok(!Object.keys(svc.speakers(call.id)?.levels ?? {}).includes(bob.id), 'nobody in the call hears Bob');

      // Only one at a time; then a prompt of the bot's own instead of the tone.
      const alice = [...botCall.participants.values()].find((p) => p.displayName === 'Alice')!;
      await assert.rejects(alice.startHoldMusic(), (err: Error & { statusCode?: number }) => err.statusCode === 409);
      await bob.stopHoldMusic();
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'callmedia-hold-'));
      const music = path.join(dir, 'hold.wav');
      run(ffmpegPath(), ['-hide_banner', '-loglevel', 'error', '-f', 'lavfi', '-i', 'sine=frequency=1500:duration=0.5', '-ar', '16000', music]);
      await bob.startHoldMusic(mediaPrompt(music));
      heard.length = 0;
      await until(() => heard.length >= 100, 'two seconds of what Bob hears', 10_000);
      assert.ok(strongest(heard, 1500) > 0.05, `Bob hears the bot's 1500 Hz prompt, looped: ${strongest(heard, 1500).toFixed(3)}`);

      await bob.stopHoldMusic();
      await until(() => bob.mediaStreams.find((m) => m.mediaType === 'audio')?.direction === 'sendReceive', "Bob's audio back in the roster", 5000);
      await until(() => botHearsBob(), 'the bot to hear Bob again', 10_000);
      await delay(300);
      heard.length = 0;
      await until(() => heard.length >= 50, 'a second of what Bob hears', 10_000);
      assert.ok(strongest(heard, 1500) < 0.01 && strongest(heard, 587.33) < 0.01, 'the music stopped');
    } finally {
      stop();
      await ear.close();
    }
    svc.remoteHangUp(call.id);
  });

  it('a call whose media the service hosts: the caller hears the prompts, a recording hears the caller, and pressed keys are toneInfo', async () => {
    const svc = running.service;
    const hosted = await startBot(running.url, 'hosted-media-bot');
    try {
      svc.directory.registerBot({ appId: hosted.appId, callbackUri: hosted.callbackUri, displayName: 'IVR' });
      const incoming = hosted.client.waitForIncomingCall();
      const placed = svc.placeIncomingCall({ from: { displayName: 'Alice' }, toAppId: hosted.appId, modalities: ['audio'] });
      const call = await incoming;
      await call.answer({ mediaConfig: serviceHostedMediaConfig(), acceptedModalities: ['audio'] });
      const alice = [...(svc.findCall(placed.id)?.participants.values() ?? [])].find((p) => p.info.identity?.user?.displayName === 'Alice');
      assert.ok(alice);
      await until(() => media.describe(placed.id)?.participants[alice.id] !== undefined, "Alice's media wired", 10_000);
      const ear = new AudioSocket({});
      const heard: AudioFrame[] = [];
      ear.on('audio', (f) => heard.push(f));
      const stop = media.listen(placed.id, alice.id, ear.port);
      try {
        const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'callmedia-prompt-'));
        const prompt = path.join(dir, 'prompt.wav');
        run(ffmpegPath(), ['-hide_banner', '-loglevel', 'error', '-f', 'lavfi', '-i', 'sine=frequency=1500:duration=1', '-ar', '16000', prompt]);
        const played = await call.playPrompt([mediaPrompt(prompt)]);
        assert.strictEqual(played.status, 'completed');
        const promptAudio = samples(Buffer.concat(heard.map((f) => f.data)));
        let best = 0;
        for (let off = 0; off + 1600 <= promptAudio.length; off += 1600) best = Math.max(best, toneAmplitude(promptAudio.subarray(off, off + 1600), 1500));
        assert.ok(dB(best / (1 / 8)) > -3, `Alice heard the prompt's 1500 Hz tone: ${dB(best / (1 / 8)).toFixed(1)} dB`);
      } finally {
        stop();
        await ear.close();
      }

      const op = await call.recordResponse({ maxRecordDurationInSeconds: 2, playBeep: false });
      assert.strictEqual(op.completionReason, 'maxRecordDurationReached');
      assert.ok(op.recordingLocation, 'a recording to fetch');
      const res = await fetch(op.recordingLocation as string, { headers: { Authorization: `Bearer ${op.recordingAccessToken}` } });
      const wav = Buffer.from(await res.arrayBuffer());
      assert.strictEqual(wav.toString('ascii', 0, 4), 'RIFF');
      const pcm = samples(wav.subarray(44));
      assert.ok(pcm.length >= 16000 * 1.5, `${(pcm.length / 16000).toFixed(1)} s recorded`);
      assert.ok(toneAmplitude(pcm.subarray(0, 16000), 440) > 0.05, 'Alice’s 440 Hz voice is in the recording');

      await call.subscribeToTone();
      const tones: string[] = [];
      call.on('toneReceived', (t: { tone?: string | null }) => tones.push(String(t.tone)));
      svc.sendTones(placed.id, '3#');
      await until(() => tones.length === 2, 'toneInfo for the keys Alice pressed', 5000);
      assert.deepStrictEqual(tones, ['tone3', 'pound']);
      svc.remoteHangUp(placed.id);
    } finally {
      await hosted.close();
    }
  });
});
