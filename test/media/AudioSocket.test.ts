import * as assert from 'assert';
import { spawn } from 'child_process';
import * as dgram from 'dgram';
import * as fs from 'fs';
import * as http from 'http';
import * as os from 'os';
import * as path from 'path';
import { setTimeout as delay } from 'timers/promises';
import { AudioFrame, AudioSocket, CallMediaError, ToneReceived, playAudio, recordWav } from '../../src/media';
import { exited, ffmpegPath, receiveOpusRtpWithFfmpeg, run, sendOpusTone } from '../../src/peers/ffmpeg';
import { dB, samples, toneAmplitude } from '../helpers/goertzel';
import { UdpRelay, mulberry32 } from '../helpers/UdpRelay';
import { alive, childrenOf } from '../helpers/processes';
import { until } from '../helpers/until';

const SINE_AMPLITUDE = 1 / 8; // ffmpeg's sine source

/** Joins consecutive frames into 100 ms windows: 440 and 880 Hz fall on exact bins of 1600 samples. */
function windows(frames: Buffer[], perWindow = 5): Int16Array[] {
  const out: Int16Array[] = [];
  for (let i = 0; i + perWindow <= frames.length; i += perWindow) out.push(samples(Buffer.concat(frames.slice(i, i + perWindow))));
  return out;
}

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];

describe('media/AudioSocket: mixed and unmixed audio from ffmpeg Opus senders', function () {
  this.timeout(60_000);

  it('two speakers: the mix holds both tones, unmixed buffers one each with its source id, dominant speaker changes once when one stops', async () => {
    const socket = new AudioSocket({ unmixed: 4 });
    const frames: AudioFrame[] = [];
    const dominant: (number | null)[] = [];
    socket.on('audio', (f) => frames.push(f));
    socket.on('dominantSpeakerChanged', (d) => dominant.push(d));
    const low = sendOpusTone({ port: socket.port, frequency: 440, seconds: 6, volume: 0.4, ssrc: 4400 });
    const high = sendOpusTone({ port: socket.port, frequency: 880, seconds: 3, volume: 1.0, ssrc: 8800 });
    await exited(high);
    const changesBeforeStop = dominant.length;
    const dominantBeforeStop = socket.dominantSpeaker;
    await exited(low);
    await delay(200);
    const stats = socket.stats();
    await socket.close();

    // Both speaking: 0.8 s to 2.6 s of the run.
    const both = frames.filter((f) => f.unmixed.length === 2 && f.activeSpeakers.length === 2);
    assert.ok(both.length >= 75, `frames with both speakers active: ${both.length}`);
    const mixed = windows(both.slice(10, 85).map((f) => f.data));
    const expect440 = SINE_AMPLITUDE * 0.4;
    const expect880 = SINE_AMPLITUDE * 1.0;
    const a440 = median(mixed.map((w) => toneAmplitude(w, 440)));
    const a880 = median(mixed.map((w) => toneAmplitude(w, 880)));
    assert.ok(Math.abs(dB(a440 / expect440)) <= 3, `440 Hz in the mix: ${dB(a440 / expect440).toFixed(1)} dB off`);
    assert.ok(Math.abs(dB(a880 / expect880)) <= 3, `880 Hz in the mix: ${dB(a880 / expect880).toFixed(1)} dB off`);

    for (const [id, own, other] of [[4400, 440, 880], [8800, 880, 440]]) {
      const buffers = both.slice(10, 85).map((f) => f.unmixed.find((u) => u.sourceId === id)?.data as Buffer);
      assert.ok(buffers.every(Boolean), `source ${id} is unmixed in every frame`);
      const w = windows(buffers);
      const ownLevel = median(w.map((x) => toneAmplitude(x, own)));
      const otherLevel = median(w.map((x) => toneAmplitude(x, other)));
      assert.ok(dB(ownLevel / otherLevel) > 20, `source ${id}: ${own} Hz only (${dB(ownLevel / otherLevel).toFixed(1)} dB apart)`);
    }
    assert.strictEqual(both[0].unmixed[0].sourceId, 8800, 'unmixed buffers come loudest first');
    assert.ok(both.every((f) => f.activeSpeakers.includes(4400) && f.activeSpeakers.includes(8800)));

    assert.strictEqual(dominantBeforeStop, 8800, 'the louder speaker dominates');
    assert.ok(changesBeforeStop <= 2, `no flapping while both speak: ${dominant.slice(0, changesBeforeStop)}`);
    assert.deepStrictEqual(dominant.slice(changesBeforeStop, changesBeforeStop + 1), [4400]);
    assert.ok(dominant.slice(changesBeforeStop).filter((d) => d !== null).length === 1, `after the stop: ${dominant.slice(changesBeforeStop)}`);
    assert.strictEqual(stats.decodeErrors, 0);
  });

  it('30 ms jitter, 3 % loss and reordering: a frame every 20 ms, concealment counted, never two silent frames in a row while the sender talks', async () => {
    const socket = new AudioSocket();
    const relay = new UdpRelay({ target: socket.port, loss: 0.03, reorder: 0.05, reorderDelayMs: 25, jitterMs: 30, seed: 11 });
    const port = await relay.listen();
    const frames: AudioFrame[] = [];
    socket.on('audio', (f) => frames.push(f));
    await exited(sendOpusTone({ port, frequency: 440, seconds: 5 }));
    await delay(100);
    const stats = socket.stats();
    await socket.close();
    relay.close();

    for (let i = 1; i < frames.length; i++) {
      assert.strictEqual(frames[i].sequence, frames[i - 1].sequence + 1, 'no frame skipped');
      const spacing = frames[i].stamps.mixed - frames[i - 1].stamps.mixed;
      assert.ok(Math.abs(spacing - 20) < 1, `mix clock spacing ${spacing.toFixed(2)} ms`);
    }
    const first = frames.findIndex((f) => !f.isSilence);
    const talking = frames.slice(first, first + 200); // 4 s of the 5 s tone
    assert.ok(first >= 0 && talking.length === 200);
    for (let i = 1; i < talking.length; i++) {
      assert.ok(!(talking[i].isSilence && talking[i - 1].isSilence), `two silent frames at ${talking[i].sequence}`);
    }
    assert.ok(stats.concealed > 0, 'losses are concealed and counted');
    assert.ok(relay.dropped > 0);
    const tone = median(windows(talking.map((f) => f.data)).map((w) => toneAmplitude(w, 440)));
    assert.ok(Math.abs(dB(tone / SINE_AMPLITUDE)) <= 3, `the tone survives: ${dB(tone / SINE_AMPLITUDE).toFixed(1)} dB`);
  });
});

/** RFC 4733 telephone-event packets for one tone: updates, then the end packet three times. */
function dtmfPackets(event: number, seq: number, timestamp: number, ssrc: number): Buffer[] {
  const packets: Buffer[] = [];
  const durations = [960, 1920, 2880, 3840, 3840, 3840];
  durations.forEach((duration, i) => {
    const p = Buffer.alloc(16);
    p[0] = 0x80;
    p[1] = (i === 0 ? 0x80 : 0) | 101;
    p.writeUInt16BE((seq + i) & 0xffff, 2);
    p.writeUInt32BE(timestamp >>> 0, 4);
    p.writeUInt32BE(ssrc, 8);
    p[12] = event;
    p[13] = (i >= 3 ? 0x80 : 0) | 10;
    p.writeUInt16BE(duration, 14);
    packets.push(p);
  });
  return packets;
}

describe('media/AudioSocket: DTMF, sending, bad input', function () {
  this.timeout(30_000);

  it('RFC 4733 packets for "1 2 3 # *" with repeated end packets give exactly those five tones', async () => {
    const socket = new AudioSocket();
    const tones: ToneReceived[] = [];
    socket.on('toneReceived', (t) => tones.push(t));
    const sender = dgram.createSocket('udp4');
    const events = [1, 2, 3, 11, 10]; // '1' '2' '3' '#' '*'
    let seq = 100;
    for (const [i, event] of events.entries()) {
      for (const p of dtmfPackets(event, seq, 5000 + i * 20000, 0xabc)) {
        sender.send(p, socket.port, '127.0.0.1');
        await delay(5);
      }
      seq += 6;
    }
    await delay(100);
    sender.close();
    await socket.close();
    assert.deepStrictEqual(tones.map((t) => t.tone), ['1', '2', '3', '#', '*']);
    assert.ok(tones.every((t) => t.durationMs === 80 && t.sourceId === 0xabc));
  });

  it('sources that send only DTMF are forgotten once silent, so they never block a new one', async () => {
    const socket = new AudioSocket({ maxSources: 2 });
    const tones: ToneReceived[] = [];
    socket.on('toneReceived', (t) => tones.push(t));
    const sender = dgram.createSocket('udp4');
    const press = async (event: number, ssrc: number, seq: number, timestamp: number) => {
      for (const p of dtmfPackets(event, seq, timestamp, ssrc)) {
        sender.send(p, socket.port, '127.0.0.1');
        await delay(5);
      }
    };
    await press(1, 0xa1, 100, 1000);
    await press(2, 0xa2, 200, 2000);
    await press(3, 0xa3, 300, 3000); // a third while two are known: refused, as maxSources says
    const until = Date.now() + 5000;
    while (tones.length < 2 && Date.now() < until) await delay(20);
    await delay(2500); // longer than a source may stay silent
    await press(4, 0xa4, 400, 4000);
    const end = Date.now() + 3000;
    while (tones.length < 3 && Date.now() < end) await delay(20);
    sender.close();
    await socket.close();
    assert.deepStrictEqual(tones.map((t) => [t.tone, t.sourceId]), [['1', 0xa1], ['2', 0xa2], ['4', 0xa4]]);
  });

  it('sends a 1 kHz tone that ffmpeg decodes without dropouts, and DTMF another socket hears', async () => {
    const probe = dgram.createSocket('udp4');
    await new Promise<void>((resolve) => probe.bind(0, '127.0.0.1', resolve));
    const port = probe.address().port;
    probe.close();
    const ffmpeg = await receiveOpusRtpWithFfmpeg(port);
    const socket = new AudioSocket({ send: {}, remote: { port } });
    const pcm = Buffer.alloc(16000 * 2 * 3); // 3 s
    for (let i = 0; i < pcm.length / 2; i++) pcm.writeInt16LE(Math.round(8000 * Math.sin((2 * Math.PI * 1000 * i) / 16000)), i * 2);
    const writable = socket.writable();
    await new Promise<void>((resolve, reject) => writable.end(pcm, () => resolve()).on('error', reject));
    // Done when the engine sent every queued frame and ffmpeg decoded (nearly) the 3 s.
    await until(() => socket.stats().send?.queued === 0 && (socket.stats().send?.framesSent ?? 0) >= 150, 'the tone to be sent');
    await until(() => ffmpeg.decodedBytes() >= 16000 * 2 * 2.8, 'ffmpeg to decode the tone', 10_000).catch(() => undefined);
    const stats = socket.stats();
    await socket.close();
    const decoded = samples(await ffmpeg.stop());
    assert.ok(stats.send && stats.send.framesSent >= 150, JSON.stringify(stats.send));
    // 100 ms windows from the first loud one: the tone is in every one of them.
    const step = 1600;
    let start = 0;
    while (start + step <= decoded.length && toneAmplitude(decoded.subarray(start, start + step), 1000) < 0.1) start += step / 4;
    const levels: number[] = [];
    for (let off = start; off + step <= decoded.length && levels.length < 28; off += step) {
      levels.push(toneAmplitude(decoded.subarray(off, off + step), 1000));
    }
    assert.ok(levels.length >= 25, `decoded ${decoded.length / 16000} s, tone found for ${levels.length / 10} s`);
    const expected = 8000 / 32768;
    for (const level of levels) assert.ok(Math.abs(dB(level / expected)) <= 3, `a window at ${dB(level / expected).toFixed(1)} dB: a dropout`);

    const rx = new AudioSocket();
    const tx = new AudioSocket({ send: {}, remote: { port: rx.port } });
    const heard: string[] = [];
    rx.on('toneReceived', (t) => heard.push(t.tone));
    tx.sendTone('5', 100);
    tx.sendTone('#', 100);
    await delay(600);
    await Promise.all([tx.close(), rx.close()]);
    assert.deepStrictEqual(heard, ['5', '#']);
  });

  it('garbage, wrong payload types, a source that disappears, bad frames: counted or refused, nothing crashes', async () => {
    const socket = new AudioSocket();
    const junk = dgram.createSocket('udp4');
    const random = mulberry32(5);
    const sender = sendOpusTone({ port: socket.port, frequency: 440, seconds: 1.5, ssrc: 77 });
    for (let i = 0; i < 100; i++) {
      junk.send(Buffer.from(Array.from({ length: 1 + Math.floor(random() * 300) }, () => Math.floor(random() * 256))), socket.port, '127.0.0.1');
      const wrongPt = Buffer.alloc(40);
      wrongPt[0] = 0x80;
      wrongPt[1] = 33;
      junk.send(wrongPt, socket.port, '127.0.0.1');
      await delay(10);
    }
    await exited(sender);
    await delay(2600); // the source is gone for longer than the timeout
    const stats = socket.stats();
    const frames: AudioFrame[] = [];
    socket.on('audio', (f) => frames.push(f));
    await delay(100);
    junk.close();
    assert.ok(stats.packetsMalformed > 0);
    assert.ok(stats.packetsWrongPayloadType >= 100);
    assert.strictEqual(stats.sourcesRemoved, 1, 'the source that stopped is removed');
    assert.ok(frames.length >= 4 && frames.every((f) => f.isSilence), 'silence keeps coming after it left');
    assert.throws(() => socket.send(Buffer.alloc(640)), (e: CallMediaError) => e.code === 'NOT_SENDING');
    await socket.close();
    const tx = new AudioSocket({ send: {} });
    assert.throws(() => tx.send(Buffer.alloc(100)), (e: CallMediaError) => e.code === 'INVALID_FRAME_SIZE');
    assert.throws(() => tx.sendTone('x'), (e: CallMediaError) => e.code === 'INVALID_ARGUMENT');
    await tx.close();
    assert.throws(() => tx.send(Buffer.alloc(640)), (e: CallMediaError) => e.code === 'SOCKET_CLOSED');
  });
});

describe('media/audioFiles: play a file into a call, record a call to WAV', function () {
  this.timeout(30_000);

  it('an MP3 played into one socket is recorded as a WAV on the other with its tone', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'callmedia-audio-'));
    const mp3 = path.join(dir, 'prompt.mp3');
    run(ffmpegPath(), ['-hide_banner', '-loglevel', 'error', '-f', 'lavfi', '-i', 'sine=frequency=600:sample_rate=44100', '-t', '2', mp3]);
    const rx = new AudioSocket();
    const tx = new AudioSocket({ send: {}, remote: { port: rx.port } });
    const wav = path.join(dir, 'call.wav');
    const recording = recordWav(rx, wav);
    await playAudio(tx, mp3);
    await delay(500);
    const result = await recording.stop();
    await Promise.all([tx.close(), rx.close()]);
    const file = fs.readFileSync(wav);
    assert.strictEqual(file.toString('ascii', 0, 4), 'RIFF');
    assert.strictEqual(file.readUInt32LE(24), 16000);
    assert.strictEqual(file.readUInt32LE(40), file.length - 44);
    assert.strictEqual(result.bytes, file.length - 44);
    const audio = samples(file.subarray(44));
    const levels: number[] = [];
    for (let off = 0; off + 1600 <= audio.length; off += 1600) levels.push(toneAmplitude(audio.subarray(off, off + 1600), 600));
    const loud = levels.filter((a) => a > SINE_AMPLITUDE / 2);
    assert.ok(loud.length >= 17, `100 ms windows with the 600 Hz prompt: ${loud.length} of 20`);
    await assert.rejects(playAudio(tx, path.join(dir, 'missing.wav')), (e: CallMediaError) => e.code === 'INVALID_ARGUMENT');
  });

  it('a file ffmpeg cannot decode is refused with INVALID_ARGUMENT naming it, and nothing is sent', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'callmedia-audio-'));
    const junk = path.join(dir, 'prompt.mp3');
    fs.writeFileSync(junk, Buffer.from(Array.from({ length: 4096 }, (_, i) => (i * 151) & 0xff)));
    const tx = new AudioSocket({ send: {}, remote: { port: 9 } });
    await assert.rejects(playAudio(tx, junk), (e: CallMediaError) => e.code === 'INVALID_ARGUMENT' && e.message.includes(junk));
    assert.strictEqual(tx.stats().send?.framesIn, 0);
    await tx.close();
  });

  it('kill -9 of a process playing a prompt from a stalled URL: its ffmpeg decoder dies with it', async function () {
    if (process.platform !== 'linux') this.skip();
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'callmedia-audio-'));
    const mp3 = path.join(dir, 'long.mp3');
    run(ffmpegPath(), ['-hide_banner', '-loglevel', 'error', '-f', 'lavfi', '-i', 'sine=frequency=600:sample_rate=16000', '-t', '60', mp3]);
    // The server sends the first 2 KB (less PCM than a pipe holds) and then holds the connection: ffmpeg waits on its input and
    // never writes to the dead parent's pipe, so only the tie to its parent can end it.
    const body = fs.readFileSync(mp3);
    const held = new Set<import('net').Socket>();
    const server = http.createServer((req, res) => {
      held.add(req.socket);
      res.writeHead(200, { 'content-type': 'audio/mpeg', 'content-length': body.length });
      res.write(body.subarray(0, 2048));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const url = `http://127.0.0.1:${(server.address() as import('net').AddressInfo).port}/long.mp3`;
    const media = path.resolve(__dirname, '..', '..', 'src', 'media');
    const script = `const m = require(${JSON.stringify(media)});
      const rx = new m.AudioSocket();
      const tx = new m.AudioSocket({ send: {}, remote: { port: rx.port } });
      m.playAudio(tx, ${JSON.stringify(url)});`;
    const player = spawn(process.execPath, ['-e', script], { stdio: 'ignore' });
    try {
      let decoders: number[] = [];
      await until(() => (decoders = childrenOf(player.pid as number).filter((c) => c.name === 'ffmpeg').map((c) => c.pid)).length === 1,
        'the prompt\'s ffmpeg decoder to start', 20_000);
      player.kill('SIGKILL');
      await until(() => !alive(decoders[0]), `ffmpeg ${decoders[0]} to die with its parent`, 5000);
    } finally {
      player.kill('SIGKILL');
      for (const socket of held) socket.destroy();
      server.close();
    }
  });
});
