import * as assert from 'assert';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import type { Browser, Page } from 'playwright-core';
import type { SampleBot } from '../../../src/cli/sampleBot';
import { AudioFrame, VideoFrame } from '../../../src/media';
import { ffmpegPath, run } from '../../../src/peers/ffmpeg';
import type { ConferenceMedia, RunningService } from '../../../src/service';
import { startConference, type Conference } from '../media/conference';
import { dB, samples, toneAmplitude } from '../../helpers/goertzel';
import { launchChromium } from '../../helpers/browserPeer';
import { startBotSender } from '../../helpers/botSender';
import { until } from '../../helpers/until';

type ConsoleWindow = {
  callmediaConsole: {
    joined?: { callId: string; participantId: string };
    frames(): { camera: number; screen: number };
    videoSize(which: string): { width: number; height: number } | undefined;
    toneLead(frequency: number): number;
    tonePresence(frequency: number): number;
    tiles(): { name: string; watchedBy: string[]; frames: number; variance: number; speaking: boolean }[];
    plots(): { owner: string; figure: string; points: number; text: string; drawn: boolean }[];
  };
};

describe('service/console: the call console joins the bot\'s call from headless Chromium', function () {
  this.timeout(120_000);
  let browser: Browser;
  let running: RunningService;
  let bot: SampleBot;
  let media: ConferenceMedia;
  let conference: Conference | undefined;
  let page: Page | undefined;
  let sender: NodeJS.Timeout | undefined;
  let voiceDir: string | undefined;

  before(async () => {
    // The person speaks: a steady 1000 Hz from the fake microphone.
    voiceDir = fs.mkdtempSync(path.join(os.tmpdir(), 'callmedia-console-voice-'));
    const voice = path.join(voiceDir, 'voice.wav');
    run(ffmpegPath(), ['-hide_banner', '-loglevel', 'error', '-f', 'lavfi', '-i', 'sine=frequency=1000:duration=60', '-ar', '48000', '-ac', '1', voice]);
    browser = await launchChromium({ fakeAudioFile: voice });
    conference = await startConference('console-bot', { media: { consentTimeoutMs: 8000 }, bot: { camera: { width: 320, height: 240, fps: 30 }, reportStats: true } });
    ({ running, media, bot } = conference);
  });

  after(async () => {
    if (sender) clearInterval(sender);
    await page?.close().catch(() => undefined);
    await browser?.close();
    await conference?.close();
    if (voiceDir) fs.rmSync(voiceDir, { recursive: true, force: true });
  });

  it('lists the call and its timeline, joins it with camera and microphone, sees and hears the bot, and its keypad reaches the bot as those tones', async () => {
    const svc = running.service;
    const call = svc.placeIncomingCall({ from: { displayName: 'Alice' }, toAppId: 'console-bot', modalities: ['audio', 'video'], subject: 'Console test' });
    await until(() => svc.findCall(call.id)?.state === 'established' && bot.sessions.get(call.id)?.transportState === 'connected', 'the bot to answer', 15_000);
    const session = bot.sessions.get(call.id);
    assert.ok(session?.audioSocket);
    const bob = svc.addParticipant(call.id, { displayName: 'Bob', modalities: ['audio', 'video'] });
    const carol = svc.addParticipant(call.id, { displayName: 'Carol', modalities: ['audio', 'video'] });
    const tones: string[] = [];
    session.audioSocket.on('toneReceived', (t) => tones.push(t.tone));
    // The bot hosts its media: keys reach it in its audio, and Graph sends it no toneInfo for them.
    const toneInfos: string[] = [];
    bot.client.calls.get(call.id)?.on('toneReceived', (t: { tone?: string | null }) => toneInfos.push(String(t.tone)));

    page = await browser.newPage({ viewport: { width: 1200, height: 800 } });
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    await page.goto(`${running.url}/console`);
    const p = page;
    await p.locator(`button[data-call="${call.id}"]`).click();
    await p.locator('#call-title', { hasText: 'Console test' }).waitFor();
    // The timeline shows the notifications the bot got, with the call's states.
    await until(async () => (await p.locator('#timeline li').count()) >= 2, 'the timeline to list notifications', 10_000);
    assert.match((await p.locator('#history').textContent()) ?? '', /incoming → establishing → established/);

    await p.locator('#join').click();
    const joined = await p.waitForFunction(() => (globalThis as unknown as ConsoleWindow).callmediaConsole.joined, undefined, { timeout: 15_000 });
    const { participantId } = (await joined.jsonValue()) as { participantId: string };
    const person = svc.findCall(call.id)?.participants.get(participantId);
    assert.ok(person, 'the page is a participant of the call');
    const videoId = Number(person.mediaStreams.find((s) => s.mediaType === 'video')?.sourceId);

    // The bot watches the person, at the browser's size.
    await until(() => session.videoSockets.some((s) => s.subscription === videoId), 'the bot to subscribe to the person', 10_000);
    const socket = session.videoSockets.find((s) => s.subscription === videoId);
    const frames: VideoFrame[] = [];
    socket?.on('frame', (f) => frames.push(f));
    await until(() => frames.length >= 20, 'the person\'s camera at the bot', 20_000);
    assert.ok(frames.every((f) => f.width === 640 && f.height === 480 && f.mediaSourceId === videoId));

    // The bot shows itself and speaks at 1200 Hz; the console's bot tile shows it and hears it.
    sender = startBotSender(session, 1200);
    await until(async () => (await p.evaluate(() => (globalThis as unknown as ConsoleWindow).callmediaConsole.frames().camera)) >= 30, 'the bot tile to show 30 frames', 20_000);
    assert.deepStrictEqual(await p.evaluate(() => (globalThis as unknown as ConsoleWindow).callmediaConsole.videoSize('camera')), { width: 320, height: 240 });
    // What the page hears is its own mix: the bot's 1200 Hz voice and the others' (Alice 440 Hz).
    const presence = (f: number) => p.evaluate((x) => (globalThis as unknown as ConsoleWindow).callmediaConsole.tonePresence(x), f);
    await until(async () => (await presence(1200)) > 20, 'the console to hear the bot\'s voice', 20_000);
    await until(async () => (await presence(440)) > 20, 'the console to hear Alice', 20_000);
    const mine = media.describe(call.id)?.participants[participantId]?.mix ?? [];
    assert.ok(mine.includes('bot') && !mine.includes(participantId) && mine.length === 4, `the person's mix: the bot and the three others, not the person: ${mine}`);

    // The keypad, by mouse and by keyboard: exactly those tones, in-band to the bot.
    await p.locator('#keypad button[data-key="1"]').click();
    await until(() => tones.length === 1, 'the first tone at the bot', 10_000);
    await p.keyboard.press('#');
    await until(() => tones.length === 2, 'the second tone at the bot', 10_000);
    await new Promise((r) => setTimeout(r, 500));
    assert.deepStrictEqual(tones, ['1', '#'], 'in-band, once each');
    assert.deepStrictEqual(toneInfos, [], 'no toneInfo: a bot that hosts its media hears keys in its media only, as from Graph');

    // Sharing the screen (getDisplayMedia; Chromium's fake screen is 1280x720): the roster shows
    // the person sharing, and the bot's screen-share socket receives it under that source id.
    const botCall = bot.client.calls.get(call.id);
    const screenId = Number(person.mediaStreams.find((s) => s.mediaType === 'videoBasedScreenSharing')?.sourceId);
    assert.ok(screenId > 0, 'the person has a screen-sharing source id');
    const vbss = session.vbssSocket;
    assert.ok(vbss);
    const shared: VideoFrame[] = [];
    vbss.on('frame', (f) => shared.push(f));
    await p.locator('#share', { hasText: 'Share screen' }).click();
    await until(() => String(botCall?.participants.get(participantId)?.screenSharingSourceId) === String(screenId), 'the bot\'s roster to show the person sharing', 10_000);
    await until(() => vbss.subscription === screenId, 'the bot\'s screen-share socket to subscribe to the person', 10_000);
    await until(() => shared.filter((f) => f.mediaSourceId === screenId).length >= 5, 'the shared screen at the bot', 20_000);
    const screenFrame = shared.find((f) => f.mediaSourceId === screenId);
    assert.ok(screenFrame && screenFrame.width >= 640 && screenFrame.width / screenFrame.height > 1.7, `the shared screen's size: ${screenFrame?.width}x${screenFrame?.height}`);
    await p.locator('#share', { hasText: 'Stop sharing' }).click();
    await until(() => botCall?.participants.get(participantId)?.screenSharingSourceId === undefined, 'the bot\'s roster to show the sharing stopped', 10_000);

    // A tile per participant, each with a live picture: checked by who it names, the frames it
    // showed and the variance of its pixels (a test pattern, not a black or frozen tile).
    const tiles = async () => p.evaluate(() => (globalThis as unknown as ConsoleWindow).callmediaConsole.tiles());
    await until(async () => (await tiles()).filter((t) => t.name && t.frames >= 10 && t.variance > 50).length === 3, 'three live participant tiles', 20_000);
    assert.deepStrictEqual((await tiles()).filter((t) => t.name).map((t) => t.name).sort(), ['Alice', 'Bob', 'Carol']);
    // The synthetic voices are steady tones: the service names one of them the dominant speaker, and its tile says so.
    await until(async () => (await tiles()).filter((t) => t.speaking).length === 1, 'one tile marked as the dominant speaker', 10_000);
    const speaking = (await tiles()).find((t) => t.speaking)?.name;
    const dominant = svc.speakers(call.id)?.dominantSpeaker;
    assert.ok(dominant && ['Alice', 'Bob', 'Carol'].includes(speaking ?? ''), `the dominant speaker's tile: ${speaking}`);

    // Live figures: the bot's socket that watches the person plots the rate it receives her at,
    // each participant's media into the service plots its bitrate, and the tile says which bot
    // socket watches it.
    const plots = async () => p.evaluate(() => (globalThis as unknown as ConsoleWindow).callmediaConsole.plots());
    const watcher = Object.entries(svc.stats.of(call.id).bot).find(([, x]) => x.sourceId === videoId)?.[0];
    assert.ok(watcher, 'the bot reports the socket that watches the person');
    const figure = (all: Awaited<ReturnType<typeof plots>>, owner: string, name: string) => all.find((x) => x.owner === owner && x.figure === name);
    const number = (text: string | undefined, label = '') => Number(new RegExp(`${label}\\s*(\\d+(?:\\.\\d+)?)`).exec(text ?? '')?.[1] ?? NaN);
    await until(async () => {
      const fps = figure(await plots(), `bot:${watcher}`, 'fps');
      return !!fps && fps.points >= 3 && number(fps.text) >= 5;
    }, `the bot's ${watcher} plotted at 5 fps or more over 3 s`, 20_000);
    const all = await plots();
    for (const name of ['fps', 'kbit/s', 'loss %', 'RTT ms', 'latency ms']) {
      const f = figure(all, `bot:${watcher}`, name);
      assert.ok(f?.drawn, `the bot's ${watcher} ${name} plot is drawn: ${JSON.stringify(f)}`);
    }
    assert.ok(number(figure(all, `bot:${watcher}`, 'latency ms')?.text, 'p99') > 0, 'the latency plot says its p99');
    const people = all.filter((x) => x.owner.startsWith('participant:') && x.drawn && number(x.text, 'video') > 10);
    assert.ok(people.length >= 3, `the participants' media plotted: ${JSON.stringify(all.filter((x) => x.owner.startsWith('participant:')))}`);
    // The bot watches everyone on a socket each: the three tiles each name the socket that watches them.
    await until(async () => (await tiles()).filter((t) => t.name && t.watchedBy.some((w) => /^video-\d$/.test(w))).length === 3, 'three tiles marked with the bot socket watching each', 10_000);
    assert.strictEqual(new Set((await tiles()).flatMap((t) => t.watchedBy)).size, 3, 'a socket of its own for each');

    // A prompt from an MP3 the person picks: converted in the page, played into the call, heard by the bot.
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'callmedia-console-prompt-'));
    const mp3 = path.join(dir, 'prompt.mp3');
    run(ffmpegPath(), ['-hide_banner', '-loglevel', 'error', '-f', 'lavfi', '-i', 'sine=frequency=1300:duration=1.5', '-ac', '2', '-ar', '44100', '-c:a', 'libmp3lame', mp3]);
    const heard: AudioFrame[] = [];
    session.audioSocket.on('audio', (f) => heard.push(f));
    await p.locator('#prompt-file').setInputFiles(mp3);
    await p.locator('#prompt-play').click();
    await p.locator('#prompt-status[data-played]').waitFor({ timeout: 30_000 });
    const loudest1300 = () => {
      const pcm = samples(Buffer.concat(heard.map((f) => f.data)));
      let best = 0;
      for (let off = 0; off + 1600 <= pcm.length; off += 1600) best = Math.max(best, toneAmplitude(pcm.subarray(off, off + 1600), 1300));
      return dB(best / (1 / 8));
    };
    await until(() => loudest1300() > -6, 'the bot to hear the picked MP3\'s 1300 Hz', 15_000);
    fs.rmSync(dir, { recursive: true, force: true });

    // The roster shows the person as this browser.
    await until(async () => (await p.locator(`#roster tr[data-participant="${participantId}"]`).textContent())?.includes('you (browser)') ?? false, 'the roster to show the page', 10_000);
    const shot = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'callmedia-console-')), 'console.png');
    await p.evaluate(() => window.scrollTo(0, 0));
    await p.screenshot({ path: shot, fullPage: true });
    if (process.env.CALLMEDIA_UPDATE_DOCS) fs.copyFileSync(shot, path.resolve(__dirname, '../../../../docs/console.png'));

    // The roster's controls: Bob mutes (the bot's roster says so and it stops hearing him), then
    // unmutes (he is heard again); Carol is removed (she leaves the roster and her tile goes).
    const bobVoice = Number(bob.mediaStreams.find((s) => s.mediaType === 'audio')?.sourceId);
    const mixAt: AudioFrame[] = [];
    session.audioSocket.on('audio', (f) => mixAt.push(f));
    // Heard: his voice among the loudest, above -60 dBov (a source that stopped fades out of the list).
    const hearsBob = () => mixAt.slice(-10).some((f) => f.unmixed.some((u) => u.sourceId === bobVoice && u.level < 60));
    await until(() => mixAt.length >= 10 && hearsBob(), 'the bot to hear Bob', 10_000);
    await p.locator(`#roster tr[data-participant="${bob.id}"] button[data-action="mute"]`).click();
    await until(() => botCall?.participants.get(bob.id)?.isMuted === true, 'the bot\'s roster to show Bob muted', 10_000);
    await until(async () => (await p.locator(`#roster tr[data-participant="${bob.id}"]`).textContent())?.includes('muted') ?? false, 'the console to show Bob muted', 10_000);
    // The jitter buffer conceals a source that stops for a moment before it drops it: the voice fades out within a couple of seconds.
    await until(() => !hearsBob(), 'the bot to stop hearing muted Bob', 5000);
    assert.ok(!media.describe(call.id)?.participants[participantId]?.mix?.includes(bob.id), 'nor in the person\'s mix');
    await p.locator(`#roster tr[data-participant="${bob.id}"] button[data-action="mute"]`, { hasText: 'Unmute' }).click();
    await until(() => botCall?.participants.get(bob.id)?.isMuted === false, 'the bot\'s roster to show Bob unmuted', 10_000);
    await until(() => hearsBob(), 'the bot to hear Bob again', 10_000);
    await p.locator(`#roster tr[data-participant="${carol.id}"] button[data-action="remove"]`).click();
    await until(() => !svc.findCall(call.id)?.participants.has(carol.id) && !botCall?.participants.has(carol.id), 'Carol to leave the call', 10_000);
    await until(async () => (await tiles()).filter((t) => t.name).map((t) => t.name).sort().join() === 'Alice,Bob', 'Carol\'s tile to go', 10_000);

    // With Alice and Bob muted, the person's voice is the one left: the bot sees the person as
    // the dominant speaker, under the roster's ids.
    const aliceId = [...(svc.findCall(call.id)?.participants.values() ?? [])].find((x) => x.info.identity?.user?.displayName === 'Alice')?.id;
    for (const id of [aliceId, bob.id]) {
      await p.locator(`#roster tr[data-participant="${id}"] button[data-action="mute"]`, { hasText: 'Mute' }).click();
      await until(() => botCall?.participants.get(id as string)?.isMuted === true, 'the mute in the bot\'s roster', 10_000);
    }
    await until(() => {
      const speaker = session.audioSocket?.dominantSpeaker;
      return speaker !== null && speaker !== undefined && session.participantOf(speaker) === participantId;
    }, 'the bot to see the person as the dominant speaker', 15_000).catch((err) => {
      throw new Error(`${err.message}: dominant ${session.audioSocket?.dominantSpeaker}, person's audio ${person.mediaStreams.find((s) => s.mediaType === 'audio')?.sourceId}, heard ${JSON.stringify(mixAt.slice(-3).map((f) => f.unmixed.map((u) => [u.sourceId, u.level])))}`);
    });

    // Leaving takes the person out of the roster; the bot's socket is freed.
    await p.locator('#leave').click();
    await until(() => !svc.findCall(call.id)?.participants.has(participantId), 'the person to leave', 10_000);
    await until(() => !session.videoSockets.some((s) => s.subscription === videoId), 'the bot to stop watching the person', 10_000);
    assert.deepStrictEqual(errors, [], 'no error in the page');
  });
});
