import * as assert from 'assert';
import { CallMediaError, MediaPlatform, parseDescription, parseMediaConfiguration } from '../../src/media';

describe('media/MediaPlatform: media sessions and their configuration', () => {
  it('a plain RTP session offers every socket in its blob, maps the roster, and subscribes by participant', async () => {
    const platform = MediaPlatform.initialize({ applicationId: 'app-1' });
    const session = platform.createMediaSession({ audio: { unmixed: 4 }, video: [{}, {}, {}], vbss: {}, transport: 'rtp' });
    const config = parseMediaConfiguration(session.mediaConfiguration);
    assert.strictEqual(config.mediaSessionId, session.id);
    const offer = parseDescription(config.sdp);
    assert.ok(offer.media.every((m) => m.protocol === 'RTP/AVP'));
    assert.deepStrictEqual(
      offer.media.map((m) => [m.kind, m.label, m.port]),
      [
        ['audio', 'main-audio', session.audioSocket?.port],
        ['video', 'video-0', session.videoSockets[0].port],
        ['video', 'video-1', session.videoSockets[1].port],
        ['video', 'video-2', session.videoSockets[2].port],
        ['video', 'main-vbss', session.vbssSocket?.port],
      ],
    );
    const alice = { id: 'p-alice', mediaStreams: [{ mediaType: 'audio', sourceId: '11' }, { mediaType: 'video', sourceId: '12' }, { mediaType: 'videoBasedScreenSharing', sourceId: '13' }] };
    const bob = { id: 'p-bob', mediaStreams: [{ mediaType: 'audio', sourceId: '21' }] };
    session.updateRoster([alice, bob]);
    assert.strictEqual(session.participantOf(12), 'p-alice');
    assert.strictEqual(session.participantOf(21), 'p-bob');
    assert.strictEqual(session.participantOf(99), undefined);
    session.videoSockets[0].subscribe(alice);
    assert.strictEqual(session.videoSockets[0].subscription, 12);
    session.vbssSocket?.subscribe(alice);
    assert.strictEqual(session.vbssSocket?.subscription, 13, 'the screen-share socket picks the sharing stream');
    assert.throws(() => session.videoSockets[1].subscribe(bob), (e: CallMediaError) => e.code === 'NO_SUCH_SOURCE');
    await session.close();
    assert.ok(session.videoSockets.every((s) => s.isClosed) && session.audioSocket?.isClosed);
  });

  it('refuses more than ten video sockets and a bad blob', () => {
    const platform = MediaPlatform.initialize({ applicationId: 'app-1' });
    assert.throws(() => platform.createMediaSession({ video: Array.from({ length: 11 }, () => ({})) }), (e: CallMediaError) => e.code === 'LIMIT_EXCEEDED');
    assert.throws(() => parseMediaConfiguration('not json'), (e: CallMediaError) => e.code === 'INVALID_ARGUMENT');
    assert.throws(() => MediaPlatform.initialize({ applicationId: '' }), (e: CallMediaError) => e.code === 'INVALID_ARGUMENT');
  });
});
