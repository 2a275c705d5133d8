import * as assert from 'assert';
import { setTimeout as delay } from 'timers/promises';
import { VideoSocket } from '../../src/media';
import { LoadShedder, SHED_ALL_AFTER_SAMPLES, SheddableSocket } from '../../src/media/LoadShedding';
import { exited, makeH264Clip, sendRtp } from '../../src/peers/ffmpeg';
import { assertFramesAccounted } from '../helpers/accounting';
import { until } from '../helpers/until';

class FakeSocket implements SheddableSocket {
  isClosed = false;
  drops = 0;
  shedding = false;
  changes = 0;
  lostByConsumer(): number {
    return this.drops;
  }
  shed(on: boolean): void {
    this.shedding = on;
    this.changes++;
  }
}

describe('media/LoadShedding: what the engine gives up when overloaded, in order', () => {
  it('nothing is shed below Overloaded, whatever the consumers do', () => {
    const shedder = new LoadShedder();
    const a = new FakeSocket();
    for (const status of ['Normal', 'HeavilyLoaded', 'HeavilyLoaded', 'Normal'] as const) {
      a.drops += 5;
      shedder.sample(status, [a]);
    }
    assert.strictEqual(a.changes, 0);
  });

  it('Overloaded: first the sockets whose consumers lose frames, then every socket, then all given back', () => {
    const shedder = new LoadShedder();
    const slow = new FakeSocket();
    const keeping = new FakeSocket();
    shedder.sample('Normal', [slow, keeping]);  // counts start
    slow.drops += 3;
    shedder.sample('Overloaded', [slow, keeping]);
    assert.deepStrictEqual([slow.shedding, keeping.shedding], [true, false], 'the slow consumer first');
    for (let i = 1; i < SHED_ALL_AFTER_SAMPLES; i++) shedder.sample('Overloaded', [slow, keeping]);
    assert.strictEqual(keeping.shedding, false, `not before ${SHED_ALL_AFTER_SAMPLES} samples`);
    shedder.sample('Overloaded', [slow, keeping]);
    assert.deepStrictEqual([slow.shedding, keeping.shedding], [true, true], 'still overloaded: every socket');
    assert.strictEqual(shedder.shedCount, 2);
    shedder.sample('HeavilyLoaded', [slow, keeping]);
    assert.deepStrictEqual([slow.shedding, keeping.shedding], [false, false], 'given back once no longer overloaded');
    assert.deepStrictEqual([slow.changes, keeping.changes], [2, 2], 'each told once each way');
  });

  it('a socket that closed is forgotten, and a new overload starts from the slow consumers again', () => {
    const shedder = new LoadShedder();
    const a = new FakeSocket();
    const b = new FakeSocket();
    shedder.sample('Normal', [a, b]);
    a.drops++;
    shedder.sample('Overloaded', [a, b]);
    a.isClosed = true;
    shedder.sample('Overloaded', [a, b]);
    assert.strictEqual(shedder.shedCount, 0);
    shedder.sample('Normal', [b]);
    b.drops++;
    shedder.sample('Overloaded', [b]);
    assert.strictEqual(b.shedding, true);
  });

  it('a shed socket still decodes every frame, delivers every other picture and every key frame, and counts the rest', async function () {
    this.timeout(60_000);
    const socket = new VideoSocket({ maxQueuedFrames: 64 });
    try {
      let delivered = 0;
      let keyFrames = 0;
      socket.on('frame', (f) => {
        delivered++;
        if (f.keyFrame) keyFrames++;
      });
      socket.shed(true);
      await exited(sendRtp(makeH264Clip({ width: 320, height: 180, seconds: 4, profile: 'baseline', gop: 30 }), { ports: [socket.port] }));
      await until(() => socket.stats().framesDecoded >= 115, `the clip decoded (${socket.stats().framesDecoded})`);
      await delay(200);
      const s = socket.stats();
      // Pictures skipped while the decoder was behind (a busy machine) never reach the choice.
      const considered = s.framesDecoded - s.framesSkippedBehind;
      assert.ok(s.framesShed >= 0.4 * considered && s.framesShed <= 0.5 * considered, `${s.framesShed} shed of ${considered}`);
      assert.strictEqual(s.framesDelivered, s.framesDecoded - s.framesShed - s.framesSkippedBehind - s.framesDroppedDelivery);
      assert.ok(s.framesSkippedBehind > 0 ? keyFrames >= 1 : keyFrames === 4, `${keyFrames} of 4 key frames delivered`);
      assert.strictEqual(delivered, s.framesDelivered, 'every picture not shed reached bot code');
      socket.shed(false);
      await socket.close();
      assertFramesAccounted(socket.stats(), 'I420');
    } finally {
      await socket.close();
    }
  });
});
